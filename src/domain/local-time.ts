// Times as a person reads them: ISO 8601 in the configured local time (utcOffsetMinutes), with the
// offset written out, e.g. 2026-12-31T06:59:04.506+08:00 — the same instant as
// 2026-12-30T22:59:04.506Z, without making a warning look a day early.

export function localIso(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, -1);
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
