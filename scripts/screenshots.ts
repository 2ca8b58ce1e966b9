// The README's pictures, made by the code (npm run screenshots; needs `npm run build` and
// /usr/bin/chromium): docs/images/page.png, the page of a `--serve` run of 100x100 fireflies
// at x10 after 6 wall seconds (before it synchronises: a synchronised grid is dark between flashes), and docs/images/plot.svg, `cascade plot` of two seeded
// virtual-clock runs (nudge 0.2 s and 0.1 s).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, serveRun } from '../test/e2e/browser.js';
import { root, runCli } from '../test/e2e/run-cli.js';

const images = join(root, 'docs', 'images');
const dir = mkdtempSync(join(tmpdir(), 'cascade-shots-'));
try {
  const logs = [join(dir, 'nudge-0.2.jsonl'), join(dir, 'nudge-0.1.jsonl')];
  for (const [i, nudge] of ['0.2', '0.1'].entries()) {
    const r = runCli(
      [
        'fireflies',
        '--grid',
        '50x50',
        '--clock',
        'virtual',
        '--duration',
        '300',
        '--no-visualize',
        '--nudge',
        nudge,
        '--log',
        logs[i],
      ],
      300_000,
    );
    if (r.code !== 0) throw new Error(r.stderr);
  }
  const plot = runCli([
    'plot',
    ...logs,
    '--metric',
    'r_value,flashes_per_s',
    '--out',
    join(images, 'plot.svg'),
  ]);
  if (plot.code !== 0) throw new Error(plot.stderr);
  const run = await serveRun(0, ['--grid', '100x100', '--speed', '10', '--duration', '3600']);
  const browser = await launchBrowser();
  try {
    const page = await browser.page();
    await page.goto(run.url);
    await page.waitForTimeout(6_000);
    await page.screenshot({ path: join(images, 'page.png') });
  } finally {
    await browser.close();
    await run.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
