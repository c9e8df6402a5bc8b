// OpenAPI schemas of charging (docs/charging.md): the tariff definition of each kind, fully typed,
// and the breakdown every consumption entry carries. The domain validator (src/domain/tariff.ts)
// gives the detailed error; these schemas document the contract and refuse what is plainly wrong.
import { Type, type Static } from '@sinclair/typebox';
import { Iso, Nullable } from './schemas.js';
import type { ChargePart } from '../ledger/consumption.js';
import { isoAt } from './services.js';

const Price = Type.String({
  pattern: '^\\d{1,4}(\\.\\d{1,6})?$',
  description: 'yuan per kWh as a decimal string with at most 6 decimals, e.g. "0.5283"; charges are exact (integer micro-yuan per kWh)',
  examples: ['0.5283'],
});
const PeriodKind = Type.Union([Type.Literal('month'), Type.Literal('year')], {
  description: 'the period within which each part of the charge is counted on cumulative energy and rounded once (half up, to the fen); a ladder resets at its start',
});
const ResetMonth = Type.Integer({ minimum: 1, maximum: 12, description: 'month (1–12) a yearly period starts in; default 1' });
const ResetDay = Type.Integer({ minimum: 1, maximum: 28, description: 'day (1–28) a period starts on, at local midnight (the meters\' offset, utcOffsetMinutes); default 1' });
export const TouBandSchema = Type.Union([Type.Literal('critical'), Type.Literal('peak'), Type.Literal('flat'), Type.Literal('valley')]);
const hhmm = (description: string) => Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description });

export const FlatTariffSchema = Type.Object({
  kind: Type.Literal('flat'),
  pricePerKwh: Price,
  period: Type.Optional(PeriodKind),
  resetMonth: Type.Optional(ResetMonth),
  resetDay: Type.Optional(ResetDay),
}, { additionalProperties: false, title: 'FlatTariff', description: 'one price for all energy; charged per billing period (a month unless `period` says otherwise)' });

export const TieredTariffSchema = Type.Object({
  kind: Type.Literal('tiered'),
  period: PeriodKind,
  resetMonth: Type.Optional(ResetMonth),
  resetDay: Type.Optional(ResetDay),
  steps: Type.Array(Type.Object({
    upToKwh: Type.Optional(Type.Integer({ minimum: 1, description: "the tier ends when the period's cumulative energy reaches this many kWh (exclusive of the next tier); absent on the last tier, and only there" })),
    pricePerKwh: Price,
  }, { additionalProperties: false }), { minItems: 1, description: 'tiers (阶梯) in order; thresholds are cumulative over the period and strictly increasing' }),
}, {
  additionalProperties: false, title: 'TieredTariff',
  description: 'a ladder (阶梯电价) on the energy used in the period; each tier is charged on its own energy and rounded once per period',
  examples: [{ kind: 'tiered', period: 'year', resetMonth: 1, resetDay: 1, steps: [{ upToKwh: 2160, pricePerKwh: '0.56' }, { upToKwh: 3120, pricePerKwh: '0.61' }, { pricePerKwh: '0.86' }] }],
});

export const TouTariffSchema = Type.Object({
  kind: Type.Literal('tou'),
  prices: Type.Object({
    flat: Price, peak: Type.Optional(Price), valley: Type.Optional(Price), critical: Type.Optional(Price),
  }, { additionalProperties: false, description: 'a price per band; flat is required, a band without a price is charged at flat' }),
  bands: Type.Array(Type.Object({
    band: TouBandSchema,
    from: hhmm('local time of day "HH:MM" the range starts at, inclusive'),
    to: hhmm('local time of day "HH:MM" the range ends at, exclusive; earlier than `from` wraps past midnight'),
    months: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 12 }), { minItems: 1, description: 'the months (1–12) the range applies in; all when absent' })),
  }, { additionalProperties: false }), { description: 'the first range containing a local time gives its band; times no range covers are flat' }),
  period: Type.Optional(PeriodKind),
  resetMonth: Type.Optional(ResetMonth),
  resetDay: Type.Optional(ResetDay),
}, {
  additionalProperties: false, title: 'TouTariff',
  description: 'time-of-use (峰/平/谷/尖): each band charged on its own energy in the billing period (a month unless `period` says otherwise), rounded once',
  examples: [{ kind: 'tou', prices: { peak: '0.5683', flat: '0.5683', valley: '0.2883' }, bands: [{ band: 'peak', from: '08:00', to: '22:00' }, { band: 'valley', from: '22:00', to: '08:00' }] }],
});

export const TariffDefinitionSchema = Type.Union([FlatTariffSchema, TieredTariffSchema, TouTariffSchema], {
  description: 'A tariff: flat, tiered or time-of-use (docs/charging.md). A tariff never changes once defined; an account changes tariff from a time.',
});

export const ChargePartView = Type.Object({
  periodStart: Iso, periodEnd: Iso,
  tariffId: Type.String(),
  tier: Type.Optional(Type.Integer({ minimum: 1, description: 'tiered: the tier (1 = the first)' })),
  band: Type.Optional(TouBandSchema),
  pricePerKwh: Type.String(),
  energyWh: Type.Integer({ description: 'energy charged to this part (negative when a correction moves energy out of it)' }),
  amountFen: Type.Integer({ description: "signed as the entry's amount: a charge is negative" }),
  basis: Type.Union([Type.Literal('measured'), Type.Literal('estimated')], {
    description: 'estimated: the energy came from an interval split by time at a period reset, band edge or tariff change (or awaits the next per-tariff registers); measured: from readings alone',
  }),
}, { description: 'one part of a consumption entry: the charging period (the tariff\'s period, cut short by tariff changes), tier or band, price, energy, amount' });

export const LedgerEntryView = Type.Object({
  id: Type.Integer(), kind: Type.String({ description: 'payment, reversal, consumption, adjustment, emergency-credit or opening-balance' }), amountFen: Type.Integer(), balanceAfterFen: Type.Integer(),
  paymentId: Nullable(Type.String()), meterId: Nullable(Type.String()),
  energyWh: Nullable(Type.Integer()), reason: Nullable(Type.String()),
  interval: Nullable(Type.Object({ from: Iso, to: Iso }, { description: 'consumption: the reading interval charged' })),
  breakdown: Nullable(Type.Array(ChargePartView, { description: 'consumption: its parts; their energy and amounts add up to the entry\'s' })),
  actor: Type.String(), createdAt: Type.String(),
});

export type ChargePartJson = Static<typeof ChargePartView>;

/** A consumption entry's stored breakdown as the API shows it. */
export function breakdownView(json: string | null, tz: number): ChargePartJson[] | null {
  if (json === null) return null;
  return (JSON.parse(json) as ChargePart[]).map((p) => ({ ...p, periodStart: isoAt(p.periodStart, tz)!, periodEnd: isoAt(p.periodEnd, tz)! }));
}
