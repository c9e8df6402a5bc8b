// Faults chosen on the command line (fault-grammar.ts), turned into meter behaviours with their
// schedule (fault-schedule.ts): which requests they look at, from when, for how long, how often
// and how many times. A request the fault does not act on passes on to the next behaviour, and
// finally to the meter's own answer. Broadcast time (08H) is never looked at.
//
// Time comes from an injected clock, so a test can move a schedule without waiting for it.
import {
  ErrorBit,
  FunctionCode,
  FunctionCode1997,
  decode1997ReadRequest,
  decodeControlRequest,
  decodeReadRequest,
  encodeAbnormalResponse,
  parseControl,
  type ControlAction,
  type Dlt645Frame,
} from '../../protocols/dlt645/index.js';
import {
  fixedDelay,
  garbage,
  refuseRelayCommand,
  silence,
  slowBytes,
  truncated,
  wrongAddress,
  wrongChecksum,
  type Behaviour,
} from './behaviours.js';
import { ScheduleState } from '../fault-schedule.js';
import { formatFault, type FaultEffect, type FaultSpec, type RequestFilter } from './fault-grammar.js';
import type { SimMeter } from './meter.js';
import { send, type Reply } from './reply.js';

export interface FaultOptions {
  /** Physical time; the schedule's `after` and `for` count from the moment the fault is made. Default Date.now. */
  clock?: () => number;
  /** Told of every request the fault acted on: the 1-based hit number. */
  onHit?: (hit: number) => void;
}

const ACTIONS: Readonly<Record<string, readonly ControlAction[]>> = {
  disconnect: ['trip'],
  // The head-end reconnects with 1C, or with 1B where the meter has no direct close.
  reconnect: ['directClose', 'closePermitted'],
  'close-permitted': ['closePermitted'],
  'direct-close': ['directClose'],
  alarm: ['alarm'],
  'alarm-release': ['alarmRelease'],
  'keep-power': ['keepPower'],
  'keep-power-release': ['keepPowerRelease'],
};

/** The behaviour that makes a meter show `spec`'s fault on its schedule. */
export function faultBehaviour(spec: FaultSpec, options: FaultOptions = {}): Behaviour {
  const state = new ScheduleState(spec.schedule, options.clock ?? Date.now);
  const filters = spec.schedule.only ?? defaultFilter(spec.effect);
  const effect = effectBehaviour(spec.effect);
  return {
    name: `fault ${formatFault(spec)}`,
    onRequest(frame, meter) {
      if (!looksAt(frame, filters) || !state.consider()) return undefined;
      const reply = effect.onRequest(frame, meter);
      if (reply === undefined) return undefined;
      const hit = state.hit(); // counted even when nobody listens (onHit?.() would skip it)
      options.onHit?.(hit);
      return reply;
    },
  };
}

/** Without `only`: a refusal looks at 1CH, a missing register at its reads, the rest at every request. */
function defaultFilter(effect: FaultEffect): RequestFilter[] | null {
  if (effect.kind === 'refuse') return ['control'];
  if (effect.kind === 'missing') return [{ di: effect.di }];
  return null;
}

function looksAt(frame: Dlt645Frame, filters: RequestFilter[] | null): boolean {
  const { functionCode, fromMeter } = parseControl(frame.control);
  if (fromMeter || functionCode === FunctionCode.BroadcastTime) return false;
  if (filters === null) return true;
  return filters.some((filter) => matches(frame, functionCode, filter));
}

function matches(frame: Dlt645Frame, functionCode: number, filter: RequestFilter): boolean {
  const isRead = functionCode === FunctionCode.Read || functionCode === FunctionCode1997.Read;
  if (typeof filter === 'object') return isRead && readDi(frame, functionCode) === filter.di;
  if (filter === 'read') return isRead;
  if (filter === 'read-address') return functionCode === FunctionCode.ReadAddress;
  if (functionCode !== FunctionCode.Control) return false;
  if (filter === 'control') return true;
  const action = controlAction(frame);
  return action !== null && (ACTIONS[filter] ?? []).includes(action);
}

function readDi(frame: Dlt645Frame, functionCode: number): number | undefined {
  try {
    return functionCode === FunctionCode.Read ? decodeReadRequest(frame).di : decode1997ReadRequest(frame).di;
  } catch {
    return undefined;
  }
}

function controlAction(frame: Dlt645Frame): ControlAction | null {
  try {
    return decodeControlRequest(frame).action;
  } catch {
    return null;
  }
}

function effectBehaviour(effect: FaultEffect): Behaviour {
  switch (effect.kind) {
    case 'silent':
      return silence();
    case 'garbage':
      return garbage();
    case 'bad-checksum':
      return wrongChecksum();
    case 'truncated':
      return truncated(effect.keepBytes === undefined ? {} : { keepBytes: effect.keepBytes });
    case 'slow-bytes':
      return slowBytes({ interByteGapMs: effect.gapMs });
    case 'delay':
      return fixedDelay({ delayMs: effect.delayMs });
    case 'wrong-address':
      return wrongAddress(effect.address === undefined ? {} : { address: effect.address });
    case 'refuse':
      return refuseRelayCommand({ reason: effect.reason });
    case 'missing':
      return { name: 'missing', onRequest: (frame, meter) => noRequestedData(frame, meter) };
  }
}

/** The abnormal reply of a meter that lacks the register: "no requested data" (2007), "data identifier error" (1997). */
function noRequestedData(frame: Dlt645Frame, meter: SimMeter): Reply {
  const { functionCode } = parseControl(frame.control);
  const word = functionCode === FunctionCode1997.Read ? 0x02 : ErrorBit.noRequestedData;
  return send(Buffer.concat([Buffer.alloc(meter.preamble, 0xfe), encodeAbnormalResponse(meter.address, functionCode, word)]));
}
