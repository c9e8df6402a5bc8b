// The operator console: log in with an API key, then a hash router over the views, a language
// switch (中文 / English) and live updates from the event stream.
//
//   #/                 fleet overview          #/accounts?q=&state=   find accounts
//   #/accounts/{id}    one account             #/meters/{id}          one meter
//   #/holds            holds
import { ApiError, apiKey, get, setApiKey } from './api.js';
import { clear, h } from './dom.js';
import { applyLang, currentLang, followBrowser, setLang, t } from './i18n.js';
import { connectLive, type LiveEvent, type LiveState } from './live.js';
import { RECENT_EVENTS, forgetEvents, markLoaded, rememberEvents } from './recent-events.js';
import type { View } from './views/common.js';
import { overview } from './views/overview.js';
import { accounts } from './views/accounts.js';
import { account } from './views/account.js';
import { meter } from './views/meter.js';
import { holds } from './views/holds.js';
import { calendarBanner } from './calendar-banner.js';

const app = document.getElementById('app')!;
let view: View = {};
let liveState: LiveState = 'off';
let stopLive: (() => void) | null = null;
let renderCount = 0;

function header(): HTMLElement {
  const nav = (hash: string, key: 'nav.overview' | 'nav.accounts' | 'nav.holds') =>
    h('a', { href: hash, class: location.hash.startsWith(hash) && (hash !== '#/' || location.hash === '#/' || location.hash === '') ? 'active' : '' }, t(key));
  return h('header', {},
    h('strong', { class: 'brand' }, t('app.title')),
    apiKey() ? h('nav', {}, nav('#/', 'nav.overview'), nav('#/accounts', 'nav.accounts'), nav('#/holds', 'nav.holds')) : h('span', {}),
    h('span', { class: 'spacer' }),
    apiKey() ? h('span', { class: `live live-${liveState}`, 'data-test': 'live' }, t(`live.${liveState}`)) : null,
    h('button', { class: 'link', 'data-test': 'lang', onclick: () => { setLang(currentLang() === 'zh' ? 'en' : 'zh'); void render(); } }, t('lang.switch')),
    apiKey() ? h('button', { class: 'link', onclick: logout }, t('nav.logout')) : null);
}

function logout(): void {
  stopLive?.();
  stopLive = null;
  forgetEvents();
  setApiKey(null);
  location.hash = '#/';
  void render();
}

function login(main: HTMLElement): void {
  const input = h('input', { id: 'key', type: 'password', autocomplete: 'off', required: true, 'data-test': 'api-key' });
  const problem = h('p', { class: 'problem', role: 'alert' });
  const form = h('form', { class: 'login' },
    h('h1', {}, t('login.title')), h('label', { for: 'key' }, t('login.key')), input,
    h('button', { type: 'submit', 'data-test': 'login' }, t('login.submit')), problem, h('p', { class: 'muted' }, t('login.hint')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    setApiKey(input.value.trim());
    try {
      await get('/v1/account-states');
      startLive();
      await render();
    } catch (err) {
      setApiKey(null);
      problem.textContent = err instanceof ApiError && err.status === 403 ? t('login.forbidden')
        : err instanceof ApiError && err.status === 401 ? t('login.invalid') : t('error.generic', { message: String(err) });
    }
  });
  main.appendChild(form);
  input.focus();
}

/**
 * The latest events (newest first), kept for the overview; returns the id the stream resumes
 * after: the newest one read, 0 when there are none yet (so none written meanwhile is missed), or
 * null when the key may not read events (the stream then starts from now, or refuses too).
 */
async function loadRecentEvents(): Promise<number | null> {
  try {
    const page = await get<{ events: LiveEvent[] }>(`/v1/events?order=desc&limit=${RECENT_EVENTS}`);
    rememberEvents(page.events);
    return page.events[0]?.id ?? 0;
  } catch {
    return null;
  } finally {
    markLoaded();
  }
}

function startLive(): void {
  stopLive?.();
  let stopped = false;
  let stopStream: (() => void) | null = null;
  stopLive = () => {
    stopped = true;
    stopStream?.();
  };
  void loadRecentEvents().then((afterId) => {
    if (stopped) return;
    stopStream = connectLive((e) => {
      rememberEvents([e]);
      view.onEvent?.(e);
    }, (state) => {
      liveState = state;
      const badge = document.querySelector('[data-test="live"]');
      if (badge) {
        badge.className = `live live-${state}`;
        badge.textContent = t(`live.${state}`);
      }
    }, afterId);
  });
}

async function render(): Promise<void> {
  const mine = ++renderCount;
  view.dispose?.();
  view = {};
  clear(app);
  const main = h('main', {});
  app.append(header(), main);
  if (!apiKey()) return login(main);
  app.insertBefore(calendarBanner(), main);
  const [path, query] = (location.hash.slice(1) || '/').split('?') as [string, string | undefined];
  const params = new URLSearchParams(query ?? '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let next: View;
  try {
    if (parts[0] === 'accounts' && parts[1]) next = await account(main, parts[1]);
    else if (parts[0] === 'accounts') next = await accounts(main, params);
    else if (parts[0] === 'meters' && parts[1]) next = await meter(main, parts[1]);
    else if (parts[0] === 'holds') next = await holds(main);
    else next = await overview(main);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return logout();
    main.appendChild(h('p', { class: 'problem' }, t('error.generic', { message: String(err) })));
    next = {};
  }
  if (mine === renderCount) view = next;
  else next.dispose?.();
}

applyLang(currentLang());
window.addEventListener('hashchange', () => void render());
window.addEventListener('languagechange', () => {
  if (followBrowser()) void render();
});
if (apiKey()) startLive();
void render();
