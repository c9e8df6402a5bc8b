// The daemon's configuration: one documented, validated object.
// Every timeout, interval and limit lives here with its default and allowed range.
import { Type, type Static } from '@sinclair/typebox';
import { CREDIT_GRADE_DEFAULTS, type CreditGrade } from '../domain/credit-grades.js';

const Framing = Type.Array(Type.Union([Type.Literal('dlt645'), Type.Literal('modbus-rtu')]), {
  minItems: 1, uniqueItems: true,
  description: "frame formats on the line, default [\"dlt645\"]; one RS-485 line may carry DL/T 645 and Modbus RTU meters together (both 8E1), sharing one queue",
});

/** DL/T 645 0x1C credentials (plaintext password levels; ESAM 98H needs a payload strategy). Never echoed by the API, masked by `config show`. */
export const Dlt645Credentials = {
  passwordLevel: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(2), Type.Literal(4)], { description: 'PA of 0x1C: 0, 2 (default) or 4' })),
  password: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f]{6}$', description: 'P0..P2 as 6 hex digits, default 000000' })),
  operatorCode: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f]{8}$', description: 'C0..C3 as 8 hex digits, default 00000000' })),
};

/** How a meter's remote control is protected (docs/security-module.md). */
export const MeterSecuritySchema = Type.Object({
  mode: Type.Union([Type.Literal('plaintext'), Type.Literal('esam')], {
    default: 'plaintext',
    description: "'plaintext': 0x1C with a password level (0, 2, 4); 'esam': identity authentication (03H) and 0x1C encrypted under the session (PA 98H) through the security module (State Grid remote fee control)",
  }),
  keyVersion: Type.Integer({ minimum: 0, maximum: 255, default: 0, description: "the key version the meters' ESAMs hold (0: the factory's public keys)" }),
}, { additionalProperties: false });

const Dlt645BusOptions = Type.Object({
  profile: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]*$', description: 'reading profile (profiles/<name>.json) of meters on this bus that name none' })),
  ...Dlt645Credentials,
  security: Type.Optional(MeterSecuritySchema),
}, { additionalProperties: false, description: 'DL/T 645 defaults of the meters on this bus' });

export const SerialBus = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$', description: 'bus id, referenced by meters' }),
  kind: Type.Literal('serial'),
  path: Type.String({ minLength: 1, description: 'serial device, e.g. /dev/ttyUSB0' }),
  baudRate: Type.Integer({ minimum: 300, maximum: 115200, default: 2400 }),
  parity: Type.Union([Type.Literal('even'), Type.Literal('none'), Type.Literal('auto')], {
    default: 'auto',
    description: "'auto' = even (8E1, DL/T 645) on real ports, none on pseudo-terminals",
  }),
  framing: Type.Optional(Framing),
  dlt645: Type.Optional(Dlt645BusOptions),
}, { additionalProperties: false });

export const TcpBus = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
  kind: Type.Literal('tcp'),
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  baudRate: Type.Integer({ minimum: 300, maximum: 115200, default: 2400, description: 'line rate behind the DTU' }),
  framing: Type.Optional(Framing),
  dlt645: Type.Optional(Dlt645BusOptions),
}, { additionalProperties: false });

export const ModbusTcpBus = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
  kind: Type.Literal('modbus-tcp'),
  host: Type.String({ minLength: 1 }),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'Modbus TCP port; default 502 (Modbus Messaging on TCP/IP Implementation Guide V1.0b §4.4.1)' })),
}, { additionalProperties: false, description: 'a Modbus TCP endpoint (a meter with Ethernet, or a Modbus TCP gateway): meters on it are protocol modbus-tcp, address = unit id' });

/** Frame formats a serial line or DTU carries when its `framing` is not given. */
export const DEFAULT_FRAMING: ReadonlyArray<'dlt645' | 'modbus-rtu'> = ['dlt645'];

/** The frame formats a bus carries: a serial line or DTU its `framing`; a Modbus TCP endpoint Modbus TCP. */
export function busFraming(bus: Static<typeof SerialBus> | Static<typeof TcpBus> | Static<typeof ModbusTcpBus>): ReadonlyArray<'dlt645' | 'modbus-rtu' | 'modbus-tcp'> {
  return bus.kind === 'modbus-tcp' ? ['modbus-tcp'] : bus.framing ?? DEFAULT_FRAMING;
}

