// Short messages at the bottom of the page (a live region, read out by screen readers).
import { h } from './dom.js';

export function toast(message: string, isError = false): void {
  let region = document.getElementById('toasts');
  if (!region) {
    region = h('div', { id: 'toasts', 'aria-live': 'polite' });
    document.body.appendChild(region);
  }
  const item = h('div', { class: isError ? 'toast error' : 'toast', 'data-test': 'toast' }, message);
  region.appendChild(item);
  setTimeout(() => item.remove(), 6000);
}
