// The encryption-machine (密码机) interface on the wire: length-prefixed JSON messages over
// one TCP connection, requests matched to responses by id. Pure: encoding, decoding and a
// stream splitter; the client is encryption-machine.ts, the specification docs/security-module.md.
//
//   ┌────────────┬──────────────────────────────┐
//   │ length (4) │ UTF-8 JSON, `length` bytes   │   length: unsigned, big-endian, 1..65536
//   └────────────┴──────────────────────────────┘
//   request  {"v":1,"id":7,"op":"encryptControl","args":{…}}
//   response {"v":1,"id":7,"ok":true,"result":{…}}  or  {"v":1,"id":7,"ok":false,"error":{"code":"KEY_UNKNOWN","message":"…"}}
//
// Byte strings are uppercase hex in ESAM order (most significant byte first).

export const PROTOCOL_VERSION = 1;
export const MAX_MESSAGE_BYTES = 65_536;

export type MachineOp =
  | 'ping'
  | 'identityAuthentication'
  | 'encryptControl'
  | 'purchaseMacs'
  | 'parameterMac'
  | 'encryptParameter'
  | 'verifyFigureMac';

export const MACHINE_OPS: readonly MachineOp[] = ['ping', 'identityAuthentication', 'encryptControl', 'purchaseMacs', 'parameterMac', 'encryptParameter', 'verifyFigureMac'];

/** Error codes a machine may answer with. */
export type MachineErrorCode = 'KEY_UNKNOWN' | 'BAD_REQUEST' | 'UNSUPPORTED' | 'INTERNAL';

export interface MachineRequest {
  v: number;
  id: number;
  op: MachineOp;
  args: Record<string, unknown>;
}

export type MachineResponse =
  | { v: number; id: number; ok: true; result: Record<string, unknown> }
  | { v: number; id: number; ok: false; error: { code: string; message: string } };

export function encodeMessage(message: MachineRequest | MachineResponse): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length === 0 || body.length > MAX_MESSAGE_BYTES) throw new RangeError(`message of ${body.length} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

export type Splitted = { kind: 'message'; value: unknown } | { kind: 'invalid'; reason: string };

/**
 * Splits a byte stream into messages. A length out of range makes the stream unusable (there
 * is no resynchronisation in a length-prefixed stream): it yields 'invalid' and stops.
 */
export class MessageSplitter {
  private buffer = Buffer.alloc(0);
  private broken = false;

  push(chunk: Buffer): Splitted[] {
    if (this.broken) return [];
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const out: Splitted[] = [];
    while (this.buffer.length >= 4) {
      const length = this.buffer.readUInt32BE(0);
      if (length === 0 || length > MAX_MESSAGE_BYTES) {
        this.broken = true;
        out.push({ kind: 'invalid', reason: `message length ${length} out of range` });
        return out;
      }
      if (this.buffer.length < 4 + length) break;
      const body = this.buffer.subarray(4, 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(4 + length);
      try {
        out.push({ kind: 'message', value: JSON.parse(body) as unknown });
      } catch {
        out.push({ kind: 'invalid', reason: 'message is not JSON' });
      }
    }
    return out;
  }
}

export function isResponse(value: unknown): value is MachineResponse {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'number' || typeof v.ok !== 'boolean') return false;
  if (v.ok) return typeof v.result === 'object' && v.result !== null;
  const e = v.error as Record<string, unknown> | undefined;
  return typeof e === 'object' && e !== null && typeof e.code === 'string' && typeof e.message === 'string';
}

export function isRequest(value: unknown): value is MachineRequest {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.id === 'number' && typeof v.op === 'string' && typeof v.args === 'object' && v.args !== null;
}

export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

/** Hex → bytes of exactly `length` (or any even length when omitted); null when malformed. */
export function fromHex(value: unknown, length?: number): Buffer | null {
  if (typeof value !== 'string' || !/^(?:[0-9A-Fa-f]{2})*$/.test(value)) return null;
  const b = Buffer.from(value, 'hex');
  return length === undefined || b.length === length ? b : null;
}