// A year's official holiday schedule (src/domain/holiday-schedule.ts checks it further: dates in the
// year or its December before, make-up workdays on weekends).
const CalendarDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a calendar day YYYY-MM-DD' });
export const HolidaySpanSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 32, description: 'the holiday, e.g. 春节' }),
  from: CalendarDate,
  to: Type.Optional(Type.String({ ...CalendarDate, description: 'the last day off, included (default: from)' })),
}, { additionalProperties: false });
export const MakeUpWorkdaySchema = Type.Union([
  CalendarDate,
  Type.Object({ date: CalendarDate, name: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'the holiday it makes up for' })) }, { additionalProperties: false }),
], { description: 'a Saturday or Sunday declared a working day (调休)' });
export const YearScheduleSchema = Type.Object({
  year: Type.Integer({ minimum: 2000, maximum: 2099 }),
  holidays: Type.Array(HolidaySpanSchema, { minItems: 1, maxItems: 60 }),
  makeUpWorkdays: Type.Optional(Type.Array(MakeUpWorkdaySchema, { maxItems: 60, default: [] })),
}, { additionalProperties: false });

const NoCutWindows = Type.Object({
  nights: Type.Boolean({ default: true, description: 'no automatic cut-off at night' }),
  nightStart: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', default: '18:00' }),
  nightEnd: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', default: '08:00' }),
  weekends: Type.Boolean({ default: true, description: 'no automatic cut-off on Saturdays and Sundays (make-up workdays excepted)' }),
  holidays: Type.Boolean({ default: true, description: "no automatic cut-off on China's public holidays" }),
  makeUpWorkdays: Type.Optional(Type.Boolean({ default: true, description: 'a make-up workday (调休) on a weekend counts as a workday; false keeps it a no-cut weekend' })),
  uncoveredYear: Type.Optional(Type.Union([Type.Literal('derive'), Type.Literal('suspend')], {
    default: 'derive',
    description: "a year whose official holiday schedule is known neither from an operator nor from the chinese-days library: 'derive' keeps the holidays derived from the calendar (provisional), 'suspend' makes no automatic cut-off at all in that year",
  })),
  schedules: Type.Optional(Type.Array(YearScheduleSchema, {
    default: [],
    description: "official holiday schedules (国务院办公厅节假日安排), one per year: stored in the database at start, audited; they take precedence over chinese-days and over derivation; a year entered through the API or CLI keeps that entry",
  })),
}, { default: {}, additionalProperties: false });

