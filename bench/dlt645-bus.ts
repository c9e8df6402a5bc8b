// DL/T 645 bus throughput: how much of the line the driver uses. Simulated meters (the repo's
// simulator, replies paced at the baud rate after Td) on pseudo-terminals; the daemon's Bus,
// Dlt645Driver and serial transport on the other end, reading forward active energy (00010000)
// round-robin with the queue kept full, for a fixed time after a warm-up, several runs.
//
//   runs: 1 bus × 32 meters at 2400 baud · 1 bus × 32 meters at 9600 · 8 buses × 32 meters at 2400
//   theoretical = 1 / (request line time + Td + reply line time), line time = bytes × 11 / baud,
//   bytes including the 4 FE wake-up bytes the driver and the simulator send
//
// The simulators run in a child process (as meters are other devices), so their timers do not
// share the driver's event loop; --sims-in-process puts them in this one.
//
//   npx tsx bench/dlt645-bus.ts [--runs 3] [--seconds 8] [--warmup 2] [--td 30] [--sims-in-process]
//
// The line paces every exchange, so runs agree within about 1 %: 8 s (some 35 exchanges per bus
// at 2400 baud, timed first to last completion) after a 2 s warm-up is plenty.
//
// Ends with one JSON line per figure: {"name","value","unit","reference","ratio"}.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DataIdentifier, encodeReadRequest, encodeReadResponse } from '../protocols/dlt645/index.js';
import { serialTransport } from '../protocols/transports/serial.js';
import { Bus } from '../src/polling/bus.js';
import { Dlt645Driver } from '../src/polling/dlt645-driver.js';
import { startDlt645Bus, type SimBus } from '../simulators/dlt645/index.js';
import { emit, figure, log, size, type Figure } from './lib/figures.js';
import { median, spread } from './lib/stats.js';

const METERS = 32;
const SIM_PREAMBLE = 4;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

interface SimSpec { baudRate: number; responseDelayMs: number; meters: number }

const addresses = (bus: number, n: number) => Array.from({ length: n }, (_, i) => String(bus * 1000 + i + 1).padStart(12, '0'));

/** Starts one simulated bus per spec; returns the pty devices the head-end opens. */
async function startSimsHere(specs: SimSpec[]): Promise<{ devices: string[]; stop(): Promise<void> }> {
  const sims: SimBus[] = [];
  for (const [b, spec] of specs.entries()) {
    sims.push(await startDlt645Bus({
      transport: { kind: 'pty' }, baudRate: spec.baudRate, responseDelayMs: spec.responseDelayMs,
      meters: addresses(b, spec.meters).map((address) => ({ address, energyWh: 1_234_560 })),
    }));
  }
  return { devices: sims.map((s) => s.devicePath!), stop: async () => void (await Promise.all(sims.map((s) => s.close()))) };
}

