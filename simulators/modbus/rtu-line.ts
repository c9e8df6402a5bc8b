// A simulated RS-485 line of Modbus RTU meters (many unit ids on one line) behind one transport
// (pty, serial port, or a TCP serial server), optionally shared with DL/T 645 meters: one line, as
// in the field, where every device hears every frame and answers only its own.
//
//   head-end ─▶ link ─┬─▶ RtuParser ─▶ unit → SimModbusMeter.handle ─▶ Td, paced write ─▶ link
//                     └─▶ DL/T 645 bus simulator (TCP loopback, its own meters and pacing) ─▶ link
//
// Modbus over Serial Line V1.02 §2.1: a broadcast (unit 0) write is applied by every meter and
// answered by none; §2.4.2: a frame with a bad CRC is ignored. A request that arrives while a
// device is still answering, or two devices answering at once, counts as a collision.
import { connect, type Socket } from 'node:net';
import {
  BROADCAST_UNIT, FunctionCode, RtuParser, decodeRequest, encodeException, encodeResponse, encodeRtuFrame, isModbusError,
  type ModbusRequest,
} from '../../protocols/modbus/index.js';
import { Dlt645Parser } from '../../protocols/dlt645/index.js';
import { startDlt645Bus, type Dlt645BusOptions, type SimBus } from '../dlt645/bus.js';
import { sleep, writePaced } from '../dlt645/pacing.js';
import { openEndpoint, type SimLink, type SimTransport } from '../dlt645/transports.js';
import { SimModbusMeter, type SimModbusMeterOptions } from './meter.js';
import type { SimReply } from './reply.js';

export interface ModbusRtuLineOptions {
  transport: SimTransport;
  /** Line speed; replies are paced at it (11 bits a character). Allowed 300..115200. */
  baudRate: number;
  /** Delay between a request's last byte and the reply's first. Default 10 ms, allowed 0..1000. */
  responseDelayMs?: number;
  meters: SimModbusMeterOptions[];
  /** DL/T 645 meters on the same line. */
  dlt645?: Omit<Dlt645BusOptions, 'transport' | 'baudRate' | 'clock'>;
  clock?: () => number;
  onEvent?: (event: ModbusLineEvent) => void;
}

export type ModbusLineEvent =
  | { kind: 'request'; unit: number; function: string; outcome: 'reply' | 'exception' | 'silent' | 'ignored' | 'broadcast' }
  | { kind: 'discarded'; bytes: Buffer; reason: string }
  | { kind: 'collision'; link: string }
  | { kind: 'error'; error: Error };

export interface ModbusLineStats {
  /** Modbus frames received with a good CRC (any unit). */
  requests: number;
  replies: number;
  /** Byte runs the Modbus parser discarded (bad CRC, junk, and on a shared line the DL/T 645 frames). */
  discarded: number;
  /** Frames for units not on this line. */
  ignored: number;
  collisions: number;
}

export interface SimModbusLine {
  devicePath?: string;
  port?: number;
  meters: Map<number, SimModbusMeter>;
  meter(unit: number): SimModbusMeter;
  /** The DL/T 645 meters sharing the line, when configured. */
  dlt645?: SimBus;
  readonly stats: ModbusLineStats;
  close(): Promise<void>;
}

interface LinkState {
  parser: RtuParser;
  queue: Promise<void>;
  modbusTalking: boolean;
  dlt?: { socket: Socket; replies: Dlt645Parser };
}

const DEFAULT_RESPONSE_DELAY_MS = 10;

