// A readings chart as inline SVG: the cumulative register (kWh) over time, with the first and last
// times and the lowest and highest values as labels. No library, no canvas.
import { t } from './i18n.js';
import { time } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 640;
const H = 200;
const PAD = { left: 64, right: 12, top: 12, bottom: 28 };

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export function readingsChart(readings: Array<{ ts: string; energyWh: number }>): SVGSVGElement {
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': t('account.readings') });
  const points = readings.map((r) => ({ x: Date.parse(r.ts), y: r.energyWh / 1000 }));
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last) return root;
  const [x0, x1] = [first.x, last.x === first.x ? first.x + 1 : last.x];
  let y0 = Math.min(...points.map((p) => p.y));
  let y1 = Math.max(...points.map((p) => p.y));
  if (y1 === y0) { y0 -= 1; y1 += 1; }
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const sy = (y: number) => H - PAD.bottom - ((y - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  root.appendChild(svg('line', { x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom, class: 'axis' }));
  root.appendChild(svg('line', { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom, class: 'axis' }));
  const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
  root.appendChild(svg('path', { d, class: 'line' }));
  if (points.length <= 60) for (const p of points) root.appendChild(svg('circle', { cx: sx(p.x).toFixed(1), cy: sy(p.y).toFixed(1), r: 2.5, class: 'dot' }));
  root.appendChild(svg('text', { x: PAD.left - 6, y: PAD.top + 10, 'text-anchor': 'end', class: 'label' }, y1.toFixed(2)));
  root.appendChild(svg('text', { x: PAD.left - 6, y: H - PAD.bottom, 'text-anchor': 'end', class: 'label' }, y0.toFixed(2)));
  root.appendChild(svg('text', { x: 4, y: H / 2, class: 'label' }, t('chart.kwh')));
  root.appendChild(svg('text', { x: PAD.left, y: H - 8, class: 'label' }, time(readings[0]!.ts)));
  root.appendChild(svg('text', { x: W - PAD.right, y: H - 8, 'text-anchor': 'end', class: 'label' }, time(readings[readings.length - 1]!.ts)));
  return root;
}
