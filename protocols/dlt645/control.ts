// Remote control, function 1CH: trip, close permitted, direct close, alarm, keep-power.
//
// DL/T 645-2007 control code 11100 (跳合闸、报警、保电), with State Grid's 2013 supplement
// (direct close N1 = 1C, the two-byte control error word) and Q/GDW 1365 (PA 98H, ESAM):
//   request  1CH  PA P0 P1 P2 C0 C1 C2 C3 N1 N2 N3..N8   (N3..N8 = deadline ss mm hh DD MM YY)
//   normal   9CH  no data
//   abnormal DCH  ERR
//
// Mapping the error word to an outcome. The sources disagree on the error word of 1CH:
// DL/T 645-2007 gives every abnormal reply the one-byte ERR whose bit2 is "password error /
// unauthorised" and whose bits 3..6 (baud rate, time zones, periods, tariffs) mean nothing for
// a relay command; the 2013 supplement gives 1CH a two-byte word of its own (see
// error-word.ts), whose bit2 is still "unauthorised" and whose bits 4..6 are "deadline passed"
// and "refused under keep-power". Meters in the field send both lengths, and some send the
// supplement's bits in a single byte. We therefore read bits 2..8 with the supplement's
// meaning whatever the length (they cannot mean anything else for 1CH), and bits 0..1 with
// the supplement's meaning (suspended, MAC error → unauthorised) only when two bytes arrive,
// otherwise as the 2007 "other error" / "no requested data". Order: keep-power, then expired,
// then unauthorised, then other. Older meters that know no keep-power bit refuse with the
// catch-all bit2, so a keep-power refusal can surface as 'unauthorised': confirm with status
// word 3 bit 12 before treating it as a credential problem.

import { Dlt645Error } from './errors.js';
import { bytesToHexDigits, hexDigitsToBytes, readUIntLE } from './bcd.js';
import { FunctionCode, encodeFrame, expectReply, expectRequest, makeControl, parseControl, type Dlt645Frame } from './frame.js';
import { CONTROL_ERROR_FLAGS, ControlErrorBit, ErrorBit } from './error-word.js';
import { DEFAULT_UTC_OFFSET_MINUTES, decodeDateTime6 } from './datetime.js';
import { ESAM_PASSWORD_LEVEL, actionOfN1, type ControlAction, type ControlCommand, type ControlPayloadStrategy } from './control-strategy.js';

export function encodeControlRequest(
  address: string,
  command: ControlCommand,
  strategy: ControlPayloadStrategy,
  options: { preamble?: number } = {},
): Buffer {
  const payload = strategy.encode(address, command);
  if (payload.password.length !== 3) {
    throw new Dlt645Error('VALUE_INVALID', 'control password must be 3 bytes', { strategy: strategy.name });
  }
  const operator = hexDigitsToBytes(command.operator ?? '00000000', 4, 'operator');
  const data = Buffer.concat([Buffer.from([payload.pa & 0xff]), Buffer.from(payload.password), operator, Buffer.from(payload.body)]);
  return encodeFrame({ address, control: makeControl(FunctionCode.Control), data }, options);
}

export interface DecodedControlRequest {
  pa: number;
  /** P2 P1 P0 as 6 hex digits. */
  password: string;
  /** C3..C0 as 8 hex digits. */
  operator: string;
  /** N1 (the first body byte; for PA 98H that is ciphertext). */
  n1: number;
  /** null for ciphertext (PA 98H) or an unknown N1. */
  action: ControlAction | null;
  /** null when the 6 bytes are not a valid date, or for ciphertext. */
  deadline: Date | null;
  /** The body after the operator code as received (N1..N8 or ciphertext). */
  body: Uint8Array;
}

export function decodeControlRequest(frame: Dlt645Frame, options: { utcOffsetMinutes?: number } = {}): DecodedControlRequest {
  expectRequest(frame, FunctionCode.Control, 'remote control');
  if (frame.data.length < 9) {
    throw new Dlt645Error('FRAME_UNEXPECTED', `remote control data too short: ${frame.data.length}`, { length: frame.data.length });
  }
  const d = frame.data;
  const pa = d[0] ?? 0;
  const body = d.slice(8);
  const encrypted = pa === ESAM_PASSWORD_LEVEL;
  const n1 = body[0] ?? 0;
  return {
    pa,
    password: bytesToHexDigits(d.subarray(1, 4)),
    operator: bytesToHexDigits(d.subarray(4, 8)),
    n1,
    action: encrypted ? null : actionOfN1(n1),
    deadline: encrypted || body.length < 8 ? null : decodeDateTime6(body.subarray(2, 8), options.utcOffsetMinutes ?? DEFAULT_UTC_OFFSET_MINUTES),
    body,
  };
}

export type ControlRefusal = 'keep-power' | 'unauthorised' | 'expired' | 'other';
export type ControlOutcome = { ok: true } | { ok: false; reason: ControlRefusal; errorWord: number; flags: string[] };

