// What the receiver delivers and what it only counts: the awaited reply through junk, bad
// checksums and other meters' frames; late replies to another DI are not taken for this one.
import { describe, expect, it } from 'vitest';
import {
  DataIdentifier, ErrorBit, FunctionCode, FunctionCode1997, encode1997ReadResponse, encodeAbnormalResponse, encodeReadRequest,
  encodeReadResponse, encodeEnergyWh, encodeStatusWord3,
} from '../../protocols/dlt645/index.js';
import { Dlt645ReplyReceiver } from '../../src/polling/dlt645-receiver.js';

const A = '000000000007';
const B = '000000000008';
const energy = (address: string, wh: number) => Buffer.concat([Buffer.alloc(4, 0xfe), encodeReadResponse(address, DataIdentifier.forwardActiveTotal, encodeEnergyWh(wh))]);

function receiver() {
  const counters = { discardedBytes: 0, checksumFailures: 0, foreignFrames: 0 };
  const rx = new Dlt645ReplyReceiver(counters, { address: A, functionCode: FunctionCode.Read, di: { value: DataIdentifier.forwardActiveTotal, bytes: 4 }, frameBytes: 20 });
  return { counters, rx };
}

describe('Dlt645ReplyReceiver', () => {
  it('delivers the awaited reply split across chunks, and says how much is still to come', () => {
    const { rx } = receiver();
    const bytes = energy(A, 123_450);
    expect(rx.remainingBytes()).toBe(20);
    expect(rx.push(bytes.subarray(0, 9))).toBeUndefined(); // 4 FE + 5 bytes of the frame
    expect(rx.remainingBytes()).toBe(15);
    const frame = rx.push(bytes.subarray(9));
    expect(frame?.address).toBe(A);
  });

  it('counts junk and a bad checksum, and still finds the good frame after them', () => {
    const { rx, counters } = receiver();
    const bad = energy(A, 10);
    bad[bad.length - 2] = (bad[bad.length - 2]! + 1) & 0xff;
    const chunk = Buffer.concat([Buffer.from([0x00, 0x55, 0xaa]), bad, energy(A, 20)]);
    const frame = rx.push(chunk);
    expect(frame).toBeDefined();
    expect(counters.checksumFailures).toBe(1);
    expect(counters.discardedBytes).toBe(3 + 20); // the junk and the bad 20-byte frame (its FE preamble is not junk)
  });

  it('rejects the awaited reply with a wrong checksum at its last byte, naming the fault', () => {
    const { rx, counters } = receiver();
    const bad = energy(A, 10);
    bad[bad.length - 2] = (bad[bad.length - 2]! + 1) & 0xff;
    // Every byte but the last: the frame is not complete, nothing to judge yet.
    expect(rx.push(bad.subarray(0, bad.length - 1))).toBeUndefined();
    expect(counters.checksumFailures).toBe(0);
    let thrown: any;
    try {
      rx.push(bad.subarray(bad.length - 1));
    } catch (err) {
      thrown = err;
    }
    expect(thrown?.code).toBe('FRAME_CHECKSUM');
    expect(thrown.message).toMatch(/the reply's checksum is wrong \(it carries [0-9A-F]{2}, its bytes add up to [0-9A-F]{2}/);
    expect(thrown.context).toMatchObject({ address: A, functionCode: FunctionCode.Read });
    expect(counters.checksumFailures).toBe(1);
  });

  it("counts another meter's frame with a wrong checksum and keeps waiting", () => {
    const { rx, counters } = receiver();
    const bad = energy(B, 10);
    bad[bad.length - 2] = (bad[bad.length - 2]! + 1) & 0xff;
    expect(rx.push(bad)).toBeUndefined();
    expect(counters.checksumFailures).toBe(1);
    expect(rx.push(energy(A, 20))?.address).toBe(A);
  });

  it('counts what follows the reply in the same chunk', () => {
    const { rx, counters } = receiver();
    const frame = rx.push(Buffer.concat([energy(A, 10), Buffer.from([0x16, 0x00, 0xff]), energy(B, 20), Buffer.from([0x68, 0x01])]));
    expect(frame?.address).toBe(A);
    expect(counters.foreignFrames).toBe(1);
    expect(counters.discardedBytes).toBe(3 + 2); // the junk, and the start of a frame that never completed
  });

  it('skips other meters, requests (an echo) and replies to another DI as foreign frames', () => {
    const { rx, counters } = receiver();
    const other = energy(B, 10);
    const echo = encodeReadRequest(A, DataIdentifier.forwardActiveTotal);
    const lateStatus = encodeReadResponse(A, DataIdentifier.statusWord3, encodeStatusWord3({ relayOpen: true }));
    expect(rx.push(Buffer.concat([other, echo, lateStatus]))).toBeUndefined();
    expect(counters.foreignFrames).toBe(3);
    expect(rx.push(energy(A, 30))).toBeDefined();
  });

  it('takes an abnormal reply from the meter (it carries no DI)', () => {
    const { rx } = receiver();
    const frame = rx.push(encodeAbnormalResponse(A, FunctionCode.Read, ErrorBit.noRequestedData));
    expect(frame).toBeDefined();
  });

  it('matches 1997 replies by their two-byte DI', () => {
    const counters = { discardedBytes: 0, checksumFailures: 0, foreignFrames: 0 };
    const rx = new Dlt645ReplyReceiver(counters, { address: A, functionCode: FunctionCode1997.Read, di: { value: 0x9010, bytes: 2 }, frameBytes: 18 });
    expect(rx.push(encode1997ReadResponse(A, 0x9011, Buffer.from([0, 0, 0, 0])))).toBeUndefined();
    expect(counters.foreignFrames).toBe(1);
    expect(rx.push(encode1997ReadResponse(A, 0x9010, Buffer.from([0x45, 0x23, 0x01, 0x00])))).toBeDefined();
  });
});
