// A simulated RS-485 bus of DL/T 645 meters behind one transport (pty, serial port or TCP DTU).
//
//   head-end bytes ─▶ link ─▶ Dlt645Parser ─▶ frame ─▶ route by address ─▶ SimMeter.handleRequest
//                                  │                                              │ Reply
//                               discarded                       wait Td, then write paced at the baud
//                                                               rate (11 bits a character) ─▶ link
//
// Routing: a meter answers only its own address; an address with AA wildcard bytes (e.g. the
// read-address request to AAAAAAAAAAAA) is answered only when exactly one meter matches, since
// several would collide on a real bus; 999999999999 carries broadcast time (08H), never answered.
import {
  BROADCAST_ADDRESS,
  Dlt645Parser,
  FunctionCode,
  decodeReadRequest,
  isDlt645Error,
  parseControl,
  type Dlt645Frame,
} from '../../protocols/dlt645/index.js';
import { SimMeter, type SimMeterOptions } from './meter.js';
import { sleep, writePaced } from './pacing.js';
import type { Reply } from './reply.js';
import { openEndpoint, type SimLink, type SimTransport } from './transports.js';

export interface Dlt645BusOptions {
  transport: SimTransport;
  /** Line speed; replies are paced at it. Allowed 300..115200. */
  baudRate: number;
  /** Td, the meter's response delay (DL/T 645-2007 §5.3.3). Default 30 ms, allowed 20..500. */
  responseDelayMs?: number;
  meters: SimMeterOptions[];
  /** Physical time for the meters (energy, trip delays, clocks). Default Date.now. */
  clock?: () => number;
  /** Called for every request, reply outcome and discarded byte run; a throwing listener is ignored. */
  onEvent?: (event: SimBusEvent) => void;
}

export type SimBusEvent =
  | {
      kind: 'request';
      link: string;
      address: string;
      functionCode: number;
      /** For reads: the data identifier. */
      di?: number;
      /** The meter that took the request, or null when none did. */
      meter: string | null;
      outcome: 'reply' | 'silent' | 'ignored';
      replyBytes: number;
    }
  | { kind: 'discarded'; link: string; bytes: Buffer; reason: string }
  | { kind: 'error'; error: Error };

export interface SimBusStats {
  /** Frames received (for any address). */
  requests: number;
  /** Replies written to the line. */
  replies: number;
  /** Byte runs the parser discarded (junk, bad checksum, …). */
  discarded: number;
  /** Frames no meter on this bus took. */
  ignored: number;
}

export interface SimBus {
  /** The device the head-end opens (pty: the other end of the pair). */
  devicePath?: string;
  /** TCP port the head-end connects to. */
  port?: number;
  meters: Map<string, SimMeter>;
  meter(address: string): SimMeter;
  readonly stats: SimBusStats;
  close(): Promise<void>;
}

const DEFAULT_RESPONSE_DELAY_MS = 30;

