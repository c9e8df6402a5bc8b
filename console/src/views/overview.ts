// Fleet overview: accounts by state (each a link to the filtered list), failed commands, the
// collection success rate by bus, and the latest events (those before the page was opened, then
// live ones). Refreshes on live events.
import { get } from '../api.js';
import { clear, h, link, table, time } from '../dom.js';
import { t, tr } from '../i18n.js';
import type { LiveEvent } from '../live.js';
import { onRecentEvents, recentEvents } from '../recent-events.js';
import type { AccountState, Collection, Command } from '../types.js';
import { debounce, problem, section, settle, type View } from './common.js';

const STATES: AccountState[] = ['normal', 'alarm-1', 'alarm-2', 'cut-off', 'review'];

/** What an event is about, in words where the console knows its codes. */
function eventDetail(e: LiveEvent): string {
  const kind = typeof e.data.kind === 'string' ? e.data.kind : null;
  const action = typeof e.data.action === 'string' ? e.data.action : null;
  if (kind && (e.type === 'manual-review' || e.type === 'review-resolved')) return tr('review', kind);
  if (kind && e.type.startsWith('hold-')) return tr('kind', kind);
  if (action) return tr('action', action);
  return '';
}

function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(1)}%`;
}

export async function overview(root: HTMLElement): Promise<View> {
  const body = h('div', { class: 'grid' });
  const events = h('div', { 'data-test': 'events' });
  root.append(h('h1', {}, t('overview.title')), body, section(t('overview.events'), events));

  const drawEvents = () => {
    clear(events);
    const recent = recentEvents();
    if (recent.events.length === 0) events.appendChild(h('p', { class: 'muted' }, t(recent.loaded ? 'overview.noEvents' : 'overview.loadingEvents')));
    else events.appendChild(table([t('col.time'), t('col.type'), t('col.detail'), t('col.account'), t('col.meter')], recent.events.map((e) => [
      time(e.createdAt), h('span', { 'data-code': e.type, 'data-event': e.id, title: e.type }, tr('event', e.type)), eventDetail(e),
      e.accountId ? link(`#/accounts/${encodeURIComponent(e.accountId)}`, e.accountId) : '—', e.meterId ?? '—',
    ]), { 'data-test': 'event-rows' }));
  };

  const load = async () => {
    const [states, failed, collection] = await settle<[Record<AccountState | 'total', number>, { commands: Command[] }, Collection]>(
      get('/v1/account-states'), get('/v1/commands?state=failed&limit=10'), get('/v1/collection'));
    clear(body);
    body.appendChild(section(t('overview.states'), states instanceof Error ? problem(states) : h('div', {},
      h('div', { class: 'cards' }, ...STATES.map((s) => h('a', { class: `card state-${s}`, href: `#/accounts?state=${s}`, 'data-test': `count-${s}` },
        h('span', { class: 'count' }, states[s]), h('span', {}, tr('state', s))))),
      h('p', { class: 'muted' }, t('overview.total', { n: states.total })))));
    body.appendChild(section(t('overview.failed'), failed instanceof Error ? problem(failed)
      : failed.commands.length === 0 ? h('p', { class: 'muted' }, t('overview.noFailed'))
        : table([t('col.time'), t('col.meter'), t('col.action'), t('col.outcome'), t('col.reason')], failed.commands.map((c) => [
          time(c.createdAt), link(`#/meters/${encodeURIComponent(c.meterId)}`, c.meterId), tr('action', c.action), c.lastError ?? c.outcome ?? '—', c.reason,
        ]))));
    body.appendChild(section(t('overview.collection'), collection instanceof Error ? problem(collection) : h('div', {},
      h('p', { class: 'big', 'data-test': 'collection-rate' }, percent(collection.total.successRate)),
      h('p', { class: 'muted' }, t('overview.collectionSince', { time: time(collection.since) })),
      collection.buses.length === 0 ? h('p', { class: 'muted' }, t('overview.noBuses'))
        : table([t('col.bus'), t('col.polls'), t('col.rate'), t('col.meters'), t('col.online')], collection.buses.map((b) => [
          b.busId, b.polls, percent(b.successRate), b.meters, b.online,
        ])))));
  };
  await load();
  drawEvents();
  const stopEvents = onRecentEvents(drawEvents);
  const refresh = debounce(() => void load(), 500);
  return {
    onEvent() {
      refresh();
    },
    dispose: stopEvents,
  };
}
