// The configuration loader: defaults, FEIKONG_* environment overrides, file < environment <
// overrides, and errors that name the bad key and what it expected.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv, deepMerge, loadConfig, validateConfig } from '../../src/config/load.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'feikong-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Runs `fn` and returns the ConfigError it throws. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('defaults', () => {
  it('fills every section from an empty configuration', () => {
    const config = loadConfig({ env: {} });
    expect(config).toMatchObject({
      dataDir: './data',
      utcOffsetMinutes: 480,
      log: { level: 'info' },
      http: { host: '127.0.0.1', port: 8080, bodyLimitBytes: 1024 * 1024 },
      mqtt: { embeddedHost: '127.0.0.1', embeddedPort: 1883, topicPrefix: 'feikong/v1' },
      buses: [],
      polling: { intervalMs: 900_000, retries: 1, responseDelayMaxMs: 500, offlineAfterFailures: 3 },
      engine: {
        sweepIntervalMs: 60_000, graceMs: 86_400_000, commandExpiryMs: 3_600_000, confirmIntervalMs: 2000, maxAttempts: 3,
        noCut: { nights: true, nightStart: '18:00', nightEnd: '08:00', weekends: true, holidays: true },
      },
      defaults: { alarmLevel1Fen: 2000, alarmLevel2Fen: 1000, cutoffLevelFen: 0, restoreLevelFen: 0, pricePerKwh: '0.5283' },
      shutdownTimeoutMs: 10_000,
    });
    expect(config.mqtt.url).toBeUndefined();
  });

  it('fills bus defaults for serial and TCP buses', () => {
    const config = validateConfig({
      buses: [{ id: 'line-1', kind: 'serial', path: '/dev/ttyUSB0' }, { id: 'dtu-1', kind: 'tcp', host: '10.0.0.5', port: 8899 }],
    });
    expect(config.buses).toMatchObject([
      { id: 'line-1', kind: 'serial', path: '/dev/ttyUSB0', baudRate: 2400, parity: 'auto' },
      { id: 'dtu-1', kind: 'tcp', host: '10.0.0.5', port: 8899, baudRate: 2400 },
    ]);
  });

  it('keeps given values next to defaults in the same section, and does not touch its input', () => {
    const raw = { http: { port: 9000 } };
    const config = validateConfig(raw);
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 9000, bodyLimitBytes: 1024 * 1024 });
    expect(raw).toEqual({ http: { port: 9000 } });
  });
});

describe('environment', () => {
  it('FEIKONG_HTTP__PORT=8081 and FEIKONG_ENGINE__GRACE_MS=0 override the defaults', () => {
    const config = loadConfig({ env: { FEIKONG_HTTP__PORT: '8081', FEIKONG_ENGINE__GRACE_MS: '0' } });
    expect(config.http.port).toBe(8081);
    expect(config.engine.graceMs).toBe(0);
    expect(config.http.host).toBe('127.0.0.1');
    expect(config.engine.sweepIntervalMs).toBe(60_000);
  });

  it('maps nested names to camel-case keys and ignores other variables', () => {
    // Text stays text here; the schema converts it when the configuration is validated.
    expect(configFromEnv({
      FEIKONG_ENGINE__NO_CUT__NIGHT_START: '20:00',
      FEIKONG_DEFAULTS__ALARM_LEVEL1_FEN: '3000',
      FEIKONG_ENGINE__NO_CUT__WEEKENDS: 'false',
      FEIKONG_UTC_OFFSET_MINUTES: '420',
      FEIKONG_CONFIG: '/etc/feikong.json',
      HTTP__PORT: '1',
      PATH: '/usr/bin',
    })).toEqual({
      engine: { noCut: { nightStart: '20:00', weekends: 'false' } },
      defaults: { alarmLevel1Fen: '3000' },
      utcOffsetMinutes: '420',
    });
  });

  it('converts environment text to the types the schema wants', () => {
    const config = loadConfig({ env: {
      FEIKONG_ENGINE__NO_CUT__WEEKENDS: 'false', FEIKONG_DEFAULTS__ALARM_LEVEL1_FEN: '3000', FEIKONG_UTC_OFFSET_MINUTES: '420',
      FEIKONG_DEFAULTS__PRICE_PER_KWH: '0.60',
    } });
    expect(config.engine.noCut.weekends).toBe(false);
    expect(config.defaults.alarmLevel1Fen).toBe(3000);
    expect(config.utcOffsetMinutes).toBe(420);
    expect(config.defaults.pricePerKwh).toBe('0.60');
  });

  it('fills a bus entry with the defaults of its kind', () => {
    const config = loadConfig({ env: {}, overrides: { buses: [{ id: 'b', kind: 'serial', path: '/dev/ttyS0' }] } });
    expect(config.buses[0]).toMatchObject({ baudRate: 2400, parity: 'auto' });
  });

  it('a price given in the environment stays a price', () => {
    // FEIKONG_DEFAULTS__PRICE_PER_KWH=0.6 is how an operator writes it in a unit file or compose file.
    expect(loadConfig({ env: { FEIKONG_DEFAULTS__PRICE_PER_KWH: '0.6' } }).defaults.pricePerKwh).toBe('0.6');
  });

  it('file < environment < overrides', () => {
    const path = file('feikong.json', JSON.stringify({ http: { port: 7000, host: '0.0.0.0' }, engine: { graceMs: 5 } }));
    const config = loadConfig({
      env: { FEIKONG_CONFIG: path, FEIKONG_HTTP__PORT: '7001', FEIKONG_ENGINE__GRACE_MS: '6' },
      overrides: { engine: { graceMs: 7 } },
    });
    expect(config.http).toMatchObject({ host: '0.0.0.0', port: 7001 });
    expect(config.engine.graceMs).toBe(7);
  });

  it('an explicit file wins over FEIKONG_CONFIG', () => {
    const a = file('a.json', '{"http":{"port":1111}}');
    const b = file('b.json', '{"http":{"port":2222}}');
    expect(loadConfig({ file: b, env: { FEIKONG_CONFIG: a } }).http.port).toBe(2222);
  });

  it('deepMerge merges objects and replaces arrays and scalars', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: { e: 2 } })).toEqual({ a: { b: 1, c: [3] }, d: { e: 2 } });
  });
});

