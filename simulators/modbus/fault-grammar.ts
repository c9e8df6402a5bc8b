// The --fault grammar of the Modbus simulator: the schedule of fault-schedule.ts with the effects a
// Modbus meter can show (behaviours.ts) and the requests it can look at.
//
//   --fault UNIT=EFFECT[:ARG][,KEY=VALUE]...
//
//   2=silent,for=30s                 unit 2 silent for the first 30 s
//   1=bad-crc,rate=1/5               a broken CRC on 1 reply in 5 (RTU only)
//   1=exception:4,only=reconnect     the relay-close write answered with exception 04
import { FunctionCode, type FunctionName } from '../../protocols/modbus/index.js';
import { FaultSyntaxError, formatDuration, formatSchedule, parseDuration, parseSchedule, splitFault, type FaultSchedule } from '../fault-schedule.js';

export { FaultSyntaxError };

export type ModbusFaultEffect =
  | { kind: 'silent' }
  | { kind: 'exception'; code: number }
  | { kind: 'bad-crc' }
  | { kind: 'delay'; delayMs: number };

/** `read` / `write`: any read or write function; `disconnect` / `reconnect`: the map's relay write for open / close. */
export type ModbusRequestFilter = 'read' | 'write' | 'disconnect' | 'reconnect' | FunctionName;

export interface ModbusFaultSpec {
  /** A unit id (1..247) as written, or `all`. */
  meter: string;
  effect: ModbusFaultEffect;
  schedule: FaultSchedule<ModbusRequestFilter>;
}

export const MODBUS_EFFECTS: readonly ModbusFaultEffect['kind'][] = ['silent', 'exception', 'bad-crc', 'delay'];
export const MODBUS_FILTER_WORDS: readonly ModbusRequestFilter[] = ['read', 'write', 'disconnect', 'reconnect', ...(Object.keys(FunctionCode) as FunctionName[])];
/** Modbus Application Protocol V1.1b3 §7: 04 "server device failure", what a meter that cannot act answers. */
const DEFAULT_EXCEPTION = 0x04;
const MAX_DELAY_MS = 60_000;

export function parseModbusFault(text: string): ModbusFaultSpec {
  const { meter, head, options } = splitFault(text);
  if (meter !== 'all' && !(/^\d+$/.test(meter) && Number(meter) >= 1 && Number(meter) <= 247)) {
    throw new FaultSyntaxError(text, `meter '${meter}'`, 'expected a unit id 1..247, or all');
  }
  const effect = parseEffect(text, head);
  const schedule = parseSchedule(text, options, (word) => {
    if ((MODBUS_FILTER_WORDS as readonly string[]).includes(word)) return word as ModbusRequestFilter;
    throw new FaultSyntaxError(text, `only '${word}'`, `expected one of ${MODBUS_FILTER_WORDS.join(', ')}`);
  });
  return { meter: String(meter === 'all' ? meter : Number(meter)), effect, schedule };
}

function parseEffect(text: string, head: string): ModbusFaultEffect {
  const colon = head.indexOf(':');
  const name = colon < 0 ? head : head.slice(0, colon);
  const arg = colon < 0 ? undefined : head.slice(colon + 1);
  switch (name) {
    case 'silent':
    case 'bad-crc':
      if (arg !== undefined) throw new FaultSyntaxError(text, name, 'takes no argument');
      return { kind: name };
    case 'exception': {
      if (arg === undefined) return { kind: name, code: DEFAULT_EXCEPTION };
      const code = /^0x[0-9a-fA-F]{1,2}$/.test(arg) ? Number.parseInt(arg.slice(2), 16) : /^\d{1,3}$/.test(arg) ? Number(arg) : NaN;
      if (!(code >= 1 && code <= 255)) throw new FaultSyntaxError(text, name, `the exception code must be 1..255 (4 or 0x04), got '${arg}'`);
      return { kind: name, code };
    }
    case 'delay':
      if (arg === undefined || arg === '') throw new FaultSyntaxError(text, name, 'needs the delay before the reply, e.g. delay:800ms');
      return { kind: name, delayMs: parseDuration(text, name, arg, MAX_DELAY_MS) };
    default:
      throw new FaultSyntaxError(text, `effect '${name}'`, `expected one of ${MODBUS_EFFECTS.join(', ')}`);
  }
}

/** The fault as the command line writes it; parseModbusFault(formatModbusFault(s)) equals s. */
export function formatModbusFault(spec: ModbusFaultSpec): string {
  const { effect } = spec;
  const arg = effect.kind === 'exception' ? `:${effect.code}` : effect.kind === 'delay' ? `:${formatDuration(effect.delayMs)}` : '';
  return [`${spec.meter}=${effect.kind}${arg}`, ...formatSchedule(spec.schedule, String)].join(',');
}
