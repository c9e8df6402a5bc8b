// DL/T 645 meter driver: turns "read a register of meter X" (2007 or 1997), "trip / close the
// relay" and "broadcast the time" into exchanges on a bus, and reply frames back into values.
// Knows no accounts.
//
//   read(address, DI) ─▶ 68 A 68 11 04 DI CS 16 ─▶ bus ─▶ Dlt645ReplyReceiver ─▶ 91 DI value ─▶ payload
//                                    └─ timeout or bad checksum: retried up to `retries` times
import {
  BROADCAST_ADDRESS, DEFAULT_PREAMBLE, FRAME_OVERHEAD, FunctionCode, FunctionCode1997, DataIdentifier, catalogueEntry,
  decode1997ReadResponse, decodeControlResponse, decodeEnergyWh, decodeReadResponse, decodeStatusWord3, encode1997ReadRequest,
  encodeBroadcastTimeRequest, encodeControlRequest, encodeReadRequest, isDlt645Error, plaintextControl,
  type ControlAction, type ControlCommand, type ControlOutcome, type ControlPayloadStrategy, type Dlt645Frame, type PlaintextPasswordLevel, type StatusWord3,
} from '../../protocols/dlt645/index.js';
import { AppError } from '../errors.js';
import type { Bus, Priority } from './bus.js';
import { Dlt645ReplyReceiver, type AwaitedReply } from './dlt645-receiver.js';

export interface Dlt645DriverOptions {
  /** DL/T 645-2007 §5.3.3: the meter answers within Td ≤ 500 ms */
  responseDelayMaxMs: number;
  /** Extra attempts after a timeout. */
  retries: number;
  controlStrategy?: ControlPayloadStrategy;
  utcOffsetMinutes: number;
}

/** DL/T 645 0x1C credentials: password level PA (0, 2, 4), password P0..P2 and operator code C0..C3 as hex digits. */
export interface ControlCredentials {
  passwordLevel?: number;
  password?: string;
  operatorCode?: string;
}

export interface ReadOptions {
  /** Overrides the driver's retries (an offline meter is probed once). */
  retries?: number;
}

/** Data bytes of a 1CH reply (normal: none; abnormal: up to a two-byte error word). */
const CONTROL_REPLY_DATA = 2;
/** Payload length assumed for a DI the catalogue does not know. */
const UNKNOWN_PAYLOAD = 16;

export class Dlt645Driver {
  private readonly strategy: ControlPayloadStrategy;

  constructor(readonly bus: Bus, private readonly options: Dlt645DriverOptions) {
    this.strategy = options.controlStrategy ?? plaintextControl();
  }

  /** The meters' clock offset from UTC, minutes (deadlines are written in it). */
  get utcOffsetMinutes(): number {
    return this.options.utcOffsetMinutes;
  }

  /** First-byte timeout: Td max + the line's latency allowance + one character (not a flat number). */
  get timeoutMs(): number {
    return this.bus.firstByteTimeoutMs(this.options.responseDelayMaxMs);
  }

  /** DL/T 645-2007 §7.1 (读数据): the payload of DI from a 91H reply. */
  async read(address: string, di: number, priority: Priority = 'poll', options: ReadOptions = {}): Promise<Uint8Array> {
    const entry = catalogueEntry(di);
    // A block (…FF…) holds several values: its reply is expected as long as five of them.
    const payloadBytes = entry ? entry.length * (entry.members ? Math.min(entry.members.length, 5) : 1) : UNKNOWN_PAYLOAD;
    const frame = await this.exchange(encodeReadRequest(address, di), `read DI ${hex(di, 8)} of meter ${address}`, {
      address, functionCode: FunctionCode.Read, di: { value: di, bytes: 4 }, frameBytes: FRAME_OVERHEAD + 4 + payloadBytes,
    }, priority, options.retries);
    return refusedAsAppError(() => decodeReadResponse(frame).payload, address, di);
  }

  /** DL/T 645-1997 read (01H / 81H, two-byte DI): the payload of DI. */
  async read1997(address: string, di: number, priority: Priority = 'poll', options: ReadOptions = {}): Promise<Uint8Array> {
    const frame = await this.exchange(encode1997ReadRequest(address, di, { preamble: DEFAULT_PREAMBLE }), `1997 read DI ${hex(di, 4)} of meter ${address}`, {
      address, functionCode: FunctionCode1997.Read, di: { value: di, bytes: 2 }, frameBytes: FRAME_OVERHEAD + 2 + 4,
    }, priority, options.retries);
    return refusedAsAppError(() => decode1997ReadResponse(frame).payload, address, di);
  }

  async readEnergyWh(address: string, priority: Priority = 'poll', options: ReadOptions = {}): Promise<number> {
    return decodeEnergyWh(await this.read(address, DataIdentifier.forwardActiveTotal, priority, options));
  }

