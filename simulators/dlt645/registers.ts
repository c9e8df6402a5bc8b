// The registers a simulated single-phase prepaid meter answers reads for: data identifier →
// payload bytes (before +0x33), taken from the meter model at the moment of the read. Values are
// built in the codec's units (Wh, fen, V, A, kW, Hz) and encoded by the codec.
//
// DL/T 645-2007 Appendix A; prepaid registers and status word 3 per State Grid's 2013 supplement.
import {
  DAILY_FROZEN_DEPTH_MAX, DAILY_FROZEN_FORWARD_ACTIVE_BASE, DAILY_FROZEN_TIME_BASE, DataIdentifier as DI, DataIdentifier1997 as DI97,
  encode1997Value, encodeDataValue, encodeStatusWord3,
} from '../../protocols/dlt645/index.js';
import type { SimMeter } from './meter.js';
import { localText, type SimEventKind } from './history.js';

type RegisterReader = (meter: SimMeter) => Buffer;

/** Meters keep China Standard Time (UTC+8). */
const METER_UTC_OFFSET_MS = 8 * 3_600_000;
/** Status word 3 bits 8-9: 2 = money prepaid (费控表). */
const METER_TYPE_MONEY_PREPAID = 2;

const value = (di: number, read: (meter: SimMeter) => Parameters<typeof encodeDataValue>[1]): [number, RegisterReader] => [
  di,
  (meter) => encodeDataValue(di, read(meter)),
];

/** 'YYYY-MM-DD' and 'hh:mm:ss' of the meter's clock, in the meter's local time. */
function localClock(meter: SimMeter): { date: string; time: string } {
  const iso = new Date(meter.now() + METER_UTC_OFFSET_MS).toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(11, 19) };
}

/** Current of one phase, A: that phase's share of the power at the meter's voltage and power factor. */
function phaseCurrent(m: SimMeter): number {
  const perPhase = m.powerW / m.phases;
  return m.voltageV > 0 && m.powerFactor > 0 ? perPhase / (m.voltageV * m.powerFactor) : 0;
}

const threePhase = (read: (m: SimMeter) => Buffer): RegisterReader => (m) => {
  if (m.phases !== 3) throw new NoSuchRegister();
  return read(m);
};

/** Thrown by a register reader for a register this meter's kind does not have. */
class NoSuchRegister extends Error {}

const eventCount = (kind: SimEventKind) => (m: SimMeter) => m.history.count(kind);
const eventRecord = (kind: SimEventKind) => (m: SimMeter) => {
  const e = m.history.latest(kind);
  if (!e) throw new NoSuchRegister();
  return {
    at: localText(e.at), ...(e.endAt ? { endAt: localText(e.endAt) } : {}), ...(e.operator ? { operator: e.operator } : {}),
    ...(e.dataIdentifiers ? { dataIdentifiers: e.dataIdentifiers } : {}),
  };
};
const relayRecords = (m: SimMeter, trip: boolean) => m.controls.filter((c) => c.outcome === 'ok' && c.action === (trip ? 'trip' : 'directClose'));

