/**
 * TimerQueue against a plain model: every armed timer fires once, in (tick, last arm) order,
 * never after a cancel or a re-arm made its entry stale [CLK-2, CLK-3], across the near level
 * and the coarse spans that are spread into it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SPAN, Timer, TimerQueue } from '../../src/runtime/timer-queue.js';

type Op =
  | { kind: 'arm'; timer: number; tick: number }
  | { kind: 'cancel'; timer: number }
  | { kind: 'fire' };

const TIMERS = 12;

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('arm' as const),
      timer: fc.nat(TIMERS - 1),
      // several spans ahead, the span boundaries themselves, and never
      tick: fc.oneof(
        fc.nat(SPAN * 5),
        fc.constantFrom(SPAN - 1, SPAN, SPAN * 2, SPAN * 2 + 1),
        fc.constant(Infinity),
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('cancel' as const), timer: fc.nat(TIMERS - 1) }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('fire' as const) }) },
);

/** A queue of tick 1 ms and its TIMERS timers, with each timer's id. */
function fixture(): { q: TimerQueue; timers: Timer[]; ids: Map<Timer, number> } {
  const timers = Array.from({ length: TIMERS }, () => new Timer(() => {}));
  return { q: new TimerQueue(1), timers, ids: new Map(timers.map((t, i) => [t, i])) };
}

/** Pop buckets until one fires something; returns [tick, timer ids in firing order]. */
function fireNext(q: TimerQueue, ids: Map<Timer, number>): [number, number[]] | null {
  while (q.peekTick() !== Infinity) {
    const bucket = q.popBucket();
    const fired: number[] = [];
    for (let t = q.takeNext(bucket); t !== null; t = q.takeNext(bucket)) fired.push(ids.get(t)!);
    if (fired.length > 0) return [bucket.tick, fired];
  }
  return null;
}

