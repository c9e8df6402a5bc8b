// Meter run status words 1..7 (电表运行状态字, DIs 04000501..04000507), two bytes LSB first,
// decoded into named flags.
//
// DL/T 645-2007 Appendix A (参变量, 04000501..07) with the meanings State Grid's 2013
// supplement gives the bits the 2007 text left reserved (status word 1 bits 8..15, status
// word 3 bits 5..15). Bits are numbered from bit0 = least significant bit of the first byte.

import { Dlt645Error } from './errors.js';

/** One named field: a flag (width 1) or a small number (width 2). */
export interface StatusField {
  name: string;
  bit: number;
  width?: 1 | 2;
}

const PHASE_FAULT_FIELDS: readonly StatusField[] = [
  { name: 'lossOfVoltage', bit: 0 }, // 失压
  { name: 'undervoltage', bit: 1 }, // 欠压
  { name: 'overvoltage', bit: 2 }, // 过压
  { name: 'lossOfCurrent', bit: 3 }, // 失流
  { name: 'overcurrent', bit: 4 }, // 过流
  { name: 'overload', bit: 5 }, // 过载
  { name: 'powerReversal', bit: 6 }, // 潮流反向
  { name: 'phaseBreak', bit: 7 }, // 断相
  { name: 'currentBreak', bit: 8 }, // 断流
];

export const STATUS_WORD_FIELDS: Readonly<Record<1 | 2 | 3 | 4 | 5 | 6 | 7, readonly StatusField[]>> = {
  1: [
    { name: 'blockDemand', bit: 1 }, // 需量积算方式: 0 sliding, 1 block
    { name: 'clockBatteryLow', bit: 2 }, // 时钟电池欠压
    { name: 'readingBatteryLow', bit: 3 }, // 停电抄表电池欠压
    { name: 'activePowerReverse', bit: 4 }, // 有功功率方向 1 = reverse
    { name: 'reactivePowerReverse', bit: 5 }, // 无功功率方向 1 = reverse
    { name: 'controlCircuitError', bit: 8 }, // 控制回路错误
    { name: 'esamError', bit: 9 }, // ESAM 错误
    { name: 'internalProgramError', bit: 12 }, // 内部程序错误
    { name: 'memoryFault', bit: 13 }, // 存储器故障或损坏
    { name: 'overdraft', bit: 14 }, // 透支状态
    { name: 'clockFault', bit: 15 }, // 时钟故障
  ],
  2: [
    { name: 'phaseAActiveReverse', bit: 0 },
    { name: 'phaseBActiveReverse', bit: 1 },
    { name: 'phaseCActiveReverse', bit: 2 },
    { name: 'phaseAReactiveReverse', bit: 4 },
    { name: 'phaseBReactiveReverse', bit: 5 },
    { name: 'phaseCReactiveReverse', bit: 6 },
  ],
  3: [
    { name: 'secondTimePeriodTable', bit: 0 }, // 当前运行时段: 0 first set, 1 second
    { name: 'supplyMode', bit: 1, width: 2 }, // 供电方式: 0 main, 1 auxiliary, 2 battery
    { name: 'programmingAllowed', bit: 3 }, // 编程允许
    { name: 'relayOpen', bit: 4 }, // 继电器状态: 0 closed, 1 open
    { name: 'secondTimeZoneTable', bit: 5 }, // 当前运行时区
    { name: 'relayCommandOpen', bit: 6 }, // 继电器命令状态: 0 close, 1 open
    { name: 'preTripAlarm', bit: 7 }, // 预跳闸报警
    { name: 'meterType', bit: 8, width: 2 }, // 电能表类型: 0 non-prepaid, 1 energy prepaid, 2 money prepaid
    { name: 'secondTariffPriceTable', bit: 10 }, // 当前运行分时费率
    { name: 'secondStepTable', bit: 11 }, // 当前阶梯
    { name: 'keepPower', bit: 12 }, // 保电状态
    { name: 'identityAuthenticated', bit: 13 }, // 身份认证状态: 1 valid
    { name: 'localAccountNotOpened', bit: 14 }, // 本地开户: 0 opened, 1 not opened
    { name: 'remoteAccountNotOpened', bit: 15 }, // 远程开户: 0 opened, 1 not opened
  ],
  4: PHASE_FAULT_FIELDS, // phase A
  5: PHASE_FAULT_FIELDS, // phase B
  6: PHASE_FAULT_FIELDS, // phase C
  7: [
    { name: 'voltageReverseSequence', bit: 0 }, // 电压逆相序
    { name: 'currentReverseSequence', bit: 1 }, // 电流逆相序
    { name: 'voltageUnbalance', bit: 2 }, // 电压不平衡
    { name: 'currentUnbalance', bit: 3 }, // 电流不平衡
    { name: 'auxiliaryPowerLoss', bit: 4 }, // 辅助电源失电
    { name: 'powerFailure', bit: 5 }, // 掉电
    { name: 'demandOverLimit', bit: 6 }, // 需量超限
    { name: 'powerFactorBelowLimit', bit: 7 }, // 总功率因数超下限
    { name: 'currentSevereUnbalance', bit: 8 }, // 电流严重不平衡
    { name: 'coverOpen', bit: 9 }, // 开表盖
    { name: 'terminalCoverOpen', bit: 10 }, // 开端钮盖
  ],
};

