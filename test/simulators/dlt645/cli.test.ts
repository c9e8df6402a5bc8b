// The feikong-sim launcher end to end: start it on a free TCP port, read a meter through it, see
// the request logged, stop it with SIGTERM; a meter made faulty from the command line.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DataIdentifier, decodeControlResponse } from '../../../protocols/dlt645/index.js';
import { EsamExchanges } from '../../../src/security/esam-exchanges.js';
import { SoftwareSecurityModule } from '../../../src/security/software-module.js';
import { HeadEnd, expectWithin } from './head-end.js';
import { METER_1, controlRequest, energyOf, METER_2, readRequest } from './fixtures.js';

const BIN = fileURLToPath(new URL('../../../bin/feikong-sim.mjs', import.meta.url));

let child: ChildProcess | undefined;
let headEnd: HeadEnd | undefined;
afterEach(async () => {
  await headEnd?.close();
  headEnd = undefined;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  child = undefined;
});

function run(args: string[]): { proc: ChildProcess; output: () => string } {
  let text = '';
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child = proc;
  return { proc, output: () => text };
}

describe('feikong-sim dlt645', () => {
  it('prints usage with --help', async () => {
    const { proc, output } = run(['dlt645', '--help']);
    const code = await new Promise((resolve) => proc.once('exit', resolve));
    expect(code).toBe(0);
    expect(output()).toMatch(/--pty/);
    expect(output()).toMatch(/--tcp PORT/);
  });

  it('serves meters on TCP, logs each request in one line, and stops on SIGTERM', async () => {
    const { proc, output } = run(['dlt645', '--tcp', '0', '--baud', '9600', '--meters', '000000000001,000000000002', '--energy-wh', '1230', '--td', '20']);
    const port = await expectWithin(() => /port: (\d+)/.exec(output())?.[1], 15_000, 'the simulator to print its port');
    headEnd = await HeadEnd.connectTcp(Number(port));
    const reply = await headEnd.request(readRequest(METER_2, DataIdentifier.forwardActiveTotal));
    expect(energyOf(reply.frame)).toBe(1230);
    await expectWithin(() => /000000000002 11H Read DI 00010000 -> 000000000002: reply 24 bytes/.test(output()), 10_000, 'the request log line');
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('makes a meter faulty on its schedule: --fault ADDRESS=bad-checksum,rate=1/2', async () => {
    const { output } = run(['dlt645', '--tcp', '0', '--baud', '9600', '--meters', '000000000001,000000000002', '--energy-wh', '1230', '--td', '20',
      '--fault', `${METER_2}=bad-checksum,rate=1/2`]);
    const port = await expectWithin(() => /port: (\d+)/.exec(output())?.[1], 15_000, 'the simulator to print its port');
    await expectWithin(() => output().includes(`fault: ${METER_2}=bad-checksum,rate=1/2\n`), 10_000, 'the fault in force to be printed');
    headEnd = await HeadEnd.connectTcp(Number(port));
    const he = headEnd;
    await he.send(readRequest(METER_2, DataIdentifier.forwardActiveTotal));
    await expectWithin(() => he.discarded.find((d) => d.reason === 'checksum'), 10_000, 'the first reply discarded as a checksum failure');
    expect(he.frames).toHaveLength(0);
    const second = await he.request(readRequest(METER_2, DataIdentifier.forwardActiveTotal));
    expect(energyOf(second.frame)).toBe(1230);
    await he.send(readRequest(METER_2, DataIdentifier.forwardActiveTotal));
    await expectWithin(() => he.discarded.filter((d) => d.reason === 'checksum').length === 2 || undefined, 10_000, 'the third reply discarded');
    expect(he.frames).toHaveLength(1);
    expect(output()).toMatch(new RegExp(`${METER_2} fault ${METER_2}=bad-checksum,rate=1/2: hit 2`));
  });

  it('rejects a fault it cannot read, naming the part at fault', async () => {
    const { proc, output } = run(['dlt645', '--tcp', '0', '--fault', '000000000001=silent,for=30']);
    expect(await new Promise((resolve) => proc.once('exit', resolve))).toBe(2);
    expect(output()).toMatch(/--fault '000000000001=silent,for=30': for: '30' needs a unit/);
    expect(output()).toMatch(/Faults \(repeat --fault/);
  });

  it('rejects a bad meter address with the usage text', async () => {
    const { proc, output } = run(['dlt645', '--pty', '--meters', '12ab']);
    expect(await new Promise((resolve) => proc.once('exit', resolve))).toBe(2);
    expect(output()).toMatch(/12 digits/);
  });

  it('serves ESAM meters with --esam: plaintext 0x1C refused, the encrypted one after authentication accepted', async () => {
    const { output } = run(['dlt645', '--tcp', '0', '--baud', '9600', '--td', '20', '--esam', '1', '--quiet']);
    const port = await expectWithin(() => /port: (\d+)/.exec(output())?.[1], 15_000, 'the simulator to print its port');
    headEnd = await HeadEnd.connectTcp(Number(port));
    const plain = await headEnd.request(controlRequest(METER_1, 'trip'));
    expect(decodeControlResponse(plain.frame)).toMatchObject({ ok: false, reason: 'unauthorised' });
    const esam = new EsamExchanges(new SoftwareSecurityModule([1], (n) => Buffer.alloc(n, 7)));
    const meter = { address: METER_1, keyVersion: 1 };
    const { frame, challenge } = await esam.authenticationRequest(meter);
    const auth = esam.sessionFrom(meter, challenge, (await headEnd.request(frame)).frame);
    if (!auth.ok) throw new Error(`authentication refused: ${auth.reason}`);
    const trip = await headEnd.request(await esam.controlRequest(auth.session, { action: 'trip', deadline: new Date(Date.now() + 60_000) }));
    expect(decodeControlResponse(trip.frame)).toEqual({ ok: true });
  });
});
