// The data-identifier catalogue, as data: one row per DI the head-end reads or writes.
//
// DL/T 645-2007 Appendix A (数据编码表) — DI3 DI2 DI1 DI0 written most significant first here,
// sent DI0 first on the wire. Formats are the standard's: X = BCD digit, N = BCD digit of a
// count or code, '.' the implied decimal point; a signed format carries its sign in the top bit
// of the most significant byte. Prepaid registers, limits and status word meanings follow State
// Grid's 2013 supplement, which the remote-prepaid meters implement.

/** How a row's bytes become a value. */
export type ValueKind =
  | 'energy' // XXXXXX.XX kWh/kvarh → integer Wh/varh
  | 'money' // XXXXXX.XX yuan → integer fen
  | 'number' // scaled decimal in `unit`
  | 'digits' // a string of BCD digits (address, meter number, operator)
  | 'date' // YYMMDDWW → 'YYYY-MM-DD'
  | 'time' // hhmmss → 'hh:mm:ss'
  | 'dateTime' // YYMMDDWWhhmmss → 'YYYY-MM-DD hh:mm:ss'
  | 'timestamp' // YYMMDDhhmm[ss] → 'YYYY-MM-DD hh:mm[:ss]'
  | 'status' // status word 1..7 → named flags
  | 'relayEvent' // trip / close event record → record
  | 'eventRecord'; // power-down, programming, cover-open record → record (eventRecord says which)

export interface CatalogueEntry {
  di: number;
  name: string;
  format: string;
  /** Bytes of one value (of one element for a block). */
  length: number;
  /** Unit on the meter's display (kWh, V, …); absent when dimensionless. */
  unit?: string;
  signed: boolean;
  kind: ValueKind;
  /** For a block (DI with an FF byte): element names in order; the block may be shorter. */
  members?: readonly string[];
  /** For kind 'status': which status word. */
  statusWord?: 1 | 2 | 3 | 4 | 5 | 6 | 7;
  /** For kind 'eventRecord': the record's layout (event-records.ts). */
  eventRecord?: 'powerDown' | 'programming' | 'coverOpen';
}

/** DL/T 645-2007 Appendix A, freeze data (冻结量): a meter keeps up to 62 daily freezes (DI0 01..3E). */
export const DAILY_FROZEN_DEPTH_MAX = 62;
/** (上 n 次) 日冻结时间 YYMMDDhhmm: 05060001 + (n − 1). */
export const DAILY_FROZEN_TIME_BASE = 0x05060001;
/** (上 n 次) 日冻结正向有功电能数据 XXXXXX.XX × (tariffs + 1): 05060101 + (n − 1). */
export const DAILY_FROZEN_FORWARD_ACTIVE_BASE = 0x05060101;

const TARIFFS = [1, 2, 3, 4] as const;
const PHASES = [
  ['A', 1],
  ['B', 2],
  ['C', 3],
] as const;

function energyRows(base: number, prefix: string, unit: 'kWh' | 'kvarh', signed: boolean): CatalogueEntry[] {
  const row = (di: number, name: string): CatalogueEntry => ({ di, name, format: 'XXXXXX.XX', length: 4, unit, signed, kind: 'energy' });
  return [
    row(base, `${prefix}Total`),
    ...TARIFFS.map((t) => row(base + (t << 8), `${prefix}Tariff${t}`)),
    // Block 'FF': total then tariffs 1..n (n = the meter's tariff count, up to 63).
    { ...row(base | 0xff00, `${prefix}Block`), members: ['total', ...Array.from({ length: 63 }, (_, i) => `tariff${i + 1}`)] },
  ];
}

