// Pieces the views share: a view's contract with the router, state badges, section frames,
// inline error notes and a debounced refresh for live updates.
import { ApiError } from '../api.js';
import { h } from '../dom.js';
import { t, tr } from '../i18n.js';
import type { LiveEvent } from '../live.js';

export interface View {
  /** called for every live event while the view is shown */
  onEvent?(e: LiveEvent): void;
  dispose?(): void;
}

export function badge(state: string | undefined): HTMLElement {
  return h('span', { class: `badge state-${state ?? 'normal'}`, 'data-test': 'state' }, tr('state', state ?? 'normal'));
}

export function section(title: string, ...children: Array<Node | null>): HTMLElement {
  const s = h('section', { class: 'panel' }, h('h2', {}, title));
  for (const c of children) if (c) s.appendChild(c);
  return s;
}

export function problem(err: unknown): HTMLElement {
  const message = err instanceof ApiError ? (err.status === 404 ? t('error.notFound') : err.message) : String(err);
  return h('p', { class: 'problem' }, t('error.generic', { message }));
}

/** Runs `fn` at most once per `ms`, after the last call (bursts of events cause one refresh). */
export function debounce(fn: () => void, ms = 300): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
}

/** Settles every promise; a failure becomes an Error value instead of rejecting the lot. */
export async function settle<T extends readonly unknown[]>(...promises: { [K in keyof T]: Promise<T[K]> }): Promise<{ [K in keyof T]: T[K] | Error }> {
  const results = await Promise.allSettled(promises);
  return results.map((r) => (r.status === 'fulfilled' ? r.value : r.reason instanceof Error ? r.reason : new Error(String(r.reason)))) as { [K in keyof T]: T[K] | Error };
}
