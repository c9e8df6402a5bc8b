// Starts a bare-stack reference server (bench/bare-fastify-sqlite.ts --serve: Fastify; --serve-node:
// Node's own http module, the floor under any Node framework) in its own process on a data
// directory and returns its URL and pid.
import type { ChildProcess } from 'node:child_process';
import { spawnTs } from './daemon.js';

export interface BareServer {
  child: ChildProcess;
  pid: number;
  url: string;
  stop(): Promise<void>;
}

export async function startBareServer(dataDir: string, stack: 'fastify' | 'node' = 'fastify'): Promise<BareServer> {
  const child = spawnTs('bench/bare-fastify-sqlite.ts', [stack === 'node' ? '--serve-node' : '--serve', dataDir]);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"listening":(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}: ${err}`)));
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child, pid: child.pid!, url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
