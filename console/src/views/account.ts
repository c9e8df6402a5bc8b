// One account: balance, levels, days remaining (when the daemon reports it), state, meters with
// disconnect / reconnect, a readings chart per meter, the latest ledger entries, command history,
// the engine's "why" and holds. Re-renders when a live event concerns the account.
import { get } from '../api.js';
import { clear, h, kwh, link, table, time, yuan } from '../dom.js';
import { t, tr } from '../i18n.js';
import { readingsChart } from '../chart.js';
import { relayButtons } from '../actions.js';
import type { Account, Command, Decision, LedgerEntry, Meter } from '../types.js';
import { badge, debounce, problem, section, settle, type View } from './common.js';
import { holdsPanel } from './holds.js';
import { checkDetail, checkName, reasonText, ruleText } from '../why.js';

const WEEK_MS = 7 * 86_400_000;

export function metersTable(meters: Meter[]): HTMLTableElement {
  return table([t('col.meter'), t('col.address'), t('col.relay'), t('col.online'), t('col.lastReading'), ''], meters.map((m) => [
    link(`#/meters/${encodeURIComponent(m.id)}`, m.id), m.address,
    h('span', { class: `relay relay-${m.relayState}`, 'data-test': `relay-${m.id}` }, tr('relay', m.relayState)),
    m.online ? t('meter.online') : t('meter.offline'),
    h('span', {}, `${time(m.lastReadingAt)} · ${kwh(m.lastEnergyWh)} kWh`, m.registerMismatch
      ? h('span', { class: 'warning', 'data-test': `register-mismatch-${m.id}`, title: `${time(m.registerMismatch.from)} – ${time(m.registerMismatch.to)}` },
        ` ⚠ ${t('meter.registerMismatch', { wh: String(m.registerMismatch.differenceWh) })}`)
      : null),
    relayButtons(m),
  ]));
}

/** A consumption entry's energy, interval and parts: period, tier or band, energy × price = amount, measured or estimated. */
function breakdownCell(e: LedgerEntry): HTMLElement | string {
  if (e.energyWh === null || e.energyWh === undefined) return '';
  const interval = e.interval ? ` (${time(e.interval.from)} – ${time(e.interval.to)})` : '';
  return h('div', { 'data-test': `breakdown-${e.id}` }, `${kwh(e.energyWh)} kWh${interval}`,
    ...(e.breakdown ?? []).map((p) => h('div', { class: 'muted' },
      `${p.periodStart.slice(0, 10)} ${p.tier !== undefined ? t('charge.tier', { n: String(p.tier) }) : p.band ? tr('band', p.band) : ''} `
      + `${kwh(p.energyWh)} kWh × ${p.pricePerKwh} = ${yuan(p.amountFen)} · ${tr('basis', p.basis)}`)));
}

/** What the state's tooltip says: the error, else an earlier attempt's error, else the outcome. */
function commandTitle(c: Command): string {
  if (c.lastError) return c.lastError;
  if (c.lastAttemptError) return t('command.earlierError', { error: c.lastAttemptError });
  return c.outcome ?? '';
}

export function commandsTable(commands: Command[]): HTMLElement {
  if (commands.length === 0) return h('p', { class: 'muted' }, t('account.noCommands'));
  return table([t('col.time'), t('col.meter'), t('col.action'), t('col.state'), t('col.origin'), t('col.actor'), t('col.reason')], commands.map((c) => [
    time(c.createdAt), c.meterId, tr('action', c.action),
    h('span', { class: `cmd cmd-${c.state}`, title: commandTitle(c) }, c.state), c.origin, c.actor, c.reason,
  ]), { 'data-test': 'commands' });
}

function decision(d: Decision): HTMLElement {
  const trace = d.trace ?? [];
  return h('li', {},
    h('strong', {}, `${d.meterId}: ${tr('action', d.action)}`), d.rule ? h('span', { 'data-test': 'why-rule', 'data-code': d.rule }, ` (${ruleText(d.rule)})`) : '',
    ' — ', h('span', { 'data-test': 'why-reason', 'data-code': d.reasonCode ?? '', title: d.reason }, reasonText(d)),
    h('span', { class: 'muted' }, ` · ${t('why.desired', { desired: tr('desired', d.desired) })}`),
    trace.length === 0 ? null : h('details', {}, h('summary', {}, t('why.trace')),
      h('ul', { class: 'trace', 'data-test': 'trace' }, ...trace.map((c) => h('li', { class: c.passed ? 'pass' : 'fail', 'data-code': c.code ?? '', title: `${c.check}: ${c.detail}` },
        `${c.passed ? '✓' : '✗'} ${checkName(c)}: ${checkDetail(c, d)}`)))));
}

