// Restore latency: a customer who was cut off pays; how long until the reconnect (0x1C N1 = 1C)
// is on the wire, and until the relay is confirmed closed by reading status word 3 back.
//
//   POST /v1/payments ─▶ commit ─▶ engine ─▶ command ─▶ bus ─▶ 1C frame at the meter (t1)
//        (t0)                                              ─▶ ack ─▶ read-back ─▶ confirmed (t2)
//
// The daemon runs in this process against a DL/T 645 simulator behind a TCP "DTU" on loopback,
// 2400 baud with Td = 30 ms, idle (no scheduled polls during the runs). Each run cuts the meter
// off by an operator's command first (which stands until the next payment), then pays.
// Figures: payment → 1C on the wire (p50, p99; target p99 ≤ 100 ms) and payment → relay confirmed
// closed (p50, p99; target p99 ≤ one bus round trip + 100 ms, the bus round trip being the
// measured 1C-at-the-meter → confirmed time of the same runs: two exchanges on the line).
//
// The same runs again with an ESAM meter (State Grid remote fee control: identity authentication
// 03H, then 0x1C encrypted under the session; the software security module, the simulator's
// ESAM): one more exchange on the bus before the 1C. Its figures are printed beside the plaintext
// ones, payment → 1C on the wire against 100 ms plus that exchange's line time (03H at the
// meter → 1C at the meter, measured in the same runs).
//
// Run alone: `npx tsx bench/restore-latency.ts` (BENCH_SMOKE=1 for a few runs).
import { startDlt645Bus } from '../simulators/dlt645/bus.js';
import { FunctionCode } from '../protocols/dlt645/index.js';
import { startTestDaemon } from '../test/helpers/daemon.js';
import { emit, figure, log, size } from './lib/figures.js';
import { percentile, spread } from './lib/stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? size(40, 5));
const WARMUP = size(3, 1);
const BAUD = 2400;
const ADDRESS = '000000000001';
const WIRE_TARGET_MS = 100;

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

interface Runs {
  wire: number[];
  confirmed: number[];
  bus: number[];
  /** ESAM: 03H at the meter → 1C at the meter (the authentication exchange on the line) */
  auth: number[];
  reconnectFrames: number;
}

async function measure(mode: 'plaintext' | 'esam'): Promise<Runs> {
  let wireAt = 0;
  let authAt = 0;
  const sim = await startDlt645Bus({
    transport: { kind: 'tcp', port: 0 }, baudRate: BAUD, responseDelayMs: 30,
    meters: [{ address: ADDRESS, ...(mode === 'esam' ? { esam: { keyVersion: 1 } } : {}) }],
    onEvent: (e) => {
      if (e.kind !== 'request' || e.address !== ADDRESS) return;
      if (e.functionCode === FunctionCode.Control) wireAt = performance.now();
      if (e.functionCode === FunctionCode.SecurityAuthentication) authAt = performance.now();
    },
  });
  const fk = await startTestDaemon({
    buses: [{ id: 'dtu-1', kind: 'tcp', host: '127.0.0.1', port: sim.port, baudRate: BAUD, ...(mode === 'esam' ? { dlt645: { security: { mode: 'esam', keyVersion: 1 } } } : {}) }],
    polling: { intervalMs: 86_400_000 },
    engine: { sweepIntervalMs: 3_600_000, confirmIntervalMs: 50, noCut: { nights: false, weekends: false, holidays: false } },
    ...(mode === 'esam' ? { security: { module: 'software' } } : {}),
  });
  try {
    const { daemon } = fk;
    let confirmedAt = 0;
    let confirmedAction = '';
    daemon.events.on('command-finished', (id) => {
      const c = daemon.repos.commands.get(id);
      if (c?.state === 'confirmed') {
        confirmedAt = performance.now();
        confirmedAction = c.action;
      }
    });
    const ok = async (p: Promise<{ status: number; body: unknown }>, what: string) => {
      const r = await p;
      if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    await ok(fk.api('POST', '/v1/accounts', { body: { id: 'acc-1', name: 'Zhang Wei', alarmLevel1Fen: 100, alarmLevel2Fen: 50, cutoffLevelFen: 0, restoreLevelFen: 0 } }), 'account');
    await ok(fk.api('POST', '/v1/meters', { body: { id: 'm-1', accountId: 'acc-1', protocol: 'dlt645', busId: 'dtu-1', address: ADDRESS } }), 'meter');
    await ok(fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'acc-1', channel: 'counter', channelTxnId: 'open', amountFen: 100_000 } }), 'opening payment');

    const runs: Runs = { wire: [], confirmed: [], bus: [], auth: [], reconnectFrames: 0 };
    for (let run = -WARMUP; run < RUNS; run++) {
      confirmedAt = 0;
      await ok(fk.api('POST', '/v1/meters/m-1/commands', { role: 'operator', body: { action: 'disconnect', reason: 'benchmark cut-off' } }), 'disconnect');
      await until(() => confirmedAt > 0 && confirmedAction === 'disconnect', 10_000, 'the cut-off');
      await new Promise((r) => setTimeout(r, 50)); // idle bus
      confirmedAt = 0;
      wireAt = 0;
      authAt = 0;
      const t0 = performance.now();
      await ok(fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'acc-1', channel: 'wechat', channelTxnId: `bench-${run}`, amountFen: 100 } }), 'payment');
      await until(() => confirmedAt > 0 && confirmedAction === 'reconnect', 10_000, 'the restore');
      if (run < 0) continue;
      runs.wire.push(wireAt - t0);
      runs.confirmed.push(confirmedAt - t0);
      runs.bus.push(confirmedAt - wireAt);
      if (mode === 'esam') runs.auth.push(wireAt - authAt);
    }
    runs.reconnectFrames = sim.meter(ADDRESS).controls.filter((c) => c.action === 'directClose').length;
    return runs;
  } finally {
    await fk.stop();
    await sim.close();
  }
}

