// Prints collected figures as one table (plain text or Markdown): name, figure, unit, reference,
// ratio, target, met?; then each figure's spread, load and note underneath.
import type { Figure } from './figures.js';
import { TARGETS, describeTarget, meets } from './targets.js';

export function formatNumber(x: number | null): string {
  if (x === null || Number.isNaN(x)) return '—';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

/** "±12 %" out of a spread string, if it has one. */
function shortSpread(s: string | undefined): string {
  const m = s ? /\(±(\d+) %\)/.exec(s) : null;
  return m && s && !s.startsWith('n=1 ') ? ` ±${m[1]} %` : '';
}

export function rows(figures: Figure[]): string[][] {
  return figures.map((f) => {
    const t = TARGETS[f.name];
    const ok = meets(t, f.value, f.ratio);
    return [f.name, formatNumber(f.value) + shortSpread(f.spread), f.unit, formatNumber(f.reference),
      f.ratio === null ? '—' : f.ratio.toFixed(2), describeTarget(t), ok === null ? '' : ok ? 'yes' : 'NO'];
  });
}

const HEAD = ['name', 'figure', 'unit', 'reference', 'ratio', 'target', 'met?'];

export function textTable(figures: Figure[]): string {
  const all = [HEAD, ...rows(figures)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...rows(figures).map(line)].join('\n');
}

export function markdownTable(figures: Figure[]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [`| ${HEAD.join(' | ')} |`, `|${HEAD.map((_, i) => (i === 0 || i === 5 ? '---' : '---:')).join('|')}|`,
    ...rows(figures).map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

export function footnotes(figures: Figure[]): string {
  return figures.map((f) => `${f.name}: ${[f.spread, f.load ? `load ${f.load}` : '', f.note].filter(Boolean).join('; ')}`).join('\n');
}