describe('bad values', () => {
  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['http.port "abc"', { http: { port: 'abc' } }, 'http.port', /integer.*got "abc"/],
    ['http.port above 65535', { http: { port: 70_000 } }, 'http.port', /65535.*got 70000/],
    ['polling.intervalMs 5', { polling: { intervalMs: 5 } }, 'polling.intervalMs', /200.*got 5/],
    ['an unknown top-level key', { bogus: 1 }, 'bogus', /unexpected property/i],
    ['an unknown nested key', { http: { extra: true } }, 'http.extra', /unexpected property/i],
    ['a night start of 25:00', { engine: { noCut: { nightStart: '25:00' } } }, 'engine.noCut.nightStart', /match.*got "25:00"/],
    ['an MQTT url without a scheme', { mqtt: { url: 'broker:1883' } }, 'mqtt.url', /match/],
    ['a malformed default price', { defaults: { pricePerKwh: '0.5.3' } }, 'defaults.pricePerKwh', /match/],
    ['a bus port that is not a number', { buses: [{ id: 'dtu-1', kind: 'tcp', host: 'h', port: 'abc' }] }, 'buses.0.port', /integer/],
    ['an unknown log level', { log: { level: 'loud' } }, 'log.level', /info/],
  ])('%s → ConfigError naming the key and what it expected', (_what, raw, key, expected) => {
    const err = configError(() => validateConfig(raw));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.key).toBe(key);
    expect(err.message).toContain(`"${key}"`);
    expect(err.message).toMatch(expected);
  });

  it('a bad value from the environment names the key', () => {
    const err = configError(() => loadConfig({ env: { FEIKONG_HTTP__PORT: 'abc' } }));
    expect(err.key).toBe('http.port');
    expect(err.message).toMatch(/"http\.port".*integer.*got "abc"/);
  });

  it('an unknown environment variable under FEIKONG_ is refused, not ignored', () => {
    expect(configError(() => loadConfig({ env: { FEIKONG_HTTP__PROT: '8081' } })).key).toBe('http.prot');
  });
});

describe('configuration file', () => {
  it('a missing file gives an error naming the path', () => {
    const path = join(dir, 'missing.json');
    for (const load of [() => loadConfig({ file: path, env: {} }), () => loadConfig({ env: { FEIKONG_CONFIG: path } })]) {
      const err = configError(load);
      expect(err.key).toBe('FEIKONG_CONFIG');
      expect(err.message).toContain(path);
      expect(err.message).toMatch(/cannot read|ENOENT/);
    }
  });

  it.each([
    ['not JSON', '{"http": {"port": 8080,}}'],
    ['a JSON array', '[1, 2]'],
    ['a JSON string', '"http"'],
  ])('a file holding %s is refused', (_what, content) => {
    const path = file('bad.json', content);
    const err = configError(() => loadConfig({ file: path, env: {} }));
    expect(err.message).toContain(path);
    expect(err.message).toContain('not valid JSON');
  });

  it('values in the file are validated like any other', () => {
    const path = file('feikong.json', '{"polling":{"intervalMs":5}}');
    expect(configError(() => loadConfig({ file: path, env: {} })).key).toBe('polling.intervalMs');
  });
});
