// Pseudo-terminal pairs from socat: both links appear, bytes cross, parity is chosen by device,
// and close() leaves nothing behind.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialPort } from 'serialport';
import { createPtyPair, isPseudoTerminal, serialOpenOptionsFor, type PtyPair } from '../../../simulators/pty.js';
import { expectWithin } from './head-end.js';

let pair: PtyPair | undefined;
const ports: SerialPort[] = [];
afterEach(async () => {
  for (const port of ports.splice(0)) if (port.isOpen) await new Promise((resolve) => port.close(resolve));
  await pair?.close();
  pair = undefined;
});

async function open(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 2400, parity: 'none', autoOpen: false });
  ports.push(port);
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  return port;
}

describe('createPtyPair', () => {
  it('links two pseudo-terminals that carry bytes both ways', async () => {
    pair = await createPtyPair();
    expect(await isPseudoTerminal(pair.a)).toBe(true);
    expect(await isPseudoTerminal(pair.b)).toBe(true);
    const a = await open(pair.a);
    const b = await open(pair.b);
    const got: Buffer[] = [];
    b.on('data', (chunk: Buffer) => got.push(chunk));
    a.write(Buffer.from([0x68, 0x16, 0xfe]));
    await expectWithin(() => Buffer.concat(got).equals(Buffer.from([0x68, 0x16, 0xfe])), 10_000, 'the bytes at the other end');
  });

  it('removes its links and directory on close, and close is idempotent', async () => {
    const made = await createPtyPair();
    const dir = dirname(made.a);
    expect(existsSync(made.a) && existsSync(made.b)).toBe(true);
    await made.close();
    await made.close();
    expect(existsSync(dir)).toBe(false);
  });

  it('names the missing package when socat cannot be found', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(createPtyPair()).rejects.toThrow(/apt-get install socat/);
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('serial framing by device', () => {
  it('uses no parity on a pty and 8E1 elsewhere', async () => {
    pair = await createPtyPair();
    expect(await serialOpenOptionsFor(pair.a, 2400)).toMatchObject({ parity: 'none', dataBits: 8, stopBits: 1 });
    expect(await serialOpenOptionsFor('/dev/ttyUSB-not-here', 2400)).toMatchObject({ parity: 'even' });
    expect(await isPseudoTerminal('/dev/null')).toBe(false);
  });
});
