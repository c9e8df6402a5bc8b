// Charging alone, in process: the readings of concentrator meters charged a meter's group at a
// time (recordReadings, as pending charging does), 100 meters per transaction, on a seeded SQLite
// database. The CPU time per reading (process.cpuUsage) moves far less with other work on the
// machine than the end-to-end ingest rate does, so it is the figure to compare charging code by.
// For each tariff (flat, a monthly ladder, peak/valley time of use) it prints the CPU and wall
// time per reading and the share of readings whose interval was split by time.
//
//   tsx bench/charging.ts        (BENCH_SMOKE=1 for a seconds-long check; BENCH_TARIFFS=flat,tou to choose;
//                                 BENCH_READING_OFFSET_S=420 takes readings 7 min past the quarter hours)
import { openDatabase } from '../src/db/connection.js';
import { createRepositories } from '../src/db/repo/index.js';
import { recordReadings } from '../src/ledger/reading-groups.js';
import { emit, figure, log, size, type Figure } from './lib/figures.js';
import { median, spread } from './lib/stats.js';
import { FLAT_TARIFF, meterId, seedFleet, tempDir, type SeedTariff } from './lib/seed.js';

const meters = size(2_000, 200);
const readingsPerGroup = 50;
const rounds = size(4, 2);
const runs = Number(process.env.BENCH_RUNS ?? 0) || size(3, 1);
const METERS_PER_TRANSACTION = 100;
const QUARTER_HOUR = 900_000;
const T0 = Date.parse('2026-01-31T00:00:00+08:00') + Number(process.env.BENCH_READING_OFFSET_S ?? 0) * 1000;

const TARIFFS: Record<string, SeedTariff> = {
  flat: FLAT_TARIFF,
  tiered: { id: 'monthly-ladder', name: 'monthly ladder', definition: { kind: 'tiered', period: 'month', steps: [{ upToKwh: 200, pricePerKwh: '0.588' }, { upToKwh: 450, pricePerKwh: '0.638' }, { pricePerKwh: '0.888' }] } },
  tou: { id: 'peak-valley', name: 'peak 08–22, valley', definition: { kind: 'tou', prices: { peak: '0.5683', flat: '0.5683', valley: '0.2883' }, bands: [{ band: 'peak', from: '08:00', to: '22:00' }, { band: 'valley', from: '22:00', to: '08:00' }] } },
};
const names = process.env.BENCH_TARIFFS?.split(',').map((s) => s.trim()) ?? Object.keys(TARIFFS);

/** One run: seeds, charges rounds × meters × readingsPerGroup readings; CPU µs and wall µs per reading, share split. */
function run(tariff: SeedTariff, meters: number) {
  const data = tempDir('charging');
  try {
    seedFleet(data.dir, meters, tariff);
    const db = openDatabase(data.dir);
    const repos = createRepositories(db);
    const ids = Array.from({ length: meters }, (_, i) => meterId(i));
    // The first reading of each meter sets its charging base (not measured).
    repos.transaction(() => { for (const id of ids) recordReadings(repos, repos.meters.get(id)!, [{ meterId: id, ts: T0, energyWh: 1_000_000 }], T0, 480); });
    let readings = 0;
    let split = 0;
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    for (let r = 0; r < rounds; r++) {
      for (let from = 0; from < meters; from += METERS_PER_TRANSACTION) {
        repos.transaction(() => {
          for (const id of ids.slice(from, from + METERS_PER_TRANSACTION)) {
            const inputs = Array.from({ length: readingsPerGroup }, (_, k) => {
              const n = r * readingsPerGroup + k + 1;
              return { meterId: id, ts: T0 + n * QUARTER_HOUR, energyWh: 1_000_000 + n * 137 };
            });
            const result = recordReadings(repos, repos.meters.get(id)!, inputs, inputs[inputs.length - 1]!.ts, 480) as { split?: number };
            readings += inputs.length;
            split += result.split ?? 0;
          }
        });
      }
    }
    const cpu = process.cpuUsage(cpu0);
    const wallUs = (performance.now() - wall0) * 1000;
    db.close();
    return { cpuUs: (cpu.user + cpu.system) / readings, wallUs: wallUs / readings, splitShare: split / readings };
  } finally {
    data.remove();
  }
}

const figures: Figure[] = [];
for (const name of names) if (!TARIFFS[name]) throw new Error(`BENCH_TARIFFS names no tariff "${name}" (known: ${Object.keys(TARIFFS).join(', ')})`);
for (const name of names) run(TARIFFS[name]!, Math.ceil(meters / 10)); // warm-up: every code path compiled
for (const name of names) {
  const tariff = TARIFFS[name]!;
  const results = Array.from({ length: runs }, () => run(tariff, meters));
  for (const r of results) log(`${name}: ${r.cpuUs.toFixed(2)} µs CPU, ${r.wallUs.toFixed(2)} µs wall per reading, ${(r.splitShare * 100).toFixed(2)} % split`);
  const cpu = results.map((r) => r.cpuUs);
  const wall = results.map((r) => r.wallUs);
  const note = `${meters} meters × ${rounds} rounds × ${readingsPerGroup} quarter-hourly readings, a meter's group at a time, ${METERS_PER_TRANSACTION} meters per transaction`;
  figures.push(figure(`charging.${name}.cpu-per-reading`, median(cpu), 'µs', null, { spread: spread(cpu, 2), note }));
  figures.push(figure(`charging.${name}.wall-per-reading`, median(wall), 'µs', null, { spread: spread(wall, 2) }));
  figures.push(figure(`charging.${name}.split-share`, median(results.map((r) => r.splitShare * 100)), '% of readings', null, {}));
}
emit(figures);
