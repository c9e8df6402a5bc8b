// The concentrator contract's uplink payloads, decoded and validated: readings, acks and status.
// Pure: bytes in, typed values or a rejection (code + detail) out. A rejection becomes a dead
// letter; it never throws past here.
//
//   readings  {"readings":[{"meter":"000012345678","ts":"2026-11-22T08:00:00+08:00",
//              "energyKwh":1234.56 | "energyWh":1234560, "relay":"closed"|"open",
//              "touKwh"|"touWh":{"critical","peak","flat","valley"},
//              "voltageV", "currentA", "powerKw", "remainingYuan", "overdraftYuan"}]}
//   acks      {"id":"…","ok":true,"relay":"open"} | {"id":"…","ok":false,"error":"…"}
//   status    online | offline
import { scaleDecimal } from './decimal.js';

export type RejectCode =
  | 'bad-encoding'
  | 'bad-json'
  | 'bad-shape'
  | 'bad-timestamp'
  | 'bad-value'
  | 'unknown-meter'
  | 'unknown-topic'
  | 'too-large'
  | 'internal';

export interface Rejection {
  code: RejectCode;
  detail: string;
}

export interface TouRegisters {
  criticalWh: number | null;
  peakWh: number | null;
  flatWh: number | null;
  valleyWh: number | null;
}

export interface MeterReading {
  /** the meter id the concentrator uses (meters.address) */
  meter: string;
  ts: number;
  energyWh: number;
  relay: 'open' | 'closed' | null;
  tou: TouRegisters | null;
  voltageV: number | null;
  currentA: number | null;
  powerKw: number | null;
  remainingFen: number | null;
  overdraftFen: number | null;
  /** the reading as received, kept for its dead letter should its meter be unknown */
  raw: unknown;
}

/** A reading that failed validation, kept whole for its dead letter. */
export interface RejectedReading extends Rejection {
  raw: unknown;
}

export interface ReadingsMessage {
  readings: MeterReading[];
  rejected: RejectedReading[];
}

export interface ReadingLimits {
  /** readings later than now + this are impossible (a concentrator clock far ahead) */
  futureToleranceMs: number;
  /** at most this many readings in one message */
  maxReadingsPerMessage: number;
}

/** Largest register value accepted: 10^12 Wh (a billion kWh), far above any meter's register width. */
export const MAX_REGISTER_WH = 1e12;
/** Readings before 2000-01-01T00:00:00Z are impossible for this fleet. */
export const EARLIEST_READING_MS = Date.UTC(2000, 0, 1);
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
const METER_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const TOU_BANDS = ['critical', 'peak', 'flat', 'valley'] as const;

const reject = (code: RejectCode, detail: string): Rejection => ({ code, detail });

export function isRejection(v: unknown): v is Rejection {
  return typeof v === 'object' && v !== null && 'code' in v && 'detail' in v && !('readings' in v);
}

function parseJson(payload: Buffer): unknown {
  // Decoding as UTF-8 replaces invalid sequences with U+FFFD; such a payload was not JSON text.
  const text = payload.toString('utf8');
  if (text.includes('\uFFFD') && !payload.includes(Buffer.from('\uFFFD'))) throw reject('bad-encoding', 'payload is not valid UTF-8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw reject('bad-json', (err as Error).message);
  }
}

