// The registers a simulated single-phase prepaid meter answers reads for: data identifier →
// payload bytes (before +0x33), taken from the meter model at the moment of the read. Values are
// built in the codec's units (Wh, fen, V, A, kW, Hz) and encoded by the codec.
//
// DL/T 645-2007 Appendix A; prepaid registers and status word 3 per State Grid's 2013 supplement.
import { DataIdentifier as DI, encodeDataValue, encodeStatusWord3 } from '../../protocols/dlt645/index.js';
import type { SimMeter } from './meter.js';

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

const REGISTERS = new Map<number, RegisterReader>([
  value(DI.forwardActiveTotal, (m) => m.energyWh),
  value(DI.forwardActiveTariff1, (m) => m.tariffEnergyWh(1)),
  value(DI.forwardActiveTariff2, (m) => m.tariffEnergyWh(2)),
  value(DI.forwardActiveTariff3, (m) => m.tariffEnergyWh(3)),
  value(DI.forwardActiveTariff4, (m) => m.tariffEnergyWh(4)),
  value(DI.forwardActiveBlock, (m) => {
    const total = m.energyWh;
    return { total, tariff1: m.tariffEnergyWh(1), tariff2: m.tariffEnergyWh(2), tariff3: m.tariffEnergyWh(3), tariff4: m.tariffEnergyWh(4) };
  }),
  value(DI.phaseAVoltage, (m) => m.voltageV),
  value(DI.phaseACurrent, (m) => m.currentA),
  value(DI.activePowerTotal, (m) => m.powerW / 1000),
  value(DI.phaseAActivePower, (m) => m.powerW / 1000),
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

/** The payload for `di`, or undefined when the meter has no such register. */
export function readRegister(meter: SimMeter, di: number): Buffer | undefined {
  return REGISTERS.get(di)?.(meter);
}

/** Data identifiers this meter answers. */
export function supportedDataIdentifiers(): number[] {
  return [...REGISTERS.keys()];
}
