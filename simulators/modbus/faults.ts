// Modbus faults chosen on the command line (fault-grammar.ts), turned into meter behaviours with
// their schedule (../fault-schedule.ts). A request the fault does not act on passes on to the next
// behaviour and finally to the model. An exception is answered instead of acting on the request;
// a broken CRC and a delay alter the model's own answer, so the meter still acts on it.
import { relayWriteRequest, type ModbusRequest } from '../../protocols/modbus/index.js';
import { ScheduleState } from '../fault-schedule.js';
import { delay, exception, silence, wrongCrc, type ModbusBehaviour } from './behaviours.js';
import { formatModbusFault, type ModbusFaultEffect, type ModbusFaultSpec, type ModbusRequestFilter } from './fault-grammar.js';
import type { SimModbusMeter } from './meter.js';

export interface ModbusFaultOptions {
  /** Physical time; `after` and `for` count from the moment the fault is made. Default Date.now. */
  clock?: () => number;
  /** Told of every request the fault acted on: the 1-based hit number. */
  onHit?: (hit: number) => void;
}

export function modbusFaultBehaviour(spec: ModbusFaultSpec, options: ModbusFaultOptions = {}): ModbusBehaviour {
  const state = new ScheduleState(spec.schedule, options.clock ?? Date.now);
  const effect = effectBehaviour(spec.effect);
  const only = spec.schedule.only;
  return {
    name: `fault ${formatModbusFault(spec)}`,
    onRequest(request, meter) {
      if (only !== null && !only.some((filter) => matches(request, meter, filter))) return undefined;
      if (!state.consider()) return undefined;
      const reply = effect.onRequest(request, meter);
      if (reply === undefined) return undefined;
      const hit = state.hit();
      options.onHit?.(hit);
      return reply;
    },
  };
}

function matches(request: ModbusRequest, meter: SimModbusMeter, filter: ModbusRequestFilter): boolean {
  if (filter === 'read') return request.function.startsWith('read');
  if (filter === 'write') return request.function.startsWith('write');
  if (filter === 'disconnect' || filter === 'reconnect') {
    const relayWrite = relayWriteRequest(meter.map, filter === 'disconnect' ? 'open' : 'close');
    return relayWrite !== undefined && JSON.stringify(relayWrite) === JSON.stringify(request);
  }
  return request.function === filter;
}

function effectBehaviour(effect: ModbusFaultEffect): ModbusBehaviour {
  switch (effect.kind) {
    case 'silent':
      return silence();
    case 'exception':
      return exception(effect.code);
    case 'bad-crc':
      return wrongCrc();
    case 'delay':
      return delay(effect.delayMs);
  }
}
