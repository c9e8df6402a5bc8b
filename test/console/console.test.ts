// The operator console in a real headless Chromium against a real daemon polling a DL/T 645
// meter simulator on a pseudo-terminal: log in with an API key, find the account, disconnect its
// meter with a reason through the confirmation dialog, watch the simulator's relay open and the
// page update live, switch the language, and save a screenshot.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { createPtyPair, type PtyPair } from '../../simulators/pty.js';
import { startDlt645Bus, type SimBus } from '../../simulators/dlt645/bus.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';
// @ts-expect-error plain JavaScript build script without type declarations
import { buildConsole } from '../../console/build.mjs';

const ADDRESS = '000000000001';
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
  sim = await startDlt645Bus({ transport: { kind: 'serial', path: pty.a }, baudRate: 9600, responseDelayMs: 20, meters: [{ address: ADDRESS, energyWh: 1_234_560, loadW: 2000 }] });
  fk = await startTestDaemon({
    buses: [{ id: 'line-1', kind: 'serial', path: pty.b, baudRate: 9600 }],
    polling: { intervalMs: 500 },
    engine: { sweepIntervalMs: 1000, confirmIntervalMs: 100 },
  });
  expect((await fk.api('POST', '/v1/accounts', { body: { id: 'acc-7', name: '王芳' } })).status).toBe(201);
  expect((await fk.api('POST', '/v1/meters', { body: { id: 'm-7', accountId: 'acc-7', protocol: 'dlt645', busId: 'line-1', address: ADDRESS } })).status).toBe(201);
  expect((await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'acc-7', channel: 'wechat', channelTxnId: 'wx-7', amountFen: 50_000 } })).status).toBe(201);
  await eventually(async () => expect((await fk.api('GET', '/v1/meters/m-7')).body.relayState).toBe('closed'), 20_000);
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
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
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
