// The benchmark suite runs: `bench/run-all.ts --smoke` runs every benchmark at tiny sizes, and
// each must exit 0 and print at least one figure line. Nothing here judges speed.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'feikong-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Summary {
  smoke: boolean;
  benchmarks: Array<{ file: string; exitCode: number | null; figures: Array<{ name: string; value: number; unit: string }>; stderrTail?: string }>;
}

describe('benchmark suite (smoke sizes)', () => {
  it('runs every benchmark, each exiting 0 with at least one figure', async () => {
    const out = join(dir, 'results.json');
    const expected = readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.ts') && f !== 'run-all.ts' && !f.endsWith('.d.ts')).sort();
    let log = '';
    const child = spawn(join(root, 'node_modules/.bin/tsx'), ['bench/run-all.ts', '--smoke', '--json', out], {
      cwd: root, env: { ...process.env, BENCH_SMOKE: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('close', r));

    const summary = JSON.parse(readFileSync(out, 'utf8')) as Summary;
    expect(summary.smoke).toBe(true);
    expect(summary.benchmarks.map((b) => b.file).sort()).toEqual(expected);
    for (const b of summary.benchmarks) {
      expect({ file: b.file, exitCode: b.exitCode }, b.stderrTail ?? log.slice(-4000)).toEqual({ file: b.file, exitCode: 0 });
      expect(b.figures.length, `${b.file} printed no figure`).toBeGreaterThan(0);
    }
    expect(code).toBe(0);
  }, 600_000);
});
