// Levels in days of supply become money at the account's own recent consumption and follow it:
// the refresher recomputes them (and the alarm state, with its events) while levels set in money
// stay as they are; account creation takes levels from category and credit grade unless overridden.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/connection.js';
import { createRepositories, type Repositories } from '../../src/db/repo/index.js';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createAccount, createMeter } from '../../src/fleet.js';
import { createLogger } from '../../src/logger.js';
import { recordReading } from '../../src/ledger/consumption.js';
import { postPayment } from '../../src/ledger/payments.js';
import { LevelsRefresher, refreshLevels, thresholdsOf } from '../../src/ledger/levels.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 23, 4);
let dir: string;
let repos: Repositories;
let config: Config;
let close: () => void;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'feikong-levels-'));
  config = validateConfig({
    dataDir: dir, buses: [{ id: 'line-1', kind: 'tcp', host: '127.0.0.1', port: 1 }],
    defaults: { categories: { business: { alarmLevel1: { days: 5 }, alarmLevel2: { days: 2 } } } },
  });
  const db = openDatabase(dir);
  repos = createRepositories(db);
  close = () => db.close();
});
afterEach(() => {
  close();
  rmSync(dir, { recursive: true, force: true });
});

/** An account 60 days old, 1 yuan/kWh, a meter and `dailyWh` of consumption each of the last `days` days. */
function accountWithConsumption(id: string, extra: Record<string, unknown>, dailyWh: number, days = 10) {
  createAccount(repos, config, { id, name: id, pricePerKwh: '1', ...extra }, 'test', NOW - 60 * DAY);
  createMeter(repos, config, { id: `m-${id}`, accountId: id, protocol: 'dlt645', busId: 'line-1', address: String(repos.accounts.idsAfter('', 1000).length).padStart(12, '0') }, 'test', NOW - 60 * DAY);
  for (let d = days; d >= 0; d--) {
    const ts = NOW - d * DAY;
    repos.transaction(() => recordReading(repos, { meterId: `m-${id}`, ts, energyWh: (days - d) * dailyWh }, ts));
  }
}

describe('levels in days', () => {
  it('become money at the average daily charge, and the alarm state follows with its events', () => {
    accountWithConsumption('shop', { category: 'business' }, 30_000); // 30 yuan a day for 10 days
    postPayment(repos, { accountId: 'shop', channel: 'bank', channelTxnId: 'b', amountFen: 300_00 + 15_000, paidAt: NOW, actor: 'bank' }, NOW);
    // balance 150 yuan; until refreshed the levels are still the defaults (20 and 10 yuan)
    expect(repos.accounts.get('shop')).toMatchObject({ balanceFen: 15_000, alarmLevel1Fen: 2000, alarmState: 0 });
    // The window is 30 days: 300 yuan over 30 days = 10 yuan a day.
    expect(refreshLevels(repos, 'shop', config, NOW)).toBe(true);
    expect(repos.accounts.get('shop')).toMatchObject({ alarmLevel1Fen: 5000, alarmLevel2Fen: 2000, alarmState: 0 });
    const tighter = validateConfig({ ...config, ledger: { consumptionWindowDays: 10 } }); // 30 yuan a day
    expect(refreshLevels(repos, 'shop', tighter, NOW)).toBe(true);
    expect(repos.accounts.get('shop')).toMatchObject({ alarmLevel1Fen: 15_000, alarmLevel2Fen: 6000, alarmState: 1 });
    const events = repos.journal.events(0, 'shop', 100).map((e) => e.type);
    expect(events.filter((e) => e === 'levels-changed')).toHaveLength(2);
    expect(events).toContain('alarm-level-1');
    expect(refreshLevels(repos, 'shop', tighter, NOW)).toBe(false); // nothing moved
  });

  it('leave money levels alone, and a level in days without consumption falls back to money', () => {
    accountWithConsumption('flat', { levelOverrides: { restoreLevel: { days: 1 } }, alarmLevel1Fen: 7777 }, 10_000);
    expect(refreshLevels(repos, 'flat', config, NOW)).toBe(true);
    expect(repos.accounts.get('flat')).toMatchObject({ alarmLevel1Fen: 7777, restoreLevelFen: Math.round(10_000 / 30) });
    createAccount(repos, config, { id: 'new', name: 'new', category: 'business' }, 'test', NOW);
    expect(refreshLevels(repos, 'new', config, NOW)).toBe(false);
    expect(repos.accounts.get('new')).toMatchObject({ alarmLevel1Fen: 2000, alarmLevel2Fen: 1000 });
  });

  it('the refresher sweeps only the accounts with levels in days', async () => {
    accountWithConsumption('shop', { category: 'business' }, 30_000);
    accountWithConsumption('home', {}, 30_000);
    const refresher = new LevelsRefresher(repos, config, createLogger('silent'), () => NOW);
    expect(await refresher.sweep()).toBe(1);
    expect(repos.accounts.get('home')!.alarmLevel1Fen).toBe(2000);
    expect(repos.accounts.get('shop')!.alarmLevel1Fen).toBe(5000);
    expect(await refresher.sweep()).toBe(0);
  });

  it('the forecast and where each level comes from', () => {
    accountWithConsumption('shop', { category: 'business', creditGrade: 'A' }, 30_000);
    refreshLevels(repos, 'shop', config, NOW);
    const t = thresholdsOf(repos, repos.accounts.get('shop')!, config, NOW);
    // balance -300 yuan, cut-off -50 yuan (grade A overdraft): already past it
    expect(t).toMatchObject({ averageDailyChargeFen: 1000, daysRemaining: 0 });
    expect(t.levels.alarmLevel1).toEqual({ fen: 5000, spec: { days: 5 }, source: 'days', setBy: 'category', skipped: [] });
    expect(t.levels.cutoffLevel).toEqual({ fen: -5000, spec: { fen: -5000 }, source: 'grade', setBy: 'grade', skipped: [] });
    postPayment(repos, { accountId: 'shop', channel: 'bank', channelTxnId: 'x', amountFen: 40_000, paidAt: NOW, actor: 'bank' }, NOW);
    expect(thresholdsOf(repos, repos.accounts.get('shop')!, config, NOW).daysRemaining).toBe(15); // (100 + 50) yuan / 10 a day
  });
});
