// Holds (keep-power 保电 and manual-off): the list of holds in force with release, and the panel
// on an account page that places a hold on the account. Placing and releasing ask for a reason
// (written to the audit trail) in the confirmation dialog.
import { ApiError, api, get } from '../api.js';
import { confirmWithReason } from '../dialog.js';
import { h, link, table, time } from '../dom.js';
import { t, tr } from '../i18n.js';
import { toast } from '../toast.js';
import type { Hold } from '../types.js';
import { problem, section, type View } from './common.js';

async function activeHolds(targetId?: string): Promise<Hold[]> {
  const params = new URLSearchParams({ active: 'true', limit: '1000' });
  if (targetId) params.set('targetId', targetId);
  return (await get<{ holds: Hold[] }>(`/v1/holds?${params}`)).holds;
}

async function release(hold: Hold, after: () => void): Promise<void> {
  const reason = await confirmWithReason(t('holds.releaseTitle', { id: `${tr('kind', hold.kind)} · ${hold.targetId}` }), t('holds.releaseBody'), t('holds.release'));
  if (reason === null) return;
  try {
    await api('DELETE', `/v1/holds/${encodeURIComponent(hold.id)}?reason=${encodeURIComponent(reason)}`);
    toast(t('holds.released'));
    after();
  } catch (err) {
    toast(t('error.generic', { message: err instanceof ApiError ? err.message : String(err) }), true);
  }
}

async function place(kind: 'keep-power' | 'manual-off', accountId: string, after: () => void): Promise<void> {
  const keep = kind === 'keep-power';
  const reason = await confirmWithReason(t(keep ? 'holds.keepPowerTitle' : 'holds.manualOffTitle', { account: accountId }),
    t(keep ? 'holds.keepPowerBody' : 'holds.manualOffBody'), t(keep ? 'holds.placeKeepPower' : 'holds.placeManualOff'));
  if (reason === null) return;
  try {
    await api('POST', '/v1/holds', { kind, scope: 'account', targetId: accountId, reason });
    toast(t('holds.placed'));
    after();
  } catch (err) {
    toast(t('error.generic', { message: err instanceof ApiError ? err.message : String(err) }), true);
  }
}

function holdsTable(holds: Hold[], after: () => void): HTMLElement {
  if (holds.length === 0) return h('p', { class: 'muted' }, t('holds.none'));
  return table([t('holds.kind'), t('holds.target'), t('col.actor'), t('col.reason'), t('col.time'), t('col.expires'), ''], holds.map((x) => [
    h('span', { class: `hold hold-${x.kind}` }, tr('kind', x.kind)),
    x.scope === 'account' ? link(`#/accounts/${encodeURIComponent(x.targetId)}`, x.targetId) : link(`#/meters/${encodeURIComponent(x.targetId)}`, x.targetId),
    x.actor, x.reason, time(x.createdAt), time(x.expiresAt),
    h('button', { class: 'secondary', 'data-test': `release-${x.id}`, onclick: () => void release(x, after) }, t('holds.release')),
  ]), { 'data-test': 'holds' });
}

/** The holds on an account and its meters, with buttons to place one on the account. */
export async function holdsPanel(target: { accountId: string; meterIds: string[] }, after: () => void): Promise<HTMLElement> {
  const buttons = h('p', { class: 'actions' },
    h('button', { class: 'secondary', 'data-test': 'hold-keep-power', onclick: () => void place('keep-power', target.accountId, after) }, t('holds.placeKeepPower')),
    h('button', { class: 'secondary', 'data-test': 'hold-manual-off', onclick: () => void place('manual-off', target.accountId, after) }, t('holds.placeManualOff')));
  try {
    const lists = await Promise.all([target.accountId, ...target.meterIds].map((id) => activeHolds(id)));
    return section(t('holds.title'), holdsTable(lists.flat(), after), buttons);
  } catch (err) {
    return section(t('holds.title'), problem(err));
  }
}

export async function holds(root: HTMLElement): Promise<View> {
  const body = h('div', {});
  root.append(h('h1', {}, t('holds.title')), body);
  const draw = async () => {
    body.replaceChildren();
    try {
      body.appendChild(holdsTable(await activeHolds(), () => void draw()));
    } catch (err) {
      body.appendChild(problem(err));
    }
  };
  await draw();
  return {
    onEvent(e) {
      if (e.type.startsWith('hold')) void draw();
    },
  };
}
