// Live values of a meter — voltage, current, active power, power factor, frequency and the
// meter's own remaining and overdraft amounts — whatever brought them: a DL/T 645 profile, a
// Modbus register map or a concentrator's reading. Each quantity is kept as an integer in a fixed
// unit (money in fen, never a float), and shown in its natural unit.
//
//   DL/T 645 catalogue name / Modbus map key / MQTT field ─▶ quantity ─▶ integer (stored) ─▶ number (API)

export interface QuantitySpec {
  /** Unit of the value the API shows. */
  unit: string;
  /** Stored integer = value × scale (exact for the DL/T 645 formats: XXX.X V, XXX.XXX A, XX.XXXX kW, X.XXX, XX.XX Hz). */
  scale: number;
}

const V: QuantitySpec = { unit: 'V', scale: 1000 };
const A: QuantitySpec = { unit: 'A', scale: 1000 };
const KW: QuantitySpec = { unit: 'kW', scale: 10_000 };
const PF: QuantitySpec = { unit: '', scale: 1000 };
const FEN: QuantitySpec = { unit: 'fen', scale: 1 };

/** Every quantity kept, by name (DL/T 645-2007 Appendix A names). */
export const QUANTITIES: Readonly<Record<string, QuantitySpec>> = {
  phaseAVoltage: V, phaseBVoltage: V, phaseCVoltage: V,
  phaseACurrent: A, phaseBCurrent: A, phaseCCurrent: A,
  activePowerTotal: KW, phaseAActivePower: KW, phaseBActivePower: KW, phaseCActivePower: KW,
  powerFactorTotal: PF, phaseAPowerFactor: PF, phaseBPowerFactor: PF, phaseCPowerFactor: PF,
  frequency: { unit: 'Hz', scale: 100 },
  remainingAmount: FEN, overdraftAmount: FEN,
};

/** A block's member (phaseA, total, …) of a DL/T 645 block (voltageBlock, activePowerBlock, …) as a quantity name. */
export function blockQuantity(blockName: string, member: string): string | undefined {
  const what = blockName.replace(/Block$/, '');
  const capital = what[0]!.toUpperCase() + what.slice(1);
  const name = member === 'total' ? `${what}Total` : `${member}${capital}`;
  return name in QUANTITIES ? name : undefined;
}

/** One measured value in its natural unit (fen for money), at a time. */
export interface LiveValue {
  quantity: string;
  value: number;
}

/** The stored integer of a value; undefined for an unknown quantity or a value that is not finite. */
export function toStored(quantity: string, value: number): number | undefined {
  const spec = QUANTITIES[quantity];
  if (!spec || !Number.isFinite(value)) return undefined;
  return Math.round(value * spec.scale);
}

export function fromStored(quantity: string, stored: number): number {
  const spec = QUANTITIES[quantity];
  return spec ? stored / spec.scale : stored;
}

/** A concentrator reading's optional fields (src/mqtt/payload.ts) as live values. */
export function concentratorValues(r: { voltageV: number | null; currentA: number | null; powerKw: number | null; remainingFen: number | null; overdraftFen: number | null }): LiveValue[] {
  const out: LiveValue[] = [];
  if (r.voltageV !== null) out.push({ quantity: 'phaseAVoltage', value: r.voltageV });
  if (r.currentA !== null) out.push({ quantity: 'phaseACurrent', value: r.currentA });
  if (r.powerKw !== null) out.push({ quantity: 'activePowerTotal', value: r.powerKw });
  if (r.remainingFen !== null) out.push({ quantity: 'remainingAmount', value: r.remainingFen });
  if (r.overdraftFen !== null) out.push({ quantity: 'overdraftAmount', value: r.overdraftFen });
  return out;
}
