/**
 * KeyReader: the live view's keys. Puts a terminal's input into raw mode (keys arrive one at a
 * time, unechoed) and maps them to actions: space pauses or resumes, `+` / `-` change the
 * speed, `q` quits. Raw mode turns Ctrl+C into a byte instead of SIGINT, so Ctrl+C is read
 * here too and quits like `q`.
 *
 * Invariants:
 * - [KEY-1] `stop()` puts the input back as it was (raw mode off, paused, listener gone);
 *   idempotent. An input that is not a terminal is never touched.
 * - [KEY-2] Ctrl+C (0x03) always quits, whatever else the view does with keys.
 */
import type { EventEmitter } from 'node:events';

/** What a key asks for. */
export type LiveKey = 'pause' | 'faster' | 'slower' | 'quit';

/** A terminal input: `process.stdin`, or a stand-in with the same few members. */
export interface KeyInput extends EventEmitter {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  resume(): unknown;
  pause(): unknown;
}

/**
 * The action of one key press, or null for keys the view ignores.
 *
 * @example
 * ```ts
 * keyAction(' '); // 'pause'
 * keyAction('\x03'); // 'quit' (Ctrl+C in raw mode)
 * ```
 */
export function keyAction(data: string): LiveKey | null {
  switch (data) {
    case ' ':
    case 'p':
      return 'pause';
    case '+':
    case '=':
      return 'faster';
    case '-':
    case '_':
      return 'slower';
    case 'q':
    case 'Q':
    case '\x03': // [KEY-2]
      return 'quit';
    default:
      return null;
  }
}

/**
 * @example
 * ```ts
 * const keys = new KeyReader(process.stdin, (key) => console.log(key));
 * keys.start();
 * // ...
 * keys.stop();
 * ```
 */
export class KeyReader {
  readonly #input: KeyInput;
  readonly #onKey: (key: LiveKey) => void;
  #wasRaw = false;
  #on = false;
  readonly #onData = (chunk: Buffer | string): void => {
    // a paste or a fast typist can bring several keys in one chunk
    for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
      const key = keyAction(ch);
      if (key !== null) this.#onKey(key);
    }
  };

  constructor(input: KeyInput, onKey: (key: LiveKey) => void) {
    this.#input = input;
    this.#onKey = onKey;
  }

  /** Whether keys are being read (the input is a terminal and `start()` ran). */
  get active(): boolean {
    return this.#on;
  }

  /** Start reading keys; does nothing when the input is not a terminal. */
  start(): void {
    const input = this.#input;
    if (this.#on || input.isTTY !== true || input.setRawMode === undefined) return;
    this.#on = true;
    this.#wasRaw = (input as { isRaw?: boolean }).isRaw === true;
    input.setRawMode(true);
    input.on('data', this.#onData);
    input.resume();
  }

  /** Stop reading keys and give the input back as it was [KEY-1]. */
  stop(): void {
    if (!this.#on) return;
    this.#on = false;
    const input = this.#input;
    input.off('data', this.#onData);
    input.setRawMode?.(this.#wasRaw);
    input.pause();
  }
}
