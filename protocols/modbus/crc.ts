// The RTU frame check. Modbus over Serial Line V1.02 §2.5.1.2 (CRC checking) and §6.2.2
// (Appendix B, CRC generation): CRC-16 with polynomial 0xA001 (reflected 0x8005), initial value
// 0xFFFF, appended low byte first. The arithmetic is modbus-serial's, imported rather than
// written again; this module only places and checks it.
import crc16 from 'modbus-serial/utils/crc16.js';

export { crc16 };

/** `bytes` followed by their CRC, low byte first. */
export function withCrc(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(bytes.length + 2);
  out.set(bytes, 0);
  out.writeUInt16LE(crc16(bytes), bytes.length);
  return out;
}

/** True when the last two bytes of `frame` are the CRC of the bytes before them. */
export function crcMatches(frame: Uint8Array, start = 0, end = frame.length): boolean {
  if (end - start < 3) return false;
  const body = frame.subarray(start, end - 2);
  const expected = crc16(body);
  return frame[end - 2] === (expected & 0xff) && frame[end - 1] === expected >> 8;
}