// Money levels and credit grades (src/domain/thresholds.ts); the ledger's group commit and limits;
// webhook delivery (src/notify/).
const LevelSpec = Type.Union([
  Type.Object({ fen: Type.Integer({ minimum: -1_000_000_000, maximum: 1_000_000_000 }) }, { additionalProperties: false }),
  Type.Object({ days: Type.Number({ minimum: -365, maximum: 365 }) }, { additionalProperties: false }),
], { description: "a level in money (fen) or in days of supply at the account's recent consumption" });
/** Levels set per account category, or per account (accounts.level_overrides). */
export const LevelOverridesSchema = Type.Object({
  alarmLevel1: Type.Optional(LevelSpec), alarmLevel2: Type.Optional(LevelSpec), cutoffLevel: Type.Optional(LevelSpec), restoreLevel: Type.Optional(LevelSpec),
}, { additionalProperties: false });
/** One credit grade's settings; each missing key takes the grade's default (src/domain/credit-grades.ts). */
const CreditGradePolicy = (grade: CreditGrade) => {
  const d = CREDIT_GRADE_DEFAULTS[grade];
  const dflt = (v: number | undefined) => (v === undefined ? {} : { default: v });
  return Type.Object({
    overdraftFen: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000, ...dflt(d.overdraftFen), description: 'how far below zero before cut-off: the cut-off level is minus this (defaults.cutoffLevelFen when absent)' })),
    graceMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86_400_000, ...dflt(d.graceMs), description: 'time between alarm level 2 and a cut-off (engine.graceMs when absent)' })),
    warningLeadDays: Type.Optional(Type.Number({ minimum: 0, maximum: 365, ...dflt(d.warningLeadDays), description: 'alarm level 2 at this many days of supply at the recent consumption (defaults.alarmLevel2Fen when absent or without enough history)' })),
  }, { additionalProperties: false, default: {} });
};
const LedgerOptions = Type.Object({
  groupCommit: Type.Boolean({ default: true, description: 'payments arriving within one event-loop tick are posted in one transaction (one fsync), each answered after it commits' }),
  groupCommitMaxItems: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000, description: 'payments in one group commit at most' }),
  batchMaxItems: Type.Integer({ minimum: 1, maximum: 20_000, default: 5000, description: 'items in one POST /v1/payments/batch at most' }),
  consumptionWindowDays: Type.Integer({ minimum: 1, maximum: 365, default: 30, description: 'days of consumption charges behind the average daily charge (levels in days, days-remaining forecast)' }),
  levelsRefreshIntervalMs: Type.Integer({ minimum: 1000, maximum: 7 * 86_400_000, default: 3_600_000, description: 'how often levels are derived again (levels set in days follow recent consumption)' }),
  levelsMinHistoryDays: Type.Number({ minimum: 1, maximum: 365, default: 7, description: 'an account younger than this has its levels set in days at their money fallback (a rate needs more than a first day of history)' }),
  emergencyCreditFen: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 1000, description: 'emergency credit an account may take once until its next payment; 0 = none' }),
}, { default: {}, additionalProperties: false });
const WebhookOptions = Type.Object({
  pollIntervalMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 1000, description: 'how often the outbox is read for new events and due deliveries' }),
  timeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 5000, description: 'bound on one delivery request' }),
  maxAttempts: Type.Integer({ minimum: 1, maximum: 50, default: 12, description: 'attempts before a delivery is marked failed and its subscriber paused' }),
  backoffBaseMs: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 1000, description: 'wait after the first failure; doubles with each further failure' }),
  backoffMaxMs: Type.Integer({ minimum: 10, maximum: 86_400_000, default: 3_600_000, description: 'longest wait between attempts' }),
  concurrency: Type.Integer({ minimum: 1, maximum: 256, default: 32, description: 'subscribers delivered to at once; each subscriber has one request in flight at a time, in event order' }),
  pauseCoolOffMs: Type.Integer({ minimum: 1000, maximum: 7 * 86_400_000, default: 3_600_000, description: 'a subscriber paused after a delivery failed for good resumes by itself after this long (or earlier by POST /v1/webhooks/{id}/resume)' }),
  secretOverlapMs: Type.Integer({ minimum: 0, maximum: 30 * 86_400_000, default: 86_400_000, description: 'after a secret rotation, deliveries are also signed with the old secret for this long' }),
  fanOutBatch: Type.Integer({ minimum: 1, maximum: 10_000, default: 500, description: 'outbox events turned into deliveries per transaction' }),
  allowedNetworks: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
    default: [], maxItems: 1000,
    description: 'addresses or CIDRs (e.g. "10.20.0.0/16", "127.0.0.1") that webhooks may target although they are loopback, private, link-local or otherwise not public; the daemon\'s own API never',
  }),
}, { default: {}, additionalProperties: false });

/** The address rules of src/address-rules.ts a concentrator's meters may follow. */
const MeterAddressRule = (byDefault: string | undefined, description: string) => Type.Union(
  [Type.Literal('dlt645'), Type.Literal('modbus-unit-id'), Type.Literal('free-form')],
  { ...(byDefault === undefined ? {} : { default: byDefault }), description },
);

