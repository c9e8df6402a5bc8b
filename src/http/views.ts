// Turns rows into API views: times as ISO 8601 with offset, flags as booleans.
import type { AccountRow, MeterRow, CommandRow, PaymentRow } from '../db/repo/index.js';
import { isoAt } from './services.js';

export function meterView(m: MeterRow, tz: number) {
  return {
    id: m.id, accountId: m.accountId, protocol: m.protocol, busId: m.busId, address: m.address,
    supportsDirectClose: m.supportsDirectClose === 1, relayState: m.relayState, relayStateAt: isoAt(m.relayStateAt, tz),
    online: m.online === 1, lastReadingAt: isoAt(m.lastReadingAt, tz), lastEnergyWh: m.lastEnergyWh,
  };
}

export function accountView(a: AccountRow, meters: MeterRow[], tz: number) {
  return {
    id: a.id, name: a.name, category: a.category, creditGrade: a.creditGrade, protected: a.protected === 1, tariffId: a.tariffId,
    balanceFen: a.balanceFen, alarmLevel1Fen: a.alarmLevel1Fen, alarmLevel2Fen: a.alarmLevel2Fen, cutoffLevelFen: a.cutoffLevelFen,
    restoreLevelFen: a.restoreLevelFen, alarmState: a.alarmState, alarm2At: isoAt(a.alarm2At, tz),
    meters: meters.map((m) => meterView(m, tz)),
  };
}

export function commandView(c: CommandRow, tz: number) {
  return {
    id: c.id, meterId: c.meterId, action: c.action, state: c.state, origin: c.origin, actor: c.actor, reason: c.reason,
    attempts: c.attempts, outcome: c.outcome, lastError: c.lastError, createdAt: isoAt(c.createdAt, tz)!,
    sentAt: isoAt(c.sentAt, tz), finishedAt: isoAt(c.finishedAt, tz), expiresAt: isoAt(c.expiresAt, tz)!,
  };
}

export function paymentView(p: PaymentRow, tz: number) {
  return {
    id: p.id, channel: p.channel, channelTxnId: p.channelTxnId, accountId: p.accountId, amountFen: p.amountFen,
    paidAt: isoAt(p.paidAt, tz)!, createdAt: isoAt(p.createdAt, tz)!, reversedAt: isoAt(p.reversedAt, tz),
  };
}
