import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ENTER_SEQUENCE,
  RESTORE_SEQUENCE,
  TerminalGuard,
} from '../../../src/observatory/render/terminal-guard.js';
import { CaptureStream } from './fake-terminal.js';

const guardModule = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../src/observatory/render/terminal-guard.ts',
);

/** Run a script in a child process (through tsx) that enters the view and then ends badly. */
function child(ending: string): { stdout: string; status: number | null } {
  const code =
    `import { TerminalGuard } from ${JSON.stringify(guardModule)};\n` +
    `new TerminalGuard(process.stdout).enter();\n` +
    `process.stdout.write('drawing');\n${ending}\n`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { stdout: r.stdout, status: r.status };
}

describe('TerminalGuard [TERM-1][TERM-2]', () => {
  it('enters once, restores once, and removes its exit hook', () => {
    const before = process.listenerCount('exit');
    const out = new CaptureStream();
    const guard = new TerminalGuard(out);
    guard.enter();
    guard.enter();
    expect(process.listenerCount('exit')).toBe(before + 1);
    guard.restore();
    guard.restore();
    expect(out.writes).toEqual([ENTER_SEQUENCE, RESTORE_SEQUENCE]);
    expect(process.listenerCount('exit')).toBe(before);
    expect(RESTORE_SEQUENCE).toContain('\x1b[?25h'); // cursor shown
    expect(RESTORE_SEQUENCE).toContain('\x1b[?1049l'); // alternate screen left
    expect(RESTORE_SEQUENCE).toContain('\x1b[0m'); // colours reset
  });

  it('restores the terminal when the process dies of an uncaught exception', () => {
    const r = child("setTimeout(() => { throw new Error('boom'); }, 10);");
    expect(r.status).not.toBe(0);
    expect(r.stdout.startsWith(ENTER_SEQUENCE)).toBe(true);
    expect(r.stdout.endsWith(RESTORE_SEQUENCE)).toBe(true);
  });

  it('restores the terminal when something calls process.exit()', () => {
    const r = child('process.exit(3);');
    expect(r.status).toBe(3);
    expect(r.stdout.endsWith(RESTORE_SEQUENCE)).toBe(true);
  });
});
