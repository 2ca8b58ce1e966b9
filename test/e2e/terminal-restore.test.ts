/**
 * The live view under a real terminal: tmux with its own socket runs the built CLI, the test
 * waits until the grid shows, presses Ctrl+C, and checks the terminal was given back
 * (normal screen with the summary, cursor visible). [LIVE-1][TERM-1]
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TmuxHarness, cli, root } from './tmux-harness.js';

const term = new TmuxHarness('cascade-test');
const tmux = (...args: string[]): string => term.tmux(...args);
const waitFor = (what: string, check: () => boolean): Promise<void> => term.waitFor(what, check);

beforeAll(() => TmuxHarness.requireTmuxAndBuild('terminal-restore'));
afterAll(() => term.kill());

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
