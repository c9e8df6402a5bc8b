// The catalogue of outbox event types: what each means, the schema of its `data`, and an example.
// It is the contract receivers build on (docs/webhooks.md, the OpenAPI document's `webhooks`, the
// event stream): a test checks that every type the daemon writes is here and that what it writes
// matches the schema. Versioning: fields may be added to `data` (receivers ignore what they do not
// know); a field is never removed or changes meaning within `v1`.
import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import { COMMAND_ACTIONS, COMMAND_ORIGINS, COMMAND_OUTCOMES, HOLD_KINDS, REVIEW_KINDS } from '../domain/codes.js';

const fen = (description: string) => Type.Integer({ description: `${description} (fen, 0.01 yuan)` });
const text = (description: string) => Type.String({ description });
const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const iso = (description: string) => Type.String({ description: `${description} (ISO 8601)` });
/** One of a list of stable codes (src/domain/codes.ts; each value is described in the OpenAPI document and docs/commands.md). */
const code = (codes: readonly string[], description: string) => Type.Union(codes.map((c) => Type.Literal(c)), { description });

export interface EventTypeSpec {
  description: string;
  /** what `accountId` and `meterId` of the event name */
  subject: 'account' | 'meter' | 'none' | 'account or meter';
  data: TObject;
  example: Record<string, unknown>;
}

const commandFinal = Type.Object({
  commandId: text('the command'),
  action: code(COMMAND_ACTIONS, 'the command action'),
  outcome: code(COMMAND_OUTCOMES, 'how the command ended (each outcome is described in docs/commands.md)'),
  error: nullable(text('what went wrong, when it did')),
});
const commandProgress = Type.Object({
  commandId: text('the command'),
  action: code(COMMAND_ACTIONS, 'the command action'),
  message: text('what the meter reported'),
});
const holdDetail = Type.Object({
  holdId: text('the hold'),
  kind: code(HOLD_KINDS, 'what the hold does'),
  scope: text('account or meter'),
  reason: text('why, as the operator wrote it'),
});
const alarm = Type.Object({ balanceFen: fen('the balance when the level was reached'), levelFen: fen('the level crossed') });
const meterBus = { busId: text('the bus the meter is on'), address: text('the meter address') };
const concentrator = Type.Object({
  concentratorId: text('the concentrator'),
  previous: nullable(text('its previous status, or null when first seen')),
  meters: Type.Integer({ description: 'how many of its meters were marked stale (offline) or fresh (online)' }),
});

