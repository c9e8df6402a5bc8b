// The operator console in a real headless Chromium against a real daemon polling a DL/T 645
// meter simulator on a pseudo-terminal: log in with an API key, find the account, disconnect its
// meter with a reason through the confirmation dialog, watch the simulator's relay open and the
// page update live, switch the language, and save a screenshot. Then the language: it follows the
// browser's (zh-CN, en-US), the operator's switch is remembered across reloads and wins, the
// engine's reason and checks show in Chinese from their codes, and the overview shows the latest
// events as soon as it loads and goes on live without showing one twice.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createPtyPair, type PtyPair } from '../../simulators/pty.js';
import { startDlt645Bus, type SimBus } from '../../simulators/dlt645/bus.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';
// @ts-expect-error plain JavaScript build script without type declarations
import { buildConsole } from '../../console/build.mjs';

const ADDRESS = '000000000001';
/** A second meter with no load: its account's balance stays where the test puts it. */
const QUIET_ADDRESS = '000000000002';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let pty: PtyPair;
let sim: SimBus;
let fk: TestDaemon;
let browser: Browser;
let shots: string;

beforeAll(async () => {
  await (buildConsole as (o: { write: boolean }) => Promise<unknown>)({ write: true });
  shots = mkdtempSync(join(tmpdir(), 'feikong-console-'));
  pty = await createPtyPair();
  sim = await startDlt645Bus({ transport: { kind: 'serial', path: pty.a }, baudRate: 9600, responseDelayMs: 20, meters: [{ address: ADDRESS, energyWh: 1_234_560, loadW: 2000 }, { address: QUIET_ADDRESS, energyWh: 500_000, loadW: 0 }] });
  fk = await startTestDaemon({
    buses: [{ id: 'line-1', kind: 'serial', path: pty.b, baudRate: 9600 }],
    polling: { intervalMs: 500 },
    engine: { sweepIntervalMs: 1000, confirmIntervalMs: 100 },
  });
  expect((await fk.api('POST', '/v1/accounts', { body: { id: 'acc-7', name: '王芳' } })).status).toBe(201);
  expect((await fk.api('POST', '/v1/meters', { body: { id: 'm-7', accountId: 'acc-7', protocol: 'dlt645', busId: 'line-1', address: ADDRESS } })).status).toBe(201);
  expect((await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'acc-7', channel: 'wechat', channelTxnId: 'wx-7', amountFen: 50_000 } })).status).toBe(201);
  // acc-8: ¥50.00 between its cut-off level (¥0.00) and restore level (¥100.00), paid before its
  // meter exists so that the engine never sees it at the cut-off level.
  expect((await fk.api('POST', '/v1/accounts', { body: { id: 'acc-8', name: '李强', alarmLevel1Fen: 30_000, alarmLevel2Fen: 20_000, cutoffLevelFen: 0, restoreLevelFen: 10_000 } })).status).toBe(201);
  expect((await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'acc-8', channel: 'counter', channelTxnId: 'ct-8', amountFen: 5_000 } })).status).toBe(201);
  expect((await fk.api('POST', '/v1/meters', { body: { id: 'm-8', accountId: 'acc-8', protocol: 'dlt645', busId: 'line-1', address: QUIET_ADDRESS } })).status).toBe(201);
  await eventually(async () => expect((await fk.api('GET', '/v1/meters/m-7')).body.relayState).toBe('closed'), 20_000);
  await eventually(async () => expect((await fk.api('GET', '/v1/meters/m-8')).body.relayState).toBe('closed'), 20_000);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await fk?.stop();
  await sim?.close();
  await pty?.close();
  if (shots) rmSync(shots, { recursive: true, force: true });
});