function phaseRows(base: number, what: string, format: string, length: number, unit: string | undefined, signed: boolean, withTotal: boolean): CatalogueEntry[] {
  const row = (di: number, name: string): CatalogueEntry => ({ di, name, format, length, signed, kind: 'number', ...(unit ? { unit } : {}) });
  const rows: CatalogueEntry[] = [];
  if (withTotal) rows.push(row(base, `${what}Total`));
  for (const [p, n] of PHASES) rows.push(row(base + (n << 8), `phase${p}${what[0]?.toUpperCase()}${what.slice(1)}`));
  rows.push({ ...row(base | 0xff00, `${what}Block`), members: withTotal ? ['total', 'phaseA', 'phaseB', 'phaseC'] : ['phaseA', 'phaseB', 'phaseC'] });
  return rows;
}

const money = (di: number, name: string): CatalogueEntry => ({ di, name, format: 'XXXXXX.XX', length: 4, unit: 'yuan', signed: false, kind: 'money' });
const status = (n: 1 | 2 | 3 | 4 | 5 | 6 | 7): CatalogueEntry => ({
  di: 0x04000500 + n,
  name: `statusWord${n}`,
  format: 'XXXX',
  length: 2,
  signed: false,
  kind: 'status',
  statusWord: n,
});
const relayEvent = (di: number, name: string): CatalogueEntry => ({
  di,
  name,
  format: 'YYMMDDhhmmss+NNNNNNNN+6×XXXXXX.XX',
  length: 34,
  signed: false,
  kind: 'relayEvent',
});

const count = (di: number, name: string): CatalogueEntry => ({ di, name, format: 'NNNNNN', length: 3, signed: false, kind: 'number' });
const eventRecord = (di: number, name: string, layout: NonNullable<CatalogueEntry['eventRecord']>, length: number, format: string): CatalogueEntry => ({
  di, name, format, length, signed: false, kind: 'eventRecord', eventRecord: layout,
});

/** Daily freezes 1..62 (Appendix A, 冻结量, 日冻结): the time and the forward active block of each. */
function dailyFrozenRows(): CatalogueEntry[] {
  const rows: CatalogueEntry[] = [];
  for (let n = 1; n <= DAILY_FROZEN_DEPTH_MAX; n++) {
    rows.push({ di: DAILY_FROZEN_TIME_BASE + n - 1, name: `dailyFrozenTime${n}`, format: 'YYMMDDhhmm', length: 5, signed: false, kind: 'timestamp' });
    rows.push({
      di: DAILY_FROZEN_FORWARD_ACTIVE_BASE + n - 1, name: `dailyFrozenForwardActive${n}`, format: 'XXXXXX.XX', length: 4, unit: 'kWh', signed: false, kind: 'energy',
      members: ['total', ...Array.from({ length: 63 }, (_, i) => `tariff${i + 1}`)],
    });
  }
  return rows;
}