export type StatusWordNumber = keyof typeof STATUS_WORD_FIELDS;
export type StatusFlags = Record<string, boolean | number> & { raw: number };

function rawOf(payload: Uint8Array, what: string): number {
  if (payload.length !== 2) {
    throw new Dlt645Error('VALUE_INVALID', `${what} must be 2 bytes, got ${payload.length}`, { length: payload.length });
  }
  return (payload[0] ?? 0) | ((payload[1] ?? 0) << 8);
}

export function decodeStatusWordRaw(word: StatusWordNumber, raw: number): StatusFlags {
  const out: StatusFlags = { raw };
  for (const f of STATUS_WORD_FIELDS[word]) {
    const width = f.width ?? 1;
    const v = (raw >> f.bit) & ((1 << width) - 1);
    out[f.name] = width === 1 ? v === 1 : v;
  }
  return out;
}

export function decodeStatusWord(word: StatusWordNumber, payload: Uint8Array): StatusFlags {
  return decodeStatusWordRaw(word, rawOf(payload, `status word ${word}`));
}

export function encodeStatusWord(word: StatusWordNumber, flags: Record<string, boolean | number | undefined> | number): Buffer {
  let raw = 0;
  if (typeof flags === 'number') {
    if (!Number.isInteger(flags) || flags < 0 || flags > 0xffff) {
      throw new Dlt645Error('VALUE_INVALID', `status word out of range: ${flags}`, { value: flags });
    }
    raw = flags;
  } else {
    if (typeof flags.raw === 'number') raw = flags.raw & 0xffff;
    for (const f of STATUS_WORD_FIELDS[word]) {
      const v = flags[f.name];
      if (v === undefined) continue;
      const width = f.width ?? 1;
      const mask = ((1 << width) - 1) << f.bit;
      const n = typeof v === 'boolean' ? (v ? 1 : 0) : v;
      if (!Number.isInteger(n) || n < 0 || n >= 1 << width) {
        throw new Dlt645Error('VALUE_INVALID', `status word ${word} field ${f.name} out of range: ${String(v)}`, { field: f.name, value: v });
      }
      raw = (raw & ~mask) | (n << f.bit);
    }
  }
  return Buffer.from([raw & 0xff, raw >> 8]);
}

/** Status word 3 (04000503), the relay and prepaid state a head-end acts on. */
export interface StatusWord3 {
  raw: number;
  secondTimePeriodTable: boolean;
  /** 0 main supply, 1 auxiliary supply, 2 battery. */
  supplyMode: number;
  programmingAllowed: boolean;
  /** bit 4: relay actually open (supply off). */
  relayOpen: boolean;
  secondTimeZoneTable: boolean;
  /** bit 6: the meter has been commanded to open (it may still be waiting to do so). */
  relayCommandOpen: boolean;
  /** bit 7 */
  preTripAlarm: boolean;
  /** bits 8-9: 0 non-prepaid, 1 energy prepaid, 2 money prepaid. */
  meterType: number;
  secondTariffPriceTable: boolean;
  secondStepTable: boolean;
  /** bit 12 (State Grid 2013+ meters). */
  keepPower: boolean;
  identityAuthenticated: boolean;
  localAccountNotOpened: boolean;
  remoteAccountNotOpened: boolean;
}

export function decodeStatusWord3(payload: Uint8Array): StatusWord3 {
  return decodeStatusWord(3, payload) as unknown as StatusWord3;
}

export function encodeStatusWord3(flags: Partial<Omit<StatusWord3, 'raw'>> | number): Buffer {
  return encodeStatusWord(3, flags as Record<string, boolean | number | undefined> | number);
}