export async function readingsSection(meter: Meter): Promise<HTMLElement> {
  const from = new Date(Date.now() - WEEK_MS).toISOString();
  try {
    const page = await get<{ readings: Array<{ ts: string; energyWh: number }> }>(`/v1/meters/${encodeURIComponent(meter.id)}/readings?from=${encodeURIComponent(from)}&limit=2000`);
    return h('figure', {}, page.readings.length === 0 ? h('p', { class: 'muted' }, t('account.noReadings')) : readingsChart(page.readings),
      h('figcaption', {}, `${t('col.meter')} ${meter.id}`));
  } catch (err) {
    return problem(err);
  }
}

export async function account(root: HTMLElement, id: string): Promise<View> {
  const path = `/v1/accounts/${encodeURIComponent(id)}`;
  const draw = async () => {
    let a: Account;
    try {
      a = await get<Account>(path);
    } catch (err) {
      clear(root);
      root.appendChild(problem(err));
      return;
    }
    const [ledger, why, ...commandPages] = await settle<[{ entries: LedgerEntry[] }, { decisions: Decision[] }, ...Array<{ commands: Command[] }>]>(
      get(`${path}/ledger?order=desc&limit=20`), get(`${path}/why`),
      ...a.meters.map((m) => get<{ commands: Command[] }>(`/v1/meters/${encodeURIComponent(m.id)}/commands?limit=10`)));
    const charts = await Promise.all(a.meters.map((m) => readingsSection(m)));
    const commands = commandPages.flatMap((p) => (p instanceof Error ? [] : p.commands)).sort((x, y) => y.createdAt.localeCompare(x.createdAt));
    const levels = table([t('account.alarmLevel1'), t('account.alarmLevel2'), t('account.cutoffLevel'), t('account.restoreLevel')],
      [[yuan(a.alarmLevel1Fen), yuan(a.alarmLevel2Fen), yuan(a.cutoffLevelFen), yuan(a.restoreLevelFen)]]);
    const days = 'daysRemaining' in a
      ? h('p', {}, `${t('account.daysRemaining')}: `, h('strong', { 'data-test': 'days-remaining' }, a.daysRemaining === null || a.daysRemaining === undefined ? t('account.daysUnknown') : String(a.daysRemaining)))
      : null;
    clear(root);
    root.append(
      h('h1', {}, `${a.name} `, h('small', {}, a.id), ' ', badge(a.state)),
      h('div', { class: 'grid' },
        section(t('account.balance'), h('p', { class: `big ${a.balanceFen <= a.cutoffLevelFen ? 'negative' : ''}`, 'data-test': 'balance' }, yuan(a.balanceFen)), days,
          h('p', { class: 'muted' }, `${t('account.category')}: ${a.category} · ${t('account.creditGrade')}: ${a.creditGrade}`),
          a.protected ? h('p', { class: 'protected' }, t('account.protected')) : null),
        section(t('account.levels'), levels),
        section(t('account.why'), why instanceof Error ? problem(why) : h('ul', { 'data-test': 'why' }, ...why.decisions.map(decision)))),
      section(t('account.meters'), metersTable(a.meters)),
      section(t('account.readings'), ...charts),
      section(t('account.commands'), commandsTable(commands)),
      section(t('account.ledger'), ledger instanceof Error ? problem(ledger) : ledger.entries.length === 0 ? h('p', { class: 'muted' }, t('account.noLedger'))
        : table([t('col.time'), t('col.kind'), t('col.amount'), t('col.balanceAfter'), t('col.energy'), t('col.actor'), t('col.reason')], ledger.entries.map((e) => [
          time(e.createdAt), e.kind, h('span', { class: e.amountFen < 0 ? 'num negative' : 'num' }, yuan(e.amountFen)), yuan(e.balanceAfterFen), breakdownCell(e), e.actor, e.reason ?? '',
        ]))),
      await holdsPanel({ accountId: a.id, meterIds: a.meters.map((m) => m.id) }, () => void draw()),
    );
  };
  await draw();
  const redraw = debounce(() => void draw(), 300);
  return {
    onEvent(e) {
      if (e.accountId === id || (e.type.startsWith('hold') && e.data.targetId === id)) redraw();
    },
  };
}