async function main(): Promise<void> {
  const plain = await measure('plaintext');
  log(`${RUNS} restores measured (${plain.reconnectFrames} reconnect frames in all, warm-up included)`);
  const esam = await measure('esam');
  log(`${RUNS} ESAM restores measured (${esam.reconnectFrames} encrypted reconnect frames in all, warm-up included)`);
  const busP99 = percentile(plain.bus, 99);
  const esamBusP99 = percentile(esam.bus, 99);
  const authP99 = percentile(esam.auth, 99);
  emit([
    figure('restore_payment_to_wire_p50_ms', percentile(plain.wire, 50), 'ms', WIRE_TARGET_MS, { spread: spread(plain.wire), note: `payment request → 0x1C N1=1C at the meter, idle ${BAUD}-baud TCP DTU; reference = target p99` }),
    figure('restore_payment_to_wire_p99_ms', percentile(plain.wire, 99), 'ms', WIRE_TARGET_MS, { spread: spread(plain.wire), note: 'reference = target' }),
    figure('restore_payment_to_confirmed_p50_ms', percentile(plain.confirmed, 50), 'ms', busP99 + 100, { spread: spread(plain.confirmed), note: `payment request → relay confirmed closed by read-back, ${BAUD} baud, Td 30 ms; reference = bus round trip p99 + 100 ms` }),
    figure('restore_payment_to_confirmed_p99_ms', percentile(plain.confirmed, 99), 'ms', busP99 + 100, { spread: spread(plain.confirmed), note: 'reference = bus round trip p99 + 100 ms' }),
    figure('restore_bus_round_trip_p99_ms', busP99, 'ms', null, { spread: spread(plain.bus), note: '1C at the meter → confirmed: the 1C exchange and one status word 3 read on the line' }),
    figure('restore_esam_payment_to_wire_p99_ms', percentile(esam.wire, 99), 'ms', WIRE_TARGET_MS + authP99, { spread: spread(esam.wire), note: 'ESAM meter: payment request → encrypted 1C at the meter, after identity authentication (03H); reference = 100 ms + the authentication exchange p99' }),
    figure('restore_esam_authentication_exchange_p99_ms', authP99, 'ms', null, { spread: spread(esam.auth), note: '03H at the meter → encrypted 1C at the meter: the extra exchange on the line (request and reply wire time, Td, the security module)' }),
    figure('restore_esam_payment_to_confirmed_p99_ms', percentile(esam.confirmed, 99), 'ms', esamBusP99 + authP99 + 100, { spread: spread(esam.confirmed), note: 'ESAM meter: payment → relay confirmed closed; reference = authentication exchange p99 + bus round trip p99 + 100 ms' }),
  ]);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