export const EVENT_TYPES = {
  'payment-posted': {
    description: 'A payment was posted to the account (once per channel transaction, however often it was sent).',
    subject: 'account',
    data: Type.Object({
      paymentId: text('the payment'), channel: text('the payment channel'), channelTxnId: text("the channel's transaction id"),
      amountFen: fen('the amount paid'), emergencyCreditRepaidFen: fen('the part that repaid emergency credit'), balanceFen: fen('the balance after'),
    }),
    example: { paymentId: 'pay_01J9…', channel: 'wechat', channelTxnId: 'wx-4200001', amountFen: 10_000, emergencyCreditRepaidFen: 0, balanceFen: 9_472 },
  },
  'payment-reversed': {
    description: 'A posted payment was reversed (冲正).',
    subject: 'account',
    data: Type.Object({
      paymentId: text('the reversed payment'), amountFen: fen('the amount taken back'), reason: text('why'),
      emergencyCreditOwedAgainFen: fen('emergency credit owed again'), balanceFen: fen('the balance after'),
    }),
    example: { paymentId: 'pay_01J9…', amountFen: 10_000, reason: 'refund to card', emergencyCreditOwedAgainFen: 0, balanceFen: -528 },
  },
  'adjustment-posted': {
    description: "An administrator's adjustment was posted to the ledger.",
    subject: 'account',
    data: Type.Object({ entryId: Type.Integer({ description: 'the ledger entry' }), amountFen: fen('the amount, negative for a debit'), reason: text('why'), actor: text('who'), balanceFen: fen('the balance after') }),
    example: { entryId: 812, amountFen: -500, reason: 'meter test energy', actor: 'key:ops-admin', balanceFen: 4_500 },
  },
  'emergency-credit-taken': {
    description: 'The account took emergency credit.',
    subject: 'account',
    data: Type.Object({ entryId: Type.Integer({ description: 'the ledger entry' }), amountFen: fen('the credit'), balanceFen: fen('the balance after') }),
    example: { entryId: 813, amountFen: 2_000, balanceFen: 1_500 },
  },
  'alarm-level-1': { description: 'The balance fell to alarm level 1 (first low-balance warning); raised once until the balance rises above it again.', subject: 'account', data: alarm, example: { balanceFen: 1_990, levelFen: 2_000 } },
  'alarm-level-2': { description: 'The balance fell to alarm level 2 (the warning that starts the grace period before a cut-off).', subject: 'account', data: alarm, example: { balanceFen: 990, levelFen: 1_000 } },
  'alarm-rearmed': {
    description: 'The balance rose above an alarm level again: that level will warn again when next reached.',
    subject: 'account',
    data: Type.Object({ balanceFen: fen('the balance'), alarmState: Type.Integer({ minimum: 0, maximum: 2, description: 'the alarm state now: 0 none, 1 level 1, 2 level 2' }) }),
    example: { balanceFen: 12_000, alarmState: 0 },
  },
  'levels-changed': {
    description: "The account's money levels were derived again (levels set in days of supply follow its consumption).",
    subject: 'account',
    data: Type.Object({
      alarmLevel1Fen: fen('alarm level 1'), alarmLevel2Fen: fen('alarm level 2'), cutoffLevelFen: fen('the cut-off level'), restoreLevelFen: fen('the restore level'),
      averageDailyChargeFen: fen('the recent average daily charge they were derived from'),
    }),
    example: { alarmLevel1Fen: 2_640, alarmLevel2Fen: 1_056, cutoffLevelFen: 0, restoreLevelFen: 528, averageDailyChargeFen: 528 },
  },
  'tariff-changed': {
    description: 'A tariff was assigned to the account from a time on.',
    subject: 'account',
    data: Type.Object({ tariffId: text('the tariff'), effectiveFrom: Type.Integer({ description: 'from when (Unix milliseconds)' }) }),
    example: { tariffId: 'residential-tiered-2027', effectiveFrom: 1_798_732_800_000 },
  },
  'register-backwards': {
    description: "A meter's energy register went backwards (meter replaced, reset or rolled over); nothing negative is charged.",
    subject: 'meter',
    data: Type.Object({
      ts: Type.Integer({ description: 'the reading time (Unix milliseconds)' }), energyWh: Type.Integer({ description: 'the register (Wh)' }),
      previous: nullable(Type.Object({}, { description: 'the reading before it' })), next: nullable(Type.Object({}, { description: 'the reading after it' })),
    }),
    example: { ts: 1_796_000_000_000, energyWh: 120, previous: { ts: 1_795_999_100_000, energyWh: 1_234_560 }, next: null },
  },
  'register-mismatch': {
    description: "A meter's per-tariff (band) registers and its total register disagree beyond the tolerance (50 Wh + 0.5 % of the total's rise) over an interval; the total is charged (docs/charging.md).",
    subject: 'meter',
    data: Type.Object({
      from: Type.Integer({ description: 'the interval start: the earlier reading (Unix milliseconds)' }), to: Type.Integer({ description: 'the interval end (Unix milliseconds)' }),
      totalWh: Type.Integer({ description: "the total register's rise (Wh)" }), bandsWh: Type.Integer({ description: "the band registers' rises added up (Wh)" }),
      differenceWh: Type.Integer({ description: 'bandsWh − totalWh' }), toleranceWh: Type.Integer({ description: 'the tolerance applied (Wh)' }),
    }),
    example: { from: 1_796_000_000_000, to: 1_796_086_400_000, totalWh: 10_000, bandsWh: 5_000, differenceWh: -5_000, toleranceWh: 100 },
  },
  'meter-event': {
    description: "A DL/T 645 meter's event counter rose: power-down, programming, cover opened, trip or close (DL/T 645-2007 Appendix A event records), with the latest record when the meter answers it.",
    subject: 'meter',
    data: Type.Object({
      kind: text('power-down, programming, cover-open, relay-trip or relay-close'), count: Type.Integer({ description: "the meter's counter now" }),
      previousCount: Type.Integer({ description: 'the counter last read' }), record: nullable(Type.Object({}, { description: 'the latest event record, decoded (start and end times, …), or null' })),
      busId: text('the bus'), address: text('the meter address'),
    }),
    example: { kind: 'cover-open', count: 3, previousCount: 2, record: { start: '2026-12-07T09:12:00+08:00', end: '2026-12-07T09:14:00+08:00' }, busId: 'dtu-1', address: '000012345678' },
  },
  'meter-online': { description: 'A polled meter answered again after being offline.', subject: 'meter', data: Type.Object(meterBus), example: { busId: 'dtu-1', address: '000012345678' } },
  'meter-offline': {
    description: 'A polled meter stopped answering (after the configured number of failed reads).',
    subject: 'meter',
    data: Type.Object({ ...meterBus, failures: Type.Integer({ description: 'failed reads in a row' }), error: text('the last error') }),
    example: { busId: 'dtu-1', address: '000012345678', failures: 3, error: 'no reply from 000012345678 within 620 ms' },
  },
  'concentrator-online': { description: "A concentrator's status topic says online.", subject: 'none', data: concentrator, example: { concentratorId: 'dcu-1', previous: 'offline', meters: 256 } },
  'concentrator-offline': { description: "A concentrator's status topic says offline (its will): its meters' states are stale.", subject: 'none', data: concentrator, example: { concentratorId: 'dcu-1', previous: 'online', meters: 256 } },
  'manual-review': {
    description: 'Something needs a person: a protected account at its cut-off level, a relay fault, a failing command. The review item is in GET /v1/reviews.',
    subject: 'account or meter',
    data: Type.Object({ reviewId: Type.Integer({ description: 'the review item' }), kind: code(REVIEW_KINDS, 'the kind of review'), reason: text('why, in words') }),
    example: { reviewId: 17, kind: 'protected-arrears', reason: 'protected account at or below its cut-off level', balanceFen: -120 },
  },
  'review-resolved': {
    description: 'A review item was resolved by an operator.',
    subject: 'account or meter',
    data: Type.Object({ reviewId: Type.Integer({ description: 'the review item' }), kind: code(REVIEW_KINDS, 'its kind'), resolution: text('what was decided'), actor: text('who') }),
    example: { reviewId: 17, kind: 'protected-arrears', resolution: 'visited; family will pay on Monday', actor: 'key:ops-1' },
  },
  'relay-fault': {
    description: "A meter's relay is not where the engine put it (opened or closed by itself, or by hand).",
    subject: 'meter',
    data: Type.Object({ reviewId: Type.Integer({ description: 'the review item raised' }), reason: text('what was seen') }),
    example: { reviewId: 18, reason: 'relay closed although the last confirmed command opened it' },
  },
  'hold-placed': {
    description: 'A keep-power (保电) or manual-off hold was placed.',
    subject: 'account or meter',
    data: Type.Composite([holdDetail, Type.Object({ expiresAt: nullable(Type.Integer({ description: 'when it ends by itself (Unix milliseconds), or null' })) })]),
    example: { holdId: 'hold_01J9…', kind: 'keep-power', scope: 'account', reason: 'Spring Festival', expiresAt: 1_800_000_000_000 },
  },
  'hold-released': { description: 'A hold was released or expired.', subject: 'account or meter', data: holdDetail, example: { holdId: 'hold_01J9…', kind: 'keep-power', scope: 'account', reason: 'expired' } },
  'command-queued': {
    description: 'A relay or keep-power command was created.',
    subject: 'meter',
    data: Type.Object({
      commandId: text('the command'), action: code(COMMAND_ACTIONS, 'the command action'), origin: code(COMMAND_ORIGINS, 'who asked for it'), reason: text('why'),
      bulkId: nullable(text('the bulk command it belongs to')), triggerAt: nullable(Type.Integer({ description: 'the payment or event time it answers (Unix milliseconds)' })),
    }),
    example: { commandId: 'cmd_01J9…', action: 'reconnect', origin: 'engine', reason: 'balance 9472 fen above restore level 0 fen', bulkId: null, triggerAt: 1_796_000_000_000 },
  },
  disconnected: { description: "A disconnect was confirmed by reading the meter's relay state back: supply is off.", subject: 'meter', data: commandFinal, example: { commandId: 'cmd_01J9…', action: 'disconnect', outcome: 'confirmed', error: null } },
  reconnected: { description: 'A reconnect was confirmed by read-back: supply is on.', subject: 'meter', data: commandFinal, example: { commandId: 'cmd_01J9…', action: 'reconnect', outcome: 'confirmed', error: null } },
  'keep-power-set': { description: "The meter's own keep-power state was confirmed set.", subject: 'meter', data: commandFinal, example: { commandId: 'cmd_01J9…', action: 'keep-power', outcome: 'confirmed', error: null } },
  'keep-power-released': { description: "The meter's own keep-power state was confirmed cleared.", subject: 'meter', data: commandFinal, example: { commandId: 'cmd_01J9…', action: 'keep-power-release', outcome: 'confirmed', error: null } },
  'command-failed': { description: 'A command ended without reaching its target (refused, unconfirmed, unsupported).', subject: 'meter', data: commandFinal, example: { commandId: 'cmd_01J9…', action: 'disconnect', outcome: 'refused-keep-power', error: 'meter 000012345678 refused trip …' } },
  'command-refused': { description: "The meter refused the command on every attempt (its reason in `error`); a review item is raised — at the first refusal for a reconnect, as someone is without power.", subject: 'meter', data: commandFinal, example: { commandId: 'cmd_01J9…', action: 'reconnect', outcome: 'refused', error: 'meter 000012345678 refused 1C: unauthorised (error word 04)' } },
  'command-unconfirmable': { description: 'The command was sent to a meter that cannot show its relay state (no status word 3): it can never be confirmed by read-back, and a review item is raised.', subject: 'meter', data: commandFinal, example: { commandId: 'cmd_01J9…', action: 'disconnect', outcome: 'unconfirmable', error: 'meter 000012345678 reports no relay state (its profile reads no status word 3)' } },
  'command-expired': { description: 'A command reached its validity deadline unconfirmed.', subject: 'meter', data: commandFinal, example: { commandId: 'cmd_01J9…', action: 'reconnect', outcome: 'close-permitted', error: 'close permitted but the customer did not press the button before …' } },
  'trip-delayed': { description: 'The meter accepted a disconnect but delays the trip (status word 3 bit 6 before bit 4): supply goes off later.', subject: 'meter', data: commandProgress, example: { commandId: 'cmd_01J9…', action: 'disconnect', message: 'accepted but trip delayed by the meter' } },
  'close-permitted': { description: 'The meter permits closing (0x1C N1 = 1B): the customer must press the meter button for supply to return.', subject: 'meter', data: commandProgress, example: { commandId: 'cmd_01J9…', action: 'reconnect', message: 'close permitted: waiting for the customer to press the meter button' } },
  'webhook-paused': {
    description: 'A webhook subscriber was paused: one of its deliveries failed on every attempt. Nothing more is sent to it until it is resumed (by an operator, or after the cool-off); its events wait in order.',
    subject: 'none',
    data: Type.Object({
      webhookId: text('the subscriber'), url: text('its URL'), eventId: Type.Integer({ description: 'the event that could not be delivered' }),
      attempts: Type.Integer({ description: 'attempts made' }), lastError: text('the last error'), pausedUntil: iso('when it resumes by itself'),
    }),
    example: { webhookId: '2c7e…', url: 'https://sms.example/hooks', eventId: 4711, attempts: 12, lastError: 'HTTP 503', pausedUntil: '2026-12-08T11:00:00.000Z' },
  },
  'webhook-resumed': {
    description: 'A paused webhook subscriber was resumed; its waiting events go out in order.',
    subject: 'none',
    data: Type.Object({ webhookId: text('the subscriber'), url: text('its URL'), by: text('"cool-off", or the operator who resumed it'), pausedAt: iso('when it was paused') }),
    example: { webhookId: '2c7e…', url: 'https://sms.example/hooks', by: 'cool-off', pausedAt: '2026-12-08T10:00:00.000Z' },
  },
} satisfies Record<string, EventTypeSpec>;

export type EventType = keyof typeof EVENT_TYPES;

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EVENT_TYPES, type);
}