export async function startModbusRtuLine(options: ModbusRtuLineOptions): Promise<SimModbusLine> {
  const { baudRate } = options;
  if (!(Number.isInteger(baudRate) && baudRate >= 300 && baudRate <= 115_200)) throw new RangeError(`baudRate must be an integer in 300..115200, got ${baudRate}`);
  const responseDelayMs = options.responseDelayMs ?? DEFAULT_RESPONSE_DELAY_MS;
  if (!(responseDelayMs >= 0 && responseDelayMs <= 1000)) throw new RangeError(`responseDelayMs must be 0..1000, got ${responseDelayMs}`);
  const clock = options.clock ?? Date.now;
  const meters = new Map<number, SimModbusMeter>();
  for (const m of options.meters) {
    if (meters.has(m.unit)) throw new RangeError(`unit ${m.unit} is on the line twice`);
    meters.set(m.unit, new SimModbusMeter(m, clock));
  }
  const stats: ModbusLineStats = { requests: 0, replies: 0, discarded: 0, ignored: 0, collisions: 0 };
  const abort = new AbortController();
  const links = new Map<SimLink, LinkState>();
  const emit = (event: ModbusLineEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // A listener's failure is its own.
    }
  };
  const collision = (link: SimLink) => {
    stats.collisions++;
    emit({ kind: 'collision', link: link.name });
  };
  const dltTalking = (state: LinkState) => (state.dlt?.replies.buffered ?? 0) > 0;

  const dlt645 = options.dlt645 ? await startDlt645Bus({ ...options.dlt645, transport: { kind: 'tcp' }, baudRate, clock }) : undefined;

  const transmit = (link: SimLink, state: LinkState, unit: number, request: ModbusRequest | number, reply: Exclude<SimReply, { kind: 'silent' }>) => {
    const fn = typeof request === 'number' ? request : FunctionCode[request.function];
    state.queue = state.queue.then(async () => {
      await sleep(reply.delayMs ?? responseDelayMs, abort.signal);
      if (abort.signal.aborted) return;
      const pdu = reply.kind === 'response' ? encodeResponse(reply.response) : encodeException(fn, reply.exceptionCode);
      const frame = encodeRtuFrame(unit, pdu);
      if (reply.corruptCrc) frame[frame.length - 1]! ^= 0xff;
      if (dltTalking(state)) collision(link);
      state.modbusTalking = true;
      try {
        await writePaced((chunk) => link.write(chunk), frame, { baudRate, signal: abort.signal });
      } finally {
        state.modbusTalking = false;
      }
      if (!abort.signal.aborted) stats.replies++;
    }).catch((error: unknown) => {
      if (!abort.signal.aborted) emit({ kind: 'error', error: error instanceof Error ? error : new Error(String(error)) });
    });
  };

  const onFrame = (link: SimLink, state: LinkState, unit: number, pdu: Buffer) => {
    stats.requests++;
    let request: ModbusRequest;
    try {
      request = decodeRequest(pdu);
    } catch (error) {
      const meter = meters.get(unit);
      if (!meter || !isModbusError(error)) {
        stats.ignored++;
        return;
      }
      // A meter answers a request it cannot take with the exception the codec names.
      emit({ kind: 'request', unit, function: `0x${(pdu[0] ?? 0).toString(16)}`, outcome: 'exception' });
      transmit(link, state, unit, pdu[0] ?? 0, { kind: 'exception', exceptionCode: Number(error.context.exceptionCode ?? 4) });
      return;
    }
    if (unit === BROADCAST_UNIT) {
      if (request.function.startsWith('write')) for (const m of meters.values()) m.handle(request);
      emit({ kind: 'request', unit, function: request.function, outcome: 'broadcast' });
      return;
    }
    const meter = meters.get(unit);
    if (!meter) {
      stats.ignored++;
      emit({ kind: 'request', unit, function: request.function, outcome: 'ignored' });
      return;
    }
    let reply: SimReply;
    try {
      reply = meter.handle(request);
    } catch (error) {
      emit({ kind: 'error', error: error instanceof Error ? error : new Error(String(error)) });
      reply = { kind: 'silent' };
    }
    emit({ kind: 'request', unit, function: request.function, outcome: reply.kind === 'response' ? 'reply' : reply.kind });
    if (reply.kind !== 'silent') transmit(link, state, unit, request, reply);
  };

  const endpoint = await openEndpoint(options.transport, baudRate, {
    onLink: (link) => {
      const state: LinkState = { parser: new RtuParser('request'), queue: Promise.resolve(), modbusTalking: false };
      if (dlt645?.port !== undefined) {
        // The DL/T 645 meters hear the same bytes; their replies go back onto this line.
        const socket = connect({ host: '127.0.0.1', port: dlt645.port });
        socket.setNoDelay(true);
        const replies = new Dlt645Parser();
        socket.on('data', (chunk: Buffer) => {
          if (state.modbusTalking) collision(link);
          replies.push(chunk);
          link.write(chunk).catch(() => {});
        });
        socket.on('error', (error) => {
          if (!abort.signal.aborted) emit({ kind: 'error', error });
        });
        state.dlt = { socket, replies };
      }
      links.set(link, state);
    },
    onLinkClosed: (link) => {
      links.get(link)?.dlt?.socket.destroy();
      links.delete(link);
    },
    onError: (error) => emit({ kind: 'error', error }),
    onData: (link, chunk) => {
      const state = links.get(link);
      if (!state) return;
      if (state.modbusTalking || dltTalking(state)) collision(link);
      state.dlt?.socket.write(chunk);
      for (const event of state.parser.push(chunk)) {
        if (event.kind === 'discarded') {
          stats.discarded++;
          emit({ kind: 'discarded', bytes: event.bytes, reason: event.reason });
        } else {
          onFrame(link, state, event.unit, event.pdu);
        }
      }
    },
  });

  let closing: Promise<void> | undefined;
  return {
    ...(endpoint.devicePath === undefined ? {} : { devicePath: endpoint.devicePath }),
    ...(endpoint.port === undefined ? {} : { port: endpoint.port }),
    meters,
    ...(dlt645 ? { dlt645 } : {}),
    stats,
    meter(unit: number): SimModbusMeter {
      const meter = meters.get(unit);
      if (!meter) throw new Error(`no meter with unit ${unit} on this line (have ${[...meters.keys()].join(', ')})`);
      return meter;
    },
    close(): Promise<void> {
      closing ??= (async () => {
        abort.abort();
        await Promise.all([...links.values()].map((s) => s.queue));
        for (const s of links.values()) s.dlt?.socket.destroy();
        await endpoint.close();
        await dlt645?.close();
      })();
      return closing;
    },
  };
}
