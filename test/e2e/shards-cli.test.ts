/**
 * `cascade fireflies --workers N` as a user runs it: the same result as one worker, a worker
 * that dies mid-run ends the run cleanly with the shard named, and Ctrl+C in a terminal stops
 * every worker and gives the terminal back [SHD-4][SHD-6][LIVE-1].
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { TmuxHarness, cli, root } from './tmux-harness.js';

const term = new TmuxHarness('cascade-shards-test');
const tmux = (...args: string[]): string => term.tmux(...args);
const screen = (): string => tmux('capture-pane', '-p', '-t', 's');
const terminalState = (): string =>
  tmux('display', '-p', '-t', 's', '#{alternate_on} #{cursor_flag}').trim();

beforeAll(() => TmuxHarness.requireTmuxAndBuild('shards-cli'));
afterAll(() => term.kill());

interface Summary {
  flashes: number;
  discardedPulses: number;
  finalR: number;
  workers: number;
  rSeries: Array<[number, number]>;
}

describe('cascade fireflies --workers', () => {
  it('gives the summary of one worker with two (virtual clock, same seed) [SHD-4]', () => {
    const run = (workers: number): Summary => {
      const r = runCli([
        'fireflies',
        '--grid',
        '30x30',
        '--clock',
        'virtual',
        '--duration',
        '20',
        '--no-visualize',
        '--json',
        '--workers',
        String(workers),
      ]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Summary;
    };
    const one = run(1);
    const two = run(2);
    expect(two.workers).toBe(2);
    expect(two.flashes).toBe(one.flashes);
    expect(two.discardedPulses).toBe(one.discardedPulses);
    expect(two.finalR).toBe(one.finalR);
    expect(two.rSeries).toEqual(one.rSeries.slice(0, two.rSeries.length));
  }, 60_000);

  it('ends with exit 1 and the shard named when a worker dies mid-run [SHD-6]', () => {
    const started = Date.now();
    const r = runCli(
      [
        'fireflies',
        '--grid',
        '40x40',
        '--clock',
        'virtual',
        '--duration',
        '3600',
        '--no-visualize',
        '--workers',
        '2',
      ],
      30_000,
      { ...process.env, CASCADE_FAIL_SHARD: '1:200' },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^cascade: shard 1 failed: injected failure after 200 rounds \[CASCADE_ERR_SHARD_FAILED\]$/m,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 40_000);

  it('in a terminal, Ctrl+C stops every worker, restores the terminal and exits 0', async () => {
    spawnSync('tmux', ['-L', term.socket, 'kill-session', '-t', 's']);
    tmux(
      'new-session',
      '-d',
      '-s',
      's',
      '-x',
      '100',
      '-y',
      '40',
      '-c',
      root,
      'sh',
      '-c',
      `trap : INT; ${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} fireflies --grid 30x30 --speed 5 --workers 2; ` +
        'echo "EXIT=$?"; sleep 60',
    );
    await term.waitFor('the live view', () => /real clock x5/.test(screen()));
    await term.waitFor('simulated time to pass', () => /sim [1-9]\d*\.\ds/.test(screen()));
    const t0 = Date.now();
    tmux('send-keys', '-t', 's', 'C-c');
    await term.waitFor('the exit', () => screen().includes('EXIT='));
    expect(Date.now() - t0).toBeLessThan(3_000);
    const after = screen();
    expect(after).toMatch(
      /cascade fireflies: 900 agents \(30x30\), real clock x5, seed 1, 2 workers/,
    );
    expect(after).toContain('EXIT=0');
    expect(terminalState()).toBe('0 1'); // normal screen, cursor visible
  }, 30_000);
});
