// The Modbus RTU line simulator over a real pseudo-terminal, seen from a bare head-end (a serial
// port and the RTU parser): many unit ids on one line, broadcasts, exceptions, wrong CRCs,
// silence, the DDS238's refusal of function 06, and a line shared with a DL/T 645 meter.
import { afterEach, describe, expect, it } from 'vitest';
import { SerialPort } from 'serialport';
import {
  RtuParser, decodeResponse, encodeRequest, encodeRtuFrame, isModbusError, type ModbusRequest, type RtuEvent,
} from '../../../protocols/modbus/index.js';
import { DataIdentifier, Dlt645Parser, decodeEnergyWh, decodeReadResponse, encodeReadRequest } from '../../../protocols/dlt645/index.js';
import { exception, silence, startModbusRtuLine, wrongCrc, type SimModbusLine } from '../../../simulators/modbus/index.js';
import { RegisterMaps, registerMapsDirectory } from '../../../src/registermaps.js';
import { eventually } from '../../helpers/eventually.js';

const maps = RegisterMaps.load(registerMapsDirectory(undefined));
const generic = maps.get('generic');
const dds238 = maps.get('hiking-dds238-2-zn-sr');

/** A bare head-end on the other end of the pty: writes frames, collects Modbus and DL/T 645 replies. */
class Line {
  readonly events: RtuEvent[] = [];
  readonly chunks: Buffer[] = [];
  readonly dlt = new Dlt645Parser();
  readonly dltFrames: Buffer[] = [];
  private readonly rtu = new RtuParser('response');
  private constructor(private readonly port: SerialPort) {
    port.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.events.push(...this.rtu.push(chunk));
      for (const e of this.dlt.push(chunk)) if (e.kind === 'frame') this.dltFrames.push(e.raw);
    });
  }

  static async open(path: string): Promise<Line> {
    const port = new SerialPort({ path, baudRate: 9600, parity: 'none', autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    return new Line(port);
  }

  send(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.port.write(bytes, (e) => (e ? reject(e) : this.port.drain(() => resolve()))));
  }

  /**
   * Sends a request to `unit` and waits for its reply — a frame, or one discarded for its CRC — the
   * way a master does: looking only for that unit and function among the bytes that come back.
   */
  async ask(unit: number, request: ModbusRequest): Promise<RtuEvent> {
    const from = this.chunks.length;
    const functionCode = encodeRequest(request)[0]!;
    await this.send(encodeRtuFrame(unit, encodeRequest(request)));
    return eventually(() => {
      const parser = new RtuParser('response', { unit, functionCode });
      const reply = parser.push(Buffer.concat(this.chunks.slice(from))).find((e) => e.kind === 'frame' || e.reason === 'crc');
      expect(reply).toBeDefined();
      return reply!;
    }, 3000, 10);
  }

  get replies(): RtuEvent[] {
    return this.events.filter((e) => e.kind === 'frame' || e.reason === 'crc');
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.port.isOpen ? this.port.close(() => resolve()) : resolve()));
  }
}

const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function start(options: Partial<Parameters<typeof startModbusRtuLine>[0]> = {}): Promise<{ sim: SimModbusLine; line: Line }> {
  const sim = await startModbusRtuLine({
    transport: { kind: 'pty' }, baudRate: 9600, responseDelayMs: 5,
    meters: [
      { unit: 1, map: generic, energyWh: 10_000 },
      { unit: 2, map: generic, energyWh: 20_000, relay: 'open' },
      { unit: 3, map: dds238, energyWh: 30_000 },
    ],
    ...options,
  });
  stops.push(() => sim.close());
  const line = await Line.open(sim.devicePath!);
  stops.push(() => line.close());
  return { sim, line };
}

const energy: ModbusRequest = { function: 'readInputRegisters', address: 0, quantity: 2 };
const frameOf = (e: RtuEvent) => {
  expect(e.kind).toBe('frame');
  return e as Extract<RtuEvent, { kind: 'frame' }>;
};

