// Request and response schemas shared by the routes; the OpenAPI document is generated from them.
// Lists are paged by cursor: a request takes `after` (and `limit`), a response gives `next`, null
// on the last page.
import { Type, type TSchema, type TUnsafe } from '@sinclair/typebox';
import {
  COMMAND_ACTIONS, COMMAND_ACTION_DESCRIPTIONS, COMMAND_ORIGINS, COMMAND_ORIGIN_DESCRIPTIONS, COMMAND_OUTCOMES, COMMAND_OUTCOME_DESCRIPTIONS,
  COMMAND_STATES, COMMAND_STATE_DESCRIPTIONS, HOLD_KINDS, HOLD_KIND_DESCRIPTIONS, RELAY_STATES, RELAY_STATE_DESCRIPTIONS, REVIEW_KINDS,
  REVIEW_KIND_DESCRIPTIONS,
} from '../domain/codes.js';

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String({
      description: 'stable code: the daemon\'s own (VALIDATION, ACCOUNT_NOT_FOUND, CONFLICT, FORBIDDEN, …) or the request\'s: '
        + 'INVALID_JSON, BAD_URL, URL_TOO_LONG, NOT_FOUND, UNSUPPORTED_MEDIA_TYPE, PAYLOAD_TOO_LARGE, HEADERS_TOO_LARGE, BAD_REQUEST, RATE_LIMITED, INTERNAL',
    }),
    message: Type.String({ description: 'what was wrong and what to send instead, for a person' }),
    details: Type.Optional(Type.Any({ description: 'for a program: usually `field`, the part of the request at fault (body.amountFen, headers.content-type, url)' })),
  }),
}, { $id: 'Error' });

export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
export const Fen = Type.Integer({ minimum: -1_000_000_000_000, maximum: 1_000_000_000_000, description: 'money in fen (0.01 yuan)' });
export const Iso = Type.String({ format: 'date-time' });
export const NullableIso = Type.Union([Iso, Type.Null()]);
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** A page size: at least 1, at most `max` (a resource limit), `fallback` when absent. */
export const Limit = (max: number, fallback: number) => Type.Optional(Type.Integer({ minimum: 1, maximum: max, default: fallback }));
/** An opaque cursor from a previous page's `next`. */
export const Cursor = Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'the `next` of the previous page' }));
export const NextCursor = Nullable(Type.String({ description: 'pass as `after` for the next page; null on the last page' }));

/**
 * A string from a fixed list of codes, each value described: `oneOf` of `const` with its
 * `description` (OpenAPI 3.1), typed as the union of the values. Built from the constant lists of
 * src/domain/codes.ts; a test compares the OpenAPI document with them.
 */
export function described<T extends string>(values: readonly T[], descriptions: Record<T, string>, description: string): Described<T> {
  return Type.Unsafe<T>({ type: 'string', description, oneOf: values.map((value) => ({ const: value, description: descriptions[value] })) }) as Described<T>;
}

/**
 * `oneOf` is typed as a one-element tuple of the whole union: the route type provider (typebox 1)
 * infers `T` from it, where it would infer nothing from an Unsafe schema or an array of consts.
 */
export type Described<T extends string> = TUnsafe<T> & { oneOf: [{ const: T; description: string }] };

export const CommandStateSchema = described(COMMAND_STATES, COMMAND_STATE_DESCRIPTIONS, "the command's place in its lifecycle (docs/commands.md)");
export const CommandOutcomeSchema = described(COMMAND_OUTCOMES, COMMAND_OUTCOME_DESCRIPTIONS,
  'how the command ended; while it is sent, the progress the meter reported (trip-delayed, close-permitted) or null');
export const CommandActionSchema = described(COMMAND_ACTIONS, COMMAND_ACTION_DESCRIPTIONS, 'what the command does');
export const CommandOriginSchema = described(COMMAND_ORIGINS, COMMAND_ORIGIN_DESCRIPTIONS, 'who asked for the command');
export const RelayStateSchema = described(RELAY_STATES, RELAY_STATE_DESCRIPTIONS, "the meter's relay as last read back or reported");
export const ReviewKindSchema = described(REVIEW_KINDS, REVIEW_KIND_DESCRIPTIONS, 'what the review item is about');
export const HoldKindSchema = described(HOLD_KINDS, HOLD_KIND_DESCRIPTIONS, 'what the hold does');

export const AccountState = Type.Union([
  Type.Literal('normal'), Type.Literal('alarm-1'), Type.Literal('alarm-2'), Type.Literal('cut-off'), Type.Literal('review'),
], {
  description: "review > cut-off (a meter's relay open) > alarm-2 > alarm-1 > normal",
});

export const RegisterMismatchView = Type.Object({
  from: Iso, to: Iso,
  totalWh: Type.Integer({ description: "the total register's rise over the interval" }),
  bandsWh: Type.Integer({ description: "the per-tariff registers' rise, added up" }),
  differenceWh: Type.Integer({ description: 'bandsWh − totalWh' }),
  toleranceWh: Type.Integer({ description: '50 Wh plus 0.5 % of totalWh' }),
}, { description: 'the latest disagreement between the per-tariff registers and the total register beyond the tolerance (docs/charging.md "Band and total registers"); the total is what is charged' });
export const LiveValueView = Type.Object({
  value: Type.Number({ description: 'in `unit`; money in integer fen' }),
  unit: Type.String({ description: 'V, A, kW, Hz, fen, or "" for a power factor' }),
  at: Iso,
});

