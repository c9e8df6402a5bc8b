// A banner above every page while a year's official holiday schedule is missing — the current
// year's, or from 1 November the next year's — as the daemon judges it on its own clock
// (GET /v1/calendar, the same notices as /readyz's warnings).
import { get } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';

interface CalendarStatus {
  notices: Array<{ year: number; source: 'derived' | 'suspended' | 'operator' | 'library' }>;
}

/** The banner, filled in once the daemon answers; `data-loaded` marks that it did. */
export function calendarBanner(): HTMLElement {
  const el = h('div', { class: 'banner', role: 'status', 'data-test': 'calendar-banner', hidden: true });
  get<CalendarStatus>('/v1/calendar').then((status) => {
    el.textContent = status.notices
      .map((n) => t(n.source === 'suspended' ? 'calendar.bannerSuspended' : 'calendar.banner', { year: n.year }))
      .join(' ');
    el.hidden = status.notices.length === 0;
  }).catch(() => undefined).finally(() => el.setAttribute('data-loaded', ''));
  return el;
}