export async function startDlt645Bus(options: Dlt645BusOptions): Promise<SimBus> {
  const { baudRate } = options;
  if (!(Number.isInteger(baudRate) && baudRate >= 300 && baudRate <= 115_200)) {
    throw new RangeError(`baudRate must be an integer in 300..115200, got ${baudRate}`);
  }
  const responseDelayMs = options.responseDelayMs ?? DEFAULT_RESPONSE_DELAY_MS;
  if (!(responseDelayMs >= 20 && responseDelayMs <= 500)) {
    throw new RangeError(`responseDelayMs (Td) must be 20..500 ms, got ${responseDelayMs}`);
  }
  const clock = options.clock ?? Date.now;
  const meters = new Map<string, SimMeter>();
  for (const meterOptions of options.meters) {
    if (meters.has(meterOptions.address)) throw new RangeError(`meter ${meterOptions.address} is on the bus twice`);
    meters.set(meterOptions.address, new SimMeter(meterOptions, clock));
  }

  const stats: SimBusStats = { requests: 0, replies: 0, discarded: 0, ignored: 0 };
  const abort = new AbortController();
  const parsers = new Map<SimLink, Dlt645Parser>();
  /** Per link, the tail of its reply queue: one reply at a time, in order, as on a half-duplex line. */
  const queues = new Map<SimLink, Promise<void>>();

  const emit = (event: SimBusEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // A listener's failure is its own; the bus keeps running.
    }
  };

  const route = (frame: Dlt645Frame): SimMeter[] => {
    if (frame.address === BROADCAST_ADDRESS) {
      return parseControl(frame.control).functionCode === FunctionCode.BroadcastTime ? [...meters.values()] : [];
    }
    const own = meters.get(frame.address);
    if (own) return [own];
    if (!frame.address.includes('A')) return [];
    const matching = [...meters.values()].filter((m) => matchesWildcard(frame.address, m.address));
    return matching.length === 1 ? matching : [];
  };

  const transmit = (link: SimLink, reply: Extract<Reply, { kind: 'send' }>): void => {
    const previous = queues.get(link) ?? Promise.resolve();
    const next = previous.then(async () => {
      await sleep(reply.delayMs ?? responseDelayMs, abort.signal);
      if (abort.signal.aborted) return;
      await writePaced((chunk) => link.write(chunk), reply.bytes, {
        baudRate,
        interByteGapMs: reply.interByteGapMs ?? 0,
        signal: abort.signal,
      });
      if (!abort.signal.aborted) stats.replies += 1;
    });
    queues.set(
      link,
      next.catch((error: unknown) => {
        if (!abort.signal.aborted) emit({ kind: 'error', error: error instanceof Error ? error : new Error(String(error)) });
      }),
    );
  };

  const onFrame = (link: SimLink, frame: Dlt645Frame): void => {
    stats.requests += 1;
    const { functionCode, fromMeter } = parseControl(frame.control);
    const base = { kind: 'request' as const, link: link.name, address: frame.address, functionCode, ...readDi(frame) };
    const targets = fromMeter ? [] : route(frame);
    if (targets.length === 0) {
      stats.ignored += 1;
      emit({ ...base, meter: null, outcome: 'ignored', replyBytes: 0 });
      return;
    }
    for (const meter of targets) {
      let reply: Reply;
      try {
        reply = meter.handleRequest(frame);
      } catch (error) {
        // A faulty behaviour must not take the bus down: report it and stay silent.
        emit({ kind: 'error', error: error instanceof Error ? error : new Error(String(error)) });
        reply = { kind: 'silent' };
      }
      // Broadcasts are never answered, whatever a behaviour says.
      if (reply.kind === 'send' && targets.length === 1 && frame.address !== BROADCAST_ADDRESS) {
        emit({ ...base, meter: meter.address, outcome: 'reply', replyBytes: reply.bytes.length });
        transmit(link, reply);
      } else {
        emit({ ...base, meter: meter.address, outcome: 'silent', replyBytes: 0 });
      }
    }
  };

  const endpoint = await openEndpoint(options.transport, baudRate, {
    onLink: (link) => parsers.set(link, new Dlt645Parser()),
    onLinkClosed: (link) => {
      parsers.delete(link);
      queues.delete(link);
    },
    onError: (error) => emit({ kind: 'error', error }),
    onData: (link, chunk) => {
      const parser = parsers.get(link);
      if (parser === undefined) return;
      for (const event of parser.push(chunk)) {
        if (event.kind === 'discarded') {
          stats.discarded += 1;
          emit({ kind: 'discarded', link: link.name, bytes: event.bytes, reason: event.reason });
        } else {
          onFrame(link, event.frame);
        }
      }
    },
  });

  let closing: Promise<void> | undefined;
  return {
    ...(endpoint.devicePath === undefined ? {} : { devicePath: endpoint.devicePath }),
    ...(endpoint.port === undefined ? {} : { port: endpoint.port }),
    meters,
    stats,
    meter(address: string): SimMeter {
      const meter = meters.get(address);
      if (meter === undefined) throw new Error(`no meter ${address} on this bus (have ${[...meters.keys()].join(', ')})`);
      return meter;
    },
    close(): Promise<void> {
      closing ??= (async () => {
        abort.abort();
        await Promise.all([...queues.values()]);
        await endpoint.close();
      })();
      return closing;
    },
  };
}

/** Each AA byte of a request address (printed 'AA') stands for any two digits. */
function matchesWildcard(pattern: string, address: string): boolean {
  for (let i = 0; i < 12; i += 2) {
    const pair = pattern.slice(i, i + 2);
    if (pair !== 'AA' && pair !== address.slice(i, i + 2)) return false;
  }
  return true;
}

function readDi(frame: Dlt645Frame): { di?: number } {
  if (parseControl(frame.control).functionCode !== FunctionCode.Read) return {};
  try {
    return { di: decodeReadRequest(frame).di };
  } catch (error) {
    if (isDlt645Error(error)) return {};
    throw error;
  }
}
