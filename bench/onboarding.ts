// Onboarding a fleet: the daemon in its own process on an empty database; a utility's files
// imported through POST /v1/import/…, as a data-migration engineer would: accounts (GBK, as Excel
// in China saves them, with an opening balance each, under a migration), then their concentrator
// meters (256 behind each concentrator), then the accounts file again in upsert mode (a re-run:
// every row unchanged). Figures: the time of each import, rows per second, and the daemon's RSS
// idle before and at its peak.
//
//   tsx bench/onboarding.ts                   (100,000 accounts and meters; BENCH_SMOKE=1: 2,000)
//   BENCH_ONBOARDING_ROWS=1000000 tsx bench/onboarding.ts   (one file of a million rows each)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { emit, figure, log, size, type Figure } from './lib/figures.js';
import { startDaemonProcess, type DaemonProcess } from './lib/daemon.js';
import { rssBytes, sampleProcess } from './lib/proc.js';
import { METERS_PER_CONCENTRATOR, seedFleet, tempDir } from './lib/seed.js';

const rows = Number(process.env.BENCH_ONBOARDING_ROWS ?? 0) || size(100_000, 2000);

const accountOf = (i: number) => `ob-${String(i).padStart(7, '0')}`;

function accountsCsv(n: number): Buffer {
  const lines = ['id,name,category,creditGrade,pricePerKwh,openingBalanceFen'];
  const surnames = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗';
  for (let i = 1; i <= n; i++) lines.push(`${accountOf(i)},${surnames[i % surnames.length]}${i % 97}号,residential,${'ABCD'[i % 4]},0.5283,${(i * 37) % 50_000}`);
  return iconv.encode(`${lines.join('\r\n')}\r\n`, 'gbk');
}

function metersCsv(n: number): Buffer {
  const lines = ['id,accountId,protocol,concentratorId,address'];
  for (let i = 1; i <= n; i++) lines.push(`obm-${String(i).padStart(7, '0')},${accountOf(i)},mqtt,dcu-${Math.floor((i - 1) / METERS_PER_CONCENTRATOR)},${String(i).padStart(12, '0')}`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

interface Imported {
  seconds: number;
  body: { created: number; updated: number; unchanged: number; refused: number; rows: number; errors: unknown[] };
}

async function post(daemon: DaemonProcess, key: string, path: string, file: Buffer, contentType: string): Promise<Imported> {
  const t0 = performance.now();
  const res = await fetch(`${daemon.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': contentType }, body: file });
  const body = await res.json() as Imported['body'];
  const seconds = (performance.now() - t0) / 1000;
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body).slice(0, 500)}`);
  if (body.refused > 0) throw new Error(`${path}: ${body.refused} rows refused, e.g. ${JSON.stringify(body.errors.slice(0, 3))}`);
  return { seconds, body };
}

const data = tempDir('onboarding');
const figures: Figure[] = [];
let daemon: DaemonProcess | null = null;
try {
  const { keys } = seedFleet(data.dir, 0);
  const accounts = accountsCsv(rows);
  const meters = metersCsv(rows);
  writeFileSync(join(data.dir, 'accounts.csv'), accounts);
  log(`files: ${rows} accounts (GBK, ${(accounts.length / 2 ** 20).toFixed(1)} MiB), ${rows} meters (${(meters.length / 2 ** 20).toFixed(1)} MiB)`);
  daemon = await startDaemonProcess({ dataDir: data.dir, env: { FEIKONG_ENGINE__SWEEP_INTERVAL_MS: '3600000', FEIKONG_IMPORT__MAX_UPLOAD_BYTES: String(2 ** 31) } });
  await new Promise((r) => setTimeout(r, size(2000, 200)));
  const idle = rssBytes(daemon.pid);
  const sample = sampleProcess(daemon.pid, 100);
  const a = await post(daemon, keys.admin, '/v1/import/accounts?migration=bench-wave', accounts, 'text/csv; charset=gbk');
  log(`accounts: ${a.body.created} created in ${a.seconds.toFixed(1)} s`);
  const m = await post(daemon, keys.admin, '/v1/import/meters', meters, 'text/csv');
  log(`meters: ${m.body.created} created in ${m.seconds.toFixed(1)} s`);
  const again = await post(daemon, keys.admin, '/v1/import/accounts?mode=upsert', accounts, 'text/csv; charset=gbk');
  log(`accounts again (upsert): ${again.body.unchanged} unchanged in ${again.seconds.toFixed(1)} s`);
  const proc = sample.stop();
  if (a.body.created !== rows || m.body.created !== rows || again.body.unchanged !== rows) throw new Error('not every row was imported as expected');
  const note = `${rows} rows a file, over HTTP, chunks of 1,000 rows`;
  figures.push(
    figure('onboarding.accounts', a.seconds, 's', null, { note: `${note}; GBK, opening balances, migration hold` }),
    figure('onboarding.meters', m.seconds, 's', null, { note }),
    figure('onboarding.total', a.seconds + m.seconds, 's', null, { note: `${rows} accounts + ${rows} meters` }),
    figure('onboarding.rows-per-s', (2 * rows) / (a.seconds + m.seconds), 'rows/s'),
    figure('onboarding.upsert-rerun', again.seconds, 's', a.seconds, { note: 'the accounts file again in upsert mode: every row unchanged; reference: its first import' }),
    figure('onboarding.daemon-rss-peak', proc.rssPeakBytes / 2 ** 20, 'MiB', idle / 2 ** 20, { note: 'reference: the idle daemon before the imports' }),
    figure('onboarding.daemon-cpu', proc.cpuPercent, '% of one core'),
  );
} finally {
  await daemon?.stop();
  data.remove();
}
emit(figures);
