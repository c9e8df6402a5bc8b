// Reading profiles of DL/T 645 meters (profiles/*.json), loaded and validated at start-up: a
// profile naming an unknown data identifier stops the daemon with a message naming the file, the
// key and the DI. Which profile a meter is read with: its own, else its bus's default, else the
// default of its edition (2007: energy and status word 3; 1997: energy).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Dlt645Error, validateProfile, type Profile } from '../protocols/dlt645/index.js';

const EXTENSION = '.json';

/** The profile of a 2007 meter when neither the meter nor its bus names one. */
export const DEFAULT_PROFILE_2007 = 'dlt645-2007-energy-relay';
/** The profile of a 1997 meter when neither the meter nor its bus names a 1997 one. */
export const DEFAULT_PROFILE_1997 = 'dlt645-1997-single-phase';

/** profiles/ at the package root, found from here whether running from src/ or dist/src/. */
function shippedDirectory(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'profiles');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`profiles/ not found above ${fileURLToPath(import.meta.url)}`);
}

/** The configured directory, or the profiles shipped with feikong. */
export function profilesDirectory(configured: string | undefined): string {
  return configured ? resolve(configured) : shippedDirectory();
}

/** Reads and validates one profile; throws PROFILE_INVALID naming the file (and key and DI, when the JSON parses). */
export function loadProfile(dir: string, name: string): Profile {
  const file = join(dir, `${name}${EXTENSION}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Dlt645Error('PROFILE_INVALID', `profile ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON: ${(err as Error).message}`}`, { file });
  }
  return validateProfile(raw, file, name);
}

export class Profiles {
  private constructor(readonly dir: string, private readonly profiles: ReadonlyMap<string, Profile>) {}

  /** Loads and validates every profile in `dir`; the first bad one throws. The two defaults must be there. */
  static load(dir: string): Profiles {
    const profiles = new Map<string, Profile>();
    const names = readdirSync(dir).filter((f) => f.endsWith(EXTENSION)).map((f) => basename(f, EXTENSION)).sort();
    for (const name of names) profiles.set(name, loadProfile(dir, name));
    for (const required of [DEFAULT_PROFILE_2007, DEFAULT_PROFILE_1997]) {
      if (!profiles.has(required)) throw new Dlt645Error('PROFILE_INVALID', `profile ${join(dir, required + EXTENSION)}: no such file (it is the default profile)`, { file: required });
    }
    return new Profiles(dir, profiles);
  }

  names(): string[] {
    return [...this.profiles.keys()];
  }

  has(name: string): boolean {
    return this.profiles.has(name);
  }

  get(name: string): Profile {
    const profile = this.profiles.get(name);
    if (!profile) throw new Dlt645Error('PROFILE_INVALID', `profile "${name}" does not exist in ${this.dir} (have: ${this.names().join(', ')})`, { name });
    return profile;
  }

  /**
   * The profiles a meter is read with, in the order to try: its own or its bus's (`fallback`),
   * else its edition's default; for edition 'auto', a 2007 profile first and then a 1997 one.
   */
  forMeter(meter: { profile: string | null; edition: '2007' | '1997' | 'auto' }, busProfile: string | undefined): Profile[] {
    const chosen = [meter.profile, busProfile].filter((n): n is string => !!n && this.profiles.has(n)).map((n) => this.get(n));
    const of = (edition: '2007' | '1997') => chosen.find((p) => p.edition === edition) ?? this.get(edition === '2007' ? DEFAULT_PROFILE_2007 : DEFAULT_PROFILE_1997);
    if (meter.edition === 'auto') return [of('2007'), of('1997')];
    return [of(meter.edition)];
  }
}
