// Where the bytes after the operator code of a remote-control (1CH) frame come from.
//
//   1CH data = PA | P0 P1 P2 | C0 C1 C2 C3 | body
//              level password  operator     N1 N2 N3..N8 (plaintext)  or ciphertext (PA = 98H)
//
// Plaintext (PA 00/02/04) is what DL/T 645-2007 itself describes and what test benches and some
// vendors' meters accept. State Grid remote-prepaid meters accept 1CH only with PA = 98H and a
// body encrypted by the utility's encryption machine / the meter's ESAM after identity
// authentication (control code 03H, Q/GDW 1365). That path needs I/O (the encryption machine)
// and a session, so it lives outside this pure codec: the driver authenticates, obtains the
// ciphertext and hands it over through a ControlCipher.

import { Dlt645Error } from './errors.js';
import { hexDigitsToBytes } from './bcd.js';
import { DEFAULT_UTC_OFFSET_MINUTES, decodeDateTime6, encodeDateTime6 } from './datetime.js';

/** N1 of 1CH (DL/T 645-2007 with the 2013 supplement; Q/GDW 1365): 1A,1B,1C,2A,2B,3A,3B. */
export type ControlAction = 'trip' | 'closePermitted' | 'directClose' | 'alarm' | 'alarmRelease' | 'keepPower' | 'keepPowerRelease';

export const CONTROL_N1: Readonly<Record<ControlAction, number>> = {
  trip: 0x1a,
  closePermitted: 0x1b,
  directClose: 0x1c,
  alarm: 0x2a,
  alarmRelease: 0x2b,
  keepPower: 0x3a,
  keepPowerRelease: 0x3b,
};

export function actionOfN1(n1: number): ControlAction | null {
  for (const [action, code] of Object.entries(CONTROL_N1)) if (code === n1) return action as ControlAction;
  return null;
}

export interface ControlCommand {
  action: ControlAction;
  /** Validity deadline (命令有效截止时间); the meter ignores the command after it. */
  deadline: Date;
  /** 8 hex digits, default '00000000'. */
  operator?: string;
  /** The meter clock's offset from UTC in minutes, default 480 (UTC+8). */
  utcOffsetMinutes?: number;
}

export interface ControlPayload {
  /** Password level PA (00, 02, 04 plaintext; 98H encrypted). */
  pa: number;
  /** 3 bytes P0..P2 as on the wire before +0x33. */
  password: Uint8Array;
  /** N1..N8, or the ciphertext for PA 98H. */
  body: Uint8Array;
}

export interface ControlPayloadStrategy {
  readonly name: string;
  encode(address: string, command: ControlCommand): ControlPayload;
}

/** Plaintext N1..N8: N1 action, N2 reserved (00), N3..N8 deadline ss mm hh DD MM YY. */
export function plaintextControlBlock(command: ControlCommand): Buffer {
  const n1 = CONTROL_N1[command.action];
  if (n1 === undefined) throw new Dlt645Error('VALUE_INVALID', `unknown control action: ${String(command.action)}`, { action: command.action });
  const deadline = encodeDateTime6(command.deadline, command.utcOffsetMinutes ?? DEFAULT_UTC_OFFSET_MINUTES);
  return Buffer.concat([Buffer.from([n1, 0x00]), deadline]);
}

/**
 * N1..N8 back to the command: what a meter reads from a plaintext body, or from an ESAM body
 * once decrypted. `deadline` is null when the six bytes are not a valid date.
 */
export function decodePlaintextControlBlock(
  block: Uint8Array,
  utcOffsetMinutes: number = DEFAULT_UTC_OFFSET_MINUTES,
): { n1: number; action: ControlAction | null; deadline: Date | null } {
  const n1 = block[0] ?? 0;
  return { n1, action: actionOfN1(n1), deadline: block.length < 8 ? null : decodeDateTime6(block.subarray(2, 8), utcOffsetMinutes) };
}

export type PlaintextPasswordLevel = 0x00 | 0x02 | 0x04;

/**
 * DL/T 645-2007 plaintext control. Level 02 is the usual one; 00 appears in some vendors'
 * examples (see vector relay-trip-request) and 04 on meters configured that way.
 */
export function plaintextControl(options: { level?: PlaintextPasswordLevel; password?: string } = {}): ControlPayloadStrategy {
  const level = options.level ?? 0x02;
  if (level !== 0x00 && level !== 0x02 && level !== 0x04) {
    throw new Dlt645Error('VALUE_INVALID', `plaintext password level must be 00, 02 or 04: ${String(level)}`, { level });
  }
  const password = hexDigitsToBytes(options.password ?? '000000', 3, 'password');
  return {
    name: `plaintext-pa${level.toString(16).padStart(2, '0')}`,
    encode: (_address, command) => ({ pa: level, password, body: plaintextControlBlock(command) }),
  };
}

/** Password level that marks an ESAM-encrypted body (State Grid remote-prepaid meters). */
export const ESAM_PASSWORD_LEVEL = 0x98;

/**
 * The encryption machine's side of an ESAM control: given the meter and the plaintext N1..N8,
 * return the body the meter's ESAM will accept in the current authenticated session — on
 * State Grid meters ciphertext (16) + MAC (4) laid out by encodeEsamControlBody
 * (esam-commands.ts). Implementations live with the driver (they do I/O); they must have the
 * ciphertext ready before encode() is called, because codecs are synchronous.
 */
export interface ControlCipher {
  encryptControlBlock(address: string, plaintext: Uint8Array): Uint8Array;
}

/**
 * PA 98H strategy. Without a cipher this build cannot produce an accepted payload and says so
 * with NOT_SUPPORTED instead of sending something a meter would reject.
 */
export class EsamControlStrategy implements ControlPayloadStrategy {
  readonly name = 'esam-pa98';
  constructor(private readonly cipher?: ControlCipher) {}

  encode(address: string, command: ControlCommand): ControlPayload {
    if (this.cipher === undefined) {
      throw new Dlt645Error('NOT_SUPPORTED', 'ESAM-encrypted remote control needs an encryption machine, none is configured', {
        strategy: this.name,
        address,
        action: command.action,
      });
    }
    const body = this.cipher.encryptControlBlock(address, plaintextControlBlock(command));
    return { pa: ESAM_PASSWORD_LEVEL, password: new Uint8Array(3), body };
  }
}
