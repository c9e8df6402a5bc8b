// The daemon as production runs it (node dist/src/main.js, see Dockerfile): every .ts under src/
// and protocols/ transpiled to JavaScript (TypeScript's transpileModule, no type check) into a
// temporary tree whose other top-level entries (node_modules, migrations, registermaps, …) are
// links to the repository's, so the daemon finds its files as it does in dist/. A whole suite run
// builds once (BENCH_BUILD_DIR names the tree to reuse).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { ROOT } from './daemon.js';

const COMPILED = ['src', 'protocols'];
/** A tree built by a parent process (bench/run-all.ts) that this process may use as it is. */
export const SHARED_BUILD_ENV = 'BENCH_BUILD_DIR';
let built: string | null = null;

function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) yield p;
  }
}

/** Builds once per process; returns the tree's root (run `node <root>/src/main.js`). */
export function buildDaemon(): string {
  if (built) return built;
  // run-all builds once and hands the tree to every benchmark; its process removes it at exit.
  const shared = process.env[SHARED_BUILD_ENV];
  if (shared && existsSync(join(shared, 'src/main.js'))) return (built = shared);
  const out = mkdtempSync(join(tmpdir(), 'feikong-bench-build-'));
  process.once('exit', () => rmSync(out, { recursive: true, force: true }));
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, moduleResolution: ts.ModuleResolutionKind.Bundler,
    verbatimModuleSyntax: true, esModuleInterop: true, sourceMap: false,
  };
  for (const top of COMPILED) {
    for (const file of tsFiles(join(ROOT, top))) {
      const target = join(out, relative(ROOT, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: options, fileName: file }).outputText);
    }
  }
  for (const e of readdirSync(ROOT)) {
    if (COMPILED.includes(e) || e === '.git') continue;
    symlinkSync(join(ROOT, e), join(out, e));
  }
  built = out;
  return out;
}
