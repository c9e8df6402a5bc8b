// Modbus faults from the command line: the grammar (examples, refusals naming the part at fault, a
// round trip for every fault), the schedules on a meter model with an injected clock, and
// `feikong-sim modbus` end to end: a refused reconnect seen by the head-end's Modbus TCP client.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusTcpClient, relayWriteRequest, type ModbusRequest } from '../../../protocols/modbus/index.js';
import { SimModbusMeter } from '../../../simulators/modbus/index.js';
import { FaultSyntaxError } from '../../../simulators/fault-schedule.js';
import { MODBUS_EFFECTS, MODBUS_FILTER_WORDS, formatModbusFault, parseModbusFault, type ModbusFaultSpec } from '../../../simulators/modbus/fault-grammar.js';
import { MODBUS_FAULT_HELP } from '../../../simulators/modbus/fault-help.js';
import { modbusFaultBehaviour } from '../../../simulators/modbus/faults.js';
import { RegisterMaps, registerMapsDirectory } from '../../../src/registermaps.js';
import { eventually } from '../../helpers/eventually.js';
import { failure } from '../../helpers/failure.js';

const generic = RegisterMaps.load(registerMapsDirectory(undefined)).get('generic');
const always = { only: null, afterMs: 0, forMs: null, rate: null, count: null };
const READ: ModbusRequest = { function: 'readInputRegisters', address: 0, quantity: 2 };
const CLOSE = relayWriteRequest(generic, 'close')!;
const OPEN = relayWriteRequest(generic, 'open')!;

describe('parseModbusFault', () => {
  it.each<[string, ModbusFaultSpec]>([
    ['2=silent,for=30s', { meter: '2', effect: { kind: 'silent' }, schedule: { ...always, forMs: 30_000 } }],
    ['1=bad-crc,rate=1/5', { meter: '1', effect: { kind: 'bad-crc' }, schedule: { ...always, rate: { hits: 1, of: 5 } } }],
    ['1=exception,only=reconnect', { meter: '1', effect: { kind: 'exception', code: 4 }, schedule: { ...always, only: ['reconnect'] } }],
    ['all=exception:0x0B,only=read+writeSingleCoil', { meter: 'all', effect: { kind: 'exception', code: 11 }, schedule: { ...always, only: ['read', 'writeSingleCoil'] } }],
    ['007=delay:800ms,count=3', { meter: '7', effect: { kind: 'delay', delayMs: 800 }, schedule: { ...always, count: 3 } }],
  ])('%s', (text, expected) => {
    expect(parseModbusFault(text)).toEqual(expected);
  });

  it.each<[string, string, RegExp]>([
    ['0=silent', "meter '0'", /unit id 1\.\.247, or all/],
    ['meter-01=silent', "meter 'meter-01'", /unit id 1\.\.247/],
    ['1=garbage', "effect 'garbage'", /expected one of silent, exception, bad-crc, delay/],
    ['1=exception:0', 'exception', /1\.\.255/],
    ['1=bad-crc:1', 'bad-crc', /takes no argument/],
    ['1=delay', 'delay', /needs the delay/],
    ['1=silent,only=trip', "only 'trip'", /expected one of read, write, disconnect, reconnect, readCoils/],
    ['1=silent,for=5', 'for', /needs a unit/],
  ])('refuses %s, naming %s', (text, part, detail) => {
    let error: unknown;
    try {
      parseModbusFault(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FaultSyntaxError);
    expect((error as FaultSyntaxError).part).toBe(part);
    expect((error as FaultSyntaxError).message).toMatch(detail);
  });

  it('reads back every fault it writes', () => {
    const spec: fc.Arbitrary<ModbusFaultSpec> = fc.record({
      meter: fc.oneof(fc.constant('all'), fc.integer({ min: 1, max: 247 }).map(String)),
      effect: fc.oneof(
        fc.constant({ kind: 'silent' as const }), fc.constant({ kind: 'bad-crc' as const }),
        fc.integer({ min: 1, max: 255 }).map((code) => ({ kind: 'exception' as const, code })),
        fc.integer({ min: 0, max: 60 }).map((s) => ({ kind: 'delay' as const, delayMs: s * 1000 })),
      ),
      schedule: fc.record({
        only: fc.option(fc.array(fc.constantFrom(...MODBUS_FILTER_WORDS), { minLength: 1, maxLength: 3 }), { nil: null }),
        afterMs: fc.integer({ min: 0, max: 10_000 }),
        forMs: fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: null }),
        rate: fc.option(fc.integer({ min: 1, max: 50 }).chain((of) => fc.integer({ min: 1, max: of }).map((hits) => ({ hits, of }))), { nil: null }),
        count: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: null }),
      }),
    });
    fc.assert(fc.property(spec, (s) => {
      expect(parseModbusFault(formatModbusFault(s))).toEqual(s);
    }), { numRuns: 300 });
  });

  it('is all in the help text', () => {
    for (const word of [...MODBUS_EFFECTS, ...MODBUS_FILTER_WORDS, 'only=', 'after=', 'for=', 'rate=', 'count=']) expect(MODBUS_FAULT_HELP, word).toContain(word);
  });
});

