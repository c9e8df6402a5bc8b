// What each command action wants to read back, and the event its confirmation raises.
// Relay actions switch the relay (status word 3 bit 4 on DL/T 645); keep-power actions set or clear
// the meter's keep-power state (bit 12) and leave the relay alone.
import type { CommandAction } from '../db/repo/index.js';
import type { RelayReadback } from '../commands/executor.js';
import type { CommandOutcome } from '../domain/codes.js';

export type Target = { kind: 'relay'; state: 'open' | 'closed' } | { kind: 'keep-power'; on: boolean };

export const isRelay = (a: CommandAction): a is 'disconnect' | 'reconnect' => a === 'disconnect' || a === 'reconnect';

export const CONFIRMED_EVENT: Record<CommandAction, string> = {
  disconnect: 'disconnected', reconnect: 'reconnected', 'keep-power': 'keep-power-set', 'keep-power-release': 'keep-power-released',
};

export function targetOf(action: CommandAction): Target {
  if (isRelay(action)) return { kind: 'relay', state: action === 'disconnect' ? 'open' : 'closed' };
  return { kind: 'keep-power', on: action === 'keep-power' };
}

/** True when the read-back shows the target; an executor that reports no keep-power state is taken at its word. */
export function reached(target: Target, rb: RelayReadback): boolean {
  if (target.kind === 'relay') return rb.relay === target.state;
  return rb.keepPower === undefined ? true : rb.keepPower === target.on;
}

/** The outcome and message of a command that reached its expiry: what it was waiting for, if anything. */
export function expiryOf(command: { outcome: CommandOutcome | null; expiresAt: number }): { outcome: CommandOutcome; message: string } {
  const outcome = command.outcome ?? 'expired';
  const why = outcome === 'trip-delayed' ? 'accepted but the meter had not opened the relay'
    : outcome === 'close-permitted' ? 'close permitted but the customer did not press the button'
      : 'not confirmed';
  return { outcome, message: `${why} before ${new Date(command.expiresAt).toISOString()}` };
}

/** Progress short of the target that is worth waiting for: a trip the meter delays, a close awaiting the button. */
export function progressOf(target: Target, rb: RelayReadback): { outcome: 'trip-delayed' | 'close-permitted'; message: string } | null {
  if (target.kind !== 'relay') return null;
  if (target.state === 'open' && rb.tripPending) return { outcome: 'trip-delayed', message: 'accepted but trip delayed by the meter' };
  if (target.state === 'closed' && rb.closePermitted) return { outcome: 'close-permitted', message: 'close permitted: waiting for the customer to press the meter button' };
  return null;
}
