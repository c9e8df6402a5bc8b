// The latest events, newest first, for the overview whichever view is shown: first the page of
// recent events read when the console starts (GET /v1/events?order=desc), then each live event.
// An event is kept once, by id; views subscribe to redraw when the list changes.
import type { LiveEvent } from './live.js';

export const RECENT_EVENTS = 15;

let events: LiveEvent[] = [];
let loaded = false;
const listeners = new Set<() => void>();

function changed(): void {
  for (const listener of listeners) listener();
}

/** The kept events, newest first, and whether the first page has been read. */
export function recentEvents(): { events: readonly LiveEvent[]; loaded: boolean } {
  return { events, loaded };
}

/** Adds events (any order); ones already kept are skipped. */
export function rememberEvents(more: readonly LiveEvent[]): void {
  const known = new Set(events.map((e) => e.id));
  const fresh = more.filter((e) => !known.has(e.id));
  if (fresh.length === 0) return;
  events = [...events, ...fresh].sort((a, b) => b.id - a.id).slice(0, RECENT_EVENTS);
  changed();
}

/** The first page was read (or could not be): "no events" now means none. */
export function markLoaded(): void {
  loaded = true;
  changed();
}

export function forgetEvents(): void {
  events = [];
  loaded = false;
  changed();
}

export function onRecentEvents(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
