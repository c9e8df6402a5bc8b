// Request and response schemas shared by the routes; the OpenAPI document is generated from them.
import { Type } from '@sinclair/typebox';

export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Any()) }),
}, { $id: 'Error' });

export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
export const Fen = Type.Integer({ minimum: -1_000_000_000_000, maximum: 1_000_000_000_000, description: 'money in fen (0.01 yuan)' });
export const Iso = Type.String({ format: 'date-time' });
export const NullableIso = Type.Union([Iso, Type.Null()]);

export const MeterView = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  protocol: Type.String(),
  busId: Type.Union([Type.String(), Type.Null()]),
  address: Type.String(),
  supportsDirectClose: Type.Boolean(),
  relayState: Type.Union([Type.Literal('open'), Type.Literal('closed'), Type.Literal('unknown')]),
  relayStateAt: NullableIso,
  online: Type.Boolean(),
  lastReadingAt: NullableIso,
  lastEnergyWh: Type.Union([Type.Integer(), Type.Null()]),
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
  meters: Type.Array(MeterView),
});

export const CommandView = Type.Object({
  id: Type.String(),
  meterId: Type.String(),
  action: Type.String(),
  state: Type.String(),
  origin: Type.String(),
  actor: Type.String(),
  reason: Type.String(),
  attempts: Type.Integer(),
  outcome: Type.Union([Type.String(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Iso,
  sentAt: NullableIso,
  finishedAt: NullableIso,
  expiresAt: Iso,
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

export const errorResponses = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
