// The language of the console (中文 or English), remembered in localStorage; t() looks a key up
// in the current dictionary and fills in {placeholders}.
import { en, type MessageKey } from './i18n/en.js';
import { zh } from './i18n/zh.js';

export type Lang = 'zh' | 'en';
const dictionaries: Record<Lang, Record<MessageKey, string>> = { zh, en };

let lang: Lang = localStorage.getItem('feikong.lang') === 'en' ? 'en' : 'zh';

export function currentLang(): Lang {
  return lang;
}

export function setLang(next: Lang): void {
  lang = next;
  localStorage.setItem('feikong.lang', next);
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
}

export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return dictionaries[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

/** A key built at run time (a state or an action from the API); falls back to the raw value. */
export function tr(prefix: string, value: string): string {
  const key = `${prefix}.${value}` as MessageKey;
  return key in dictionaries[lang] ? t(key) : value;
}

export type { MessageKey };
