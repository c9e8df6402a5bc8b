// Waits on the bus for one DL/T 645 reply: the frame from the addressed meter, to the function
// asked, and for reads to the data identifier asked. Everything else that crosses the line is
// counted, never delivered: junk and bad checksums (discarded bytes), other meters' frames, our
// own echo and late replies to an earlier request (foreign frames).
//
// DL/T 645-2007 §5.2.3 (控制码): a reply has D7 = 1 and the request's function code; an abnormal
// reply (D6 = 1) carries an error word instead of the DI. §5.3.4: a bad checksum is discarded.
// When the frame with the bad checksum is the awaited reply by its header (the addressed meter,
// the function asked), the wait ends there with FRAME_CHECKSUM: the frame's length field says
// where it ends, so its last byte is the moment to know, not a timeout Tb later.
import { Dlt645Parser, frameHeaderOf, parseControl, type Dlt645Frame } from '../../protocols/dlt645/index.js';
import { AppError } from '../errors.js';
import type { Receiver } from './bus.js';

export interface LineCounters {
  discardedBytes: number;
  checksumFailures: number;
  foreignFrames: number;
}

export interface AwaitedReply {
  address: string;
  functionCode: number;
  /** For reads: the data identifier that opens the reply's data field. */
  di?: { value: number; bytes: 2 | 4 };
  /** Length of the expected reply frame (68 … 16), for the deadline while it arrives. */
  frameBytes: number;
}

export class Dlt645ReplyReceiver implements Receiver<Dlt645Frame> {
  private readonly parser = new Dlt645Parser();

  /** `what`: the exchange, for the error ("read DI 00010000 of meter 000000000001 on bus line-1"). */
  constructor(private readonly counters: LineCounters, private readonly awaited: AwaitedReply, private readonly what = 'reply') {}

  push(chunk: Buffer): Dlt645Frame | undefined {
    let reply: Dlt645Frame | undefined;
    let garbled: AppError | undefined;
    for (const event of this.parser.push(chunk)) {
      if (event.kind === 'discarded') {
        this.counters.discardedBytes += event.bytes.length;
        if (event.reason !== 'checksum') continue;
        this.counters.checksumFailures++;
        garbled ??= this.garbled(event.bytes);
      } else if (!reply && this.matches(event.frame)) {
        reply = event.frame;
      } else {
        this.counters.foreignFrames++;
      }
    }
    // Bytes after the reply in the same chunk are the exchange's too: counted, never dropped unseen.
    if (reply || garbled) this.counters.discardedBytes += this.parser.buffered;
    if (reply) return reply;
    if (garbled) throw garbled;
    return undefined;
  }

  /** The error for a bad-checksum frame that is the awaited reply by its header; undefined for anyone else's. */
  private garbled(bytes: Buffer): AppError | undefined {
    const header = frameHeaderOf(bytes);
    if (!header || header.address !== this.awaited.address) return undefined;
    const control = parseControl(header.control);
    if (!control.fromMeter || control.functionCode !== this.awaited.functionCode) return undefined;
    const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');
    return new AppError('FRAME_CHECKSUM', `${this.what}: the reply's checksum is wrong (it carries ${hex(header.checksum)}, its bytes add up to ${hex(header.sum)}; `
      + `DL/T 645-2007 §5.3.4): ${bytes.toString('hex')}`, { address: header.address, functionCode: control.functionCode, checksum: header.checksum, sum: header.sum, bytes: bytes.length });
  }

  remainingBytes(): number {
    return Math.max(1, this.awaited.frameBytes - this.parser.buffered);
  }

  private matches(frame: Dlt645Frame): boolean {
    const control = parseControl(frame.control);
    if (!control.fromMeter || frame.address !== this.awaited.address || control.functionCode !== this.awaited.functionCode) return false;
    const di = this.awaited.di;
    if (!di || control.abnormal) return true;
    if (frame.data.length < di.bytes) return false;
    let value = 0;
    for (let i = di.bytes - 1; i >= 0; i--) value = value * 256 + (frame.data[i] ?? 0);
    return value === di.value;
  }
}
