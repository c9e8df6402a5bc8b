// Loads the configuration from an optional JSON file and FEIKONG_* environment variables,
// applies defaults and validates it. A bad value stops start-up with the key and what it expected.
//
//   file (FEIKONG_CONFIG or --config)  ─┐
//   env  FEIKONG_HTTP__PORT=8081        ├─> merge ─> defaults ─> validate ─> Config
//   overrides (tests, demo)            ─┘
import { readFileSync } from 'node:fs';
import { Value, type ValueError } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { ConfigSchema, type Config } from './schema.js';
import { ScheduleError, parseYearSchedule } from '../domain/holiday-schedule.js';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string, readonly key: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Json = Record<string, unknown>;

const ENV_PREFIX = 'FEIKONG_';

function camel(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * FEIKONG_ENGINE__GRACE_MS=0 → { engine: { graceMs: 0 } }. Objects, arrays and quoted strings are
 * read as JSON; anything else stays text and is converted by the schema (so a price "0.60" stays
 * the string the schema wants, and a port "8081" becomes the integer it wants).
 */
export function configFromEnv(env: NodeJS.ProcessEnv): Json {
  const out: Json = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || name === 'FEIKONG_CONFIG' || raw === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).split('__').map(camel);
    let value: unknown = raw;
    if (/^\s*[[{"]/.test(raw)) {
      try {
        value = JSON.parse(raw);
      } catch {
        value = raw;
      }
    }
    let node = out;
    for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Json;
    node[path[path.length - 1]!] = value;
  }
  return out;
}

function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Json, v) : v;
  }
  return out;
}

function readConfigFile(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read configuration file ${path}: ${(err as Error).message}`, 'FEIKONG_CONFIG');
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isPlainObject(parsed)) throw new Error('top level must be an object');
    return parsed;
  } catch (err) {
    throw new ConfigError(`configuration file ${path} is not valid JSON: ${(err as Error).message}`, 'FEIKONG_CONFIG');
  }
}

/**
 * The most precise error: inside a union, the branch that came closest (fewest errors, and a
 * matching `kind` where the branches have one); a union of literals lists the allowed values.
 */
function precise(error: ValueError): { path: string; message: string; value: unknown } {
  const branches = error.errors.map((it) => [...it]);
  const anyOf = (error.schema as { anyOf?: Array<{ const?: unknown }> }).anyOf;
  if (anyOf && anyOf.every((b) => b.const !== undefined)) {
    return { path: error.path, message: `expected one of ${anyOf.map((b) => JSON.stringify(b.const)).join(', ')}`, value: error.value };
  }
  if (branches.length === 0) return { path: error.path, message: error.message, value: error.value };
  const scored = branches
    .map((errs) => ({ errs, kindMismatch: errs.some((e) => e.path.endsWith('/kind')) ? 1 : 0 }))
    .sort((a, b) => a.kindMismatch - b.kindMismatch || a.errs.length - b.errs.length);
  const best = scored[0]!.errs;
  const deepest = best.sort((a, b) => b.path.split('/').length - a.path.split('/').length)[0];
  return deepest ? precise(deepest) : { path: error.path, message: error.message, value: error.value };
}

/** Each bus kind's schema, read off the schema's own union (a new kind needs no change here). */
const BUS_KINDS = new Map<string, TSchema>(
  (ConfigSchema.properties.buses.items.anyOf as TSchema[]).map((branch) => [branch.properties.kind.const as string, branch]),
);

/** Validates a raw object against the schema, filling defaults. Throws ConfigError naming the first bad key. */
export function validateConfig(raw: Json): Config {
  const copy = structuredClone(raw);
  // Defaults inside a union are not applied by the schema walk: fill each bus by its kind.
  if (Array.isArray(copy.buses)) {
    copy.buses = copy.buses.map((b: unknown) => {
      const branch = isPlainObject(b) && typeof b.kind === 'string' ? BUS_KINDS.get(b.kind) : undefined;
      return branch ? Value.Convert(branch, Value.Default(branch, b)) : b;
    });
  }
  const withDefaults = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, copy));
  const errors = [...Value.Errors(ConfigSchema, withDefaults)];
  if (errors.length > 0) {
    // Prefer the most specific error (deepest path) so a bad nested value is named precisely.
    const depth = (e: ValueError) => e.path.split('/').length;
    const first = precise(errors.sort((a, b) => depth(b) - depth(a))[0]!);
    const key = first.path.replace(/^\//, '').replace(/\//g, '.') || '(root)';
    const got = JSON.stringify(first.value);
    throw new ConfigError(`configuration key "${key}": ${first.message} (got ${got ?? 'nothing'})`, key);
  }
  checkSchedules(withDefaults as Config);
  checkSecurity(withDefaults as Config);
  return withDefaults as Config;
}

/** security.module 'encryption-machine' needs the machine's address. */
function checkSecurity(config: Config): void {
  if (config.security.module === 'encryption-machine' && !config.security.encryptionMachine) {
    throw new ConfigError('configuration key "security.encryptionMachine": required when security.module is \'encryption-machine\' (host and port of the machine or its gateway)', 'security.encryptionMachine');
  }
}

/** The holiday schedules' own rules (dates in their year, make-up workdays on weekends, one per year). */
function checkSchedules(config: Config): void {
  const years = new Set<number>();
  (config.engine.noCut.schedules ?? []).forEach((schedule, i) => {
    const at = `engine.noCut.schedules.${i}`;
    if (years.has(schedule.year)) throw new ConfigError(`configuration key "${at}.year": ${schedule.year} has another schedule before it`, `${at}.year`);
    years.add(schedule.year);
    try {
      parseYearSchedule(schedule.year, schedule);
    } catch (err) {
      if (!(err instanceof ScheduleError)) throw err;
      const key = `${at}.${err.field.replace(/\[(\d+)\]/g, '.$1')}`;
      throw new ConfigError(`configuration key "${key}": ${err.detail}`, key);
    }
  });
}

export interface LoadOptions {
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  overrides?: Json;
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.FEIKONG_CONFIG;
  let merged: Json = file ? readConfigFile(file) : {};
  merged = deepMerge(merged, configFromEnv(env));
  if (options.overrides) merged = deepMerge(merged, options.overrides);
  return validateConfig(merged);
}