export const MeterView = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  protocol: Type.String(),
  busId: Type.Union([Type.String(), Type.Null()]),
  address: Type.String(),
  concentratorId: Type.Union([Type.String(), Type.Null()], { description: 'the concentrator a meter of protocol mqtt is behind' }),
  registerMap: Type.Union([Type.String(), Type.Null()], { description: 'register map of a Modbus meter' }),
  supportsDirectClose: Type.Boolean(),
  relayState: RelayStateSchema,
  relayStateAt: NullableIso,
  online: Type.Boolean(),
  stale: Type.Boolean({ description: "readings are stale: the meter's concentrator is offline" }),
  lastReadingAt: NullableIso,
  lastEnergyWh: Type.Union([Type.Integer(), Type.Null()]),
  registerMismatch: Type.Optional(Nullable(RegisterMismatchView)),
  edition: Type.Union([Type.Literal('2007'), Type.Literal('1997'), Type.Literal('auto')], { description: 'DL/T 645 edition (other protocols: 2007, unused)' }),
  profile: Nullable(Type.String({ description: "the meter's own DL/T 645 reading profile; null: the bus's default, else the edition's" })),
  ownCredentials: Type.Boolean({ description: 'the meter has 0x1C credentials of its own (never shown); false: the bus\'s' }),
  profileInUse: Type.Optional(Nullable(Type.String({ description: 'the DL/T 645 profile the meter is read with now (one meter only)' }))),
  dataIdentifiers: Type.Optional(Type.Array(Type.Object({
    di: Type.String({ description: '8 hex digits (2007) or 4 (1997)' }),
    answeredAt: NullableIso,
    lastValue: Nullable(Type.Any({ description: 'the decoded value of the last answer' })),
    misses: Type.Integer({ description: 'times the meter did not answer it' }),
    missedAt: NullableIso,
    missReason: Nullable(Type.String({ description: 'no-reply | bad-checksum | no-requested-data | refused: … | bad-value: …' })),
  }), { description: 'what each DL/T 645 data identifier asked did, answered last or missed (one meter only)' })),
  live: Type.Optional(Type.Record(Type.String(), LiveValueView, { description: 'latest live value of each quantity (one meter only)' })),
});

export const AccountView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  category: Type.String(),
  creditGrade: Type.String(),
  protected: Type.Boolean(),
  tariffId: Type.String(),
  balanceFen: Type.Integer(),
  alarmLevel1Fen: Type.Integer(),
  alarmLevel2Fen: Type.Integer(),
  cutoffLevelFen: Type.Integer(),
  restoreLevelFen: Type.Integer(),
  alarmState: Type.Integer({ minimum: 0, maximum: 2 }),
  alarm2At: NullableIso,
  state: Type.Optional(AccountState),
  meters: Type.Array(MeterView),
});

export const CommandView = Type.Object({
  id: Type.String(),
  meterId: Type.String(),
  action: CommandActionSchema,
  state: CommandStateSchema,
  origin: CommandOriginSchema,
  actor: Type.String(),
  reason: Type.String(),
  attempts: Type.Integer({ description: 'sends so far (at most engine.maxAttempts); a restart that finds the command sent reads it back before sending again' }),
  outcome: Nullable(CommandOutcomeSchema),
  lastError: Nullable(Type.String({
    description: 'what went wrong in the current attempt, or why the command ended when it failed, expired, was refused or is unconfirmable; '
      + 'null once confirmed',
  })),
  lastAttemptError: Nullable(Type.String({
    description: 'the error of an earlier attempt, kept apart when a new attempt starts or the command is confirmed: a confirmed command '
      + 'whose way there was not smooth (a garbled reply, a second send) shows it here, with lastError null',
  })),
  createdAt: Iso,
  sentAt: NullableIso,
  finishedAt: NullableIso,
  expiresAt: Iso,
  /** what made the command due, when it came first (the payment of a restore): latency counts from here */
  triggerAt: NullableIso,
});

export const PaymentView = Type.Object({
  id: Type.String(),
  channel: Type.String(),
  channelTxnId: Type.String(),
  accountId: Type.String(),
  amountFen: Type.Integer(),
  paidAt: Iso,
  createdAt: Iso,
  reversedAt: NullableIso,
});

export const EventView = Type.Object({
  id: Type.Integer(),
  type: Type.String(),
  accountId: Nullable(Type.String()),
  meterId: Nullable(Type.String()),
  data: Type.Record(Type.String(), Type.Any()),
  createdAt: Iso,
});

export const KeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.String(),
  createdAt: Iso,
  revokedAt: NullableIso,
});

export const BalanceView = Type.Object({
  accountId: Type.String(),
  balanceFen: Type.Integer(),
  alarmState: Type.Integer({ minimum: 0, maximum: 2 }),
});

export const errorResponses = {
  400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 413: ErrorBody, 415: ErrorBody, 429: ErrorBody,
};
