/**
 * Page benchmark: `npx tsx bench/page.ts [options]` (`--help` lists them; run `npm run build`
 * first). For each grid size, a `cascade fireflies --serve` run (the built CLI, its own
 * process) and the observatory page in headless Debian chromium (playwright-core): how
 * responsive the page stays while it draws the live grid. Measured in the page: animation
 * frame intervals (p50 / p99 / max: a blocked main thread shows as a long interval), long
 * tasks (> 50 ms) and their total, grid frames drawn per second, the time from a click on
 * Pause to the ack shown, and the simulated speed the run reached.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { numberOption, parseBenchArgs, usageError, type BenchUsage } from './args.js';

const usage: BenchUsage = {
  script: 'bench/page.ts',
  about:
    'Serves a firefly run per grid side (cascade fireflies --serve, the built CLI) and opens the\n' +
    'observatory page in headless chromium (/usr/bin/chromium): animation frame intervals, long\n' +
    'tasks, grid frames drawn per second, click-to-ack time of Pause. Prints the parameters,\n' +
    'the machine and a table. Run `npm run build` first.',
  options: [
    ['--sides <list>', 'grid sides, comma-separated (default 100,1000: 10k and 1M fireflies)'],
    ['--workers <n>', 'worker threads of each run (default 1)'],
    ['--seconds <n>', 'how long the page is watched per run (default 10)'],
    ['--chromium <path>', 'the browser (default /usr/bin/chromium)'],
    ['--json', 'print the result as JSON'],
  ],
};

const values = parseBenchArgs(usage, {
  options: {
    sides: { type: 'string', default: '100,1000' },
    workers: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '10' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    json: { type: 'boolean' },
  },
});
const sides = values.sides
  .split(',')
  .map((s) => numberOption(usage, '--sides', s.trim(), { integer: true, min: 2 }));
const workers = numberOption(usage, '--workers', values.workers, { integer: true, min: 1 });
const seconds = numberOption(usage, '--seconds', values.seconds, { min: 1 });
const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(join(root, 'dist', 'web', 'index.html'))) {
  usageError(usage, 'dist/web/index.html is missing: run `npm run build` first');
}
if (!existsSync(values.chromium)) usageError(usage, `no browser at ${values.chromium}`);

const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version };
const log = (line: string): void => {
  if (values.json !== true) console.log(line);
};

interface Row {
  side: number;
  agents: number;
  frameP50Ms: number;
  frameP99Ms: number;
  frameMaxMs: number;
  longTasks: number;
  longTaskMs: number;
  gridFps: number;
  ackMs: number;
  simSpeed: number;
}

/** Start the run and resolve with its page URL once it listens. */
function serve(side: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      '--max-semi-space-size=64',
      cli,
      'fireflies',
      '--serve',
      '127.0.0.1:0',
      '--no-visualize',
      '--grid',
      `${side}x${side}`,
      '--workers',
      String(workers),
      '--duration',
      '1000000',
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no URL within 120 s: ${stderr}`)), 120_000);
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /serving (http:\/\/\S+)/.exec(stderr);
      if (m !== null) {
        clearTimeout(timer);
        ok({ url: m[1], child });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`the run exited with ${code}: ${stderr}`));
    });
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(side: number): Promise<Row> {
  const { url, child } = await serve(side);
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const profile = mkdtempSync(join(tmpdir(), 'cascade-bench-page-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: values.chromium,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    viewport: { width: 1280, height: 900 },
  });
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('#connection[data-state="open"]');
    // the first frames of a large run take a while (the run builds its grid first)
    // (the run refuses commands until it has started: wait for simulated time to move)
    await page.waitForFunction(
      'Number(/t ([\\d.]+) s simulated/.exec(document.body.innerText)?.[1] ?? 0) > 0',
      null,
      { timeout: 300_000 },
    );
    const simAt = async (): Promise<number> =>
      Number(/t ([\d.]+) s simulated/.exec((await page.textContent('#status')) ?? '')?.[1] ?? NaN);
    const sim0 = await simAt();
    const frames0 = Number((await page.getAttribute('#grid', 'data-frames')) ?? 0);
    const t0 = Date.now();
    // in the page: animation frame intervals and long tasks for `seconds`
    // a string, not a function: tsx's transform would wrap named functions in a helper the
    // page does not have
    const inPage = await page.evaluate<{ intervals: number[]; long: number[] }>(`(async () => {
      const intervals = [];
      const long = [];
      const observer = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) long.push(e.duration);
      });
      observer.observe({ type: 'longtask', buffered: false });
      await new Promise((done) => {
        const start = performance.now();
        let last = start;
        const step = (now) => {
          intervals.push(now - last);
          last = now;
          if (now - start < ${seconds * 1000}) requestAnimationFrame(step);
          else done();
        };
        requestAnimationFrame(step);
      });
      observer.disconnect();
      return { intervals, long };
    })()`);
    const wallS = (Date.now() - t0) / 1000;
    const frames1 = Number((await page.getAttribute('#grid', 'data-frames')) ?? 0);
    const sim1 = await simAt();
    // input responsiveness: click Pause, time until the ack is on the page
    const clicked = Date.now();
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await page.waitForFunction(
      "/^(ack|nack) #\\d+ pause/.test(document.getElementById('ack')?.textContent ?? '')",
      null,
      { timeout: 60_000 },
    );
    const acked = /^ack/.test((await page.textContent('#ack')) ?? '');
    const ackMs = Date.now() - clicked;
    const sorted = inPage.intervals.slice(1).sort((a, b) => a - b);
    return {
      side,
      agents: side * side,
      frameP50Ms: percentile(sorted, 50),
      frameP99Ms: percentile(sorted, 99),
      frameMaxMs: sorted.at(-1) ?? Number.NaN,
      longTasks: inPage.long.length,
      longTaskMs: inPage.long.reduce((a, b) => a + b, 0),
      gridFps: (frames1 - frames0) / wallS,
      ackMs: acked ? ackMs : Number.NaN,
      simSpeed: (sim1 - sim0) / wallS,
    };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    child.kill('SIGINT');
    await exited;
  }
}

log(`bench/page.ts: sides ${sides.join(',')}, workers ${workers}, ${seconds} s watched per run`);
log(`machine: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}`);
const rows: Row[] = [];
for (const side of sides) {
  log(`serving ${side}x${side} ...`);
  rows.push(await measure(side));
}

if (values.json === true) {
  console.log(JSON.stringify({ parameters: { sides, workers, seconds }, machine, rows }, null, 2));
} else {
  const head = [
    'agents',
    'frame p50 ms',
    'frame p99 ms',
    'frame max ms',
    'long tasks',
    'long ms',
    'grid fps',
    'ack ms',
    'sim s/s',
  ];
  const cells = rows.map((r) => [
    r.agents.toLocaleString('en-US'),
    r.frameP50Ms.toFixed(1),
    r.frameP99Ms.toFixed(1),
    r.frameMaxMs.toFixed(1),
    String(r.longTasks),
    r.longTaskMs.toFixed(0),
    r.gridFps.toFixed(1),
    String(r.ackMs),
    r.simSpeed.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]): string => c.map((x, i) => x.padStart(widths[i])).join('  ');
  console.log(line(head));
  for (const c of cells) console.log(line(c));
}
