// Shared pieces for the bus tests: simulated DL/T 645 meters on a pseudo-terminal (or a TCP DTU)
// with a log of the requests they saw, the daemon's Bus and driver on the other end, and one
// place that stops everything a test started.
import { serialTransport } from '../../protocols/transports/serial.js';
import { tcpTransport } from '../../protocols/transports/tcp.js';
import { Bus, type BusOptions } from '../../src/polling/bus.js';
import { Dlt645Driver } from '../../src/polling/dlt645-driver.js';
import { startDlt645Bus, type Dlt645BusOptions, type SimBus, type SimBusEvent } from '../../simulators/dlt645/index.js';

export const address = (n: number): string => String(n).padStart(12, '0');

export type SeenRequest = Extract<SimBusEvent, { kind: 'request' }>;

/** Things to stop after a test, newest first. */
export class Cleanup {
  private readonly stops: Array<() => Promise<unknown> | unknown> = [];
  add<T>(thing: T, stop: (t: T) => Promise<unknown> | unknown): T {
    this.stops.push(() => stop(thing));
    return thing;
  }
  async run(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) await stop();
  }
}

export interface SimOptions extends Partial<Omit<Dlt645BusOptions, 'onEvent'>> {
  meters: Dlt645BusOptions['meters'];
}

/** Simulated meters on a pty (default) or TCP; `seen` lists every request frame they got. */
export async function startSim(cleanup: Cleanup, options: SimOptions): Promise<{ sim: SimBus; seen: SeenRequest[] }> {
  const seen: SeenRequest[] = [];
  const sim = await startDlt645Bus({
    transport: { kind: 'pty' }, baudRate: 9600, responseDelayMs: 20, ...options,
    onEvent: (e) => {
      if (e.kind === 'request') seen.push(e);
    },
  });
  cleanup.add(sim, (s) => s.close());
  return { sim, seen };
}

/** Short timeouts for tests (the simulator answers after 20 ms): Tb 150 ms, quick reconnects. */
export const TEST_BUS_OPTIONS: Partial<BusOptions> = { latencyMs: 20, interByteTimeoutMs: 150, reconnectMinMs: 50, reconnectMaxMs: 200, linkWaitMs: 5000 };
/** Td max for tests: well above the simulator's 20 ms, so a loaded machine does not time out. */
export const TEST_TD_MAX_MS = 250;

export function serialBus(cleanup: Cleanup, path: string, baudRate: number, options: Partial<BusOptions> = {}, retries = 1): { bus: Bus; driver: Dlt645Driver; errors: Error[] } {
  const errors: Error[] = [];
  const bus = cleanup.add(new Bus('test-line', baudRate, serialTransport({ path, baudRate, parity: 'auto' }), (e) => errors.push(e), { ...TEST_BUS_OPTIONS, ...options }), (b) => b.close());
  bus.start();
  return { bus, driver: new Dlt645Driver(bus, { responseDelayMaxMs: TEST_TD_MAX_MS, retries, utcOffsetMinutes: 480 }), errors };
}

export function tcpBus(cleanup: Cleanup, port: number, baudRate: number, options: Partial<BusOptions> = {}): { bus: Bus; driver: Dlt645Driver; errors: Error[] } {
  const errors: Error[] = [];
  const bus = cleanup.add(new Bus('test-dtu', baudRate, tcpTransport({ host: '127.0.0.1', port, baudRate, connectTimeoutMs: 1000 }), (e) => errors.push(e), { ...TEST_BUS_OPTIONS, ...options }), (b) => b.close());
  bus.start();
  return { bus, driver: new Dlt645Driver(bus, { responseDelayMaxMs: TEST_TD_MAX_MS, retries: 0, utcOffsetMinutes: 480 }), errors };
}

/** Promise outcome without throwing: the value or the error. */
export async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: Error & { code?: string; context?: Record<string, unknown> } }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error: error as Error & { code?: string } };
  }
}
