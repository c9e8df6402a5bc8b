// The stable codes other systems build on: a command's state, outcome, action and origin, a
// meter's relay state, review kinds and hold kinds. Each is a constant list with one description
// per value; the TypeScript unions are made from the lists, and so are the OpenAPI enums
// (src/http/schemas.ts `described`), so that code, API and docs/commands.md cannot drift apart.
// A value is never renamed or removed within `/v1`; new ones may be added.

/** A command's place in its lifecycle (docs/commands.md). queued and sent are active, the rest final. */
export const COMMAND_STATES = ['queued', 'sent', 'confirmed', 'failed', 'expired', 'cancelled', 'refused', 'unconfirmable'] as const;
export type CommandState = (typeof COMMAND_STATES)[number];

export const COMMAND_STATE_DESCRIPTIONS: Record<CommandState, string> = {
  queued: 'created and waiting for its link (bus or concentrator); nothing sent yet. Only a queued command can be cancelled.',
  sent: 'sent to the meter at least once (`attempts` counts the sends) and being read back; not confirmed yet. '
    + '`outcome` may already say trip-delayed or close-permitted.',
  confirmed: "final: the meter's own state, read back, shows what the command asked for (DL/T 645 status word 3, the Modbus relay register, "
    + "a concentrator's ack plus a newer reading).",
  failed: 'final: ended without reaching its target — no confirmation after `engine.maxAttempts` sends (no-confirmation), '
    + 'a protocol or action the meter cannot take (unsupported-protocol, unsupported-action, refused), '
    + 'or an answer that came after the expiry (e.g. expired: a concentrator that never acknowledged).',
  expired: "final: its expiry (`expiresAt`) passed before a read-back showed the target; `outcome` says what it was waiting for "
    + '(expired, trip-delayed, close-permitted).',
  cancelled: 'final: cancelled while still queued, by an operator (outcome cancelled) or by a newer command for the meter (superseded); it was never sent.',
  refused: "final: the meter refused it on every send (or at once under its own keep-power); `outcome` is the meter's reason "
    + 'and a command-refused review item is raised (for a reconnect at the first refusal).',
  unconfirmable: 'final: sent to a meter that cannot show its relay state (its profile reads no status word 3), so it can never be '
    + 'confirmed; a relay-unconfirmable review item is raised.',
};

/** Whether a command is still in flight (queued or sent); every other state is final. */
export const ACTIVE_STATES = ['queued', 'sent'] as const satisfies readonly CommandState[];
export type FinalCommandState = Exclude<CommandState, (typeof ACTIVE_STATES)[number]>;

/**
 * How a command ended, or while it is sent the progress the meter reported. Every outcome the
 * lifecycle (src/commands/service.ts) and the relay executors (src/commands/*-executor.ts) write.
 */
export const COMMAND_OUTCOMES = [
  'confirmed', 'trip-delayed', 'close-permitted', 'no-confirmation', 'refused', 'refused-keep-power', 'unauthorised', 'expired',
  'authentication-failed', 'key-version', 'unsupported-protocol', 'unsupported-action', 'cancelled', 'superseded', 'unconfirmable',
] as const;
export type CommandOutcome = (typeof COMMAND_OUTCOMES)[number];

export const COMMAND_OUTCOME_DESCRIPTIONS: Record<CommandOutcome, string> = {
  confirmed: 'the read-back showed the target (state confirmed).',
  'trip-delayed': 'the meter accepted the trip but has not opened the relay yet (DL/T 645 status word 3 bit 6 set before bit 4). '
    + 'While sent the command keeps reading back; if the expiry comes first it ends expired with this outcome.',
  'close-permitted': 'the meter knows no direct close (1C) and was sent close permitted (0x1C N1 = 1B): supply returns when the '
    + "customer presses the meter's button. While sent the command keeps reading back; if nobody presses before the expiry it ends "
    + 'expired with this outcome.',
  'no-confirmation': 'sent `engine.maxAttempts` times, and after each send the read-backs showed neither the target nor progress '
    + "(no reply, or the relay unchanged); `lastError` has the last thing that went wrong (state failed). The meter's state is "
    + 'unknown to the head-end: look at the meter.',
  refused: 'refused for a reason other than those below: DL/T 645 error word "other", a Modbus exception, a concentrator ack with '
    + '`ok: false`, a mqtt meter without a concentrator (state refused); or a command that cannot be carried out at all, such as '
    + 'a Modbus register map without relay control (state failed, not retried).',
  'refused-keep-power': "the meter refused the trip because it is under its own keep-power (保电): DL/T 645 error word bit 'trip "
    + "refused under keep-power', or 'unauthorised' with status word 3 bit 12 set. Not sent again (state refused).",
  unauthorised: 'the meter refused the password, the operator code or the identity authentication (DL/T 645 error word bit 2, '
    + 'MAC error, authentication timed out, meter suspended): check the 0x1C credentials (state refused).',
  expired: "the validity deadline passed: by the head-end's clock before any confirmation (state expired); with the concentrator "
    + "offline or silent until then (state failed); or by the meter's own clock, which refused the 0x1C as out of date "
    + "(state refused: the meter's clock is wrong, see broadcast time sync).",
  'authentication-failed': "an ESAM meter refused the security authentication (DL/T 645 control code 03H, identity "
    + 'authentication 070000FF): keys or key version disagree, or the meter is suspended. Not sent again; a command-refused '
    + "review item asks to check the meter's key version (state refused).",
  'key-version': "the security module holds no keys of the meter's key version (GET /v1/meters/{id}/security): nothing was sent "
    + 'to the meter; a command-refused review item is raised (state refused).',
  'unsupported-protocol': "the daemon has no relay executor for the meter's protocol (state failed).",
  'unsupported-action': 'the meter takes no keep-power commands (state failed).',
  cancelled: 'cancelled by an operator while queued (state cancelled).',
  superseded: 'replaced while queued by a newer command for the same meter, e.g. a queued disconnect by a reconnect after a payment, '
    + 'or by a keep-power command (state cancelled; `lastError` names the newer action).',
  unconfirmable: 'sent to a meter that cannot show its relay state (state unconfirmable).',
};

