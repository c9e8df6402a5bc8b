// One meter: its state, capabilities, disconnect / reconnect, live values (voltage, current,
// power, power factor, the meter's own money), what each data identifier did, readings chart and
// command history.
import { get } from '../api.js';
import { clear, h, kwh, link, time } from '../dom.js';
import { t, tr } from '../i18n.js';
import { relayButtons } from '../actions.js';
import type { Command, Meter } from '../types.js';
import { commandsTable, readingsSection } from './account.js';
import { debounce, problem, section, type View } from './common.js';

/** A live value in its unit; money (fen) as yuan. */
function shown(v: { value: number; unit: string }): string {
  return v.unit === 'fen' ? `${(v.value / 100).toFixed(2)} 元` : `${v.value}${v.unit ? ` ${v.unit}` : ''}`;
}

function liveTable(m: Meter): HTMLElement {
  const entries = Object.entries(m.live ?? {});
  if (entries.length === 0) return h('p', { class: 'muted' }, t('meter.noLive'));
  return h('dl', { 'data-test': `live-${m.id}` }, ...entries.flatMap(([q, v]) => [
    h('dt', {}, tr('quantity', q)), h('dd', {}, `${shown(v)} (${time(v.at)})`),
  ]));
}

function dataIdentifiersTable(m: Meter): HTMLElement {
  return h('table', {},
    h('thead', {}, h('tr', {}, ...[t('meter.di'), t('meter.lastAnswer'), t('meter.misses'), t('meter.missReason')].map((c) => h('th', {}, c)))),
    h('tbody', {}, ...(m.dataIdentifiers ?? []).map((d) => h('tr', {},
      h('td', {}, d.di), h('td', {}, d.answeredAt ? `${JSON.stringify(d.lastValue)} (${time(d.answeredAt)})` : '—'),
      h('td', {}, String(d.misses)), h('td', {}, d.missReason ?? '')))));
}

export async function meter(root: HTMLElement, id: string): Promise<View> {
  const draw = async () => {
    try {
      const m = await get<Meter>(`/v1/meters/${encodeURIComponent(id)}`);
      const [chart, commands] = await Promise.all([
        readingsSection(m),
        get<{ commands: Command[] }>(`/v1/meters/${encodeURIComponent(id)}/commands?limit=20`).then((p) => commandsTable(p.commands), problem),
      ]);
      clear(root);
      root.append(
        h('h1', {}, t('meter.title', { id: m.id })),
        section(`${t('col.meter')} ${m.address}`,
          h('dl', {},
            h('dt', {}, t('meter.account')), h('dd', {}, link(`#/accounts/${encodeURIComponent(m.accountId)}`, m.accountId)),
            h('dt', {}, t('col.bus')), h('dd', {}, `${m.busId ?? '—'} · ${m.protocol}`),
            h('dt', {}, t('col.relay')), h('dd', {}, h('span', { class: `relay relay-${m.relayState}`, 'data-test': `relay-${m.id}` }, tr('relay', m.relayState)), ` (${time(m.relayStateAt)})`),
            h('dt', {}, t('col.lastReading')), h('dd', {}, `${time(m.lastReadingAt)} · ${kwh(m.lastEnergyWh)} kWh · ${m.online ? t('meter.online') : t('meter.offline')}`)),
          h('p', { class: 'muted' }, m.supportsDirectClose ? t('meter.directClose') : t('meter.closePermitted')),
          ...(m.protocol === 'dlt645' ? [h('p', { class: 'muted' }, `${t('meter.edition')} ${m.edition ?? '2007'} · ${t('meter.profile')} ${m.profileInUse ?? m.profile ?? '—'}`)] : []),
          relayButtons(m)),
        section(t('meter.live'), liveTable(m)),
        ...(m.dataIdentifiers && m.dataIdentifiers.length > 0 ? [section(t('meter.dataIdentifiers'), dataIdentifiersTable(m))] : []),
        section(t('account.readings'), chart),
        section(t('account.commands'), commands),
      );
    } catch (err) {
      clear(root);
      root.appendChild(problem(err));
    }
  };
  await draw();
  const redraw = debounce(() => void draw(), 300);
  return {
    onEvent(e) {
      if (e.meterId === id) redraw();
    },
  };
}
