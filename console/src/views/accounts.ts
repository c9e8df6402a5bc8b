// Finding accounts: search by id or name, filter by state, paged with "More".
import { get } from '../api.js';
import { h, link, yuan } from '../dom.js';
import { t, tr } from '../i18n.js';
import type { Account } from '../types.js';
import { badge, problem, type View } from './common.js';

const STATES = ['normal', 'alarm-1', 'alarm-2', 'cut-off', 'review'];

export async function accounts(root: HTMLElement, query: URLSearchParams): Promise<View> {
  const q = query.get('q') ?? '';
  const state = query.get('state') ?? '';
  const input = h('input', { type: 'search', name: 'q', value: q, placeholder: t('accounts.search'), 'aria-label': t('accounts.search'), 'data-test': 'search' });
  const select = h('select', { name: 'state', 'aria-label': t('col.state') },
    h('option', { value: '' }, t('accounts.allStates')),
    ...STATES.map((s) => h('option', { value: s, selected: s === state }, tr('state', s))));
  const form = h('form', { class: 'search' }, input, select, h('button', { type: 'submit' }, '🔍'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const params = new URLSearchParams();
    if (input.value.trim()) params.set('q', input.value.trim());
    if (select.value) params.set('state', select.value);
    location.hash = `#/accounts?${params}`;
  });
  const tbody = h('tbody', {});
  const more = h('button', { class: 'secondary' }, t('accounts.more'));
  const status = h('p', { class: 'muted' });
  root.append(h('h1', {}, t('accounts.title')), form,
    h('table', { 'data-test': 'accounts' }, h('thead', {}, h('tr', {},
      h('th', {}, t('col.account')), h('th', {}, t('col.name')), h('th', {}, t('col.state')), h('th', {}, t('col.balance')), h('th', {}, t('col.meters')))), tbody),
    status, more);

  let next: string | null = null;
  const load = async () => {
    const params = new URLSearchParams({ limit: '50' });
    if (q) params.set('q', q);
    if (state) params.set('state', state);
    if (next) params.set('after', next);
    try {
      const page = await get<{ accounts: Account[]; next: string | null }>(`/v1/accounts?${params}`);
      for (const a of page.accounts) {
        tbody.appendChild(h('tr', {},
          h('td', {}, link(`#/accounts/${encodeURIComponent(a.id)}`, a.id, { 'data-test': `account-${a.id}` })), h('td', {}, a.name),
          h('td', {}, badge(a.state)), h('td', { class: 'num' }, yuan(a.balanceFen)), h('td', {}, a.meters.map((m) => m.id).join(', '))));
      }
      next = page.next;
      more.hidden = next === null;
      status.textContent = tbody.children.length === 0 ? t('accounts.none') : '';
    } catch (err) {
      status.replaceWith(problem(err));
    }
  };
  more.addEventListener('click', () => void load());
  await load();
  input.focus();
  return {};
}
