// The engine's decision in the operator's language: the reason and every check of the trace are
// built from their codes (reasonCode, trace[].code, relaySafety.limit, the no-cut window) and the
// values the why view carries, not from the engine's English sentences. A code the console does
// not know yet shows the engine's own text.
import { time, yuan } from './dom.js';
import { has, t, tr, type MessageKey } from './i18n.js';
import type { Decision } from './types.js';

type Step = NonNullable<Decision['trace']>[number];

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export function duration(ms: number): string {
  if (ms >= DAY_MS && ms % DAY_MS === 0) return t('duration.days', { n: ms / DAY_MS });
  if (ms >= HOUR_MS && ms % HOUR_MS === 0) return t('duration.hours', { n: ms / HOUR_MS });
  return t('duration.minutes', { n: Math.round((ms / MINUTE_MS) * 10) / 10 });
}

/**
 * A no-cut verdict's reason: every window that applies, joined by ', ' — 'night', 'weekend',
 * 'holiday:<name>' (with ' (provisional)' when derived), 'calendar-uncovered:<year>' — or null (configured).
 */
export function windowText(reason: string | null | undefined): string {
  if (!reason) return t('window.configured');
  return reason.split(', ').map(oneWindow).join(t('window.separator'));
}

const PROVISIONAL = ' (provisional)';

function oneWindow(window: string): string {
  const provisional = window.endsWith(PROVISIONAL);
  const [kind, ...rest] = (provisional ? window.slice(0, -PROVISIONAL.length) : window).split(':');
  const value = rest.join(':');
  let text: string;
  if (kind === 'holiday') text = t('window.holiday', { name: value });
  else if (kind === 'calendar-uncovered') text = t('window.calendar-uncovered', { year: value });
  else text = kind && has('window', kind) ? t(`window.${kind}` as MessageKey) : window;
  return provisional ? t('window.provisional', { window: text }) : text;
}

/** Why relay safety holds a cut-off back, from its limit code. */
export function safetyText(d: Decision): string | null {
  const s = d.relaySafety;
  if (!s?.limit || !has('safety', s.limit)) return null;
  return t(`safety.${s.limit}` as MessageKey, { switchings: s.switchingsInWindow, operations: s.operationsLast24h, next: time(s.nextAllowedAt) });
}

export function ruleText(rule: string | undefined): string {
  return rule ? tr('rule', rule) : '';
}

/** The decision's reason in the current language, or the engine's sentence for an unknown code. */
export function reasonText(d: Decision): string {
  const code = d.reasonCode;
  if (!code || !has('reason', code) || !d.levels || d.balanceFen === undefined) return d.reason;
  const safety = code === 'relay-safety' || code === 'manual-off-relay-safety' ? safetyText(d) : '';
  if (safety === null) return d.reason;
  return t(`reason.${code}` as MessageKey, {
    balance: yuan(d.balanceFen),
    restore: yuan(d.levels.restoreLevelFen),
    cutoff: yuan(d.levels.cutoffLevelFen),
    until: time(d.lastWarning?.graceEndsAt),
    warnedAt: time(d.lastWarning?.alarmLevel2At),
    time: time(d.operator?.lastRelayCommand?.createdAt),
    window: windowText(d.window?.reason),
    safety,
  });
}

export function checkName(step: Step): string {
  return step.code && has('check', step.code) ? t(`check.${step.code}` as MessageKey) : step.check;
}

/** One check's detail in the current language, from the why view's values. */
export function checkDetail(step: Step, d: Decision): string {
  if (d.balanceFen === undefined || !d.levels) return step.detail;
  switch (step.code) {
    case 'relay-state-known': return t('detail.relay', { relay: tr('relay', d.relay?.state ?? 'unknown') });
    case 'no-manual-off-hold': return step.passed ? t('detail.none') : t('detail.manualOffHold');
    case 'above-restore-level': return t('detail.balanceVsRestore', { balance: yuan(d.balanceFen), level: yuan(d.levels.restoreLevelFen) });
    case 'at-or-below-cutoff-level': return t('detail.balanceVsCutoff', { balance: yuan(d.balanceFen), level: yuan(d.levels.cutoffLevelFen) });
    case 'no-keep-power-hold': return step.passed ? t('detail.none') : t('detail.keepPowerHold');
    case 'alarm-level-2-sent': return step.passed ? t('detail.alarm2Sent', { time: time(d.lastWarning?.alarmLevel2At) }) : t('detail.alarm2NotSent');
    case 'grace-over': {
      const grace = duration(d.graceMs ?? 0);
      return d.lastWarning?.graceEndsAt ? t('detail.graceEnds', { duration: grace, time: time(d.lastWarning.graceEndsAt) }) : t('detail.graceStarts', { duration: grace });
    }
    case 'not-protected': return step.passed ? t('detail.notProtected') : t('detail.protected');
    case 'outside-no-cut-windows': return step.passed ? t('detail.noWindow') : t('detail.inWindow', { window: windowText(d.window?.reason) });
    case 'relay-safety-allows':
      if (!d.relaySafety) return t('detail.safetyNotChecked');
      return step.passed ? t('detail.safetyAllows') : (safetyText(d) ?? step.detail);
    case 'no-command-in-flight': return step.passed ? t('detail.none') : tr('action', d.pendingCommand?.action ?? step.detail);
    default: return step.detail;
  }
}
