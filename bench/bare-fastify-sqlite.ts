// The bare-stack reference: Fastify + one better-sqlite3 prepared read of an account row, no auth,
// no schemas, no logging. `--serve <dataDir>` runs the server (used by http-balance.ts as the
// reference in the same run); without arguments it measures itself with the same load generator,
// alternating with `--serve-node`: the same read behind Node's own http module, no framework at
// all — what one Node process on this machine can answer at most.
import { createServer } from 'node:http';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { join } from 'node:path';
import { emit, figure, log, size } from './lib/figures.js';
import { median, spread } from './lib/stats.js';
import { emptyRuns, measureInto, randomPaths } from './lib/load.js';
import { startBareServer } from './lib/bare.js';
import { accountId, seedFleet, tempDir } from './lib/seed.js';

async function serve(dataDir: string): Promise<void> {
  const db = new Database(join(dataDir, 'feikong.db'));
  db.pragma('journal_mode = WAL');
  const byId = db.prepare('SELECT * FROM accounts WHERE id = ?');
  const app = Fastify({ logger: false });
  app.get<{ Params: { id: string } }>('/v1/accounts/:id', async (request, reply) => {
    const row = byId.get(request.params.id);
    if (!row) return reply.status(404).send({ error: 'not found' });
    return row;
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  process.stdout.write(JSON.stringify({ listening: typeof address === 'object' && address ? address.port : 0 }) + '\n');
  process.once('SIGTERM', () => void app.close().then(() => {
    db.close();
    process.exit(0);
  }));
}

async function serveNode(dataDir: string): Promise<void> {
  const db = new Database(join(dataDir, 'feikong.db'));
  db.pragma('journal_mode = WAL');
  const byId = db.prepare('SELECT * FROM accounts WHERE id = ?');
  const prefix = '/v1/accounts/';
  const server = createServer((req, res) => {
    const row = req.url?.startsWith(prefix) ? byId.get(decodeURIComponent(req.url.slice(prefix.length))) : undefined;
    res.writeHead(row ? 200 : 404, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(row ?? { error: 'not found' }));
  });
  server.keepAliveTimeout = 72_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  process.stdout.write(JSON.stringify({ listening: typeof address === 'object' && address ? address.port : 0 }) + '\n');
  process.once('SIGTERM', () => server.close(() => {
    db.close();
    process.exit(0);
  }));
}

async function measure(): Promise<void> {
  const accounts = size(100_000, 1_000);
  const runs = size(3, 1);
  const durationS = size(10, 1);
  const connections = 100;
  const data = tempDir('bare');
  try {
    seedFleet(data.dir, accounts);
    const server = await startBareServer(data.dir);
    const node = await startBareServer(data.dir, 'node');
    const paths = randomPaths('/v1/accounts/', accountId, accounts);
    const spec = { url: server.url, paths, connections, durationS };
    const nodeSpec = { ...spec, url: node.url };
    try {
      if (runs > 1) {
        await measureInto(emptyRuns(), { ...spec, durationS: 3 }, server.pid);
        await measureInto(emptyRuns(), { ...nodeSpec, durationS: 3 }, node.pid);
      }
      const r = emptyRuns();
      const n = emptyRuns();
      for (let i = 0; i < runs; i++) {
        const one = await measureInto(r, spec, server.pid);
        log(`bare run ${i + 1}/${runs}: ${one.rps.toFixed(0)} req/s p99 ${one.p99Ms} ms, server CPU ${one.serverCpu.toFixed(0)} %, generator CPU ${one.loadgenCpu.toFixed(0)} %`);
        const plain = await measureInto(n, nodeSpec, node.pid);
        log(`node:http run ${i + 1}/${runs}: ${plain.rps.toFixed(0)} req/s p99 ${plain.p99Ms} ms, server CPU ${plain.serverCpu.toFixed(0)} %, generator CPU ${plain.loadgenCpu.toFixed(0)} %`);
      }
      emit([
        figure('bare-node-http-sqlite.rps', median(n.rps), 'req/s', null, { spread: spread(n.rps, 0), note: 'the same read behind node:http alone, no framework' }),
        figure('bare-node-http-sqlite.p99', median(n.p99Ms), 'ms', null, { spread: spread(n.p99Ms) }),
        figure('bare-node-http-sqlite.cpu-per-request', median(n.serverCpuUs), 'µs', null, { spread: spread(n.serverCpuUs, 0) }),
        figure('bare-fastify-sqlite.rps', median(r.rps), 'req/s', null, { spread: spread(r.rps, 0), note: `${connections} connections, ${accounts} accounts` }),
        figure('bare-fastify-sqlite.p99', median(r.p99Ms), 'ms', null, { spread: spread(r.p99Ms) }),
        figure('bare-fastify-sqlite.cpu-per-request', median(r.serverCpuUs), 'µs', null, { spread: spread(r.serverCpuUs, 0) }),
        figure('bare-fastify-sqlite.server-cpu', median(r.serverCpu), '% core', null, { spread: spread(r.serverCpu, 0) }),
        figure('bare-fastify-sqlite.loadgen-cpu', median(r.loadgenCpu), '% core', null, { spread: spread(r.loadgenCpu, 0) }),
      ]);
    } finally {
      await server.stop();
      await node.stop();
    }
  } finally {
    data.remove();
  }
}

const i = process.argv.indexOf('--serve');
const j = process.argv.indexOf('--serve-node');
if (i >= 0) await serve(process.argv[i + 1]!);
else if (j >= 0) await serveNode(process.argv[j + 1]!);
else await measure();
