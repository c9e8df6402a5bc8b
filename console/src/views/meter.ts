// One meter: its state, capabilities, disconnect / reconnect, readings chart and command history.
import { get } from '../api.js';
import { clear, h, kwh, link, time } from '../dom.js';
import { t, tr } from '../i18n.js';
import { relayButtons } from '../actions.js';
import type { Command, Meter } from '../types.js';
import { commandsTable, readingsSection } from './account.js';
import { debounce, problem, section, type View } from './common.js';

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
          relayButtons(m)),
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