/** The error word each refusal is answered with (two bytes for the supplement's named bits). */
const REFUSAL_WORD: Readonly<Record<ControlRefusal, { word: number; bytes: 1 | 2 }>> = {
  'keep-power': { word: ControlErrorBit.tripRefusedKeepPower, bytes: 2 },
  expired: { word: ControlErrorBit.deadlineExpired, bytes: 2 },
  unauthorised: { word: ControlErrorBit.unauthorised, bytes: 2 },
  other: { word: ErrorBit.other, bytes: 1 },
};

/**
 * Normal reply 9CH, or DCH with the refusal's error word. `errorWord` names the bits exactly
 * (two bytes, 2013 supplement) where the refusal alone does not, e.g. identity authentication
 * timed out (bit 3) or MAC error (bit 1) from an ESAM meter.
 */
export function encodeControlResponse(
  address: string,
  outcome: { ok: true } | { ok: false; reason: ControlRefusal; errorWord?: number },
  options: { preamble?: number } = {},
): Buffer {
  const preamble = options.preamble ?? 0;
  if (outcome.ok) {
    return encodeFrame({ address, control: makeControl(FunctionCode.Control, { fromMeter: true }), data: new Uint8Array(0) }, { preamble });
  }
  if (outcome.errorWord !== undefined) {
    if (!Number.isInteger(outcome.errorWord) || outcome.errorWord <= 0 || outcome.errorWord > 0xffff) {
      throw new Dlt645Error('VALUE_INVALID', `control error word out of range: ${outcome.errorWord}`, { errorWord: outcome.errorWord });
    }
    const data = Buffer.from([outcome.errorWord & 0xff, outcome.errorWord >> 8]);
    return encodeFrame({ address, control: makeControl(FunctionCode.Control, { fromMeter: true, abnormal: true }), data }, { preamble });
  }
  const spec = REFUSAL_WORD[outcome.reason];
  if (spec === undefined) throw new Dlt645Error('VALUE_INVALID', `unknown refusal: ${String(outcome.reason)}`, { reason: outcome.reason });
  const data = spec.bytes === 2 ? Buffer.from([spec.word & 0xff, spec.word >> 8]) : Buffer.from([spec.word]);
  return encodeFrame({ address, control: makeControl(FunctionCode.Control, { fromMeter: true, abnormal: true }), data }, { preamble });
}

/** Flags of a 1CH error word of `length` bytes (see the header for why the length matters). */
export function controlErrorFlags(errorWord: number, length: number): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < 16; bit++) {
    if ((errorWord & (1 << bit)) === 0) continue;
    if (length < 2 && bit === 0) out.push('other');
    else if (length < 2 && bit === 1) out.push('noRequestedData');
    else out.push(CONTROL_ERROR_FLAGS[bit] ?? `bit${bit}`);
  }
  return out;
}

export function controlRefusalOf(errorWord: number, length: number): ControlRefusal {
  const B = ControlErrorBit;
  if (errorWord & (B.tripRefusedKeepPower | B.preTripRefusedKeepPower)) return 'keep-power';
  if (errorWord & B.deadlineExpired) return 'expired';
  if (errorWord & (B.unauthorised | B.identityAuthenticationTimeout)) return 'unauthorised';
  if (length >= 2 && errorWord & (B.meterSuspended | B.macError)) return 'unauthorised';
  return 'other';
}

export function decodeControlResponse(frame: Dlt645Frame): ControlOutcome {
  const c = expectReply(frame, FunctionCode.Control, 'remote control');
  if (!c.abnormal) return { ok: true };
  const length = Math.min(frame.data.length, 2);
  const errorWord = length === 0 ? 0 : readUIntLE(frame.data, 0, length);
  return { ok: false, reason: controlRefusalOf(errorWord, length), errorWord, flags: controlErrorFlags(errorWord, length) };
}

/**
 * What an ESAM meter's refusal says about the session, from the two-byte word (2013
 * supplement): 'session' — identity authentication absent or timed out (bit 3), authenticate
 * again; 'mac' — MAC error (bit 1); 'suspended' — the meter suspended after repeated MAC
 * errors (bit 0). null for every other refusal, and for one-byte words (bits 0..1 mean other
 * things there).
 */
export function controlSecurityCause(outcome: ControlOutcome): 'session' | 'mac' | 'suspended' | null {
  if (outcome.ok) return null;
  if (outcome.flags.includes('identityAuthenticationTimeout')) return 'session';
  if (outcome.flags.includes('meterSuspended')) return 'suspended';
  if (outcome.flags.includes('macError')) return 'mac';
  return null;
}

/** True when the frame is any reply to 1CH (normal or abnormal). */
export function isControlReply(frame: Dlt645Frame): boolean {
  const c = parseControl(frame.control);
  return c.fromMeter && c.functionCode === FunctionCode.Control;
}
