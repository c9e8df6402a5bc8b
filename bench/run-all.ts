// Runs every benchmark (bench/*.ts but this file), one at a time, each in its own process, collects
// the figure lines each prints at the end of its stdout, and prints one table against the targets.
//
//   tsx bench/run-all.ts [--smoke] [--only a,b] [--json results.json] [--markdown]
//
// --smoke passes BENCH_SMOKE=1: every benchmark runs at tiny sizes, in seconds. Exits 1 when a
// benchmark fails or prints no figure (never because a target is missed). The daemon is built once
// here (bench/lib/build.ts) and every benchmark that starts one runs that same build.
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './lib/daemon.js';
import { buildDaemon, SHARED_BUILD_ENV } from './lib/build.js';
import { loadNow, log, parseFigures, type Figure } from './lib/figures.js';
import { footnotes, markdownTable, textTable } from './lib/table.js';

interface BenchResult {
  file: string;
  exitCode: number | null;
  seconds: number;
  figures: Figure[];
  stderrTail: string;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const smoke = process.argv.includes('--smoke');
const only = arg('--only')?.split(',');
const jsonOut = arg('--json');
const timeoutMs = smoke ? 180_000 : 3_600_000;

const files = readdirSync(join(ROOT, 'bench'))
  .filter((f) => f.endsWith('.ts') && f !== 'run-all.ts' && !f.endsWith('.d.ts'))
  .filter((f) => !only || only.some((o) => f.startsWith(o)))
  .sort();

const shared: Record<string, string> = process.env.BENCH_DAEMON === 'tsx' ? {} : { [SHARED_BUILD_ENV]: buildDaemon() };

function runOne(file: string): Promise<BenchResult> {
  const t0 = performance.now();
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join('bench', file)], {
    cwd: ROOT, env: { ...process.env, ...shared, ...(smoke ? { BENCH_SMOKE: '1' } : {}) }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 20_000) err = err.slice(-20_000);
    if (!smoke) process.stderr.write(d);
  });
  const timer = setTimeout(() => {
    log(`${file}: no result after ${timeoutMs / 1000} s, stopping it`);
    child.kill('SIGTERM');
  }, timeoutMs);
  return new Promise((resolve) => child.once('close', (code) => {
    clearTimeout(timer);
    resolve({ file, exitCode: code, seconds: (performance.now() - t0) / 1000, figures: parseFigures(out), stderrTail: err.slice(-2000) });
  }));
}

log(`${files.length} benchmarks${smoke ? ' (smoke sizes)' : ''}; ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load ${loadNow()}`);
const results: BenchResult[] = [];
for (const file of files) {
  log(`${file} …`);
  const r = await runOne(file);
  results.push(r);
  log(`${file}: exit ${r.exitCode}, ${r.figures.length} figures, ${r.seconds.toFixed(1)} s`);
  if (r.exitCode !== 0 || r.figures.length === 0) process.stderr.write(r.stderrTail + '\n');
}

const figures = results.flatMap((r) => r.figures);
const failed = results.filter((r) => r.exitCode !== 0 || r.figures.length === 0);
process.stdout.write('\n' + (process.argv.includes('--markdown') ? markdownTable(figures) : textTable(figures)) + '\n\n');
process.stdout.write(footnotes(figures) + '\n');
process.stdout.write(`\nload at end: ${loadNow()}\n`);
for (const r of failed) process.stdout.write(`FAILED ${r.file}: exit ${r.exitCode}, ${r.figures.length} figures\n`);
if (jsonOut) {
  writeFileSync(jsonOut, JSON.stringify({
    smoke, load: loadNow(), benchmarks: results.map(({ file, exitCode, seconds, figures: f, stderrTail }) => ({ file, exitCode, seconds, figures: f, ...(exitCode === 0 ? {} : { stderrTail }) })),
  }, null, 2));
}
process.exitCode = failed.length > 0 ? 1 : 0;