const REGISTERS = new Map<number, RegisterReader>([
  value(DI.forwardActiveTotal, (m) => m.energyWh),
  // Combined active energy (组合有功): forward only, as on a meter without export.
  value(DI.combinedActiveTotal, (m) => m.energyWh),
  value(DI.forwardActiveTariff1, (m) => m.tariffEnergyWh(1)),
  value(DI.forwardActiveTariff2, (m) => m.tariffEnergyWh(2)),
  value(DI.forwardActiveTariff3, (m) => m.tariffEnergyWh(3)),
  value(DI.forwardActiveTariff4, (m) => m.tariffEnergyWh(4)),
  value(DI.forwardActiveBlock, (m) => {
    const total = m.energyWh;
    return { total, tariff1: m.tariffEnergyWh(1), tariff2: m.tariffEnergyWh(2), tariff3: m.tariffEnergyWh(3), tariff4: m.tariffEnergyWh(4) };
  }),
  value(DI.phaseAVoltage, (m) => m.voltageV),
  value(DI.phaseACurrent, (m) => phaseCurrent(m)),
  value(DI.activePowerTotal, (m) => m.powerW / 1000),
  value(DI.phaseAActivePower, (m) => m.powerW / m.phases / 1000),
  value(DI.powerFactorTotal, (m) => m.powerFactor),
  value(DI.phaseAPowerFactor, (m) => m.powerFactor),
  [DI.phaseBVoltage, threePhase((m) => encodeDataValue(DI.phaseBVoltage, m.voltageV))],
  [DI.phaseCVoltage, threePhase((m) => encodeDataValue(DI.phaseCVoltage, m.voltageV))],
  [DI.voltageBlock, threePhase((m) => encodeDataValue(DI.voltageBlock, { phaseA: m.voltageV, phaseB: m.voltageV, phaseC: m.voltageV }))],
  [DI.phaseBCurrent, threePhase((m) => encodeDataValue(DI.phaseBCurrent, phaseCurrent(m)))],
  [DI.phaseCCurrent, threePhase((m) => encodeDataValue(DI.phaseCCurrent, phaseCurrent(m)))],
  [DI.currentBlock, threePhase((m) => encodeDataValue(DI.currentBlock, { phaseA: phaseCurrent(m), phaseB: phaseCurrent(m), phaseC: phaseCurrent(m) }))],
  [DI.activePowerBlock, threePhase((m) => {
    const p = m.powerW / 3000;
    return encodeDataValue(DI.activePowerBlock, { total: m.powerW / 1000, phaseA: p, phaseB: p, phaseC: p });
  })],
  [DI.powerFactorBlock, threePhase((m) => encodeDataValue(DI.powerFactorBlock, { total: m.powerFactor, phaseA: m.powerFactor, phaseB: m.powerFactor, phaseC: m.powerFactor }))],
  value(DI.powerDownCount, eventCount('powerDown')),
  value(DI.lastPowerDownRecord, eventRecord('powerDown')),
  value(DI.programmingCount, eventCount('programming')),
  value(DI.lastProgrammingRecord, eventRecord('programming')),
  value(DI.coverOpenCount, eventCount('coverOpen')),
  value(DI.lastCoverOpenRecord, eventRecord('coverOpen')),
  value(DI.tripCount, (m) => relayRecords(m, true).length),
  value(DI.closeCount, (m) => relayRecords(m, false).length),
  value(DI.frequency, (m) => m.frequencyHz),
  value(DI.remainingAmount, (m) => m.remainingFen),
  value(DI.overdraftAmount, (m) => m.overdraftFen),
  value(DI.date, (m) => localClock(m).date),
  value(DI.time, (m) => localClock(m).time),
  value(DI.dateTime, (m) => {
    const { date, time } = localClock(m);
    return `${date} ${time}`;
  }),
  value(DI.communicationAddress, (m) => m.address),
  value(DI.meterNumber, (m) => m.address),
  value(DI.statusWord1, () => 0),
  value(DI.statusWord2, () => 0),
  [
    DI.statusWord3,
    (m) => {
      const { relayOpen, relayCommandOpen, preTripAlarm, keepPower } = m.relayStatus();
      return encodeStatusWord3({ relayOpen, relayCommandOpen, preTripAlarm, keepPower, meterType: METER_TYPE_MONEY_PREPAID });
    },
  ],
  value(DI.statusWord4, () => 0),
  value(DI.statusWord5, () => 0),
  value(DI.statusWord6, () => 0),
  value(DI.statusWord7, () => 0),
  value(DI.alarmAmount1, (m) => m.limits.alarmLevel1Fen),
  value(DI.alarmAmount2, (m) => m.limits.alarmLevel2Fen),
  value(DI.overdraftLimit, (m) => m.limits.overdraftLimitFen),
  value(DI.hoardingLimit, (m) => m.limits.hoardingLimitFen),
  value(DI.closePermitAmount, (m) => m.limits.restoreLevelFen),
]);

/** Daily freeze n's time (05060000 + n) or forward active block (05060100 + n), or undefined. */
function frozenRegister(meter: SimMeter, di: number): Buffer | undefined {
  for (const [base, time] of [[DAILY_FROZEN_TIME_BASE, true], [DAILY_FROZEN_FORWARD_ACTIVE_BASE, false]] as const) {
    const n = di - base + 1;
    if (n < 1 || n > DAILY_FROZEN_DEPTH_MAX) continue;
    const day = meter.frozenDay(n);
    if (!day) return undefined;
    if (time) return encodeDataValue(di, localText(day.at).slice(0, 16));
    const [tariff1, tariff2, tariff3, tariff4] = day.tariffWh;
    return encodeDataValue(di, { total: day.totalWh, tariff1, tariff2, tariff3, tariff4 });
  }
  return undefined;
}

/** The payload for `di`, or undefined when the meter has no such register. */
export function readRegister(meter: SimMeter, di: number): Buffer | undefined {
  if (!meter.hasRegister(di)) return undefined;
  const reader = REGISTERS.get(di);
  if (!reader) return frozenRegister(meter, di);
  try {
    return reader(meter);
  } catch (err) {
    if (err instanceof NoSuchRegister) return undefined;
    throw err;
  }
}

const REGISTERS_1997 = new Map<number, (meter: SimMeter) => number>([
  [DI97.forwardActiveTotal, (m) => m.energyWh],
  [DI97.forwardActiveTariff1, (m) => m.tariffEnergyWh(1)],
  [DI97.forwardActiveTariff2, (m) => m.tariffEnergyWh(2)],
  [DI97.forwardActiveTariff3, (m) => m.tariffEnergyWh(3)],
  [DI97.forwardActiveTariff4, (m) => m.tariffEnergyWh(4)],
  [DI97.phaseAVoltage, (m) => Math.round(m.voltageV)],
  [DI97.phaseACurrent, (m) => phaseCurrent(m)],
  [DI97.activePowerTotal, (m) => m.powerW / 1000],
  [DI97.powerFactorTotal, (m) => m.powerFactor],
]);

/** A DL/T 645-1997 register's payload, or undefined when the meter has none. */
export function readRegister1997(meter: SimMeter, di: number): Buffer | undefined {
  const read = REGISTERS_1997.get(di);
  if (!read || !meter.hasRegister(di)) return undefined;
  return encode1997Value(di, read(meter));
}

/** Data identifiers this meter answers. */
export function supportedDataIdentifiers(): number[] {
  return [...REGISTERS.keys()];
}