export const ConfigSchema = Type.Object({
  dataDir: Type.String({ minLength: 1, default: './data', description: 'directory for the SQLite database' }),
  database: Type.Object({
    url: Type.Optional(Type.String({
      pattern: '^postgres(ql)?://', description: 'a PostgreSQL database (postgres://user:password@host:5432/feikong) instead of SQLite under dataDir; several daemons may share it (docs/scale.md)',
    })),
  }, { default: {}, additionalProperties: false }),
  utcOffsetMinutes: Type.Integer({ minimum: -720, maximum: 840, default: 480, description: "meters' and policy's local time (UTC+8)" }),
  log: Type.Object({
    level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  }, { default: {}, additionalProperties: false }),
  http: Type.Object({
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 50 * 1024 * 1024, default: 1024 * 1024 }),
    rateLimit: Type.Object({
      max: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 6000, description: 'requests per API key per window; 0 = no limit' }),
      timeWindowMs: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000 }),
      anonymousMax: Type.Integer({
        minimum: 0, maximum: 10_000_000, default: 300,
        description: 'requests per client address per window without a valid API key (none, unknown or revoked; public pages and unknown routes too; /healthz and /readyz never); 0 = no limit',
      }),
      refusalDelayMs: Type.Integer({
        minimum: 0, maximum: 60_000, default: 1000,
        description: 'a 429 to a request without a valid key is sent after about this pause (±50 %), so a client that ignores Retry-After sends at most one request per connection per pause and a flood cannot crowd out the probes; 0 = at once',
      }),
    }, { default: {}, additionalProperties: false }),
    trustProxy: Type.Union([Type.Boolean(), Type.Integer({ minimum: 1, maximum: 10 }), Type.String({ minLength: 1 })], {
      default: false,
      description: 'behind a reverse proxy: which X-Forwarded-For / X-Forwarded-Proto hops to believe for the client address (rate limits, audit): false, true (any), a hop count, or addresses/CIDRs separated by commas (e.g. "127.0.0.1,10.0.0.0/8")',
    }),
    tls: Type.Optional(Type.Object({
      certFile: Type.String({ minLength: 1, description: 'PEM certificate chain of the HTTPS listener' }),
      keyFile: Type.String({ minLength: 1, description: 'PEM private key of the certificate' }),
      caFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM CA bundle sent with the chain (intermediates)' })),
    }, { additionalProperties: false, description: 'serve HTTPS on http.host:http.port (TLS 1.2 or later) instead of plain HTTP' })),
    ops: Type.Optional(Type.Object({
      host: Type.String({ default: '127.0.0.1' }),
      port: Type.Integer({ minimum: 0, maximum: 65535, description: 'a second, plain-HTTP listener for /metrics, /docs and the probes; while it is set the public listener serves neither /metrics nor /docs' }),
    }, { additionalProperties: false })),
    metricsRequireKey: Type.Boolean({ default: false, description: '/metrics on the public listener needs an API key (any role): Prometheus sends it as a bearer token' }),
    sseHeartbeatMs: Type.Integer({ minimum: 100, maximum: 300_000, default: 15_000, description: 'comment line sent on idle event streams' }),
  }, { default: {}, additionalProperties: false }),
  mqtt: Type.Object({
    url: Type.Optional(Type.String({ pattern: '^(mqtts?|tcp|ssl|wss?)://', description: 'external broker; omit to run the embedded one' })),
    embeddedHost: Type.String({ default: '127.0.0.1' }),
    embeddedPort: Type.Integer({ minimum: 0, maximum: 65535, default: 1883 }),
    topicPrefix: Type.String({ minLength: 1, pattern: '^[^#+$]+$', default: 'feikong/v1' }),
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$', description: "stem of the daemon's MQTT client ids; stable across restarts, distinct per daemon (default feikong-<hostname>)" })),
    sharedGroup: Type.String({ maxLength: 64, pattern: '^[A-Za-z0-9_.-]*$', default: 'feikong', description: 'readings through the shared subscription $share/<group>/…: daemons in one group split the ingest (external broker); "" = a plain subscription' }),
    sessionExpirySec: Type.Integer({ minimum: 0, maximum: 4_294_967_295, default: 604_800, description: "how long an external broker keeps the daemon's sessions and unacknowledged readings while it is away" }),
    keepaliveSec: Type.Integer({ minimum: 5, maximum: 1200, default: 30 }),
    reconnectMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 1000, description: 'pause before reconnecting to the broker' }),
    publishTimeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 5000, description: 'bound on one command publish (QoS 1 PUBACK from the broker)' }),
    readBackTimeoutMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000, description: 'wait for the reading after a command ack that shows the relay state' }),
    meterAddressRule: MeterAddressRule('dlt645', "how concentrators address the meters behind them in their messages, unless mqtt.concentrators.<id>.meterAddressRule says otherwise: dlt645 (12 decimal digits), modbus-unit-id (1 to 247) or free-form (1 to 64 letters, digits and _ . : -)"),
    concentrators: Type.Record(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' }), Type.Object({
      meterAddressRule: Type.Optional(MeterAddressRule(undefined, 'how this concentrator addresses its meters (default: mqtt.meterAddressRule)')),
    }, { additionalProperties: false }), { default: {}, description: 'per-concentrator settings by concentrator id, e.g. {"dcu-7":{"meterAddressRule":"free-form"}}' }),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: "the daemon's user name at an external broker; default: each connection's client id (what the generated Mosquitto configuration expects)" })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: "the daemon's password at an external broker (feikong mqtt mosquitto puts its hash in the password file)" })),
    caFile: Type.Optional(Type.String({ minLength: 1, description: "CA certificate(s) (PEM) that an external broker's TLS certificate must chain to (mqtts:// URL); default: the system's" })),
    auth: Type.Object({
      allowAnonymous: Type.Boolean({ default: false, description: 'LAB SETTING: the embedded broker lets clients without credentials connect, with every right (they can forge readings and send relay commands); warned about at start' }),
      revocationCheckMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000, description: 'how soon the embedded broker closes connections whose credential was revoked elsewhere (CLI, another daemon); at once when revoked through this daemon' }),
      refusalLogIntervalMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 60_000, description: 'a refused connect, publish or subscribe is logged at most once per remote address, action and reason in this interval (every one is counted in feikong_mqtt_refused_total)' }),
    }, { default: {}, additionalProperties: false }),
    tls: Type.Optional(Type.Object({
      host: Type.Optional(Type.String({ minLength: 1, description: 'default: mqtt.embeddedHost' })),
      port: Type.Integer({ minimum: 0, maximum: 65535, default: 8883 }),
      certFile: Type.String({ minLength: 1, description: "the broker's certificate (PEM, with its chain)" }),
      keyFile: Type.String({ minLength: 1, description: "the certificate's private key (PEM)" }),
      caFile: Type.Optional(Type.String({ minLength: 1, description: 'CA certificate(s) (PEM) that client certificates must chain to' })),
      crlFile: Type.Optional(Type.String({ minLength: 1, description: 'revoked client certificates (PEM CRL)' })),
      clientCertificates: Type.Union([Type.Literal('off'), Type.Literal('optional'), Type.Literal('required')], {
        default: 'off', description: "'optional' or 'required': a client certificate trusted by caFile identifies the concentrator by its CN (no password needed); 'required' refuses TLS clients without one",
      }),
    }, { additionalProperties: false, description: 'an mqtts listener of the embedded broker' })),
    ingest: Type.Object({
      connections: Type.Integer({ minimum: 1, maximum: 64, default: 4, description: 'subscriber connections for readings on an external broker, each holding one message until its batch commits; above 1 needs sharedGroup' }),
      inFlightWindow: Type.Integer({ minimum: 1, maximum: 65_535, default: 1000, description: 'unacknowledged readings messages a broker may send to one connection (MQTT 5 receive maximum)' }),
      batchMaxReadings: Type.Integer({ minimum: 1, maximum: 100_000, default: 5000, description: 'readings committed in one transaction at most: larger batches share fsyncs and page writes, smaller ones hold the event loop for less time' }),
      lingerMs: Type.Integer({ minimum: 0, maximum: 1000, default: 0, description: 'wait for more messages before committing a small batch; 0 = as soon as the event loop is idle' }),
      maxPayloadBytes: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 1024 * 1024, description: 'larger messages are dead letters' }),
      maxReadingsPerMessage: Type.Integer({ minimum: 1, maximum: 100_000, default: 10_000 }),
      futureToleranceMs: Type.Integer({ minimum: 0, maximum: 30 * 86_400_000, default: 86_400_000, description: "readings stamped later than now + this are impossible (a concentrator's clock far ahead)" }),
      chargeDelayMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 6000, description: 'under load, the pause before the next round of charging pending readings: longer charges each meter once for more readings; an idle ingest charges at once' }),
      chargeBatchReadings: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 20_000, description: 'pending readings charged in one transaction at most (whole meters)' }),
      chargeTransactionMs: Type.Integer({ minimum: 1, maximum: 60_000, default: 500, description: 'a charging transaction holds the event loop: one that takes longer than this makes the next ones smaller, in proportion' }),
      maxPendingReadings: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 500_000, description: 'acknowledged readings not yet charged above which the ingest stops acknowledging until charging catches up' }),
      ackLatencyBoundMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000, description: 'embedded broker: the acknowledgement latency (message read to PUBACK) the flow control keeps under: connections hold at most the acknowledgement rate times half this in readings; the others are not read (TCP flow control) and take turns' }),
      connectionInFlight: Type.Integer({ minimum: 1, maximum: 65_535, default: 8, description: 'embedded broker: readings messages one connection may have read and not yet acknowledged; at this many its connection is not read until one is acknowledged' }),
      minHeldReadings: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 10_000, description: 'embedded broker: readings held at once that the flow control allows however slow acknowledgements are (one message is always allowed)' }),
      collectAfterReadings: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 500_000, description: 'after at least this many readings committed, once the ingest is quiet for collectQuietMs, one full garbage collection returns the memory the burst used; 0 = never' }),
      collectQuietMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 5000, description: 'how long without a committed reading counts as quiet after a burst' }),
      maxHeldReadings: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 300_000, description: 'embedded broker: readings held at once at most, whatever the acknowledgement rate: with maxPendingReadings, what bounds the ingest\'s memory' }),
    }, { default: {}, additionalProperties: false }),
  }, { default: {}, additionalProperties: false }),
  buses: Type.Array(Type.Union([SerialBus, TcpBus, ModbusTcpBus]), { default: [] }),
  modbus: Type.Object({
    registerMapsDir: Type.Optional(Type.String({ minLength: 1, description: 'directory of register maps (*.json); default: the maps shipped in registermaps/' })),
    responseTimeoutMs: Type.Integer({ minimum: 20, maximum: 10_000, default: 1000, description: 'how long a Modbus meter may take to start its reply (Modbus over Serial Line V1.02 §2.4.1 response time-out; on TCP, from sending)' }),
    connectTimeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 3000, description: 'bound on opening a Modbus TCP connection' }),
  }, { default: {}, additionalProperties: false }),
  polling: Type.Object({
    intervalMs: Type.Integer({ minimum: 200, maximum: 86_400_000, default: 900_000, description: 'scheduled read of every meter' }),
    retries: Type.Integer({ minimum: 0, maximum: 5, default: 1, description: 'extra attempts after a timeout' }),
    responseDelayMaxMs: Type.Integer({ minimum: 20, maximum: 2000, default: 500, description: 'DL/T 645-2007 §5.3.3 Td upper bound' }),
    offlineAfterFailures: Type.Integer({ minimum: 1, maximum: 100, default: 3, description: 'consecutive unanswered reads after which a meter is marked offline' }),
    interByteTimeoutMs: Type.Integer({ minimum: 10, maximum: 2000, default: 500, description: 'DL/T 645-2007 §5.3.3 Tb: longest pause between the bytes of a reply once it has started' }),
    serialLatencyMs: Type.Integer({ minimum: 0, maximum: 5000, default: 20, description: 'added to reply timeouts on serial buses (USB adapter and scheduling latency)' }),
    dtuLatencyMs: Type.Integer({ minimum: 0, maximum: 30_000, default: 300, description: 'added to reply timeouts on TCP DTU buses (network round trip)' }),
    offlineBackoffMaxMs: Type.Integer({ minimum: 1000, maximum: 7 * 86_400_000, default: 3_600_000, description: 'longest pause between reads of an offline meter; the pause doubles from twice intervalMs' }),
    reconnectMinMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 1000, description: 'first pause before reopening a failed serial port or DTU connection; doubles on each failure' }),
    reconnectMaxMs: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 60_000, description: 'longest pause between attempts to reopen a link' }),
    linkWaitMs: Type.Integer({ minimum: 0, maximum: 600_000, default: 10_000, description: 'how long a queued exchange waits for a link that is down before failing with BUS_CLOSED' }),
    timeSyncIntervalMs: Type.Integer({ minimum: 0, maximum: 30 * 86_400_000, default: 86_400_000, description: 'broadcast time sync (DL/T 645 08H) at start and then at this interval; 0 = off' }),
    readTou: Type.Boolean({ default: false, description: 'also read the time-of-use registers (DL/T 645 00010100..00010400, 1997: 9011..9014) of meters whose profile has none' }),
    profilesDir: Type.Optional(Type.String({ minLength: 1, description: 'directory of DL/T 645 reading profiles (*.json); default: the profiles shipped in profiles/' })),
    missedRetryMs: Type.Integer({ minimum: 0, maximum: 7 * 86_400_000, default: 21_600_000, description: 'a DI a meter did not answer (no reply, or "no requested data") is not asked again for this long; the energy register is always asked' }),
    liveValuesKept: Type.Integer({ minimum: 1, maximum: 10_000, default: 96, description: 'values kept per meter and quantity (voltage, current, power, …): the latest and the history before it' }),
    dailyFrozen: Type.Boolean({ default: true, description: 'read daily frozen energy (日冻结) once a day, and the days missed after an outage (补抄), of meters whose profile has it' }),
    backfillDaysMax: Type.Integer({ minimum: 0, maximum: 62, default: 62, description: 'how many past daily freezes are read at most after an outage (never from before the meter was registered)' }),
    eventsIntervalMs: Type.Integer({ minimum: 0, maximum: 30 * 86_400_000, default: 86_400_000, description: "how often the event counts of a meter's profile are read (and at once when a status word shows a change); 0 = never" }),
  }, { default: {}, additionalProperties: false }),
  engine: Type.Object({
    sweepIntervalMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 60_000 }),
    graceMs: Type.Integer({ minimum: 0, maximum: 30 * 86_400_000, default: 86_400_000, description: 'time between alarm level 2 and a cut-off' }),
    commandExpiryMs: Type.Integer({ minimum: 1000, maximum: 7 * 86_400_000, default: 3_600_000 }),
    confirmIntervalMs: Type.Integer({ minimum: 50, maximum: 600_000, default: 2000, description: 'pause between read-backs of a sent command' }),
    confirmTries: Type.Integer({ minimum: 1, maximum: 100, default: 5, description: 'read-backs after one send that show no progress before the command is sent again (docs/commands.md)' }),
    maxAttempts: Type.Integer({ minimum: 1, maximum: 20, default: 3, description: 'sends of one command at most; a command the meter refused every time ends refused' }),
    refusalBackoffMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 15_000, description: 'pause before sending a refused command again; doubles with each refusal' }),
    retryBackoffMs: Type.Integer({ minimum: 0, maximum: 86_400_000, default: 60_000, description: 'after an automatic relay command failed, expired or was refused, the next automatic one for that meter waits this long, doubling with each further failure up to a day' }),
    noCut: NoCutWindows,
    commandsInFlightMax: Type.Integer({ minimum: 1, maximum: 10_000, default: 64, description: 'relay commands running at once in all; restores are never held back by it' }),
    commandsPerLink: Type.Integer({ minimum: 1, maximum: 64, default: 2, description: 'relay commands running at once per bus or concentrator; the rest wait queued, reconnects first' }),
    accountStatesMaxAgeMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 60_000, description: 'the accounts-by-state gauge is recounted on a scrape once its last count is this old' }),
    safety: Type.Object({
      minIntervalMs: Type.Integer({ minimum: 0, maximum: 86_400_000, default: 300_000, description: 'no automatic cut-off sooner than this after the last relay operation on the meter' }),
      dailyCap: Type.Integer({ minimum: 1, maximum: 1000, default: 6, description: 'relay commands per meter in any 24 hours before cut-offs stop' }),
      flapWindowMs: Type.Integer({ minimum: 60_000, maximum: 7 * 86_400_000, default: 3_600_000, description: 'window of the flapping guard' }),
      flapMaxSwitchings: Type.Integer({ minimum: 2, maximum: 1000, default: 4, description: 'confirmed switchings within the window that count as flapping (keep-power hold and review)' }),
      flapHoldMs: Type.Integer({ minimum: 60_000, maximum: 30 * 86_400_000, default: 86_400_000, description: 'expiry of the keep-power hold the flapping guard places' }),
      failureBackoffMs: Type.Integer({ minimum: 0, maximum: 86_400_000, default: 900_000, description: 'no automatic cut-off or keep-power mirror retry sooner than this after one failed' }),
    }, { default: {}, additionalProperties: false }),
  }, { default: {}, additionalProperties: false }),
  defaults: Type.Object({
    alarmLevel1Fen: Type.Integer({ default: 2000 }),
    alarmLevel2Fen: Type.Integer({ default: 1000 }),
    cutoffLevelFen: Type.Integer({ default: 0 }),
    restoreLevelFen: Type.Integer({ default: 0 }),
    pricePerKwh: Type.String({ pattern: '^\\d{1,4}(\\.\\d{1,6})?$', default: '0.5283', description: 'yuan per kWh of the default flat tariff' }),
    categories: Type.Record(Type.String({ minLength: 1, maxLength: 64 }), LevelOverridesSchema, { default: {}, description: 'levels per account category, in money or days, e.g. {"residential":{"alarmLevel1":{"days":5}}}' }),
    creditGrades: Type.Object({
      A: CreditGradePolicy('A'), B: CreditGradePolicy('B'), C: CreditGradePolicy('C'), D: CreditGradePolicy('D'),
    }, { default: {}, additionalProperties: false, description: 'overdraft (cut-off level = -overdraftFen), grace and warning lead per credit grade; defaults in src/domain/credit-grades.ts' }),
  }, { default: {}, additionalProperties: false }),
  ledger: LedgerOptions,
  webhooks: WebhookOptions,
  cluster: Type.Object({
    nodeId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$', description: "this daemon's name in bus leases; distinct for every daemon running on one database (default <hostname>-<pid>)" })),
    leaseMs: Type.Integer({ minimum: 1000, maximum: 600_000, default: 15_000, description: 'length of a bus lease; renewed every leaseMs/3, used until leaseMs/5 before it expires; a dead owner\'s buses are taken over within about leaseMs + leaseMs/3' }),
    commandPickupMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 1000, description: 'how often a daemon looks for queued commands that other daemons created for the meters on the buses it holds' }),
  }, { default: {}, additionalProperties: false }),
  import: Type.Object({
    chunkRows: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000, description: 'CSV import rows committed in one transaction: the unit of progress and of resuming a job' }),
    maxRows: Type.Integer({ minimum: 1, maximum: 100_000_000, default: 2_000_000, description: 'data rows one CSV import takes at most; a larger file is refused with how to split it' }),
    maxUploadBytes: Type.Integer({ minimum: 1024, maximum: 8 * 1024 * 1024 * 1024, default: 1024 * 1024 * 1024, description: 'largest CSV body POST /v1/import/… accepts; it is spooled to <dataDir>/imports while the job runs' }),
    maxErrors: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1000, description: 'row errors an import job keeps and answers with; further ones are counted' }),
  }, { default: {}, additionalProperties: false }),
  seedFile: Type.Optional(Type.String({ description: 'JSON file of accounts and meters loaded at start (demo)' })),
  shutdownTimeoutMs: Type.Integer({ minimum: 1000, maximum: 60_000, default: 10_000 }),
  security: Type.Object({
    module: Type.Union([Type.Literal('none'), Type.Literal('software'), Type.Literal('encryption-machine')], {
      default: 'none',
      description: "who computes ESAM ciphertexts and MACs: 'encryption-machine' (the utility's 密码机, for meters in the field), 'software' (public test keys: simulators and labs only), 'none' (ESAM meters' commands fail)",
    }),
    software: Type.Object({
      allowInProduction: Type.Boolean({ default: false, description: 'LAB SETTING: let the software module (public test keys) start although NODE_ENV=production; logged at error level at every start' }),
    }, { default: {}, additionalProperties: false }),
    encryptionMachine: Type.Optional(Type.Object({
      host: Type.String({ minLength: 1 }),
      port: Type.Integer({ minimum: 1, maximum: 65535 }),
      requestTimeoutMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 2000, description: 'bound on one request after it is written' }),
      connectTimeoutMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 3000 }),
      reconnectMinMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 200, description: 'first pause before connecting again after a failure, doubling' }),
      reconnectMaxMs: Type.Integer({ minimum: 0, maximum: 600_000, default: 10_000 }),
    }, { additionalProperties: false, description: 'the encryption machine (or its gateway) speaking the interface of docs/security-module.md' })),
  }, { default: {}, additionalProperties: false }),
}, { additionalProperties: false });

export type Config = Static<typeof ConfigSchema>;
export type BusConfig = Config['buses'][number];
export type NoCutConfig = Config['engine']['noCut'];
