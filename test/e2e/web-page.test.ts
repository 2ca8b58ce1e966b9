/**
 * The observatory page in real Chromium against `cascade fireflies --serve` (the built CLI and
 * dist/web): loads without console errors, draws a grid that changes, grows the R chart,
 * pauses and resumes through the control stream with the ack shown, shows the reconnecting
 * state when the server dies and the epoch change when it comes back. Also: a `cascade plot`
 * HTML report opens without console errors. A screenshot is kept in test-artifacts/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifacts, launchBrowser, serveRun, type Browser, type ServedRun } from './browser.js';
import { runCli } from './run-cli.js';

let browser: Browser;
const runs: ServedRun[] = [];
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await Promise.all(runs.map((r) => r.stop('SIGKILL')));
  await browser?.close();
});

/** Simulated seconds in the status line. */
async function simTime(page: Page): Promise<number> {
  const text = (await page.textContent('#status')) ?? '';
  return Number(/t ([\d.]+) s simulated/.exec(text)?.[1] ?? Number.NaN);
}

/** A hash of the grid canvas's pixels. */
function gridPixels(page: Page): Promise<string> {
  // runs in the page; the test's tsconfig has no DOM types
  return page.$eval('#grid', (canvas) =>
    (canvas as unknown as { toDataURL(): string }).toDataURL(),
  );
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

describe('the observatory page in Chromium', () => {
  it('shows the live run, pauses and resumes it, and survives a server restart', async () => {
    const args = ['--grid', '60x60', '--speed', '5', '--duration', '3600'];
    const first = await serveRun(0, args);
    runs.push(first);
    const page = await browser.page();
    await page.goto(first.url);
    await page.waitForSelector('#connection[data-state="open"]');

    // the grid draws, and its pixels change over time
    await until('a first frame', async () => (await gridPixels(page)).length > 1000);
    const a = await gridPixels(page);
    await page.waitForTimeout(600);
    expect(await gridPixels(page)).not.toBe(a);

    // the R chart grows with the samples (one per simulated second, x5)
    await until(
      '3 R points',
      async () => Number(await page.getAttribute('#chart-r', 'data-points')) >= 3,
    );
    const points = Number(await page.getAttribute('#chart-r', 'data-points'));
    await until(
      'more R points',
      async () => Number(await page.getAttribute('#chart-r', 'data-points')) > points,
    );

    // pause: the ack is shown and simulated time stops; resume: it moves again
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await until('the pause ack', async () =>
      /^ack #\d+ pause/.test((await page.textContent('#ack')) ?? ''),
    );
    await page.waitForTimeout(400); // a sample in flight may still land
    const paused = await simTime(page);
    await page.waitForTimeout(1500); // 7.5 simulated seconds at x5 if it were running
    expect(await simTime(page)).toBe(paused);
    expect(await page.textContent('#status')).toContain('PAUSED');
    await page.getByRole('button', { name: 'Resume' }).click();
    await until('the resume ack', async () =>
      /^ack #\d+ resume/.test((await page.textContent('#ack')) ?? ''),
    );
    await until('time moving again', async () => (await simTime(page)) > paused);

    await page.screenshot({ path: join(artifacts, 'web-page.png') });

    expect(browser.errors).toEqual([]);

    // the server dies: the page says it is reconnecting
    await first.stop('SIGKILL');
    await page.waitForSelector('#connection[data-state="reconnecting"]', { timeout: 10_000 });
    expect(await page.textContent('#connection')).toMatch(/reconnecting/);

    // it comes back on the same port: a new epoch, shown, and the page follows the new run
    const second = await serveRun(first.port, args);
    runs.push(second);
    await page.waitForSelector('#connection[data-state="open"]', { timeout: 15_000 });
    await until('the epoch change in the events panel', async () =>
      /epoch changed/.test((await page.textContent('#events')) ?? ''),
    );
    await until('the new run in the status line', async () => (await simTime(page)) > 0);
    await page.close();
    await second.stop();
    // while the server was down, Chromium logs each refused WebSocket; nothing else
    for (const e of browser.errors) expect(e).toMatch(/ERR_CONNECTION_REFUSED/);
  });

  it('loads nothing from elsewhere, is usable from the keyboard, every control named', async () => {
    browser.errors.length = 0;
    const run = await serveRun(0, ['--grid', '40x40', '--speed', '5', '--duration', '3600']);
    runs.push(run);
    const page = await browser.page();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(run.url);
    await page.waitForSelector('#connection[data-state="open"]');
    // self-contained: every request goes to the server that serves the run (no CDN)
    const origin = new URL(run.url).host;
    expect(requests.length).toBeGreaterThan(0);
    for (const url of requests) expect(new URL(url).host).toBe(origin);
    // buttons are buttons and inputs have labels: found by role and accessible name
    for (const name of ['Zoom in', 'Zoom out', 'Whole grid', 'Pause', 'Resume', 'Set speed']) {
      expect(await page.getByRole('button', { name, exact: true }).count()).toBe(1);
    }
    expect(await page.getByRole('spinbutton', { name: 'Speed' }).count()).toBe(1);
    expect(await page.getByRole('spinbutton', { name: 'Limit' }).count()).toBe(1);
    expect(await page.getByRole('status').count()).toBeGreaterThanOrEqual(2);
    // Tab reaches Pause, Enter presses it: the ack arrives in a live region
    let focused = '';
    for (let i = 0; i < 20 && focused !== 'pause'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate<string>("document.activeElement?.id ?? ''");
    }
    expect(focused).toBe('pause');
    await page.keyboard.press('Enter');
    await until('the pause ack', async () =>
      /^ack #\d+ pause/.test((await page.textContent('#ack')) ?? ''),
    );
    expect(await page.getAttribute('#ack', 'aria-live')).toBe('polite');
    // the speed field takes a value typed and Enter submits it
    await page.getByRole('spinbutton', { name: 'Speed' }).fill('2');
    await page.keyboard.press('Enter');
    await until('the speed ack', async () =>
      /^ack #\d+ speed/.test((await page.textContent('#ack')) ?? ''),
    );
    await page.close();
    await run.stop();
    expect(browser.errors).toEqual([]);
  });

  it('opens a cascade plot HTML report without console errors', async () => {
    browser.errors.length = 0;
    const dir = mkdtempSync(join(tmpdir(), 'cascade-web-plot-'));
    try {
      const out = join(dir, 'report.html');
      const r = runCli(['plot', 'test/observatory/report/fixtures/real-view.jsonl', '--out', out]);
      expect(r.code).toBe(0);
      const page = await browser.page();
      await page.goto(pathToFileURL(out).href);
      expect(await page.locator('figure svg').count()).toBe(7);
      await page.screenshot({ path: join(artifacts, 'plot-report.png'), fullPage: true });
      await page.close();
      expect(browser.errors).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
