// Puts the faults of a command line on the meters of a running bus: resolves each fault's meter
// (an address, `all`, or a name the caller knows, such as the demo's meter ids), then installs the
// behaviours so that a meter's faults are asked in the order they were given.
import type { SimBus } from './bus.js';
import { formatFault, parseFault, type FaultSpec } from './fault-grammar.js';
import { faultBehaviour } from './faults.js';

export interface PlacedFault {
  spec: FaultSpec;
  /** The meters it is put on. */
  addresses: string[];
}

export class FaultPlacementError extends Error {
  readonly code = 'FAULT_METER_UNKNOWN';
}

/**
 * Parses `texts` and resolves their meters among `addresses`; `names` maps other words (meter
 * ids) to addresses. Throws FaultSyntaxError or FaultPlacementError naming what was wrong.
 */
export function placeFaults(texts: readonly string[], addresses: readonly string[], names: ReadonlyMap<string, string> = new Map()): PlacedFault[] {
  return texts.map((text) => {
    const spec = parseFault(text);
    if (spec.meter === 'all') return { spec, addresses: [...addresses] };
    const address = names.get(spec.meter) ?? spec.meter;
    if (addresses.includes(address)) return { spec, addresses: [address] };
    const known = [...[...names].filter(([, a]) => addresses.includes(a)).map(([n, a]) => `${n} (${a})`), ...addresses.filter((a) => ![...names.values()].includes(a))];
    throw new FaultPlacementError(`--fault '${text}': meter: no meter ${spec.meter} on this bus; the meters are ${known.join(', ')}, or all`);
  });
}

export interface InstallOptions {
  clock?: () => number;
  /** Told of every request a fault acted on. */
  onHit?: (address: string, fault: string, hit: number) => void;
}

/** Installs the faults (schedules start now) and returns, per meter and fault, the fault as `--fault` writes it for that one meter. */
export function installFaults(bus: SimBus, faults: readonly PlacedFault[], options: InstallOptions = {}): { address: string; text: string }[] {
  const lines: { address: string; text: string }[] = [];
  // addBehaviour puts a behaviour first: install the last fault first, so the first given is asked first.
  for (const fault of [...faults].reverse()) {
    for (const address of fault.addresses) {
      const text = formatFault({ ...fault.spec, meter: address });
      const meter = bus.meter(address);
      meter.addBehaviour(faultBehaviour(fault.spec, {
        ...(options.clock ? { clock: options.clock } : {}),
        onHit: (hit) => options.onHit?.(address, text, hit),
      }));
      lines.unshift({ address, text });
    }
  }
  return lines;
}
