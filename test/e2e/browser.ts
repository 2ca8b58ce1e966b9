/**
 * The browser tests' harness: Debian's chromium driven by playwright-core (no browser
 * download), a fresh profile per launch, and `cascade fireflies --serve` in a child process.
 * Everything started here is stopped by the returned `close()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { cli, root } from './run-cli.js';

/** Where screenshots of the tests are kept (gitignored). */
export const artifacts = join(root, 'test-artifacts');

/** A headless chromium with a fresh user-data-dir, and every console error of its pages. */
export interface Browser {
  context: BrowserContext;
  errors: string[];
  page(): Promise<Page>;
  close(): Promise<void>;
}

/** Launch /usr/bin/chromium headless (flags of issue 15's tests). */
export async function launchBrowser(): Promise<Browser> {
  mkdirSync(artifacts, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'cascade-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    viewport: { width: 1280, height: 900 },
  });
  const errors: string[] = [];
  return {
    context,
    errors,
    async page() {
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A running `cascade fireflies --serve`. */
export interface ServedRun {
  url: string;
  port: number;
  child: ChildProcess;
  /** SIGKILL (a crash) or SIGINT (a clean stop); resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Start `cascade fireflies --serve 127.0.0.1:PORT ...args` and wait for its URL. */
export async function serveRun(port: number, args: string[]): Promise<ServedRun> {
  const child = spawn(
    process.execPath,
    [cli, 'fireflies', '--serve', `127.0.0.1:${port}`, '--no-visualize', ...args],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  let stderr = '';
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no URL within 20 s: ${stderr}`)), 20_000);
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /serving (http:\/\/\S+)/.exec(stderr);
      if (m !== null) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`exited with ${code}: ${stderr}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    child,
    async stop(signal = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
