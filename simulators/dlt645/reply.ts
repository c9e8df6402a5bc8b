// What a simulated meter puts on the wire in answer to one request: nothing, or bytes with
// optional timing. Behaviours and the meter model both produce these; the bus paces them.

export type Reply =
  | { kind: 'silent' }
  | {
      kind: 'send';
      /** Wire bytes, preamble included; need not be a valid frame (garbage, truncation). */
      bytes: Uint8Array;
      /** Wait this long before the first byte, replacing the bus's response delay Td. */
      delayMs?: number;
      /** Extra pause between bytes on top of the baud-rate pacing (DL/T 645 Tb). */
      interByteGapMs?: number;
    };

export const SILENT: Reply = { kind: 'silent' };

export function send(bytes: Uint8Array, timing: { delayMs?: number; interByteGapMs?: number } = {}): Reply {
  return { kind: 'send', bytes, ...timing };
}