  async readStatusWord3(address: string, priority: Priority = 'poll', options: ReadOptions = {}): Promise<StatusWord3> {
    return decodeStatusWord3(await this.read(address, DataIdentifier.statusWord3, priority, options));
  }

  /**
   * Sends 0x1C with a validity deadline; the outcome says whether the meter accepted it. The
   * credentials (password level, password, operator code) are the meter's or its bus's; a
   * configured payload strategy (ESAM) keeps its own level and password.
   */
  async control(address: string, action: ControlAction, deadline: Date, credentials: ControlCredentials = {}): Promise<ControlOutcome> {
    const strategy = this.options.controlStrategy ?? (credentials.passwordLevel !== undefined || credentials.password !== undefined
      ? plaintextControl({ level: (credentials.passwordLevel ?? 2) as PlaintextPasswordLevel, password: credentials.password ?? '000000' })
      : this.strategy);
    const command = { action, deadline, utcOffsetMinutes: this.options.utcOffsetMinutes, ...(credentials.operatorCode ? { operator: credentials.operatorCode } : {}) };
    const request = encodeControlRequest(address, command, strategy);
    // Not retried blindly on timeout: the command lifecycle reads the relay back first, so a
    // command that did reach the meter is never sent twice.
    const frame = await this.exchange(request, `control ${action} of meter ${address}`, {
      address, functionCode: FunctionCode.Control, frameBytes: FRAME_OVERHEAD + CONTROL_REPLY_DATA,
    }, 'command', 0);
    return decodeControlResponse(frame);
  }

  /**
   * Sends a 1CH built by `strategy` (the ESAM strategy with a ciphertext from the security
   * module); like control(), not retried on timeout.
   */
  async controlWith(address: string, command: ControlCommand, strategy: ControlPayloadStrategy): Promise<ControlOutcome> {
    const request = encodeControlRequest(address, { utcOffsetMinutes: this.options.utcOffsetMinutes, ...command }, strategy);
    const frame = await this.exchange(request, `control ${command.action} of meter ${address}`, {
      address, functionCode: FunctionCode.Control, frameBytes: FRAME_OVERHEAD + CONTROL_REPLY_DATA,
    }, 'command', 0);
    return decodeControlResponse(frame);
  }

  /**
   * One security-authentication exchange (03H, 2013 supplement / Q/GDW 1365): the reply frame,
   * normal (83H) or abnormal (C3H), for the caller to decode. Retried on timeout like a read:
   * identity authentication and the status query change nothing twice; a purchase is protected
   * by its purchase count.
   */
  async securityExchange(address: string, di: number, request: Buffer, label: string, replyPayloadBytes: number, priority: Priority = 'command'): Promise<Dlt645Frame> {
    return this.exchange(request, `${label} (DI ${hex(di, 8)}) of meter ${address}`, {
      address, functionCode: FunctionCode.SecurityAuthentication, di: { value: di, bytes: 4 }, frameBytes: FRAME_OVERHEAD + 4 + replyPayloadBytes,
    }, priority);
  }

  /**
   * DL/T 645-2007 §7.6 (广播校时): 08H to 999999999999, no reply. The time is taken when the
   * broadcast's turn on the bus comes, not when it was queued.
   */
  async broadcastTime(time: () => Date, priority: Priority = 'read'): Promise<void> {
    await this.bus.request({
      label: 'broadcast time',
      request: () => encodeBroadcastTimeRequest(time(), { utcOffsetMinutes: this.options.utcOffsetMinutes, address: BROADCAST_ADDRESS }),
      receiver: null, timeoutMs: 0, priority,
    });
  }

  private async exchange(request: Buffer, label: string, awaited: AwaitedReply, priority: Priority, retries = this.options.retries): Promise<Dlt645Frame> {
    for (let attempt = 0; ; attempt++) {
      try {
        const frame = await this.bus.request({
          label, request, receiver: new Dlt645ReplyReceiver(this.bus.stats, awaited, `${label} on bus ${this.bus.id}`), timeoutMs: this.timeoutMs, priority,
        });
        return frame!;
      } catch (err) {
        // A lost or garbled reply is asked for again; anything the meter said is not.
        const code = (err as { code?: string }).code;
        if ((code !== 'BUS_TIMEOUT' && code !== 'FRAME_CHECKSUM') || attempt >= retries) throw err;
      }
    }
  }
}

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, '0').toUpperCase();
}

/** An abnormal reply is the meter refusing (no such data, unauthorised …): METER_REFUSED. */
function refusedAsAppError<T>(decode: () => T, address: string, di: number): T {
  try {
    return decode();
  } catch (err) {
    if (isDlt645Error(err) && err.code === 'METER_ABNORMAL') {
      throw new AppError('METER_REFUSED', `meter ${address} refused to read DI ${di.toString(16).toUpperCase()}: ${err.message}`, { address, di, ...err.context });
    }
    throw err;
  }
}