function optionalNumber(r: Record<string, unknown>, key: string, min: number, max: number): number | null {
  const v = r[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw reject('bad-value', `${key} must be a number in ${min}..${max}, got ${JSON.stringify(v)}`);
  return v;
}

/** A decimal amount in the unit given, as an integer of 10^-decimals of it (kWh → Wh, yuan → fen). */
function optionalScaled(r: Record<string, unknown>, key: string, decimals: number, min: number, max: number): number | null {
  const v = r[key];
  if (v === undefined || v === null) return null;
  const scaled = typeof v === 'number' ? scaleDecimal(v, decimals) : null;
  if (scaled === null || scaled < min || scaled > max) throw reject('bad-value', `${key} must be a number, got ${JSON.stringify(v)}`);
  return scaled;
}

function wholeWh(v: unknown, key: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > MAX_REGISTER_WH) {
    throw reject('bad-value', `${key} must be an integer in 0..${MAX_REGISTER_WH}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function kwhToWh(v: unknown, key: string): number {
  const wh = typeof v === 'number' ? scaleDecimal(v, 3) : null;
  if (wh === null || wh < 0 || wh > MAX_REGISTER_WH) {
    throw reject('bad-value', `${key} must be a number of kWh in 0..${MAX_REGISTER_WH / 1000}, got ${JSON.stringify(v)}`);
  }
  return wh;
}

function tou(r: Record<string, unknown>): TouRegisters | null {
  const inKwh = r.touKwh !== undefined && r.touKwh !== null;
  const source = inKwh ? r.touKwh : r.touWh;
  if (source === undefined || source === null) return null;
  if (typeof source !== 'object' || Array.isArray(source)) throw reject('bad-shape', `${inKwh ? 'touKwh' : 'touWh'} must be an object`);
  const bands = source as Record<string, unknown>;
  const out: TouRegisters = { criticalWh: null, peakWh: null, flatWh: null, valleyWh: null };
  for (const band of TOU_BANDS) {
    const v = bands[band];
    if (v === undefined || v === null) continue;
    out[`${band}Wh`] = inKwh ? kwhToWh(v, `touKwh.${band}`) : wholeWh(v, `touWh.${band}`);
  }
  return out;
}

/** The last timestamp a message's readings accepted: a concentrator sends one read time for many meters. */
interface LastTs {
  text: string | null;
  ms: number;
}

function readingTime(value: unknown, now: number, limits: ReadingLimits, last: LastTs): number {
  if (typeof value === 'string' && value === last.text) return last.ms;
  if (typeof value !== 'string' || !ISO_WITH_OFFSET.test(value)) {
    throw reject('bad-timestamp', `ts must be ISO 8601 with an offset (2026-11-22T08:00:00+08:00), got ${JSON.stringify(value)}`);
  }
  const ts = Date.parse(value);
  if (!Number.isFinite(ts) || ts < EARLIEST_READING_MS || ts > now + limits.futureToleranceMs) {
    throw reject('bad-timestamp', `ts ${value} is not a possible reading time`);
  }
  last.text = value;
  last.ms = ts;
  return ts;
}

function reading(raw: unknown, now: number, limits: ReadingLimits, last: LastTs): MeterReading {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw reject('bad-shape', 'a reading must be an object');
  const r = raw as Record<string, unknown>;
  if (typeof r.meter !== 'string' || !METER_ID.test(r.meter)) throw reject('bad-shape', `meter must be the meter id as a string, got ${JSON.stringify(r.meter)}`);
  const ts = readingTime(r.ts, now, limits, last);
  let energyWh: number;
  if (r.energyWh !== undefined) energyWh = wholeWh(r.energyWh, 'energyWh');
  else if (r.energyKwh !== undefined) energyWh = kwhToWh(r.energyKwh, 'energyKwh');
  else throw reject('bad-shape', 'a reading needs energyKwh or energyWh');
  if (r.relay !== undefined && r.relay !== null && r.relay !== 'open' && r.relay !== 'closed') {
    throw reject('bad-value', `relay must be "open" or "closed", got ${JSON.stringify(r.relay)}`);
  }
  return {
    meter: r.meter,
    ts,
    energyWh,
    relay: (r.relay as 'open' | 'closed' | undefined) ?? null,
    tou: tou(r),
    voltageV: optionalNumber(r, 'voltageV', 0, 1000),
    currentA: optionalNumber(r, 'currentA', 0, 10_000),
    powerKw: optionalNumber(r, 'powerKw', -100_000, 100_000),
    remainingFen: optionalScaled(r, 'remainingYuan', 2, 0, 1e12),
    overdraftFen: optionalScaled(r, 'overdraftYuan', 2, 0, 1e12),
    raw,
  };
}

/** Decodes a readings message; readings that fail validation are returned apart, the rest kept. */
export function decodeReadings(payload: Buffer, now: number, limits: ReadingLimits): ReadingsMessage | Rejection {
  let body: unknown;
  try {
    body = parseJson(payload);
  } catch (err) {
    return err as Rejection;
  }
  const list = (body as { readings?: unknown } | null)?.readings;
  if (typeof body !== 'object' || body === null || !Array.isArray(list)) return reject('bad-shape', 'expected {"readings":[…]}');
  if (list.length > limits.maxReadingsPerMessage) return reject('too-large', `${list.length} readings in one message (at most ${limits.maxReadingsPerMessage})`);
  const out: ReadingsMessage = { readings: [], rejected: [] };
  const last: LastTs = { text: null, ms: 0 };
  for (const raw of list) {
    try {
      out.readings.push(reading(raw, now, limits, last));
    } catch (err) {
      if (!isRejection(err)) throw err;
      out.rejected.push({ ...err, raw });
    }
  }
  return out;
}

export type Ack = { id: string; ok: true; relay: 'open' | 'closed' | null } | { id: string; ok: false; error: string };

export function decodeAck(payload: Buffer): Ack | Rejection {
  let body: unknown;
  try {
    body = parseJson(payload);
  } catch (err) {
    return err as Rejection;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return reject('bad-shape', 'expected {"id","ok",…}');
  const a = body as Record<string, unknown>;
  if (typeof a.id !== 'string' || a.id.length === 0 || a.id.length > 128) return reject('bad-shape', 'id must be the command id');
  if (a.ok === true) {
    if (a.relay !== undefined && a.relay !== null && a.relay !== 'open' && a.relay !== 'closed') return reject('bad-value', `relay must be "open" or "closed", got ${JSON.stringify(a.relay)}`);
    return { id: a.id, ok: true, relay: (a.relay as 'open' | 'closed' | undefined) ?? null };
  }
  if (a.ok === false) return { id: a.id, ok: false, error: typeof a.error === 'string' && a.error ? a.error.slice(0, 500) : 'refused (no reason given)' };
  return reject('bad-shape', 'ok must be true or false');
}

export function decodeStatus(payload: Buffer): 'online' | 'offline' | Rejection {
  const text = payload.toString('utf8').trim();
  if (text === 'online' || text === 'offline') return text;
  return reject('bad-value', `status must be "online" or "offline", got ${JSON.stringify(text.slice(0, 40))}`);
}
