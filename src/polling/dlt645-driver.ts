// DL/T 645-2007 meter driver: turns "read energy of meter X", "read status word 3" and "trip /
// close the relay" into exchanges on a bus, and frames back into values. Knows no accounts.
import {
  Dlt645Parser, encodeReadRequest, decodeReadResponse, encodeControlRequest, decodeControlResponse,
  parseControl, FunctionCode, DataIdentifier, decodeEnergyWh, decodeStatusWord3, plaintextControl,
  type Dlt645Frame, type ControlAction, type ControlOutcome, type ControlPayloadStrategy, type StatusWord3,
} from '../../protocols/dlt645/index.js';
import type { Bus, Priority, Receiver } from './bus.js';

export interface Dlt645DriverOptions {
  /** DL/T 645-2007 §5.3.3: the meter answers within Td ≤ 500 ms */
  responseDelayMaxMs: number;
  retries: number;
  controlStrategy?: ControlPayloadStrategy;
  utcOffsetMinutes: number;
}

/** Longest reply we wait for, in characters: 4 FE + 12 envelope + up to 32 data bytes. */
const MAX_REPLY_BYTES = 48;

/** Waits for the reply of `address` to `functionCode`; frames from other meters are counted and skipped. */
class ReplyReceiver implements Receiver<Dlt645Frame> {
  private readonly parser = new Dlt645Parser();
  constructor(private readonly bus: Bus, private readonly address: string, private readonly functionCode: number) {}
  push(chunk: Buffer): Dlt645Frame | undefined {
    for (const event of this.parser.push(chunk)) {
      if (event.kind === 'discarded') {
        this.bus.stats.discardedBytes += event.bytes.length;
        if (event.reason === 'checksum') this.bus.stats.checksumFailures++;
        continue;
      }
      const control = parseControl(event.frame.control);
      if (control.fromMeter && event.frame.address === this.address && control.functionCode === this.functionCode) return event.frame;
      this.bus.stats.foreignFrames++;
    }
    return undefined;
  }
}

export class Dlt645Driver {
  private readonly strategy: ControlPayloadStrategy;
  constructor(private readonly bus: Bus, private readonly options: Dlt645DriverOptions) {
    this.strategy = options.controlStrategy ?? plaintextControl();
  }

  /** Reply timeout derived from the line rate and the standard's Td limit, not a flat number. */
  get timeoutMs(): number {
    return this.options.responseDelayMaxMs + this.bus.wireTimeMs(MAX_REPLY_BYTES) + 50;
  }

  private async exchange(address: string, request: Buffer, functionCode: number, label: string, priority: Priority): Promise<Dlt645Frame> {
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      try {
        const frame = await this.bus.request({
          label: `${label} of meter ${address}`, request, receiver: new ReplyReceiver(this.bus, address, functionCode),
          timeoutMs: this.timeoutMs, priority,
        });
        return frame!;
      } catch (err) {
        lastError = err;
        if ((err as { code?: string }).code !== 'BUS_TIMEOUT') throw err;
      }
    }
    throw lastError;
  }

  async read(address: string, di: number, priority: Priority = 'poll'): Promise<Uint8Array> {
    const label = `read DI ${di.toString(16).padStart(8, '0').toUpperCase()}`;
    const frame = await this.exchange(address, encodeReadRequest(address, di), FunctionCode.Read, label, priority);
    return decodeReadResponse(frame).payload;
  }

  async readEnergyWh(address: string, priority: Priority = 'poll'): Promise<number> {
    return decodeEnergyWh(await this.read(address, DataIdentifier.forwardActiveTotal, priority));
  }

  async readStatusWord3(address: string, priority: Priority = 'poll'): Promise<StatusWord3> {
    return decodeStatusWord3(await this.read(address, DataIdentifier.statusWord3, priority));
  }

  /** Sends 0x1C with a validity deadline; the outcome says whether the meter accepted it. */
  async control(address: string, action: ControlAction, deadline: Date): Promise<ControlOutcome> {
    const request = encodeControlRequest(address, { action, deadline, utcOffsetMinutes: this.options.utcOffsetMinutes }, this.strategy);
    // A control command is not retried blindly on timeout here: the command lifecycle reads the
    // relay back first, so a command that did reach the meter is never sent twice.
    const frame = await this.bus.request({
      label: `control ${action} of meter ${address}`, request, receiver: new ReplyReceiver(this.bus, address, FunctionCode.Control),
      timeoutMs: this.timeoutMs, priority: 'command',
    });
    return decodeControlResponse(frame!);
  }
}
