// The operator console: static files built from console/ (npm run build:console writes them to
// console/dist/). When console/dist/ is missing the console is built in memory on the first
// request (esbuild, a few hundred ms) so a fresh checkout works without a build step.
// Strict Content-Security-Policy: the console loads nothing but its own files.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../../errors.js';

const FILES = { 'index.html': 'text/html; charset=utf-8', 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' } as const;
type FileName = keyof typeof FILES;
type Assets = Record<FileName, Buffer>;

const HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** console/ at the package root (its source, or only its dist/ in an image), found from src/ or compiled dist/src/. */
export function consoleDir(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'console');
    if (existsSync(join(candidate, 'build.mjs')) || existsSync(join(candidate, 'dist', 'index.html'))) return candidate;
    dir = resolve(dir, '..');
  }
  return null;
}

async function loadAssets(): Promise<Assets> {
  const root = consoleDir();
  if (!root) throw new AppError('NOT_FOUND', 'the operator console is not installed with this daemon');
  const dist = join(root, 'dist');
  if (Object.keys(FILES).every((f) => existsSync(join(dist, f)))) {
    return Object.fromEntries(Object.keys(FILES).map((f) => [f, readFileSync(join(dist, f))])) as Assets;
  }
  const { buildConsole } = (await import(pathToFileURL(join(root, 'build.mjs')).href)) as { buildConsole(o: { write: boolean }): Promise<Record<string, Buffer>> };
  return (await buildConsole({ write: false })) as Assets;
}

export const consoleRoutes: FastifyPluginAsync = async (app) => {
  let assets: Promise<Assets> | null = null;
  const serve = (file: FileName) => async (_request: unknown, reply: import('fastify').FastifyReply) => {
    assets ??= loadAssets();
    let loaded: Assets;
    try {
      loaded = await assets;
    } catch (err) {
      assets = null;
      throw err;
    }
    return reply.headers({ ...HEADERS, 'content-type': FILES[file] }).send(loaded[file]);
  };
  app.get('/', { schema: { hide: true } }, serve('index.html'));
  app.get('/console/app.js', { schema: { hide: true } }, serve('app.js'));
  app.get('/console/app.css', { schema: { hide: true } }, serve('app.css'));
};
