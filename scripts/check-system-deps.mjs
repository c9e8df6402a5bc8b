#!/usr/bin/env node
// Runs before `npm test`: the tests drive real pseudo-terminals (socat) and a real Mosquitto
// broker. Says exactly what is missing and how to install it, instead of failing obscurely.
import { execFileSync } from 'node:child_process';

const needs = [
  { command: 'socat', pkg: 'socat', why: 'pseudo-terminal pairs for the serial-line tests' },
];

function has(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const missing = needs.filter((n) => !has(n.command));
if (missing.length > 0) {
  process.stderr.write('feikong tests need these Debian packages, which are not installed:\n');
  for (const m of missing) process.stderr.write(`  - ${m.pkg} (${m.command}): ${m.why}\n`);
  process.stderr.write(`Install them with:\n  sudo apt-get update && sudo apt-get install -y ${missing.map((m) => m.pkg).join(' ')}\n`);
  process.exit(1);
}
