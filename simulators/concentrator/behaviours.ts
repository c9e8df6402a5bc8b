// How a simulated concentrator departs from the contract, on purpose: duplicated and reordered
// messages, late batches (a day sent again), malformed messages, refused or unacknowledged
// commands. Random choices come from a seeded generator so a test run can be repeated.

export interface Misbehaviour {
  /** share of readings messages published twice (0..1) */
  duplicateRate: number;
  /** shuffle the readings inside each message and the order of the messages of one round */
  reorder: boolean;
  /** every N rounds, publish all readings of an earlier round again (0 = never) */
  lateBatchEvery: number;
  /** share of messages replaced by a malformed one (0..1): bad JSON, unknown meter or impossible value */
  malformedRate: number;
  /** refuse relay commands with this error instead of executing them */
  refuseCommands: string | null;
  /** execute relay commands but never acknowledge them */
  silentCommands: boolean;
  /** after a relay command, do not publish the meter's reading */
  noReadingAfterCommand: boolean;
  /** wait this long before executing and acknowledging a command, ms */
  commandDelayMs: number;
}

export const WELL_BEHAVED: Misbehaviour = {
  duplicateRate: 0,
  reorder: false,
  lateBatchEvery: 0,
  malformedRate: 0,
  refuseCommands: null,
  silentCommands: false,
  noReadingAfterCommand: false,
  commandDelayMs: 0,
};

/** mulberry32: a small seeded generator, good enough to pick misbehaviours reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** One of three kinds of malformed readings message. */
export function malformedPayload(random: () => number, ts: string, address: string): string {
  const pick = Math.floor(random() * 3);
  if (pick === 0) return `{"readings":[{"meter":"${address}","ts":`; // cut short: not JSON
  if (pick === 1) return JSON.stringify({ readings: [{ meter: 'no-such-meter', ts, energyKwh: 1 }] });
  return JSON.stringify({ readings: [{ meter: address, ts, energyKwh: -5 }] }); // a register is never negative
}
