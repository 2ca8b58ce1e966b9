import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { KeyReader, keyAction } from '../../../src/observatory/live/key-reader.js';
import type { LiveKey } from '../../../src/observatory/live/key-reader.js';
import { runLive } from '../../../src/observatory/live/run-live.js';
import { CaptureStream, ManualSource } from '../render/fake-terminal.js';

/** A terminal input stand-in: records raw mode and flow, emits what a test types. */
class FakeTty extends EventEmitter {
  isTTY = true;
  isRaw = false;
  flowing = false;
  setRawMode(mode: boolean): this {
    this.isRaw = mode;
    return this;
  }
  resume(): this {
    this.flowing = true;
    return this;
  }
  pause(): this {
    this.flowing = false;
    return this;
  }
  type(text: string): void {
    this.emit('data', Buffer.from(text));
  }
}

describe('KeyReader [KEY-1][KEY-2]', () => {
  it('maps space, +, -, q and Ctrl+C to actions and ignores other keys', () => {
    expect([' ', '+', '=', '-', 'q', '\x03', 'x', '\x1b'].map(keyAction)).toEqual([
      'pause',
      'faster',
      'faster',
      'slower',
      'quit',
      'quit',
      null,
      null,
    ]);
  });

  it('reads keys in raw mode, several per chunk, and gives the input back on stop', () => {
    const tty = new FakeTty();
    const keys: LiveKey[] = [];
    const reader = new KeyReader(tty, (k) => keys.push(k));
    reader.start();
    expect(tty.isRaw).toBe(true);
    expect(tty.flowing).toBe(true);
    tty.type(' ++-q');
    expect(keys).toEqual(['pause', 'faster', 'faster', 'slower', 'quit']);
    reader.stop();
    reader.stop(); // idempotent
    expect(tty.isRaw).toBe(false);
    expect(tty.flowing).toBe(false);
    expect(tty.listenerCount('data')).toBe(0);
    tty.type(' ');
    expect(keys).toHaveLength(5);
  });

  it('leaves an input that is not a terminal alone', () => {
    const pipe = new FakeTty();
    pipe.isTTY = false;
    new KeyReader(pipe, () => undefined).start();
    expect(pipe.isRaw).toBe(false);
    expect(pipe.listenerCount('data')).toBe(0);
  });
});

describe('runLive with keys [LIVE-5]', () => {
  it('hands keys to onKey while live and restores the input when the view ends', async () => {
    const tty = new FakeTty();
    const ac = new AbortController();
    const seen: LiveKey[] = [];
    const done = runLive({
      source: new ManualSource(4, 4),
      out: new CaptureStream(),
      isTTY: true,
      columns: 40,
      rows: 12,
      signal: ac.signal,
      keys: {
        input: tty,
        onKey: (k) => {
          seen.push(k);
          if (k === 'quit') ac.abort();
        },
      },
    });
    expect(tty.isRaw).toBe(true);
    tty.type(' ');
    tty.type('-');
    tty.type('q');
    await done;
    expect(seen).toEqual(['pause', 'slower', 'quit']);
    expect(tty.isRaw).toBe(false);
    expect(tty.listenerCount('data')).toBe(0);
  });
});
