/**
 * visualize()'s Mermaid read by the real Mermaid (the `mermaid` package's browser build, in
 * Debian's chromium): every picture (plain graph, inputs, conditions, a router, a subflow
 * inside, names with quotes and brackets) parses, and renders to SVG with a node per task.
 * [VIS-2]
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { visualize } from '../../src/index.js';
import { picture } from './fixtures/picture.js';
import { launchBrowser, type Browser } from '../e2e/browser.js';

const mermaidScript = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');

const { load, check, target } = picture('load "quoted" [x] {y}');

interface Rendered {
  error: string | null;
  svg: string;
}

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.page();
  await page.setContent('<!doctype html><html><body></body></html>');
  await page.addScriptTag({ path: mermaidScript });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

/** Parse and render one Mermaid text in the page; the parser's message on failure. */
async function renderMermaid(text: string): Promise<Rendered> {
  return page.evaluate(async (source) => {
    const m = (
      globalThis as unknown as {
        mermaid: {
          initialize(o: object): void;
          parse(t: string): Promise<unknown>;
          render(id: string, t: string): Promise<{ svg: string }>;
        };
      }
    ).mermaid;
    m.initialize({ startOnLoad: false, securityLevel: 'strict' });
    try {
      await m.parse(source);
      const { svg } = await m.render(`g${Math.random().toString(36).slice(2)}`, source);
      return { error: null, svg };
    } catch (e) {
      return { error: String((e as Error).message ?? e), svg: '' };
    }
  }, text);
}

describe('visualize as Mermaid, read by Mermaid', () => {
  it('parses and renders a graph with inputs, a condition, a router and a subflow', async () => {
    const text = visualize(target, { format: 'mermaid' });
    const r = await renderMermaid(text);
    expect(r.error).toBeNull();
    for (const label of ['check#', 'save#', 'pick', 'grow', 'days', 'DB_URL']) {
      expect(r.svg).toContain(label);
    }
    // The quoted, bracketed task name is a label, not syntax.
    expect(r.svg).toMatch(/load (&quot;|")quoted(&quot;|") \[x\] \{y\}/);
  }, 30_000);

  it('parses the left-to-right form of a plain chain', async () => {
    let l = load(1);
    for (let i = 0; i < 5; i++) l = check(l) as never;
    const r = await renderMermaid(visualize(l, { format: 'mermaid', direction: 'LR' }));
    expect(r.error).toBeNull();
    expect(r.svg.match(/check#/g)?.length ?? 0).toBeGreaterThanOrEqual(5);
  }, 30_000);

  it('is a real check: a broken text is refused by the parser', async () => {
    const r = await renderMermaid('flowchart TD\n  a["unclosed label\n  a --> ');
    expect(r.error).not.toBeNull();
  }, 30_000);
});
