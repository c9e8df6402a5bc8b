// A daemon polling simulated DL/T 645 meters over a pseudo-terminal pair: the simulator on one
// end, the daemon's serial bus on the other, the account and meters loaded from a seed file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPtyPair } from '../../simulators/pty.js';
import { startDlt645Bus, type SimBus, type SimMeterOptions } from '../../simulators/dlt645/index.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { Cleanup, type SeenRequest } from './helpers.js';

export const BUS = 'line-1';

/** Polling tuned for tests: Td max 250 ms (the simulator answers after 20 ms), Tb 150 ms. */
export const TEST_POLLING = { intervalMs: 300, responseDelayMaxMs: 250, interByteTimeoutMs: 150, retries: 1, timeSyncIntervalMs: 0 };

export interface PolledLine {
  fk: TestDaemon;
  sim: SimBus;
  seen: SeenRequest[];
}

export async function startPolledLine(cleanup: Cleanup, options: {
  meters: SimMeterOptions[];
  baudRate?: number;
  polling?: Record<string, unknown>;
}): Promise<PolledLine> {
  const baudRate = options.baudRate ?? 38_400;
  const pty = cleanup.add(await createPtyPair(), (p) => p.close());
  const seen: SeenRequest[] = [];
  const sim = cleanup.add(await startDlt645Bus({
    transport: { kind: 'serial', path: pty.a }, baudRate, responseDelayMs: 20, meters: options.meters,
    onEvent: (e) => {
      if (e.kind === 'request') seen.push(e);
    },
  }), (s) => s.close());
  // The meters are in the database from the start (a seed file), as on a daemon restart.
  const dir = cleanup.add(mkdtempSync(join(tmpdir(), 'feikong-seed-')), (d) => rmSync(d, { recursive: true, force: true }));
  const seedFile = join(dir, 'seed.json');
  writeFileSync(seedFile, JSON.stringify({
    accounts: [{ id: 'acc-1', name: 'Li Lei' }],
    meters: options.meters.map((m) => ({ id: `m-${m.address}`, accountId: 'acc-1', protocol: 'dlt645', busId: BUS, address: m.address })),
  }));
  const fk = cleanup.add(await startTestDaemon({
    seedFile,
    buses: [{ id: BUS, kind: 'serial', path: pty.b, baudRate }],
    polling: { ...TEST_POLLING, ...options.polling },
    engine: { sweepIntervalMs: 3_600_000 },
  }), (d) => d.stop());
  return { fk, sim, seen };
}

/** Sets a meter's DL/T 645 edition through the API. */
export async function setEdition(fk: TestDaemon, address: string, edition: '2007' | '1997' | 'auto'): Promise<void> {
  const res = await fk.api('PATCH', `/v1/meters/m-${address}`, { body: { edition } });
  if (res.status !== 200) throw new Error(`setting the edition of meter ${address}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Energy reads (2007 DI 00010000) each meter has answered or been asked, by address. */
export function energyReads(seen: SeenRequest[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of seen) if (r.di === 0x00010000) counts.set(r.address, (counts.get(r.address) ?? 0) + 1);
  return counts;
}
