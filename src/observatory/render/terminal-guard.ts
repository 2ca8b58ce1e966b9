/**
 * TerminalGuard: puts a terminal into "full-screen view" mode (alternate screen, hidden cursor)
 * and guarantees it is put back.
 *
 * Invariants:
 * - [TERM-1] After `restore()` the terminal shows the cursor, has default colours and is back
 *   on the normal screen. `restore()` is idempotent.
 * - [TERM-2] While entered, a `process.on('exit')` hook restores the terminal as a last resort
 *   (an uncaught exception, `process.exit()` elsewhere); it is removed on `restore()`, so no
 *   listener leaks.
 */
import { writeSync } from 'node:fs';
import type { Writable } from 'node:stream';

/**
 * Alternate screen on, cursor hidden, colours reset, screen cleared.
 *
 * @example
 * ```ts
 * process.stdout.write(ENTER_SEQUENCE);
 * ```
 */
export const ENTER_SEQUENCE = '\x1b[?1049h\x1b[?25l\x1b[0m\x1b[2J';
/**
 * Colours reset, cursor shown, alternate screen off. [TERM-1]
 *
 * @example
 * ```ts
 * process.stdout.write(RESTORE_SEQUENCE);
 * ```
 */
export const RESTORE_SEQUENCE = '\x1b[0m\x1b[?25h\x1b[?1049l';

/**
 * Enter and leave the full-screen view on one output.
 *
 * @example
 * ```ts
 * const guard = new TerminalGuard(process.stdout);
 * guard.enter();
 * try { draw(); } finally { guard.restore(); }
 * ```
 */
export class TerminalGuard {
  readonly #out: Writable;
  #entered = false;
  readonly #onExit = (): void => {
    this.#restoreSync();
  };

  constructor(out: Writable) {
    this.#out = out;
  }

  /** Whether the view mode is on. */
  get entered(): boolean {
    return this.#entered;
  }

  /** Switch to the alternate screen and hide the cursor. */
  enter(): void {
    if (this.#entered) return;
    this.#entered = true;
    process.on('exit', this.#onExit);
    this.#out.write(ENTER_SEQUENCE);
  }

  /** Show the cursor, reset colours, leave the alternate screen. Idempotent. [TERM-1] */
  restore(): void {
    if (!this.#entered) return;
    this.#entered = false;
    process.off('exit', this.#onExit);
    this.#out.write(RESTORE_SEQUENCE);
  }

  // [TERM-2] In an 'exit' handler only synchronous writes happen: use the fd when there is one.
  #restoreSync(): void {
    if (!this.#entered) return;
    this.#entered = false;
    const fd = (this.#out as Writable & { fd?: unknown }).fd;
    if (typeof fd === 'number') {
      try {
        writeSync(fd, RESTORE_SEQUENCE);
        return;
      } catch {
        // fall through to the stream
      }
    }
    this.#out.write(RESTORE_SEQUENCE);
  }
}