describe('TimerQueue', () => {
  it('fires like the model: each armed timer once, by tick then arm order, stale entries never', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const { q, timers, ids } = fixture();
        // model: timer id -> [tick, arm sequence]
        const armed = new Map<number, [number, number]>();
        let seq = 0;
        const check = (): void => {
          expect(q.size).toBe(armed.size);
          for (let i = 0; i < TIMERS; i++) expect(timers[i].armed).toBe(armed.has(i));
        };
        const fireBoth = (): void => {
          const finite = [...armed].filter(([, [tick]]) => tick !== Infinity);
          const got = fireNext(q, ids);
          if (finite.length === 0) {
            expect(got).toBeNull();
            return;
          }
          const tick = Math.min(...finite.map(([, [t]]) => t));
          const want = finite
            .filter(([, [t]]) => t === tick)
            .sort((a, b) => a[1][1] - b[1][1])
            .map(([id]) => id);
          expect(got).toEqual([tick, want]);
          for (const id of want) armed.delete(id);
        };
        for (const o of ops) {
          if (o.kind === 'arm') {
            q.arm(timers[o.timer], o.tick);
            armed.set(o.timer, [o.tick, seq++]);
          } else if (o.kind === 'cancel') {
            timers[o.timer].cancel();
            armed.delete(o.timer);
          } else {
            fireBoth();
          }
          check();
        }
        while ([...armed.values()].some(([t]) => t !== Infinity)) {
          fireBoth();
          check();
        }
        expect(fireNext(q, ids)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('popAll fires every armed timer once, span by span, and leaves timers armed meanwhile queued [TQ-3]', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const { q, timers, ids } = fixture();
        const armed = new Map<number, number>(); // timer id -> tick
        for (const o of ops) {
          if (o.kind === 'arm') {
            q.arm(timers[o.timer], o.tick);
            armed.set(o.timer, o.tick);
          } else if (o.kind === 'cancel') {
            timers[o.timer].cancel();
            armed.delete(o.timer);
          } else {
            const got = fireNext(q, ids);
            if (got !== null) for (const id of got[1]) armed.delete(id);
          }
        }
        const late = new Timer(() => {});
        const fired: number[] = [];
        for (const bucket of q.popAll()) {
          for (let t = q.takeNext(bucket); t !== null; t = q.takeNext(bucket)) {
            fired.push(ids.get(t)!);
            q.arm(late, 0); // armed while firing: a new bucket, left queued
          }
        }
        const finite = [...armed].filter(([, tick]) => tick !== Infinity);
        expect([...fired].sort((a, b) => a - b)).toEqual(
          finite.map(([id]) => id).sort((a, b) => a - b),
        );
        // by span: never a timer of an earlier span after one of a later span
        const spans = fired.map((id) => Math.floor(armed.get(id)! / SPAN));
        for (let i = 1; i < spans.length; i++)
          expect(spans[i]).toBeGreaterThanOrEqual(spans[i - 1]);
        const never = armed.size - finite.length;
        expect(q.size).toBe(never + (fired.length > 0 ? 1 : 0));
        // the queue goes on as before: the late timer fires at its tick
        if (fired.length > 0) expect(fireNext(q, new Map([[late, 99]]))).toEqual([0, [99]]);
      }),
      { numRuns: 300 },
    );
  });

  it('a timer re-armed while its bucket fires goes to a new bucket for the same tick, after it', () => {
    const q = new TimerQueue(1);
    const order: string[] = [];
    const a = new Timer(() => order.push('a'));
    const b = new Timer(() => order.push('b'));
    q.arm(a, SPAN * 3 + 5); // coarse at first: spread when its span comes
    q.arm(b, SPAN * 3 + 5);
    expect(q.peekTick()).toBe(SPAN * 3 + 5);
    const bucket = q.popBucket();
    const first = q.takeNext(bucket)!;
    first.fn();
    q.arm(first, SPAN * 3 + 5); // same tick, armed during the firing
    for (let t = q.takeNext(bucket); t !== null; t = q.takeNext(bucket)) t.fn();
    expect(order).toEqual(['a', 'b']);
    expect(q.peekTick()).toBe(SPAN * 3 + 5);
    const again = q.popBucket();
    expect(q.takeNext(again)).toBe(a);
    expect(q.takeNext(again)).toBeNull();
    expect(q.size).toBe(0);
  });

  it('reuses done buckets, near and coarse: a steady run makes no new ones [TQ-1]', () => {
    const q = new TimerQueue(1);
    const timers = Array.from({ length: 50 }, (_, i) => new Timer(() => q.arm(timers[i], 0)));
    const seen = new Set<object>();
    let fired = 0;
    let now = 0;
    // each timer fires and re-arms itself 1 to 4 spans ahead (the far ones land coarse)
    timers.forEach((t, i) => q.arm(t, 1 + ((i * 37) % (4 * SPAN))));
    for (let round = 0; round < 40 * SPAN; round++) {
      const tick = q.peekTick();
      if (tick === Infinity) break;
      now = tick;
      const bucket = q.popBucket();
      seen.add(bucket);
      for (let t = q.takeNext(bucket); t !== null; t = q.takeNext(bucket)) {
        fired++;
        const i = timers.indexOf(t);
        q.arm(t, now + 1 + ((i * 37 + fired) % (4 * SPAN)));
      }
    }
    expect(fired).toBeGreaterThan(1000);
    // 40 spans of ticks fired; without reuse every fired tick would be a bucket of its own
    expect(seen.size).toBeLessThan(5 * SPAN);
    expect(q.size).toBe(timers.length);
  });

  it('a bucket of many thousand entries (several chunks) fires in arm order, stale ones never', () => {
    const q = new TimerQueue(1);
    const n = 20_000;
    const timers = Array.from({ length: n }, () => new Timer(() => {}));
    const ids = new Map(timers.map((t, i) => [t, i]));
    const far = SPAN * 3 + 7; // coarse first, spread into one near bucket
    for (const t of timers) q.arm(t, far);
    for (let i = 0; i < n; i += 3) q.arm(timers[i], far); // re-armed: to the end, old entry stale
    for (let i = 1; i < n; i += 7) timers[i].cancel();
    const want = [
      ...timers.map((_, i) => i).filter((i) => i % 3 !== 0 && i % 7 !== 1),
      ...timers.map((_, i) => i).filter((i) => i % 3 === 0 && i % 7 !== 1),
    ];
    expect(q.peekTick()).toBe(far);
    const bucket = q.popBucket();
    const got: number[] = [];
    let again: Timer | null = null;
    for (let t = q.takeNext(bucket); t !== null; t = q.takeNext(bucket)) {
      got.push(ids.get(t)!);
      if (got.length === 5_000) q.arm((again = t), far + 1); // fired, armed again: next tick
    }
    expect(got).toEqual(want);
    expect(q.peekTick()).toBe(far + 1);
    expect(q.size).toBe(1);
    // and a near bucket filled directly (its tick is near now)
    const others = timers.filter((t) => t !== again);
    for (const t of others) q.arm(t, far + 2);
    const next = q.popBucket();
    expect(q.takeNext(next)).toBe(again);
    expect(q.takeNext(next)).toBeNull();
    const near = q.popBucket();
    const fired: Timer[] = [];
    for (let t = q.takeNext(near); t !== null; t = q.takeNext(near)) fired.push(t);
    expect(fired).toEqual(others);
    expect(q.size).toBe(0);
  });

  it('keeps nothing for a timer armed for Infinity, and cancels it', () => {
    const q = new TimerQueue(1);
    const t = new Timer(() => {});
    q.arm(t, Infinity);
    expect(t.armed).toBe(true);
    expect(q.size).toBe(1);
    expect(q.peekTick()).toBe(Infinity);
    t.cancel();
    expect(t.armed).toBe(false);
    expect(q.size).toBe(0);
  });
});
