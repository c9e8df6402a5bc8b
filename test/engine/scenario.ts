// Harness for the engine's scenario tests: a DL/T 645 bus simulator behind a TCP "DTU" on a free
// loopback port, a real daemon polling it, and one clock both of them read — set to any local
// time (nights, holidays, 03:00) while still running at real speed, so timeouts stay real.
import { startDlt645Bus, type SimBus } from '../../simulators/dlt645/bus.js';
import type { SimMeterOptions } from '../../simulators/dlt645/meter.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

export const BUS = 'dtu-1';

/** Wall-clock time shifted to a chosen instant; moves at real speed from there. */
export class TestClock {
  private offset: number;
  constructor(startIso: string) {
    this.offset = Date.parse(startIso) - Date.now();
  }
  readonly now = (): number => Date.now() + this.offset;
  set(iso: string): void {
    this.offset = Date.parse(iso) - Date.now();
  }
}

export interface Scenario {
  fk: TestDaemon;
  sim: SimBus;
  clock: TestClock;
  /** creates an account (levels in fen) and its meter on the bus; returns the meter id */
  supplyPoint(id: string, address: string, account: Record<string, unknown>, meter?: Record<string, unknown>): Promise<string>;
  /** posts a payment and returns the response body */
  pay(accountId: string, amountFen: number, txn: string): Promise<any>;
  stop(): Promise<void>;
}

export interface ScenarioOptions {
  at: string;
  meters: SimMeterOptions[];
  engine?: Record<string, unknown>;
  polling?: Record<string, unknown>;
  baudRate?: number;
}

export async function startScenario(options: ScenarioOptions): Promise<Scenario> {
  const clock = new TestClock(options.at);
  const baudRate = options.baudRate ?? 9600;
  const sim = await startDlt645Bus({ transport: { kind: 'tcp', port: 0 }, baudRate, responseDelayMs: 20, meters: options.meters, clock: clock.now });
  let fk: TestDaemon;
  try {
    fk = await startTestDaemon({
      buses: [{ id: BUS, kind: 'tcp', host: '127.0.0.1', port: sim.port, baudRate }],
      polling: { intervalMs: 300, ...options.polling },
      engine: {
        sweepIntervalMs: 200, graceMs: 0, confirmIntervalMs: 100, ...options.engine,
        safety: { minIntervalMs: 0, ...(options.engine?.safety as object | undefined) },
      },
    }, undefined, clock.now);
  } catch (err) {
    await sim.close();
    throw err;
  }
  return {
    fk, sim, clock,
    async supplyPoint(id, address, account, meter = {}) {
      const a = await fk.api('POST', '/v1/accounts', { body: { id, name: `Customer ${id}`, ...account } });
      if (a.status !== 201) throw new Error(`account ${id}: ${a.status} ${JSON.stringify(a.body)}`);
      const meterId = `m-${id}`;
      const m = await fk.api('POST', '/v1/meters', { body: { id: meterId, accountId: id, protocol: 'dlt645', busId: BUS, address, ...meter } });
      if (m.status !== 201) throw new Error(`meter ${meterId}: ${m.status} ${JSON.stringify(m.body)}`);
      return meterId;
    },
    async pay(accountId, amountFen, txn) {
      const r = await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId, channel: 'wechat', channelTxnId: txn, amountFen } });
      if (r.status !== 201) throw new Error(`payment ${txn}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
    async stop() {
      await fk.stop();
      await sim.close();
    },
  };
}

/** Control frames the simulated meter received, by action. */
export function controlsOf(sim: SimBus, address: string): string[] {
  return sim.meter(address).controls.map((c) => `${c.action}:${c.outcome}`);
}
