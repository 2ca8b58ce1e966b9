/**
 * `cascade fireflies` (what `npm start` runs) under a real terminal: tmux with its own socket
 * runs the built CLI in a 100x40 pane. The tests wait until the grid and the status bar show,
 * then end the run by Ctrl+C or by `--duration`, and check that the terminal was given back
 * (normal screen, cursor visible), the summary is on the screen and the exit code is 0.
 * [LIVE-1][FRUN-2][TERM-1]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TmuxHarness, cli, root } from './tmux-harness.js';

const term = new TmuxHarness('cascade-ff-test');
const socket = term.socket;
const dir = mkdtempSync(join(tmpdir(), 'cascade-ff-term-'));

/** A 256-colour background escape: how the grid's cells are drawn (cell mode: coloured spaces). */
const BACKGROUND = '\x1b[48;5;';
/**
 * The status bar of the live view, two lines: e.g. ` agents 900  R 0.617 ██████░░░░  flashes/s 42
 * fps 30.0  sim 37.6s` and ` real clock x10   space pause  +/- speed  q quit`.
 */
const STATUS_BAR =
  /^ agents 900 {2}R [01]\.\d{3} [█░]{10} {2}flashes\/s \d+ {2}fps \d+\.\d {2}sim \d+\.\ds.*\n {1,8}real clock x10\b/m;

const tmux = (...args: string[]): string => term.tmux(...args);

const screen = (): string => tmux('capture-pane', '-p', '-t', 'ff');
const screenWithEscapes = (): string => tmux('capture-pane', '-p', '-e', '-t', 'ff');
const terminalState = (): string =>
  tmux('display', '-p', '-t', 'ff', '#{alternate_on} #{cursor_flag}').trim();

const waitFor = (what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> =>
  term.waitFor(what, check, timeoutMs);

/**
 * Start the CLI in a fresh 100x40 session named `ff`. The command runs under `sh` without a
 * shell in between (tmux execs the argument vector); `trap : INT` keeps that shell alive when
 * Ctrl+C reaches the whole foreground process group, so it can print node's exit code (the
 * child gets SIGINT with the default disposition back, as trapped signals are reset on exec).
 */
function start(args: string): void {
  spawnSync('tmux', ['-L', socket, 'kill-session', '-t', 'ff']);
  tmux(
    'new-session',
    '-d',
    '-s',
    'ff',
    '-x',
    '100',
    '-y',
    '40',
    '-c',
    root,
    'sh',
    '-c',
    `trap : INT; ${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} fireflies ${args}; ` +
      'echo "EXIT=$?"; sleep 60',
  );
}

/** The grid (coloured cells below the status bar) and the status bar are on the screen. */
function liveViewShows(): boolean {
  const lines = screenWithEscapes().split('\n');
  return STATUS_BAR.test(screen()) && lines.slice(1).some((l) => l.includes(BACKGROUND));
}

beforeAll(() => TmuxHarness.requireTmuxAndBuild('terminal-fireflies'));

afterAll(() => {
  term.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('cascade fireflies in a terminal', () => {
  it('shows the grid and the status bar; Ctrl+C restores the terminal, prints the summary, exits 0', async () => {
    start('--grid 30x30 --speed 10');
    await waitFor('the grid and the status bar', liveViewShows);
    expect(terminalState()).toBe('1 0'); // alternate screen, cursor hidden
    // the status bar moves: simulated time advances between two captures
    const simOf = (s: string): number => Number(/ sim (\d+\.\d)s\b/.exec(s)?.[1]);
    const sim0 = simOf(screen());
    await waitFor('simulated time to advance', () => simOf(screen()) > sim0);

    tmux('send-keys', '-t', 'ff', 'C-c');
    await waitFor('the exit', () => screen().includes('EXIT='));
    const after = screen();
    expect(after).toMatch(
      /cascade fireflies: 900 agents \(30x30\), real clock x10, seed 1 \(stopped by q or Ctrl\+C\)/,
    );
    expect(after).toMatch(/view: \d+ frames, [\d.]+ fps/);
    expect(after).toContain('EXIT=0');
    expect(after).not.toMatch(STATUS_BAR); // the view was on the alternate screen, now gone
    expect(screenWithEscapes()).not.toContain(BACKGROUND);
    expect(terminalState()).toBe('0 1'); // normal screen, cursor visible
  }, 20_000);

  it('ends by itself after --duration: terminal restored, summary, exit 0, JSONL metrics', async () => {
    const log = join(dir, 'metrics.jsonl');
    // 10 simulated s at x5 = 2 wall s: the view records `fps` once per wall second, so the
    // run must last over one wall second for an `fps` line to exist.
    start(`--grid 30x30 --duration 10 --speed 5 --log ${JSON.stringify(log)}`);
    await waitFor('the exit', () => screen().includes('EXIT='));
    const after = screen();
    expect(after).toMatch(/cascade fireflies: 900 agents \(30x30\), real clock x5, seed 1\n/);
    expect(after).not.toContain('stopped by');
    expect(after).toMatch(/simulated 10\.\d s in [\d.]+ s wall/);
    expect(after).toMatch(/view: [1-9]\d* frames/);
    expect(after).toContain('EXIT=0');
    expect(screenWithEscapes()).not.toContain(BACKGROUND);
    expect(terminalState()).toBe('0 1');

    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { metrics: Record<string, { count: number; avg: number }> });
    const names = new Set(lines.flatMap((l) => Object.keys(l.metrics)));
    for (const name of ['r_value', 'fps', 'render_jitter_ms', 'event_loop_lag_ms']) {
      expect(names).toContain(name);
    }
    const fps = lines.flatMap((l) => (l.metrics.fps === undefined ? [] : [l.metrics.fps.avg]));
    expect(Math.max(...fps)).toBeGreaterThan(5);
  }, 20_000);
});
