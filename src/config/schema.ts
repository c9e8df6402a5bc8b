// The daemon's configuration: one documented, validated object (STYLE.md §6, §13).
// Every timeout, interval and limit lives here with its default and allowed range.
import { Type, type Static } from '@sinclair/typebox';

export const SerialBus = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$', description: 'bus id, referenced by meters' }),
  kind: Type.Literal('serial'),
  path: Type.String({ minLength: 1, description: 'serial device, e.g. /dev/ttyUSB0' }),
  baudRate: Type.Integer({ minimum: 300, maximum: 115200, default: 2400 }),
  parity: Type.Union([Type.Literal('even'), Type.Literal('none'), Type.Literal('auto')], {
    default: 'auto',
    description: "'auto' = even (8E1, DL/T 645) on real ports, none on pseudo-terminals",
  }),
}, { additionalProperties: false });

export const TcpBus = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
  kind: Type.Literal('tcp'),
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  baudRate: Type.Integer({ minimum: 300, maximum: 115200, default: 2400, description: 'line rate behind the DTU' }),
}, { additionalProperties: false });

const NoCutWindows = Type.Object({
  nights: Type.Boolean({ default: true, description: 'no automatic cut-off at night' }),
  nightStart: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', default: '18:00' }),
  nightEnd: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', default: '08:00' }),
  weekends: Type.Boolean({ default: true, description: 'no automatic cut-off on Saturdays and Sundays (make-up workdays excepted)' }),
  holidays: Type.Boolean({ default: true, description: "no automatic cut-off on China's public holidays" }),
}, { default: {}, additionalProperties: false });

export const ConfigSchema = Type.Object({
  dataDir: Type.String({ minLength: 1, default: './data', description: 'directory for the SQLite database' }),
  utcOffsetMinutes: Type.Integer({ minimum: -720, maximum: 840, default: 480, description: "meters' and policy's local time (UTC+8)" }),
  log: Type.Object({
    level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  }, { default: {}, additionalProperties: false }),
  http: Type.Object({
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 50 * 1024 * 1024, default: 1024 * 1024 }),
  }, { default: {}, additionalProperties: false }),
  mqtt: Type.Object({
    url: Type.Optional(Type.String({ pattern: '^(mqtts?|tcp|ssl|wss?)://', description: 'external broker; omit to run the embedded one' })),
    embeddedHost: Type.String({ default: '127.0.0.1' }),
    embeddedPort: Type.Integer({ minimum: 0, maximum: 65535, default: 1883 }),
    topicPrefix: Type.String({ minLength: 1, default: 'feikong/v1' }),
  }, { default: {}, additionalProperties: false }),
  buses: Type.Array(Type.Union([SerialBus, TcpBus]), { default: [] }),
  polling: Type.Object({
    intervalMs: Type.Integer({ minimum: 200, maximum: 86_400_000, default: 900_000, description: 'scheduled read of every meter' }),
    retries: Type.Integer({ minimum: 0, maximum: 5, default: 1, description: 'extra attempts after a timeout' }),
    responseDelayMaxMs: Type.Integer({ minimum: 20, maximum: 2000, default: 500, description: 'DL/T 645-2007 §5.3.3 Td upper bound' }),
    offlineAfterFailures: Type.Integer({ minimum: 1, maximum: 100, default: 3 }),
  }, { default: {}, additionalProperties: false }),
  engine: Type.Object({
    sweepIntervalMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 60_000 }),
    graceMs: Type.Integer({ minimum: 0, maximum: 30 * 86_400_000, default: 86_400_000, description: 'time between alarm level 2 and a cut-off' }),
    commandExpiryMs: Type.Integer({ minimum: 1000, maximum: 7 * 86_400_000, default: 3_600_000 }),
    confirmIntervalMs: Type.Integer({ minimum: 50, maximum: 600_000, default: 2000, description: 'pause between read-backs of a sent command' }),
    maxAttempts: Type.Integer({ minimum: 1, maximum: 20, default: 3 }),
    noCut: NoCutWindows,
  }, { default: {}, additionalProperties: false }),
  defaults: Type.Object({
    alarmLevel1Fen: Type.Integer({ default: 2000 }),
    alarmLevel2Fen: Type.Integer({ default: 1000 }),
    cutoffLevelFen: Type.Integer({ default: 0 }),
    restoreLevelFen: Type.Integer({ default: 0 }),
    pricePerKwh: Type.String({ pattern: '^\\d{1,4}(\\.\\d{1,6})?$', default: '0.5283', description: 'yuan per kWh of the default flat tariff' }),
  }, { default: {}, additionalProperties: false }),
  seedFile: Type.Optional(Type.String({ description: 'JSON file of accounts and meters loaded at start (demo)' })),
  shutdownTimeoutMs: Type.Integer({ minimum: 1000, maximum: 60_000, default: 10_000 }),
}, { additionalProperties: false });

export type Config = Static<typeof ConfigSchema>;
export type BusConfig = Config['buses'][number];
export type NoCutConfig = Config['engine']['noCut'];
