/**
 * A real terminal for e2e tests: a tmux server on its own socket (so tests never touch the
 * user's tmux), plus polling helpers. Tests run the built CLI from `dist/` (npm test builds).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cli } from './run-cli.js';

export { cli, root } from './run-cli.js';

export class TmuxHarness {
  readonly socket: string;

  constructor(name: string) {
    this.socket = `${name}-${process.pid}`;
  }

  /** Throw a clear error when tmux or the build is missing (call in beforeAll). */
  static requireTmuxAndBuild(testName: string): void {
    if (spawnSync('tmux', ['-V']).status !== 0) {
      throw new Error(
        `tmux is required for the ${testName} test: install it (apt-get install tmux); .ci/run does`,
      );
    }
    if (!existsSync(cli))
      throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], {
      encoding: 'utf8',
    });
  }

  /** Poll `check` every 100 ms; on timeout throw with `what` and the current screen. */
  async waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
    const start = Date.now();
    while (!check()) {
      if (Date.now() - start > timeoutMs)
        throw new Error(`timed out waiting for ${what}:\n${this.tmux('capture-pane', '-p')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Kill this harness's tmux server (call in afterAll). */
  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }
}
