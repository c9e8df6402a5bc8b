// Summarises a V8 .cpuprofile (node --cpu-prof): self and inclusive time by function, optionally
// leaving out samples under frames that match given names, e.g. the start-up sweep or idle time.
//
//   tsx bench/lib/cpuprofile.ts <file.cpuprofile> [--exclude '(idle),sweep'] [--top 30]
//
// Benchmarks that start the daemon write one profile per daemon process when BENCH_CPU_PROF=<dir>.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  countedMs: number;
  self: Array<[string, number]>;
  inclusive: Array<[string, number]>;
}

function frameName(n: ProfileNode): string {
  const url = n.callFrame.url.replace(/.*node_modules\//, '').replace(/^file:\/\/\/.*?\/(src|protocols|bench)\//, '$1/');
  return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
}

export function summarise(profile: Profile, exclude: string[] = []): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const time = new Map<number, number>();
  profile.samples.forEach((id, i) => time.set(id, (time.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let counted = 0;
  for (const [id, t] of time) {
    total += t;
    const stack: string[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) stack.push(frameName(byId.get(cur)!));
    if (stack.some((f) => exclude.some((e) => f.includes(e)))) continue;
    counted += t;
    self.set(stack[0]!, (self.get(stack[0]!) ?? 0) + t);
    for (const f of new Set(stack)) inclusive.set(f, (inclusive.get(f) ?? 0) + t);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { totalMs: total / 1000, countedMs: counted / 1000, self: sorted(self), inclusive: sorted(inclusive) };
}

if (process.argv[1]?.endsWith('cpuprofile.ts')) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: cpuprofile.ts <file.cpuprofile> [--exclude a,b] [--top N]');
  const opt = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const s = summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, opt('--exclude')?.split(',') ?? []);
  const top = Number(opt('--top') ?? 30);
  const pct = (t: number) => `${((t / 1000 / s.countedMs) * 100).toFixed(1).padStart(5)} %`;
  process.stdout.write(`profile ${s.totalMs.toFixed(0)} ms, counted ${s.countedMs.toFixed(0)} ms\n-- self\n`);
  for (const [f, t] of s.self.slice(0, top)) process.stdout.write(`${pct(t)}  ${f}\n`);
  process.stdout.write('-- inclusive\n');
  for (const [f, t] of s.inclusive.slice(0, top)) process.stdout.write(`${pct(t)}  ${f}\n`);
}
