// Turns rows into API views: times as ISO 8601 with offset, flags as booleans.
import type { AccountRow, MeterRow, CommandRow, PaymentRow } from '../db/repo/index.js';
import type { AccountState } from '../db/repo/accounts.js';
import type { EventRow, ApiKeyRow } from '../db/repo/journal.js';
import type { DataIdentifierRow, MeterValueRow } from '../db/repo/meter-data.js';
import { QUANTITIES, fromStored } from '../live-values.js';
import { isoAt } from './services.js';
import { AppError } from '../errors.js';

export function meterView(m: MeterRow, tz: number) {
  return {
    id: m.id, accountId: m.accountId, protocol: m.protocol, busId: m.busId, address: m.address,
    concentratorId: m.concentratorId, registerMap: m.registerMap,
    supportsDirectClose: m.supportsDirectClose === 1, relayState: m.relayState, relayStateAt: isoAt(m.relayStateAt, tz),
    online: m.online === 1, stale: m.stale === 1, lastReadingAt: isoAt(m.lastReadingAt, tz), lastEnergyWh: m.lastEnergyWh,
    registerMismatch: registerMismatchView(m.registerMismatch ?? null, tz),
    edition: m.edition, profile: m.profile, ownCredentials: m.ownCredentials === 1,
  };
}

function registerMismatchView(json: string | null, tz: number) {
  if (json === null) return null;
  const m = JSON.parse(json) as { from: number; to: number; totalWh: number; bandsWh: number; differenceWh: number; toleranceWh: number };
  return { ...m, from: isoAt(m.from, tz)!, to: isoAt(m.to, tz)! };
}

/** A parsed last answer, or the text when it is not JSON. */
function parsed(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** One meter in full: its view, the profile it is read with, its data identifiers and latest live values. */
export function meterDetailView(m: MeterRow, detail: { profileInUse: string | null; dataIdentifiers: DataIdentifierRow[]; live: MeterValueRow[] }, tz: number) {
  return {
    ...meterView(m, tz),
    profileInUse: detail.profileInUse,
    dataIdentifiers: detail.dataIdentifiers.map((d) => ({
      di: d.di, answeredAt: isoAt(d.answeredAt, tz), lastValue: parsed(d.lastValue), misses: d.misses, missedAt: isoAt(d.missedAt, tz), missReason: d.missReason,
    })),
    live: liveView(detail.live, tz),
  };
}

export function liveView(rows: MeterValueRow[], tz: number): Record<string, { value: number; unit: string; at: string }> {
  return Object.fromEntries(rows.map((r) => [r.quantity, { value: fromStored(r.quantity, r.value), unit: QUANTITIES[r.quantity]?.unit ?? '', at: isoAt(r.ts, tz)! }]));
}

export function accountView(a: AccountRow, meters: MeterRow[], tz: number, state?: AccountState) {
  return {
    id: a.id, name: a.name, category: a.category, creditGrade: a.creditGrade, protected: a.protected === 1, tariffId: a.tariffId,
    balanceFen: a.balanceFen, alarmLevel1Fen: a.alarmLevel1Fen, alarmLevel2Fen: a.alarmLevel2Fen, cutoffLevelFen: a.cutoffLevelFen,
    restoreLevelFen: a.restoreLevelFen, alarmState: a.alarmState, alarm2At: isoAt(a.alarm2At, tz),
    ...(state ? { state } : {}),
    meters: meters.map((m) => meterView(m, tz)),
  };
}

export function commandView(c: CommandRow, tz: number) {
  return {
    id: c.id, meterId: c.meterId, action: c.action, state: c.state, origin: c.origin, actor: c.actor, reason: c.reason,
    attempts: c.attempts, outcome: c.outcome, lastError: c.lastError, lastAttemptError: c.lastAttemptError, createdAt: isoAt(c.createdAt, tz)!,
    sentAt: isoAt(c.sentAt, tz), finishedAt: isoAt(c.finishedAt, tz), expiresAt: isoAt(c.expiresAt, tz)!,
    triggerAt: isoAt(c.triggerAt, tz),
  };
}

export function paymentView(p: PaymentRow, tz: number) {
  return {
    id: p.id, channel: p.channel, channelTxnId: p.channelTxnId, accountId: p.accountId, amountFen: p.amountFen,
    paidAt: isoAt(p.paidAt, tz)!, createdAt: isoAt(p.createdAt, tz)!, reversedAt: isoAt(p.reversedAt, tz),
  };
}

export function eventView(e: EventRow, tz: number) {
  return { id: e.id, type: e.type, accountId: e.accountId, meterId: e.meterId, data: JSON.parse(e.data) as Record<string, unknown>, createdAt: isoAt(e.createdAt, tz)! };
}

export function keyView(k: ApiKeyRow, tz: number) {
  return { id: k.id, name: k.name, role: k.role, createdAt: isoAt(k.createdAt, tz)!, revokedAt: isoAt(k.revokedAt, tz) };
}

/** Cursor over a composite key (time, id): opaque to clients. */
export function encodeCursor(at: number, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): { at: number; id: string } | null {
  if (cursor === undefined) return null;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof at === 'number' && Number.isSafeInteger(at) && typeof id === 'string') return { at, id };
  } catch {
    /* fall through */
  }
  throw new AppError('VALIDATION', 'querystring.after: not a cursor from this API', { field: 'querystring.after' });
}
