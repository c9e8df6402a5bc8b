#!/usr/bin/env node
// Runs before `npm test`: the tests drive real pseudo-terminals (socat) and a real Mosquitto
// broker. Says exactly what is missing and how to install it, instead of failing obscurely.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const needs = [
  { command: 'socat', pkg: 'socat', why: 'pseudo-terminal pairs for the serial-line tests' },
  { command: 'chromium', pkg: 'chromium', why: 'headless browser for the operator console test (test/console)' },
  {
    command: '/usr/bin/python3', pkg: 'python3-pymodbus', why: 'an independent Modbus TCP meter for the interop test (test/scenario/modbus.test.ts)',
    check: "/usr/bin/python3 -c 'import pymodbus'",
  },
  {
    // What test/fixtures/modbus-pymodbus-meter.py imports: pymodbus's server module needs
    // serial_asyncio, which python3-pymodbus only recommends (skipped by --no-install-recommends).
    command: '/usr/bin/python3', pkg: 'python3-serial-asyncio', why: "pymodbus's server module (pymodbus.server.async_io) imports serial_asyncio",
    check: "/usr/bin/python3 -c 'import serial_asyncio; import pymodbus.server.async_io'",
  },
  {
    command: 'sh', pkg: 'mosquitto', why: 'a real external MQTT broker for the concentrator tests (test/mqtt)',
    check: '[ -x /usr/sbin/mosquitto ] || command -v mosquitto',
  },
  { command: 'mosquitto_pub', pkg: 'mosquitto-clients', why: "Mosquitto's own clients, as independent peers in the MQTT authentication tests (test/mqtt)" },
  {
    command: 'sh', pkg: 'postgresql', why: 'a private PostgreSQL server for the PostgreSQL schema and ledger tests (test/db/pg)',
    check: 'ls /usr/lib/postgresql/*/bin/postgres',
  },
];

function passes(check) {
  try {
    execFileSync('sh', ['-c', check], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function has(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const missing = needs.filter((n) => !has(n.command) || (n.check !== undefined && !passes(n.check)));
if (missing.length > 0) {
  process.stderr.write('feikong tests need these Debian packages, which are not installed:\n');
  for (const m of missing) process.stderr.write(`  - ${m.pkg} (${m.command}): ${m.why}\n`);
  process.stderr.write(`Install them with:\n  sudo apt-get update && sudo apt-get install -y ${missing.map((m) => m.pkg).join(' ')}\n`);
  process.exit(1);
}

// The suite's PostgreSQL run needs the daemon's PostgreSQL binding, the optional npm package libpq,
// which `npm ci` builds only where PostgreSQL's client headers (libpq-dev) are installed.
try {
  createRequire(import.meta.url).resolve('libpq');
} catch {
  process.stderr.write('feikong tests run on PostgreSQL too, and need the optional npm package libpq, which is not installed.\n'
    + 'It builds from source with PostgreSQL\'s client headers. Install them, then the package:\n'
    + '  sudo apt-get update && sudo apt-get install -y libpq-dev && npm install libpq\n');
  process.exit(1);
}
