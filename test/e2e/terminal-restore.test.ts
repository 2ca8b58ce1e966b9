/**
 * The live view under a real terminal: tmux with its own socket runs the built CLI, the test
 * waits until the grid shows, presses Ctrl+C, and checks the terminal was given back
 * (normal screen with the summary, cursor visible). [LIVE-1][TERM-1]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const socket = `cascade-test-${process.pid}`;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out waiting for ${what}:\n${tmux('capture-pane', '-p')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(() => {
  if (spawnSync('tmux', ['-V']).status !== 0) {
    throw new Error(
      'tmux is required for the terminal-restore test: install it (apt-get install tmux); .ci/run does',
    );
  }
  if (!existsSync(cli))
    throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
});

afterAll(() => {
  spawnSync('tmux', ['-L', socket, 'kill-server']);
});

describe('cascade diag renderer in a terminal', () => {
  it('shows the grid, and on Ctrl+C leaves the alternate screen, shows the cursor and prints the summary', async () => {
    tmux(
      'new-session',
      '-d',
      '-x',
      '100',
      '-y',
      '40',
      '-c',
      root,
      `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} diag renderer --duration 30; echo "exit=$?"; sleep 60`,
    );
    await waitFor('the grid', () => {
      const screen = tmux('capture-pane', '-p');
      return screen.includes('agents 5000') && screen.includes('\u2580');
    });
    expect(tmux('display', '-p', '#{alternate_on} #{cursor_flag}').trim()).toBe('1 0');

    tmux('send-keys', 'C-c');
    await waitFor('the exit', () => tmux('capture-pane', '-p').includes('exit='));
    const screen = tmux('capture-pane', '-p');
    expect(screen).toMatch(
      /cascade diag renderer: 5000 sources x 2\/s on 50x50, [\d.]+ s \(interrupted\)/,
    );
    expect(screen).toMatch(/fps [\d.]+ \(target 30\)/);
    expect(screen).toContain('exit=130');
    expect(screen).not.toContain('\u2580'); // the grid was on the alternate screen, now gone
    expect(tmux('display', '-p', '#{alternate_on} #{cursor_flag}').trim()).toBe('0 1');
  });
});
