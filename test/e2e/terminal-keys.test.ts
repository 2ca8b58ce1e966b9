/**
 * The live view's keys in a real terminal (tmux): space pauses and resumes simulated time,
 * + and - change the speed, q quits like Ctrl+C and gives the terminal back [LIVE-5][KEY-1].
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TmuxHarness, cli, root } from './tmux-harness.js';

const term = new TmuxHarness('cascade-keys-test');
const tmux = (...args: string[]): string => term.tmux(...args);
const screen = (): string => tmux('capture-pane', '-p', '-t', 'k');
const terminalState = (): string =>
  tmux('display', '-p', '-t', 'k', '#{alternate_on} #{cursor_flag}').trim();
const press = (key: string): void => void tmux('send-keys', '-t', 'k', '-l', key);
const simOf = (s: string): number => Number(/ sim (\d+\.\d)s/.exec(s)?.[1]);

beforeAll(() => TmuxHarness.requireTmuxAndBuild('terminal-keys'));
afterAll(() => term.kill());

describe('keys in the live view', () => {
  it('space pauses and resumes, + and - change the speed, q quits and restores the terminal', async () => {
    spawnSync('tmux', ['-L', term.socket, 'kill-session', '-t', 'k']);
    tmux(
      'new-session',
      '-d',
      '-s',
      'k',
      '-x',
      '100',
      '-y',
      '40',
      '-c',
      root,
      'sh',
      '-c',
      `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} fireflies --grid 20x20 --speed 10; ` +
        // after the exit: the terminal's line discipline, 'icanon' (cooked) or '-icanon' (raw)
        'echo "EXIT=$?"; stty -a | tr " ;" "\\n\\n" | grep -x -- "-\\?icanon"; sleep 60',
    );
    await term.waitFor('the live view with its keys', () =>
      /real clock x10 .*space pause {2}\+\/- speed {2}q quit/.test(screen()),
    );
    await term.waitFor('simulated time to pass', () => simOf(screen()) > 1);

    press(' ');
    await term.waitFor('the paused state', () => /PAUSED real clock x10/.test(screen()));
    const pausedAt = simOf(screen());
    await new Promise((r) => setTimeout(r, 700)); // 7 simulated s if it still ran
    expect(simOf(screen())).toBe(pausedAt);
    expect(screen()).toMatch(/space resume/);

    press(' ');
    await term.waitFor('time to move again', () => simOf(screen()) > pausedAt);
    expect(screen()).not.toMatch(/PAUSED/);

    press('+');
    await term.waitFor('x20', () => /real clock x20\b/.test(screen()));
    press('-');
    press('-');
    await term.waitFor('x5', () => /real clock x5\b/.test(screen()));

    press('q');
    await term.waitFor('the exit', () => screen().includes('EXIT='));
    const after = screen();
    expect(after).toMatch(/cascade fireflies: 400 agents \(20x20\), real clock/);
    expect(after).toContain('EXIT=0');
    expect(terminalState()).toBe('0 1'); // normal screen, cursor visible
    await term.waitFor('the line discipline', () => /^-?icanon$/m.test(screen()));
    expect(screen()).toMatch(/^icanon$/m); // raw mode is off again [KEY-1]
  }, 30_000);
});