describe('Modbus RTU line simulator', () => {
  it('carries many unit ids; each answers only its own requests, with its own registers', async () => {
    const { sim, line } = await start();
    for (const [unit, wh] of [[1, 10_000], [2, 20_000]] as const) {
      const reply = frameOf(await line.ask(unit, energy));
      expect(reply.unit).toBe(unit);
      expect(decodeResponse(energy, reply.pdu)).toEqual({ function: 'readInputRegisters', registers: [0, wh / 10] });
    }
    const dds: ModbusRequest = { function: 'readHoldingRegisters', address: 0x0a, quantity: 2 };
    expect(decodeResponse(dds, frameOf(await line.ask(3, dds)).pdu)).toEqual({ function: 'readHoldingRegisters', registers: [0, 3000] });
    // Unit 9 is not on the line: nobody answers, the next request is answered as usual.
    await line.send(encodeRtuFrame(9, encodeRequest(energy)));
    await eventually(() => expect(sim.stats.ignored).toBe(1));
    expect(frameOf(await line.ask(2, { function: 'readDiscreteInputs', address: 0, quantity: 1 })).pdu).toEqual(Buffer.from([0x02, 0x01, 0x00]));
    expect(sim.stats).toMatchObject({ requests: 5, replies: 4, collisions: 0 });
  });

  it('applies a broadcast write (unit 0) on every meter and answers none', async () => {
    const { sim, line } = await start();
    await line.send(encodeRtuFrame(0, encodeRequest({ function: 'writeSingleCoil', address: 0, value: false })));
    await eventually(() => expect(sim.meter(1).relayState).toBe('open'));
    expect(sim.meter(2).relayState).toBe('open');
    expect(sim.meter(1).relayWrites).toHaveLength(1);
    // The DDS238 has no coil 0: it refuses, silently, as a broadcast is never answered.
    expect(sim.meter(3).relayState).toBe('closed');
    expect(frameOf(await line.ask(1, { function: 'readDiscreteInputs', address: 0, quantity: 1 })).pdu).toEqual(Buffer.from([0x02, 0x01, 0x00]));
    expect(line.replies).toHaveLength(1);
  });

  it('answers exceptions: a behaviour, an address the map lacks, an unknown function', async () => {
    const { sim, line } = await start();
    sim.meter(1).addBehaviour(exception(0x06, { once: true }));
    const busy = frameOf(await line.ask(1, energy));
    expect(busy.pdu).toEqual(Buffer.from([0x84, 0x06]));
    expect(() => decodeResponse(energy, busy.pdu)).toThrow(/exception 6 \(SERVER DEVICE BUSY\)/);
    expect(frameOf(await line.ask(1, { function: 'readHoldingRegisters', address: 0x40, quantity: 1 })).pdu).toEqual(Buffer.from([0x83, 0x02]));
    // 2B/0E (read device identification) is not a meter's function: exception 01, ILLEGAL FUNCTION.
    await line.send(encodeRtuFrame(1, Buffer.from([0x2b, 0x0e, 0x01, 0x00])));
    await eventually(() => expect(line.replies.at(-1)).toMatchObject({ kind: 'frame', pdu: Buffer.from([0xab, 0x01]) }));
  });

  it('sends a reply with a wrong CRC on request, and still acts on the write', async () => {
    const { sim, line } = await start();
    sim.meter(1).addBehaviour(wrongCrc({ once: true }));
    const bad = await line.ask(1, { function: 'writeSingleCoil', address: 0, value: false });
    expect(bad).toMatchObject({ kind: 'discarded', reason: 'crc' });
    expect(sim.meter(1).relayState).toBe('open');
    expect(frameOf(await line.ask(1, energy)).unit).toBe(1);
  });

  it('stays silent on request', async () => {
    const { sim, line } = await start();
    const remove = sim.meter(2).addBehaviour(silence());
    await line.send(encodeRtuFrame(2, encodeRequest(energy)));
    await eventually(() => expect(sim.meter(2).requests.get('readInputRegisters')).toBe(1));
    remove();
    const reply = frameOf(await line.ask(2, energy));
    expect(reply.unit).toBe(2);
    expect(line.replies).toHaveLength(1);
  });

  it('a DDS238 takes its relay write only as function 10, and reads it back from the same register', async () => {
    const { sim, line } = await start();
    const single = frameOf(await line.ask(3, { function: 'writeSingleRegister', address: 0x1a, value: 0 }));
    expect(single.pdu).toEqual(Buffer.from([0x86, 0x01])); // ILLEGAL FUNCTION
    expect(sim.meter(3).relayState).toBe('closed');
    const write: ModbusRequest = { function: 'writeMultipleRegisters', address: 0x1a, values: [0] };
    expect(decodeResponse(write, frameOf(await line.ask(3, write)).pdu)).toEqual({ function: 'writeMultipleRegisters', address: 0x1a, quantity: 1 });
    const relay: ModbusRequest = { function: 'readHoldingRegisters', address: 0x1a, quantity: 1 };
    expect(decodeResponse(relay, frameOf(await line.ask(3, relay)).pdu)).toEqual({ function: 'readHoldingRegisters', registers: [0] });
    expect(sim.meter(3).relayWrites.map((w) => w.action)).toEqual(['open']);
    // A value that is neither open nor close: ILLEGAL DATA VALUE.
    expect(frameOf(await line.ask(3, { function: 'writeMultipleRegisters', address: 0x1a, values: [7] })).pdu).toEqual(Buffer.from([0x90, 0x03]));
  });

  it('shares one line with a DL/T 645 meter: each answers its own protocol, without collisions', async () => {
    const { sim, line } = await start({ dlt645: { meters: [{ address: '000000000042', energyWh: 777_770 }], responseDelayMs: 20 } });
    for (let i = 0; i < 3; i++) {
      const before = line.dltFrames.length;
      await line.send(encodeReadRequest('000000000042', DataIdentifier.forwardActiveTotal));
      await eventually(() => expect(line.dltFrames.length).toBe(before + 1), 20_000, 10);
      const frame = new Dlt645Parser().push(line.dltFrames.at(-1)!).find((e) => e.kind === 'frame');
      expect(decodeEnergyWh(decodeReadResponse((frame as { frame: Parameters<typeof decodeReadResponse>[0] }).frame).payload)).toBe(777_770);
      expect(frameOf(await line.ask(1, energy)).unit).toBe(1);
    }
    expect(sim.stats.collisions).toBe(0);
    // Each protocol's parser saw the other's frames as junk on the line, and said so.
    expect(sim.stats.discarded).toBeGreaterThanOrEqual(3);
    expect(sim.dlt645!.stats.discarded).toBeGreaterThanOrEqual(3);
    expect(sim.dlt645!.meter('000000000042').energyWh).toBe(777_770);
  });

  it('refuses a unit id outside 1..247 and a unit on the line twice', async () => {
    await expect(startModbusRtuLine({ transport: { kind: 'pty' }, baudRate: 9600, meters: [{ unit: 248, map: generic }] })).rejects.toThrow(/1\.\.247/);
    await expect(startModbusRtuLine({ transport: { kind: 'pty' }, baudRate: 9600, meters: [{ unit: 5, map: generic }, { unit: 5, map: generic }] })).rejects.toThrow(/twice/);
    expect(isModbusError(new Error('x'))).toBe(false);
  });
});
