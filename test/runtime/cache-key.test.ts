// Content keys of backend caches: equal data keys equal in any key order, other data or
// another name or version keys differently, data without content is refused. [CKEY-1, CKEY-2]
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { task } from '../../src/index.js';
import { contentKey } from '../../src/runtime/cache-key.js';

const t = task((..._args: unknown[]) => 0, { name: 't' });

/** `value` rebuilt with every object's keys in reverse order. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reversed(v)]),
    );
  }
  return value;
}

describe('contentKey', () => {
  it('[CKEY-1] structurally equal data gives one key, in any key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(contentKey(t.def, [v], '')).toBe(contentKey(t.def, [reversed(v)], ''));
      }),
    );
  });

  it('[CKEY-1] different data, name or version gives another key', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        fc.pre(!Object.is(a, -0) && !Object.is(b, -0));
        expect(contentKey(t.def, [a], '')).not.toBe(contentKey(t.def, [b], ''));
      }),
    );
    const u = task((..._args: unknown[]) => 0, { name: 'u' });
    expect(contentKey(t.def, [1], '')).not.toBe(contentKey(u.def, [1], ''));
    expect(contentKey(t.def, [1], '')).not.toBe(contentKey(t.def, [1], 'v2'));
    expect(contentKey(t.def, ['1'], '')).not.toBe(contentKey(t.def, [1], ''));
    expect(contentKey(t.def, [[1, 2]], '')).not.toBe(contentKey(t.def, [1, 2], ''));
  });

  it('[CKEY-1] keys Dates, bigints, undefined and bytes by content', () => {
    const a = { when: new Date(5), big: 2n, none: undefined, bytes: new Uint8Array([1, 2]) };
    const b = { bytes: new Uint8Array([1, 2]), none: undefined, big: 2n, when: new Date(5) };
    expect(contentKey(t.def, [a], '')).toBe(contentKey(t.def, [b], ''));
    expect(contentKey(t.def, [a], '')).not.toBe(
      contentKey(t.def, [{ ...a, bytes: new Uint8Array([1, 3]) }], ''),
    );
    expect(contentKey(t.def, [a], '')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('[CKEY-2] refuses data without content, naming where it sits', () => {
    class Db {}
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const [args, where] of [
      [[{ db: new Db() }], /args\[0\]\.db.*Db/],
      [[1, () => 1], /args\[1\].*function/],
      [[new Map()], /args\[0\].*Map/],
      [[Symbol('s')], /symbol/],
      [[cyclic], /args\[0\]\.self.*cycle/],
    ] as const) {
      expect(() => contentKey(t.def, args as readonly unknown[], '')).toThrow(where);
    }
  });
});
