// Behaviours: how a simulated meter departs from the model, installed by tests. Each looks at a
// request and either answers (a Reply) or passes (undefined); the meter asks the newest first and
// the first that answers wins. Most factories alter the model's normal reply, so the meter still
// acts on the request (a trip with a corrupted acknowledgement still trips — as on a real bus).
import {
  FunctionCode,
  decodeControlRequest,
  decodeFrame,
  encodeControlResponse,
  encodeFrame,
  parseControl,
  type ControlRefusal,
  type Dlt645Frame,
} from '../../protocols/dlt645/index.js';
import type { SimMeter } from './meter.js';
import { SILENT, send, type Reply } from './reply.js';

export interface Behaviour {
  name: string;
  onRequest(frame: Dlt645Frame, meter: SimMeter): Reply | undefined;
  /** Remove the behaviour after it has answered once. */
  once?: boolean;
}

export interface BehaviourOptions {
  /** Only requests for which this returns true are affected. Default: all. */
  when?: (frame: Dlt645Frame) => boolean;
  once?: boolean;
}

/** `when` helper: requests with this function code (e.g. FunctionCode.Control). */
export function forFunction(functionCode: number): (frame: Dlt645Frame) => boolean {
  return (frame) => parseControl(frame.control).functionCode === functionCode;
}

function define(
  name: string,
  options: BehaviourOptions,
  onRequest: (frame: Dlt645Frame, meter: SimMeter) => Reply | undefined,
): Behaviour {
  const when = options.when;
  return {
    name,
    once: options.once ?? false,
    onRequest: (frame, meter) => (when === undefined || when(frame) ? onRequest(frame, meter) : undefined),
  };
}

/** Alters the model's normal reply; a request the model does not answer stays unanswered. */
function alter(
  name: string,
  options: BehaviourOptions,
  change: (reply: Extract<Reply, { kind: 'send' }>, meter: SimMeter) => Reply,
): Behaviour {
  return define(name, options, (frame, meter) => {
    const reply = meter.defaultReply(frame);
    return reply.kind === 'silent' ? reply : change(reply, meter);
  });
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Never answers (and does not act on the request: the meter did not hear it). */
export function silence(options: BehaviourOptions = {}): Behaviour {
  return define('silence', options, () => SILENT);
}

/** Line noise before and/or after the normal reply. */
export function garbage(options: BehaviourOptions & { before?: Uint8Array; after?: Uint8Array } = {}): Behaviour {
  const before = options.before ?? Uint8Array.of(0x00, 0x55, 0xaa, 0x68, 0x12);
  const after = options.after ?? Uint8Array.of(0x16, 0x00, 0xff);
  return alter('garbage', options, (reply) => ({ ...reply, bytes: Buffer.concat([before, reply.bytes, after]) }));
}

/** The normal reply with its checksum byte off by one. */
export function wrongChecksum(options: BehaviourOptions = {}): Behaviour {
  return alter('wrongChecksum', options, (reply) => {
    const bytes = Buffer.from(reply.bytes);
    const at = bytes.length - 2;
    bytes[at] = ((bytes[at] ?? 0) + 1) & 0xff;
    return { ...reply, bytes };
  });
}

/** Only the first `keepBytes` bytes of the normal reply (default: all but the last three). */
export function truncated(options: BehaviourOptions & { keepBytes?: number } = {}): Behaviour {
  return alter('truncated', options, (reply) => {
    const keep = options.keepBytes ?? Math.max(0, reply.bytes.length - 3);
    return { ...reply, bytes: toBuffer(reply.bytes).subarray(0, keep) };
  });
}

/** The normal reply with a pause between bytes (DL/T 645-2007 §5.3.3 allows Tb up to 500 ms). */
export function slowBytes(options: BehaviourOptions & { interByteGapMs: number }): Behaviour {
  return alter('slowBytes', options, (reply) => ({ ...reply, interByteGapMs: options.interByteGapMs }));
}

/** The normal reply after `delayMs` instead of the bus's Td. */
export function fixedDelay(options: BehaviourOptions & { delayMs: number }): Behaviour {
  return alter('fixedDelay', options, (reply) => ({ ...reply, delayMs: options.delayMs }));
}

/** The normal reply, but carrying another meter's address. */
export function wrongAddress(options: BehaviourOptions & { address?: string } = {}): Behaviour {
  return alter('wrongAddress', options, (reply, meter) => {
    const frame = decodeFrame(reply.bytes);
    const address = options.address ?? otherAddress(meter.address);
    return { ...reply, bytes: encodeFrame({ ...frame, address }, { preamble: meter.preamble }) };
  });
}

/** Refuses every 1CH command with `reason` (default 'other') without acting on it. */
export function refuseRelayCommand(options: BehaviourOptions & { reason?: ControlRefusal } = {}): Behaviour {
  const reason = options.reason ?? 'other';
  const onlyControl = forFunction(FunctionCode.Control);
  const when = options.when;
  return define('refuseRelayCommand', { ...options, when: (f) => onlyControl(f) && (when === undefined || when(f)) }, (frame, meter) => {
    meter.recordControl(decodeControlRequest(frame), reason);
    return send(Buffer.concat([Buffer.alloc(meter.preamble, 0xfe), encodeControlResponse(meter.address, { ok: false, reason })]));
  });
}

/** The same address with its last digit changed. */
function otherAddress(address: string): string {
  const last = Number(address.at(-1) ?? '0');
  return address.slice(0, -1) + String((last + 1) % 10);
}

/** Ready-made behaviours, for `meter.addBehaviour(behaviours.silence())`. */
export const behaviours = {
  silence,
  garbage,
  wrongChecksum,
  truncated,
  slowBytes,
  fixedDelay,
  wrongAddress,
  refuseRelayCommand,
  forFunction,
} as const;
