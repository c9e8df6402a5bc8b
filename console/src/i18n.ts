// The language of the console (中文 or English): the operator's own choice when they made one
// (remembered in localStorage), otherwise the browser's — the first of navigator.languages the
// console speaks, zh for zh-*, en for anything else. t() looks a key up in the current dictionary
// and fills in {placeholders}.
import { en, type MessageKey } from './i18n/en.js';
import { zh } from './i18n/zh.js';

export type Lang = 'zh' | 'en';
const dictionaries: Record<Lang, Record<MessageKey, string>> = { zh, en };
const STORAGE_KEY = 'feikong.lang';

/** The console's language for a browser's preferred languages: the first it speaks, else en. */
export function langOf(languages: readonly string[]): Lang {
  for (const tag of languages) {
    const primary = tag.toLowerCase().split(/[-_]/)[0];
    if (primary === 'zh') return 'zh';
    if (primary === 'en') return 'en';
  }
  return 'en';
}

function chosen(): Lang | null {
  const stored = localStorage.getItem(STORAGE_KEY);
  return stored === 'zh' || stored === 'en' ? stored : null;
}

function browserLang(): Lang {
  return langOf(navigator.languages.length > 0 ? navigator.languages : [navigator.language]);
}

let lang: Lang = chosen() ?? browserLang();

export function currentLang(): Lang {
  return lang;
}

/** Shows the page in `next` without remembering it (the browser's language, at start-up). */
export function applyLang(next: Lang): void {
  lang = next;
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
}

/** The operator's switch: remembered, and wins over the browser's language from now on. */
export function setLang(next: Lang): void {
  localStorage.setItem(STORAGE_KEY, next);
  applyLang(next);
}

/** Follows a change of the browser's languages unless the operator chose one; true when it changed. */
export function followBrowser(): boolean {
  const next = chosen() ?? browserLang();
  if (next === lang) return false;
  applyLang(next);
  return true;
}

export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return dictionaries[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

/** A key built at run time (a state or an action from the API); falls back to the raw value. */
export function tr(prefix: string, value: string): string {
  const key = `${prefix}.${value}` as MessageKey;
  return key in dictionaries[lang] ? t(key) : value;
}

/** True when the dictionaries have a string for `${prefix}.${value}`. */
export function has(prefix: string, value: string): boolean {
  return `${prefix}.${value}` in dictionaries[lang];
}

export type { MessageKey };