/** The same, in a child process running this file with --serve-sims. */
async function startSimsInChild(specs: SimSpec[]): Promise<{ devices: string[]; stop(): Promise<void> }> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve-sims', JSON.stringify(specs)], {
    execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const devices = await new Promise<string[]>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { devices: string[] }).devices));
    child.once('exit', (code) => reject(new Error(`simulator process exited with ${code}`)));
  });
  return {
    devices,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function serveSims(specs: SimSpec[]): Promise<void> {
  const sims = await startSimsHere(specs);
  process.send!({ devices: sims.devices });
  const stop = () => void sims.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('disconnect', stop); // the benchmark process went away
}

interface RunResult { perBus: number[]; timeouts: number; errors: number }

/**
 * Polls energy on every bus for warm-up + duration; returns achieved transactions/s per bus,
 * measured between the first and the last completion inside the window (counting whole
 * completions in a fixed window would quantise the rate by one transaction per window).
 */
async function pollFor(drivers: Dlt645Driver[], warmupMs: number, durationMs: number): Promise<RunResult> {
  const t0 = performance.now() + warmupMs;
  const t1 = t0 + durationMs;
  const stamps: number[][] = drivers.map(() => []);
  let timeouts = 0;
  let errors = 0;
  const loops = drivers.map(async (driver, b) => {
    const meters = addresses(b, METERS);
    let next = 0;
    // Two readers per bus keep one exchange queued behind the one in flight.
    const reader = async () => {
      while (performance.now() < t1) {
        const address = meters[next++ % meters.length]!;
        try {
          await driver.readEnergyWh(address, 'poll');
          const at = performance.now();
          if (at >= t0 && at < t1) stamps[b]!.push(at);
        } catch (err) {
          if ((err as { code?: string }).code === 'BUS_TIMEOUT') timeouts++;
          else errors++;
        }
      }
    };
    await Promise.all([reader(), reader()]);
  });
  await Promise.all(loops);
  const perBus = stamps.map((s) => (s.length < 2 ? 0 : ((s.length - 1) * 1000) / (s[s.length - 1]! - s[0]!)));
  return { perBus, timeouts, errors };
}

/** Exchanges per second the line could carry for these frames and Td. */
function theoretical(baudRate: number, responseDelayMs: number): { perSecond: number; requestBytes: number; replyBytes: number } {
  const address = addresses(0, 1)[0]!;
  const requestBytes = encodeReadRequest(address, DataIdentifier.forwardActiveTotal).length;
  const replyBytes = SIM_PREAMBLE + encodeReadResponse(address, DataIdentifier.forwardActiveTotal, Buffer.alloc(4)).length;
  const lineMs = (bytes: number) => (bytes * 11 * 1000) / baudRate;
  return { perSecond: 1000 / (lineMs(requestBytes) + responseDelayMs + lineMs(replyBytes)), requestBytes, replyBytes };
}

async function scenario(name: string, buses: number, baudRate: number, o: { runs: number; seconds: number; warmup: number; td: number; inProcess: boolean }): Promise<Figure> {
  const specs = Array.from({ length: buses }, () => ({ baudRate, responseDelayMs: o.td, meters: METERS }));
  const sims = o.inProcess ? await startSimsHere(specs) : await startSimsInChild(specs);
  const busObjects = sims.devices.map((path, b) => new Bus(`bench-${b}`, baudRate, serialTransport({ path, baudRate, parity: 'auto' })));
  const drivers = busObjects.map((bus) => new Dlt645Driver(bus, { responseDelayMaxMs: 500, retries: 1, utcOffsetMinutes: 480 }));
  for (const bus of busObjects) bus.start();
  const theory = theoretical(baudRate, o.td);
  const perRun: number[] = [];
  const allBuses: number[] = [];
  try {
    for (let run = 0; run < o.runs; run++) {
      const r = await pollFor(drivers, o.warmup * 1000, o.seconds * 1000);
      const mean = r.perBus.reduce((a, b) => a + b, 0) / r.perBus.length;
      perRun.push(mean);
      allBuses.push(...r.perBus);
      log(`${name} run ${run + 1}/${o.runs}: ${mean.toFixed(3)} tx/s per bus (min ${Math.min(...r.perBus).toFixed(3)}), ` +
        `${r.timeouts} timeouts, ${r.errors} errors; theoretical ${theory.perSecond.toFixed(3)} (${((mean / theory.perSecond) * 100).toFixed(1)} %)`);
    }
  } finally {
    await Promise.all(busObjects.map((b) => b.close()));
    await sims.stop();
  }
  const value = median(perRun);
  log(`${name}: median ${value.toFixed(3)} tx/s per bus, spread ${spread(perRun, 3)}; per-bus ${spread(allBuses, 3)}; ` +
    `theoretical ${theory.perSecond.toFixed(3)} (request ${theory.requestBytes} B, Td ${o.td} ms, reply ${theory.replyBytes} B at ${baudRate} baud); ` +
    `ratio ${((value / theory.perSecond) * 100).toFixed(1)} %`);
  return figure(name, Number(value.toFixed(4)), 'tx/s per bus', Number(theory.perSecond.toFixed(4)), {
    spread: spread(perRun, 3),
    note: `${buses} bus(es) × ${METERS} meters, ${baudRate} baud, Td ${o.td} ms, energy reads, ${o.seconds} s after ${o.warmup} s warm-up`,
  });
}

async function main(): Promise<void> {
  const serve = process.argv.indexOf('--serve-sims');
  if (serve >= 0) return serveSims(JSON.parse(process.argv[serve + 1]!) as SimSpec[]);
  const o = {
    runs: arg('runs', size(3, 1)), seconds: arg('seconds', size(8, 3)), warmup: arg('warmup', size(2, 1)), td: arg('td', 30),
    inProcess: process.argv.includes('--sims-in-process'),
  };
  const figures: Figure[] = [];
  figures.push(await scenario('dlt645-bus.2400-baud.1x32.tps', 1, 2400, o));
  figures.push(await scenario('dlt645-bus.9600-baud.1x32.tps', 1, 9600, o));
  figures.push(await scenario('dlt645-bus.2400-baud.8x32.tps', 8, 2400, o));
  emit(figures);
}

await main();
