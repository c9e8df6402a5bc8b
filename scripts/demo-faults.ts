// The demo's meters on its simulated DTU, and its command line: `--fault` makes one of them faulty
// on a schedule (the simulator's grammar, simulators/dlt645/fault-grammar.ts), named by its meter
// id or its address, so an integrator can rehearse faults with the daemon as it ships.
import { FAULT_HELP } from '../simulators/dlt645/fault-help.js';
import { FaultPlacementError, placeFaults, type PlacedFault } from '../simulators/dlt645/install-faults.js';
import { FaultSyntaxError } from '../simulators/dlt645/fault-grammar.js';

export const DEMO_DTU_METERS = [
  { id: 'meter-01', address: '000000000001', energyWh: 8_120_000, loadW: 3_000 },
  { id: 'meter-02', address: '000000000002', energyWh: 15_300_000, loadW: 60_000 },
  { id: 'meter-03', address: '000000000003', energyWh: 2_480_000, loadW: 60_000 },
  { id: 'meter-04', address: '000000000004', energyWh: 990_000, loadW: 10_000 },
  // Not in the seeded fleet: scripts/demo-meters.csv adds it with the CLI or the API.
  { id: 'meter-06', address: '000000000006', energyWh: 500_000, loadW: 2_000 },
] as const;

/** The meter behind the simulated concentrator: read over MQTT, not on the DTU. */
const CONCENTRATOR_METER = 'meter-05';

export const DEMO_HELP = `Usage: npm run demo -- [--fault METER=EFFECT[:ARG][,KEY=VALUE]...]... [--dir DIR]

Starts the daemon, a simulated DTU with meters meter-01..04 and meter-06 (addresses
000000000001..04 and 06), a simulated concentrator with meter-05, and the demo fleet.

Options:
  --fault SPEC          start a DTU meter faulty (repeatable); METER is its id (meter-03), its
                        address (000000000003), or all. The schedule starts with the demo.
  --dir DIR             where the demo keeps its configuration and database (default .demo;
                        made anew at every start)
  -h, --help            show this text

  npm run demo -- --fault meter-03=silent,for=30s --fault meter-01=refuse-reconnect

${FAULT_HELP.replace('a 12-digit address, or all (every meter on the bus)', 'a meter id (meter-03), a 12-digit address, or all')}`;

/** The faults of the command line, placed on the demo's DTU meters; `fail` is told what was wrong. */
export function demoFaults(texts: readonly string[], fail: (message: string) => never): PlacedFault[] {
  const names = new Map<string, string>(DEMO_DTU_METERS.map((m) => [m.id, m.address]));
  try {
    return placeFaults(texts, DEMO_DTU_METERS.map((m) => m.address), names);
  } catch (error) {
    if (error instanceof FaultPlacementError && texts.some((t) => t.startsWith(`${CONCENTRATOR_METER}=`))) {
      return fail(`--fault: ${CONCENTRATOR_METER} is behind the simulated concentrator dcu-1 (MQTT), not on the DTU; faults are for ${DEMO_DTU_METERS.map((m) => m.id).join(', ')}`);
    }
    if (error instanceof FaultSyntaxError || error instanceof FaultPlacementError) return fail(error.message);
    throw error;
  }
}
