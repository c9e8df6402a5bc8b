// Shared pieces for the simulator tests: request frames built with the codec, reply decoding,
// and a harness that starts a bus with a head-end on its line and stops both afterwards.
import {
  DataIdentifier,
  decodeControlResponse,
  decodeEnergyWh,
  decodeReadResponse,
  decodeStatusWord3,
  encodeControlRequest,
  encodeReadRequest,
  plaintextControl,
  type ControlAction,
  type Dlt645Frame,
} from '../../../protocols/dlt645/index.js';
import { startDlt645Bus, type Dlt645BusOptions, type SimBus } from '../../../simulators/dlt645/index.js';
import { HeadEnd } from './head-end.js';

export const METER_1 = '000000000001';
export const METER_2 = '000000000002';

export function readRequest(address: string, di: number): Buffer {
  return encodeReadRequest(address, di);
}

export function controlRequest(
  address: string,
  action: ControlAction,
  options: { password?: string; deadline?: Date } = {},
): Buffer {
  const deadline = options.deadline ?? new Date(Date.now() + 10 * 60_000);
  return encodeControlRequest(address, { action, deadline }, plaintextControl({ password: options.password ?? '000000' }));
}

export function energyOf(frame: Dlt645Frame): number {
  return decodeEnergyWh(decodeReadResponse(frame).payload);
}

export function statusWord3Of(frame: Dlt645Frame): ReturnType<typeof decodeStatusWord3> {
  const { di, payload } = decodeReadResponse(frame);
  if (di !== DataIdentifier.statusWord3) throw new Error(`expected status word 3, got DI ${di.toString(16)}`);
  return decodeStatusWord3(payload);
}

export function controlOutcomeOf(frame: Dlt645Frame): ReturnType<typeof decodeControlResponse> {
  return decodeControlResponse(frame);
}

/** A bus on a pty with a head-end on the other end; `stop()` closes both (call it in afterEach). */
export class Harness {
  bus: SimBus | undefined;
  headEnd: HeadEnd | undefined;

  async start(options: Omit<Dlt645BusOptions, 'transport'> & { transport?: Dlt645BusOptions['transport'] }): Promise<{ bus: SimBus; headEnd: HeadEnd }> {
    const bus = await startDlt645Bus({ transport: { kind: 'pty' }, ...options });
    this.bus = bus;
    const headEnd =
      bus.port !== undefined ? await HeadEnd.connectTcp(bus.port) : await HeadEnd.openSerial(bus.devicePath ?? '', options.baudRate);
    this.headEnd = headEnd;
    return { bus, headEnd };
  }

  async stop(): Promise<void> {
    const { headEnd, bus } = this;
    this.headEnd = undefined;
    this.bus = undefined;
    await headEnd?.close();
    await bus?.close();
  }

  /** Sends a request and returns the frame of the reply. */
  async ask(bytes: Buffer, timeoutMs = 2_000): Promise<Dlt645Frame> {
    if (this.headEnd === undefined) throw new Error('harness not started');
    return (await this.headEnd.request(bytes, timeoutMs)).frame;
  }

  async statusWord3(address: string): Promise<ReturnType<typeof decodeStatusWord3>> {
    return statusWord3Of(await this.ask(readRequest(address, DataIdentifier.statusWord3)));
  }
}
