// DL/T 645 collection with a reading profile: 32 meters on one 2,400-baud line, each read with a
// 4-DI profile (energy 00010000, status word 3, phase A voltage and current) by the daemon's own
// reader, driver and bus over a pseudo-terminal, the simulated meters pacing their replies at the
// line rate after Td. Every meter of the line is queued at once, as a poll cycle does.
//
//   figures: the time to collect the line once (all 32 meters × 4 DIs), and the exchanges per
//   second against what the line could carry for exactly these frames:
//     theoretical = exchanges / Σ (request line time + Td + reply line time),
//     line time = bytes × 11 / baud, bytes including the wake-up bytes both sides send
//   so the ratio is the bus utilisation: the share of the line the head-end keeps busy.
//
//   npx tsx bench/dlt645-profile.ts [--cycles 3] [--td 30] [--meters 32]
//
// Ends with one JSON line per figure: {"name","value","unit","reference","ratio"}.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PREAMBLE, DataIdentifier as DI, encodeReadRequest, encodeReadResponse } from '../protocols/dlt645/index.js';
import { serialTransport } from '../protocols/transports/serial.js';
import type { MeterRow } from '../src/db/repo/index.js';
import { Bus } from '../src/polling/bus.js';
import { Dlt645Driver } from '../src/polling/dlt645-driver.js';
import { Dlt645Reader } from '../src/polling/dlt645-reader.js';
import { Profiles, profilesDirectory } from '../src/profiles.js';
import { startDlt645Bus } from '../simulators/dlt645/index.js';
import { emit, figure, log, size } from './lib/figures.js';
import { median, spread } from './lib/stats.js';

const BAUD = 2400;
const SIM_PREAMBLE = 4;
const PROFILE_DIS = [DI.forwardActiveTotal, DI.statusWord3, DI.phaseAVoltage, DI.phaseACurrent];
const PAYLOAD_BYTES: Record<number, number> = { [DI.forwardActiveTotal]: 4, [DI.statusWord3]: 2, [DI.phaseAVoltage]: 2, [DI.phaseACurrent]: 3 };

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Seconds the line needs for one collection of `meters` meters with these frames and Td. */
function theoreticalCycleMs(meters: number, td: number): number {
  const address = '000000000001';
  const lineMs = (bytes: number) => (bytes * 11 * 1000) / BAUD;
  let ms = 0;
  for (const di of PROFILE_DIS) {
    const request = encodeReadRequest(address, di, { preamble: DEFAULT_PREAMBLE }).length;
    const reply = SIM_PREAMBLE + encodeReadResponse(address, di, Buffer.alloc(PAYLOAD_BYTES[di]!)).length;
    ms += lineMs(request) + td + lineMs(reply);
  }
  return ms * meters;
}

async function main(): Promise<void> {
  const cycles = arg('cycles', size(3, 1));
  const td = arg('td', 30);
  const meters = arg('meters', size(32, 4));
  const dir = mkdtempSync(join(tmpdir(), 'feikong-bench-profiles-'));
  cpSync(profilesDirectory(undefined), dir, { recursive: true });
  writeFileSync(join(dir, 'bench-4di.json'), JSON.stringify({
    name: 'bench-4di', edition: '2007', model: 'a four-DI remote fee-control poll', source: 'DL/T 645-2007 Appendix A',
    energy: { di: '00010000', section: 'DL/T 645-2007 Appendix A, Table A.1: 00010000' },
    statusWords: [{ di: '04000503', section: 'DL/T 645-2007 Appendix A, Table A.5: 04000503' }],
    values: [{ di: '02010100', section: 'DL/T 645-2007 Appendix A, Table A.3: 02010100' }, { di: '02020100', section: 'DL/T 645-2007 Appendix A, Table A.3: 02020100' }],
  }));
  const profiles = Profiles.load(dir);
  const addresses = Array.from({ length: meters }, (_, i) => String(i + 1).padStart(12, '0'));
  const sim = await startDlt645Bus({
    transport: { kind: 'pty' }, baudRate: BAUD, responseDelayMs: td,
    meters: addresses.map((address) => ({ address, energyWh: 1_234_560, loadW: 500, voltageV: 220.3 })),
  });
  const bus = new Bus('bench-line', BAUD, serialTransport({ path: sim.devicePath!, baudRate: BAUD, parity: 'auto' }));
  bus.start();
  const driver = new Dlt645Driver(bus, { responseDelayMaxMs: 500, retries: 1, utcOffsetMinutes: 480 });
  const reader = new Dlt645Reader(driver, { readTou: false, profiles, busProfile: 'bench-4di', missedRetryMs: 3_600_000, backfillDaysMax: 62, utcOffsetMinutes: 480 });
  const rows = addresses.map((address) => ({ id: `m-${address}`, address, protocol: 'dlt645', edition: '2007', profile: null, online: 1 }) as MeterRow);
  const theoryMs = theoreticalCycleMs(meters, td);
  const durations: number[] = [];
  let misses = 0;
  try {
    // One warm-up read opens the port.
    await reader.read(rows[0]!, 'poll');
    for (let c = 0; c < cycles; c++) {
      const t0 = performance.now();
      const results = await Promise.all(rows.map((m) => reader.read(m, 'poll')));
      const ms = performance.now() - t0;
      durations.push(ms);
      misses += results.reduce((n, r) => n + (r.dataIdentifiers ?? []).filter((d) => !d.answered).length, 0);
      log(`cycle ${c + 1}/${cycles}: ${meters} meters × ${PROFILE_DIS.length} DIs in ${(ms / 1000).toFixed(2)} s; ` +
        `theoretical ${(theoryMs / 1000).toFixed(2)} s (${((theoryMs / ms) * 100).toFixed(1)} % of the line)`);
    }
  } finally {
    await bus.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const cycleMs = median(durations);
  const exchanges = meters * PROFILE_DIS.length;
  log(`median ${(cycleMs / 1000).toFixed(2)} s to collect the line, spread ${spread(durations.map((d) => d / 1000), 2)} s; ${misses} DIs not answered; ` +
    `utilisation ${((theoryMs / cycleMs) * 100).toFixed(1)} %`);
  const note = `1 line × ${meters} meters, ${BAUD} baud, Td ${td} ms, profile of 4 DIs (00010000, 04000503, 02010100, 02020100), ${cycles} collections`;
  emit([
    figure(`dlt645-profile.${BAUD}-baud.1x${meters}.4di.collect-seconds`, Number((cycleMs / 1000).toFixed(3)), 's to collect the line once', Number((theoryMs / 1000).toFixed(3)), { spread: spread(durations.map((d) => d / 1000), 2), note }),
    figure(`dlt645-profile.${BAUD}-baud.1x${meters}.4di.tps`, Number((exchanges / (cycleMs / 1000)).toFixed(4)), 'exchanges/s', Number((exchanges / (theoryMs / 1000)).toFixed(4)), { note }),
  ]);
}

await main();