export const CATALOGUE: readonly CatalogueEntry[] = [
  // Energy (电能量, DI3 = 00): combined active is signed, the others are not.
  ...energyRows(0x00000000, 'combinedActive', 'kWh', true),
  ...energyRows(0x00010000, 'forwardActive', 'kWh', false),
  ...energyRows(0x00020000, 'reverseActive', 'kWh', false),
  ...energyRows(0x00030000, 'combinedReactive1', 'kvarh', true),
  ...energyRows(0x00040000, 'combinedReactive2', 'kvarh', true),
  // Prepaid registers (State Grid 2013): remaining / overdraft energy and money.
  { di: 0x00900100, name: 'remainingEnergy', format: 'XXXXXX.XX', length: 4, unit: 'kWh', signed: false, kind: 'energy' },
  { di: 0x00900101, name: 'overdraftEnergy', format: 'XXXXXX.XX', length: 4, unit: 'kWh', signed: false, kind: 'energy' },
  money(0x00900200, 'remainingAmount'),
  money(0x00900201, 'overdraftAmount'),
  // Variables (变量, DI3 = 02).
  ...phaseRows(0x02010000, 'voltage', 'XXX.X', 2, 'V', false, false),
  ...phaseRows(0x02020000, 'current', 'XXX.XXX', 3, 'A', true, false),
  ...phaseRows(0x02030000, 'activePower', 'XX.XXXX', 3, 'kW', true, true),
  ...phaseRows(0x02040000, 'reactivePower', 'XX.XXXX', 3, 'kvar', true, true),
  ...phaseRows(0x02050000, 'apparentPower', 'XX.XXXX', 3, 'kVA', true, true),
  ...phaseRows(0x02060000, 'powerFactor', 'X.XXX', 2, undefined, true, true),
  { di: 0x02800001, name: 'neutralCurrent', format: 'XXX.XXX', length: 3, unit: 'A', signed: true, kind: 'number' },
  { di: 0x02800002, name: 'frequency', format: 'XX.XX', length: 2, unit: 'Hz', signed: false, kind: 'number' },
  // Purchases (State Grid 2013, record 1 = the most recent purchase).
  { di: 0x03330101, name: 'lastPurchaseTime', format: 'YYMMDDhhmm', length: 5, signed: false, kind: 'timestamp' },
  { di: 0x03330201, name: 'purchaseCount', format: 'NNNN', length: 2, signed: false, kind: 'number' },
  money(0x03330301, 'lastPurchaseAmount'),
  // Parameters (参变量, DI3 = 04).
  { di: 0x04000101, name: 'date', format: 'YYMMDDWW', length: 4, signed: false, kind: 'date' },
  { di: 0x04000102, name: 'time', format: 'hhmmss', length: 3, signed: false, kind: 'time' },
  { di: 0x0400010c, name: 'dateTime', format: 'YYMMDDWWhhmmss', length: 7, signed: false, kind: 'dateTime' },
  { di: 0x04000401, name: 'communicationAddress', format: 'NNNNNNNNNNNN', length: 6, signed: false, kind: 'digits' },
  { di: 0x04000402, name: 'meterNumber', format: 'NNNNNNNNNNNN', length: 6, signed: false, kind: 'digits' },
  status(1),
  status(2),
  status(3),
  status(4),
  status(5),
  status(6),
  status(7),
  money(0x04001001, 'alarmAmount1'),
  money(0x04001002, 'alarmAmount2'),
  money(0x04001003, 'overdraftLimit'),
  money(0x04001004, 'hoardingLimit'),
  money(0x04001005, 'closePermitAmount'),
  // Events (事件记录): trip (拉闸, DI3 = 1D) and close (合闸, DI3 = 1E).
  { di: 0x1d000001, name: 'tripCount', format: 'NNNNNN', length: 3, signed: false, kind: 'number' },
  relayEvent(0x1d000101, 'lastTripRecord'),
  { di: 0x1e000001, name: 'closeCount', format: 'NNNNNN', length: 3, signed: false, kind: 'number' },
  relayEvent(0x1e000101, 'lastCloseRecord'),
  // Event records (事件记录, DI3 = 03): counts and the most recent record of the events operators
  // act on — power-down (掉电), programming (编程), meter cover opened (开表盖).
  count(0x03110000, 'powerDownCount'),
  eventRecord(0x03110001, 'lastPowerDownRecord', 'powerDown', 12, 'YYMMDDhhmmss+YYMMDDhhmmss'),
  count(0x03300000, 'programmingCount'),
  eventRecord(0x03300001, 'lastProgrammingRecord', 'programming', 50, 'YYMMDDhhmmss+NNNNNNNN+10×DI'),
  count(0x03300d00, 'coverOpenCount'),
  eventRecord(0x03300d01, 'lastCoverOpenRecord', 'coverOpen', 60, 'YYMMDDhhmmss+YYMMDDhhmmss+12×XXXXXX.XX'),
  // Freezes (冻结量, DI3 = 05): daily freezes.
  ...dailyFrozenRows(),
];

const BY_DI = new Map<number, CatalogueEntry>(CATALOGUE.map((e) => [e.di, e]));

export function catalogueEntry(di: number): CatalogueEntry | undefined {
  return BY_DI.get(di);
}

/** Number of decimals implied by a format such as 'XXXXXX.XX'. */
export function decimalsOf(format: string): number {
  const dot = format.indexOf('.');
  return dot < 0 ? 0 : format.length - dot - 1;
}