function faulty(text: string, clock: () => number = () => 0): SimModbusMeter {
  const meter = new SimModbusMeter({ unit: 1, map: generic, energyWh: 1000 });
  meter.addBehaviour(modbusFaultBehaviour(parseModbusFault(text), { clock }));
  return meter;
}

describe('Modbus fault schedules', () => {
  it('exception,only=reconnect: the relay-close write is refused and not acted on; reads and the open go through', () => {
    const meter = faulty('1=exception,only=reconnect');
    expect(meter.handle(READ).kind).toBe('response');
    expect(meter.handle(OPEN).kind).toBe('response');
    expect(meter.handle(CLOSE)).toEqual({ kind: 'exception', exceptionCode: 4 });
    expect(meter.relayWrites.map((w) => w.action)).toEqual(['open']);
  });

  it('silent,after=10s,for=5s: silent only inside the window of the clock', () => {
    let now = 0;
    const meter = faulty('1=silent,after=10s,for=5s', () => now);
    const at = (ms: number): string => {
      now = ms;
      return meter.handle(READ).kind;
    };
    expect([at(0), at(9_999), at(10_000), at(14_999), at(15_000)]).toEqual(['response', 'response', 'silent', 'silent', 'response']);
  });

  it('bad-crc,rate=1/3 and delay,count=1 alter the answer as named', () => {
    const crc = faulty('1=bad-crc,rate=1/3');
    expect([1, 2, 3, 4].map(() => (crc.handle(READ) as { corruptCrc?: boolean }).corruptCrc === true)).toEqual([true, false, false, true]);
    const late = faulty('1=delay:250ms,count=1');
    expect(late.handle(READ)).toMatchObject({ kind: 'response', delayMs: 250 });
    expect(late.handle(READ)).not.toHaveProperty('delayMs');
  });
});

const BIN = fileURLToPath(new URL('../../../bin/feikong-sim.mjs', import.meta.url));
let child: ChildProcess | undefined;
let modbus: ModbusTcpClient | undefined;
afterEach(async () => {
  await modbus?.close();
  modbus = undefined;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  child = undefined;
});

describe('feikong-sim modbus --fault', () => {
  it('serves a Modbus TCP meter whose reconnects are refused with exception 04', async () => {
    let out = '';
    child = spawn(process.execPath, [BIN, 'modbus', '--tcp', '0', '--units', '1,2', '--fault', '1=exception,only=reconnect'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const port = await eventually(() => {
      const found = /Modbus TCP port: (\d+)/.exec(out)?.[1];
      if (!found || !out.includes('fault: ')) throw new Error(`no port and faults yet: ${out}`);
      return Number(found);
    }, 30_000, 50);
    expect(out).toContain('fault: 1=exception:4,only=reconnect\n');
    const client = new ModbusTcpClient('mtcp-1', { host: '127.0.0.1', port, responseTimeoutMs: 2000, connectTimeoutMs: 2000 });
    modbus = client;
    await client.transact(1, OPEN, 'open the relay of unit 1', 'command');
    const refused = await failure(client.transact(1, CLOSE, 'close the relay of unit 1', 'command'));
    expect(refused.context?.exceptionCode).toBe(4);
    // Unit 2 has no fault: its reconnect goes through.
    await client.transact(2, OPEN, 'open the relay of unit 2', 'command');
    await client.transact(2, CLOSE, 'close the relay of unit 2', 'command');
    await eventually(() => expect(out).toMatch(/unit 1 fault 1=exception:4,only=reconnect: hit 1/), 10_000, 50);
  });
});
