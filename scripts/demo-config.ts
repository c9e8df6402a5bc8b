// The demo's configuration, kept in a file (.demo/feikong.json) that the demo's daemon loads and
// that the CLI loads too (FEIKONG_CONFIG): both see the same database and the same bus, so a
// meter the API accepts on the demo's DTU, `feikong import meters` accepts as well.
//
// The demo shows a cut-off within a minute, at any hour: it turns the no-cut windows off (nights,
// weekends and public holidays, on by default: engine.noCut) and shortens the grace between the
// second warning and the cut-off from a day to 15 s. A real installation keeps both.
import { writeFileSync } from 'node:fs';

/** The simulated TCP serial server (DTU) the demo's meters sit behind. */
export const DEMO_BUS = 'dtu-1';
export const DEMO_GRACE_MS = 15_000;

export interface DemoSetup {
  /** directory of the demo's SQLite database */
  dataDir: string;
  /** the simulated DTU's TCP port on loopback */
  simPort: number;
  /** the demo fleet (scripts/demo-fleet.json) */
  seedFile: string;
}

/** The configuration file's content: what differs from the defaults, and why, is in the header above. */
export function demoConfig(setup: DemoSetup): Record<string, unknown> {
  return {
    dataDir: setup.dataDir,
    seedFile: setup.seedFile,
    buses: [{ id: DEMO_BUS, kind: 'tcp', host: '127.0.0.1', port: setup.simPort, baudRate: 9600 }],
    polling: { intervalMs: 3000 },
    engine: { sweepIntervalMs: 5000, graceMs: DEMO_GRACE_MS, noCut: { nights: false, weekends: false, holidays: false } },
  };
}

export function writeDemoConfig(file: string, config: Record<string, unknown>): void {
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
}