/** Refusals a relay executor may report: the meter saying no, each an outcome of its own. */
export const REFUSAL_OUTCOMES = ['refused', 'refused-keep-power', 'unauthorised', 'expired', 'authentication-failed', 'key-version'] as const satisfies readonly CommandOutcome[];
export type Refusal = (typeof REFUSAL_OUTCOMES)[number];

export const COMMAND_ACTIONS = ['disconnect', 'reconnect', 'keep-power', 'keep-power-release'] as const;
export type CommandAction = (typeof COMMAND_ACTIONS)[number];

export const COMMAND_ACTION_DESCRIPTIONS: Record<CommandAction, string> = {
  disconnect: 'open the relay: supply off (拉闸; DL/T 645 0x1C N1 = 1A).',
  reconnect: 'close the relay: supply on (合闸; 0x1C N1 = 1C direct close, or 1B close permitted on meters without it).',
  'keep-power': "put the meter under its own keep-power (保电; 0x1C N1 = 3A), mirroring a keep-power hold; the relay is left alone.",
  'keep-power-release': "release the meter's own keep-power (0x1C N1 = 3B); the relay is left alone.",
};

export const COMMAND_ORIGINS = ['engine', 'operator', 'hold'] as const;
export type CommandOrigin = (typeof COMMAND_ORIGINS)[number];

export const COMMAND_ORIGIN_DESCRIPTIONS: Record<CommandOrigin, string> = {
  engine: 'the cut-off / restore engine, from the balance and the policy.',
  operator: 'an operator through the API or the console (single or bulk).',
  hold: 'a hold being placed or released (keep-power mirrored to the meter, manual-off).',
};

/** A meter's relay as last read back or reported. */
export const RELAY_STATES = ['open', 'closed', 'unknown'] as const;
export type RelayState = (typeof RELAY_STATES)[number];

export const RELAY_STATE_DESCRIPTIONS: Record<RelayState, string> = {
  open: 'the relay is open: supply is off (DL/T 645 status word 3 bit 4 = 1).',
  closed: 'the relay is closed: supply is on.',
  unknown: 'not read yet, or the meter cannot show it (no status word 3 in its profile, no relay register, no relay in its readings).',
};

/** What a review item is about: a stable code. */
export const REVIEW_KINDS = ['protected-arrears', 'flapping', 'relay-fault', 'meter-keep-power', 'command-refused', 'relay-unconfirmable'] as const;
export type ReviewKind = (typeof REVIEW_KINDS)[number];

export const REVIEW_KIND_DESCRIPTIONS: Record<ReviewKind, string> = {
  'protected-arrears': 'a protected customer is at or below the cut-off level: never cut automatically, a person decides. '
    + 'Closes itself when protection is removed or the balance rises.',
  flapping: 'the relay switched too often within the relay-safety window: a keep-power hold keeps supply on for a while and a person looks.',
  'relay-fault': "a read-back contradicts the meter's latest confirmed relay command (e.g. closed after a confirmed disconnect): automatic cut-offs pause.",
  'meter-keep-power': 'the meter refused a trip under its own keep-power (保电) that no hold explains: automatic cut-offs pause.',
  'command-refused': "the meter refused a command (its reason in the item); for a reconnect at the first refusal, as someone is without power.",
  'relay-unconfirmable': 'a command went to a meter that cannot show its relay state: a person must check it on site.',
};

export const HOLD_KINDS = ['keep-power', 'manual-off'] as const;
export type HoldKind = (typeof HOLD_KINDS)[number];

export const HOLD_KIND_DESCRIPTIONS: Record<HoldKind, string> = {
  'keep-power': '保电: supply may not be cut — no automatic disconnect, queued disconnects cancelled, mirrored to meters that take '
    + 'keep-power commands (0x1C N1 = 3A, 3B at release). Wins over manual-off.',
  'manual-off': "supply stays off whatever the balance: the engine disconnects and does not restore until the hold is released or "
    + 'expires (then it reconnects if the balance allows).',
};