describe('operator console', () => {
  it('logs in, finds an account, disconnects it with a reason, and shows the relay open live', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 }, locale: 'zh-CN' });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    /** Waits until the element's text passes `check` (the page re-renders on live events). */
    const shows = (selector: string, check: (text: string) => boolean, timeoutMs: number) =>
      eventually(async () => expect(check((await page.textContent(selector, { timeout: 1000 }).catch(() => null)) ?? '')).toBe(true), timeoutMs, 100);
    await page.goto(fk.daemon.httpUrl + '/');

    // A wrong key is refused; the right one logs in (kept in sessionStorage only).
    await page.fill('[data-test="api-key"]', 'fk_not-a-key');
    await page.click('[data-test="login"]');
    await page.waitForSelector('.login .problem:not(:empty)');
    await page.fill('[data-test="api-key"]', fk.keys.operator);
    await page.click('[data-test="login"]');
    await page.waitForSelector('[data-test="count-normal"]');
    expect(await page.evaluate("[sessionStorage.getItem('feikong.apiKey') !== null, localStorage.getItem('feikong.apiKey')]")).toEqual([true, null]);
    await page.waitForSelector('[data-test="live"].live-live');

    // Find the account by name.
    await page.click('header nav a[href="#/accounts"]');
    await page.fill('[data-test="search"]', '王芳');
    await page.press('[data-test="search"]', 'Enter');
    await page.click('[data-test="account-acc-7"]');
    await page.waitForSelector('[data-test="balance"]');
    expect(await page.textContent('[data-test="balance"]')).toMatch(/¥\d+\.\d\d/);
    expect(await page.textContent('[data-test="relay-m-7"]')).toBe('闭合（供电中）');
    await page.waitForSelector('svg.chart path.line', { state: 'attached' });

    // Disconnect with a reason through the confirmation dialog.
    await page.click('[data-test="disconnect-m-7"]');
    await page.waitForSelector('[data-test="confirm-dialog"]');
    await page.click('[data-test="confirm"]');
    expect(await page.textContent('dialog .problem')).not.toBe('');
    await page.fill('[data-test="reason"]', '用户申请停电检修');
    await page.click('[data-test="confirm"]');

    // The meter's relay opens, and the page shows it without a reload (live events).
    await eventually(() => expect(sim.meter(ADDRESS).relayStatus().relayOpen).toBe(true), 20_000);
    await shows('[data-test="relay-m-7"]', (text) => text === '断开（已停电）', 20_000);
    const commands = await fk.api('GET', '/v1/meters/m-7/commands', { role: 'operator' });
    expect(commands.body.commands[0]).toMatchObject({ action: 'disconnect', origin: 'operator', actor: 'key:test-operator', reason: '用户申请停电检修' });
    await shows('[data-test="commands"]', (text) => text.includes('用户申请停电检修'), 20_000);

    const file = join(shots, 'account-disconnected.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(statSync(file).size).toBeGreaterThan(10_000);
    expect(readFileSync(file).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    if (process.env.FK_KEEP_SCREENSHOT) await page.screenshot({ path: process.env.FK_KEEP_SCREENSHOT, fullPage: true });

    // Language switch: the same page in English.
    await page.click('[data-test="lang"]');
    await shows('[data-test="relay-m-7"]', (text) => text === 'open (supply off)', 10_000);
    expect(await page.textContent('header nav')).toContain('Accounts');

    // A keep-power hold placed from the account page shows in its holds panel, and is released again.
    await page.click('[data-test="hold-keep-power"]');
    await page.fill('[data-test="reason"]', 'medical equipment at home');
    await page.click('[data-test="confirm"]');
    await shows('[data-test="holds"]', (text) => text.includes('medical equipment at home'), 20_000);
    const placed = await fk.api('GET', '/v1/holds?active=true&targetId=acc-7', { role: 'operator' });
    expect(placed.body.holds).toMatchObject([{ kind: 'keep-power', scope: 'account', actor: 'key:test-operator' }]);
    await page.click(`[data-test="release-${placed.body.holds[0].id}"]`);
    await page.fill('[data-test="reason"]', 'equipment removed');
    await page.click('[data-test="confirm"]');
    await eventually(async () => expect((await fk.api('GET', '/v1/holds?active=true&targetId=acc-7', { role: 'operator' })).body.holds).toEqual([]), 20_000);

    // Back on the overview, the state counts include the cut-off account.
    await page.click('header nav a[href="#/"]');
    await page.waitForSelector('[data-test="count-cut-off"] .count');
    // The page refreshes its counts on live events; they settle on what the API says.
    await eventually(async () => {
      const counts = (await fk.api('GET', '/v1/account-states', { role: 'operator' })).body;
      const shown = await Promise.all(['normal', 'cut-off'].map((s) => page.textContent(`[data-test="count-${s}"] .count`)));
      expect(shown).toEqual([String(counts.normal), String(counts['cut-off'])]);
    }, 20_000);
    expect(Number(await page.textContent('[data-test="collection-rate"]').then((x) => x?.replace('%', '')))).toBeGreaterThan(0);
    if (process.env.FK_KEEP_SCREENSHOT) await page.screenshot({ path: process.env.FK_KEEP_SCREENSHOT.replace(/\.png$/, '-overview.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 90_000);
});

/** A new browser context with the browser's language set to `locale`; logged in when `key` is given. */
async function openConsole(locale: string, key?: string): Promise<Page> {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(fk.daemon.httpUrl + '/');
  await page.waitForSelector('[data-test="api-key"]');
  if (key) {
    await page.fill('[data-test="api-key"]', key);
    await page.click('[data-test="login"]');
    await page.waitForSelector('[data-test="count-normal"]');
  }
  return page;
}

const pageErrors = new WeakMap<Page, string[]>();

/** Closes the page's browser context; the page must not have thrown. */
async function closeConsole(page: Page): Promise<void> {
  await page.context().close();
  expect(pageErrors.get(page)).toEqual([]);
}

const text = async (page: Page, selector: string) => (await page.textContent(selector))?.trim() ?? '';

describe('the console in the browser\'s language', () => {
  it('is in Chinese for a zh-CN browser and in English for an en-US one, with a font stack that shows Chinese everywhere', async () => {
    const zh = await openConsole('zh-CN');
    expect(await zh.evaluate('navigator.languages[0]')).toBe('zh-CN');
    expect(await text(zh, '.login h1')).toBe('使用 API 密钥登录');
    expect(await zh.evaluate('document.documentElement.lang')).toBe('zh-CN');
    const fonts = String(await zh.evaluate('getComputedStyle(document.body).fontFamily'));
    for (const font of ['Microsoft YaHei', 'PingFang SC', 'Noto Sans CJK SC', 'Hiragino Sans GB', 'Source Han Sans SC', 'WenQuanYi Micro Hei']) expect(fonts).toContain(font);
    expect(fonts).toMatch(/sans-serif$/);
    await closeConsole(zh);

    const en = await openConsole('en-US');
    expect(await text(en, '.login h1')).toBe('Log in with an API key');
    expect(await en.evaluate('document.documentElement.lang')).toBe('en');
    expect(await text(en, '[data-test="lang"]')).toBe('中文');
    // Following the browser is not a choice: nothing is remembered until the operator switches.
    expect(await en.evaluate("localStorage.getItem('feikong.lang')")).toBeNull();
    await closeConsole(en);

    const other = await openConsole('fr-FR');
    expect(await text(other, '.login h1')).toBe('Log in with an API key');
    await closeConsole(other);
  });

  it('remembers the operator\'s switch across reloads, over the browser\'s language', async () => {
    const page = await openConsole('zh-CN', fk.keys.operator);
    expect(await text(page, 'header nav')).toContain('账户');
    await page.click('[data-test="lang"]');
    await page.waitForSelector('header nav >> text=Accounts');
    await page.reload();
    await page.waitForSelector('[data-test="count-normal"]');
    expect(await text(page, 'header nav')).toContain('Accounts');
    expect(await page.evaluate('document.documentElement.lang')).toBe('en');
    // And back: Chinese is remembered the same way.
    await page.click('[data-test="lang"]');
    await page.waitForSelector('header nav >> text=账户');
    await page.reload();
    await page.waitForSelector('[data-test="count-normal"]');
    expect(await text(page, 'header nav')).toContain('账户');
    await closeConsole(page);

    const en = await openConsole('en-US');
    await en.click('[data-test="lang"]');
    await en.waitForSelector('.login h1 >> text=使用 API 密钥登录');
    await en.reload();
    await en.waitForSelector('[data-test="api-key"]');
    expect(await text(en, '.login h1')).toBe('使用 API 密钥登录');
    await closeConsole(en);
  });

  it('shows the engine\'s reason and its checks in Chinese, translated from their codes', async () => {
    const why = (await fk.api('GET', '/v1/accounts/acc-8/why', { role: 'operator' })).body.decisions[0];
    expect(why).toMatchObject({ rule: 'between-levels', reasonCode: 'between-levels', reason: 'balance 5000 fen between cut-off level 0 fen and restore level 10000 fen' });

    const zh = await openConsole('zh-CN', fk.keys.operator);
    await zh.goto(`${fk.daemon.httpUrl}/#/accounts/acc-8`);
    await zh.waitForSelector('[data-test="why-reason"]');
    expect(await zh.getAttribute('[data-test="why-reason"]', 'data-code')).toBe('between-levels');
    expect(await text(zh, '[data-test="why-reason"]')).toBe('余额 ¥50.00 介于停电阈值 ¥0.00 与合闸允许金额 ¥100.00 之间');
    expect(await text(zh, '[data-test="why-rule"]')).toBe('(介于阈值之间)');
    const checks = await zh.$$eval('[data-test="trace"] li', (items) => items.map((li) => [li.getAttribute('data-code'), li.textContent]));
    expect(checks.map(([code]) => code)).toEqual(why.trace.map((c: { code: string }) => c.code));
    expect(checks).toContainEqual(['relay-state-known', '✓ 继电器状态已知: 继电器闭合（供电中）']);
    expect(checks).toContainEqual(['above-restore-level', '✗ 余额高于合闸允许金额: 余额 ¥50.00，合闸允许金额 ¥100.00']);
    // No English sentence of the engine is left on the page.
    for (const [, line] of checks) expect(line).not.toMatch(/[a-z]{4,}/);
    await closeConsole(zh);

    const en = await openConsole('en-US', fk.keys.operator);
    await en.goto(`${fk.daemon.httpUrl}/#/accounts/acc-8`);
    await en.waitForSelector('[data-test="why-reason"]');
    expect(await text(en, '[data-test="why-reason"]')).toBe('balance ¥50.00 between cut-off level ¥0.00 and restore level ¥100.00');
    await closeConsole(en);
  });

  it('shows the latest events as soon as the overview loads, then live ones, each once', async () => {
    const latest = async () => (await fk.api('GET', '/v1/events?order=desc&limit=15', { role: 'operator' })).body.events as Array<{ id: number; type: string }>;
    expect((await latest()).length).toBeGreaterThan(0);
    const shown = (page: Page) => page.$$eval('[data-test="event-rows"] [data-event]', (spans) => spans.map((s) => Number(s.getAttribute('data-event'))));

    const page = await openConsole('zh-CN', fk.keys.operator);
    // Existing events show without any new one: the rows are the API's latest, newest first.
    await page.waitForSelector('[data-test="event-rows"]');
    await eventually(async () => expect(await shown(page)).toEqual((await latest()).map((e) => e.id)), 20_000, 100);
    expect(await text(page, '[data-test="event-rows"]')).toContain('交费已销账');

    // A new event arrives on the stream and goes on top; none is shown twice.
    const paid = await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'acc-8', channel: 'counter', channelTxnId: 'ct-8b', amountFen: 100 } });
    expect(paid.status).toBe(201);
    const newest = (await fk.api('GET', '/v1/events?order=desc&limit=1&type=payment-posted&accountId=acc-8', { role: 'operator' })).body.events[0].id as number;
    await eventually(async () => expect(await shown(page)).toContain(newest), 20_000, 100);
    await eventually(async () => expect(await shown(page)).toEqual((await latest()).map((e) => e.id)), 20_000, 100);
    const ids = await shown(page);
    expect(new Set(ids).size).toBe(ids.length);
    await closeConsole(page);
  });
});
