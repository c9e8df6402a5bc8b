// The console's calendar banner in a real headless Chromium against a real daemon whose clock is
// injected: no banner in October when the current year's schedule is entered; from 1 November a
// banner asks for the next year's (in Chinese, and in English after the language switch); gone
// once that schedule is entered. 2030 and 2031 stand for years the installed chinese-days lacks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { TestClock } from '../engine/scenario.js';
// @ts-expect-error plain JavaScript build script without type declarations
import { buildConsole } from '../../console/build.mjs';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const BANNER = '[data-test="calendar-banner"]';

let fk: TestDaemon;
let clock: TestClock;
let browser: Browser;

beforeAll(async () => {
  await (buildConsole as (o: { write: boolean }) => Promise<unknown>)({ write: true });
  clock = new TestClock('2030-10-20T10:00:00+08:00');
  fk = await startTestDaemon({}, undefined, clock.now);
  const put = await fk.api('PUT', '/v1/calendar/years/2030', { body: { holidays: [{ name: '国庆节', from: '2030-10-01', to: '2030-10-07' }], reason: 'published' } });
  expect(put.status).toBe(201);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await fk?.stop();
});

/** Reloads the page and waits until the banner has heard from the daemon; its text, or null when hidden. */
async function bannerAfterReload(page: Page): Promise<string | null> {
  await page.reload();
  await page.waitForSelector(`${BANNER}[data-loaded]`, { state: 'attached' });
  return (await page.isVisible(BANNER)) ? await page.textContent(BANNER) : null;
}

describe('console: calendar banner', () => {
  it('asks for the next year’s schedule from 1 November until it is entered', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(fk.daemon.httpUrl + '/');
    await page.fill('[data-test="api-key"]', fk.keys.operator);
    await page.click('[data-test="login"]');
    await page.waitForSelector('[data-test="count-normal"]');

    // 20 October 2030: the current year has its schedule, the next is not asked for yet.
    expect(await bannerAfterReload(page)).toBeNull();

    // 2 November 2030: the banner asks for 2031's.
    clock.set('2030-11-02T10:00:00+08:00');
    const zh = await bannerAfterReload(page);
    expect(zh).toContain('2031 年法定节假日安排尚未录入');
    expect(zh).toContain('feikong calendar set 2031');
    expect(zh).not.toContain('2030');
    await page.click('[data-test="lang"]');
    await page.waitForSelector(`${BANNER}[data-loaded]`, { state: 'attached' });
    expect(await page.textContent(BANNER)).toMatch(/^The official holiday schedule of 2031 has not been entered: public holidays are derived/);
    // On every page, not only the overview.
    await page.click('header nav a[href="#/holds"]');
    await page.waitForSelector(`${BANNER}[data-loaded]`, { state: 'attached' });
    expect(await page.isVisible(BANNER)).toBe(true);

    const put = await fk.api('PUT', '/v1/calendar/years/2031', { body: { holidays: [{ name: '元旦', from: '2031-01-01' }], reason: 'published' } });
    expect(put.status).toBe(201);
    expect(await bannerAfterReload(page)).toBeNull();
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 60_000);
});
