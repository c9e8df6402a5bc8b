#!/usr/bin/env node
// Builds the operator console: bundles src/main.ts and styles.css with esbuild (no CDN, no
// framework) into dist/ (`npm run build:console`), or into memory for the daemon when dist/ is
// missing (`buildConsole({ write: false })`).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));

/** Returns { 'index.html', 'app.js', 'app.css' } as Buffers; writes them to dist/ when `write`. */
export async function buildConsole({ write = true } = {}) {
  const common = { bundle: true, minify: true, write: false, logLevel: 'silent', legalComments: 'none' };
  const [js, css] = await Promise.all([
    build({ ...common, entryPoints: [join(here, 'src', 'main.ts')], format: 'esm', target: ['chrome110', 'firefox110', 'safari16'], outfile: 'app.js' }),
    build({ ...common, entryPoints: [join(here, 'styles.css')], outfile: 'app.css' }),
  ]);
  const files = {
    'index.html': readFileSync(join(here, 'index.html')),
    'app.js': Buffer.from(js.outputFiles[0].contents),
    'app.css': Buffer.from(css.outputFiles[0].contents),
  };
  if (write) {
    const dist = join(here, 'dist');
    mkdirSync(dist, { recursive: true });
    for (const [name, body] of Object.entries(files)) writeFileSync(join(dist, name), body);
  }
  return files;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = await buildConsole({ write: true });
  const sizes = Object.entries(files).map(([n, b]) => `${n} ${(b.length / 1024).toFixed(1)} KiB`).join(', ');
  process.stdout.write(`console built into console/dist/: ${sizes}\n`);
}
