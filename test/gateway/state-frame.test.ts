/**
 * The state frame codec: keyframe + deltas reproduce the views exactly [SF-1], the delta is
 * never bigger than the keyframe [SF-2], max-downsampling tiles the region [SF-3].
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  STATE_HEADER_BYTES,
  StateFrameDecoder,
  StateFrameEncoder,
  StateFrameType,
  downsampleMax,
  readStateFrameHeader,
  type Viewport,
} from '../../src/gateway/index.js';
import { naiveDownsample } from './reference.js';

const full = (cols: number, rows: number): Viewport => ({
  x: 0,
  y: 0,
  w: cols,
  h: rows,
  cols,
  rows,
});

describe('StateFrameEncoder / StateFrameDecoder', () => {
  it('a keyframe then deltas reproduce every view exactly (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 400 }), {
          minLength: 1,
          maxLength: 8,
        }),
        (cols, rows, edits) => {
          const vp = full(cols, rows);
          const n = cols * rows;
          const enc = new StateFrameEncoder();
          const dec = new StateFrameDecoder();
          let view: Uint8Array = new Uint8Array(n);
          let prev: Uint8Array | null = null;
          let seq = 1;
          for (const batch of edits) {
            const next: Uint8Array = new Uint8Array(view);
            for (const [i, v] of batch) next[i % n] = v;
            const frame = enc.encode(next, prev, vp, seq, 0, seq - 1);
            if (prev !== null) expect(frame.length).toBeLessThanOrEqual(STATE_HEADER_BYTES + n); // [SF-2]
            expect(Array.from(dec.apply(frame).cells)).toEqual(Array.from(next)); // [SF-1]
            prev = next;
            view = next;
            seq++;
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('picks pairs for scattered changes, runs for clustered ones, a keyframe for noise', () => {
    const vp = full(100, 100);
    const prev = new Uint8Array(10_000);
    const enc = new StateFrameEncoder();
    const scattered = new Uint8Array(prev);
    for (let i = 0; i < 10_000; i += 97) scattered[i] = 200;
    expect(enc.encode(scattered, prev, vp, 2, 0, 1)[0]).toBe(StateFrameType.PAIRS);
    const block = new Uint8Array(prev);
    for (let i = 5000; i < 5600; i++) block[i] = 9;
    expect(enc.encode(block, prev, vp, 2, 0, 1)[0]).toBe(StateFrameType.RUNS);
    const noise = prev.map((_, i) => (i * 7919) % 251);
    const key = enc.encode(noise, prev, vp, 2, 0, 1);
    expect(key[0]).toBe(StateFrameType.KEY);
    expect(key.length).toBe(STATE_HEADER_BYTES + 10_000);
    const same = enc.encode(prev, prev, vp, 2, 0, 1);
    expect(same.length).toBe(STATE_HEADER_BYTES + 4); // nothing changed: an empty delta
  });

  it('the header carries type, size, ticks, time and viewport', () => {
    const vp: Viewport = { x: 10, y: 20, w: 300, h: 200, cols: 30, rows: 20 };
    const frame = new StateFrameEncoder().encode(new Uint8Array(600), null, vp, 7, 1234.5);
    expect(readStateFrameHeader(frame)).toEqual({
      type: 1,
      flags: 0,
      seq: 7,
      baseSeq: 7,
      time: 1234.5,
      viewport: vp,
    });
  });

  it('a delta on another base is refused, not applied', () => {
    const vp = full(4, 4);
    const enc = new StateFrameEncoder();
    const dec = new StateFrameDecoder();
    const a = new Uint8Array(16);
    const b = new Uint8Array(16).fill(1, 0, 2);
    dec.apply(enc.encode(a, null, vp, 1, 0));
    expect(() => dec.apply(enc.encode(b, a, vp, 3, 0, 2))).toThrow(/delta base/);
    expect(() => dec.apply(new Uint8Array(10))).toThrow(/shorter/);
  });
});

describe('downsampleMax', () => {
  it('is the max over each block, blocks tiling the region (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        fc.nat(),
        fc.nat(),
        (width, height, a, b) => {
          const src = new Uint8Array(width * height).map((_, i) => (i * 2654435761 + a) % 256);
          const x = a % width;
          const y = b % height;
          const w = 1 + ((a >> 3) % (width - x));
          const h = 1 + ((b >> 3) % (height - y));
          const cols = 1 + ((a >> 5) % w);
          const rows = 1 + ((b >> 5) % h);
          const vp = { x, y, w, h, cols, rows };
          const out = new Uint8Array(cols * rows);
          downsampleMax(src, width, vp, out);
          expect(Array.from(out)).toEqual(Array.from(naiveDownsample(src, width, vp)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a lone bright cell of a 1000x1000 grid shows on a 200x200 view', () => {
    const src = new Uint8Array(1_000_000);
    src[537 * 1000 + 911] = 255;
    const out = new Uint8Array(40_000);
    downsampleMax(src, 1000, { x: 0, y: 0, w: 1000, h: 1000, cols: 200, rows: 200 }, out);
    expect(out[107 * 200 + 182]).toBe(255);
    expect(out.reduce((s, v) => s + v, 0)).toBe(255);
  });
});
