#!/usr/bin/env node
// The container's health check: asks the daemon's /healthz on the port and address it is
// configured with (FEIKONG_CONFIG file and FEIKONG_* environment, as the daemon reads them), so
// moving the port moves the check too. Exits 0 when healthy, 1 otherwise. Needs the compiled
// daemon (dist/), as the image has it.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const timeoutMs = 4000;

try {
  const { loadConfig } = await import(pathToFileURL(join(root, 'dist', 'src', 'config', 'load.js')).href);
  const { http } = loadConfig({ env: process.env });
  // A wildcard listener answers on loopback; a specific address only on itself.
  const wildcard = ['0.0.0.0', '::', ''].includes(http.host);
  const host = wildcard ? '127.0.0.1' : http.host.includes(':') ? `[${http.host}]` : http.host;
  const scheme = http.tls ? 'https' : 'http';
  // The probe asks this machine's own daemon: its certificate names the public host, not loopback.
  if (http.tls) process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  const res = await fetch(`${scheme}://${host}:${http.port}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  process.stderr.write(`health check failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
