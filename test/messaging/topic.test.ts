/**
 * Topic rules [MQTT-4.7.x]: validation of topics and patterns, the reference matcher on the
 * spec's own examples, and a property test: the TopicTrie agrees with the reference matcher
 * on random topics and patterns [TRIE-1], and frees its nodes [TRIE-3].
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, InvalidTopicError } from '../../src/errors.js';
import {
  RetainedStore,
  TopicTrie,
  topicMatches,
  validatePattern,
  validateTopic,
} from '../../src/messaging/index.js';

function problem(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidTopicError);
    expect((e as InvalidTopicError).code).toBe(ErrorCode.INVALID_TOPIC);
    return (e as Error).message;
  }
  throw new Error('expected an InvalidTopicError');
}

describe('validateTopic / validatePattern', () => {
  it('accepts valid topics, empty levels and $-topics', () => {
    for (const t of ['a', 'a/b', '/', '//', '/a', 'a/', 'a//b', '$SYS/x', 'ü/日本', ' ']) {
      expect(() => validateTopic(t), t).not.toThrow();
      expect(() => validatePattern(t), t).not.toThrow();
    }
    for (const p of ['#', '+', '+/+', 'a/#', '/#', '+/#', 'a/+/b', '+//+', '$SYS/#']) {
      expect(() => validatePattern(p), p).not.toThrow();
    }
  });

  it('names the problem of each invalid topic', () => {
    expect(problem(() => validateTopic(''))).toMatch(/empty.*MQTT-4\.7\.3-1/);
    expect(problem(() => validateTopic('a/+'))).toMatch(/wildcard "\+".*MQTT-4\.7\.1-1/);
    expect(problem(() => validateTopic('a/#'))).toMatch(/wildcard "#"/);
    expect(problem(() => validateTopic('a\u0000b'))).toMatch(/NUL.*index 1/);
    expect(problem(() => validateTopic('x'.repeat(65_536)))).toMatch(/65535 bytes/);
    expect(() => validateTopic('x'.repeat(65_535))).not.toThrow();
    expect(problem(() => validateTopic('é'.repeat(40_000)))).toMatch(/65535 bytes/); // 80,000 bytes
  });

  it('names the problem of each invalid pattern', () => {
    expect(problem(() => validatePattern(''))).toMatch(/empty/);
    expect(problem(() => validatePattern('a/#/b'))).toMatch(/"#" must be the last level/);
    expect(problem(() => validatePattern('#/a'))).toMatch(/"#" must be the last level/);
    expect(problem(() => validatePattern('a+/b'))).toMatch(
      /"\+" at index 1 must occupy a whole level/,
    );
    expect(problem(() => validatePattern('a/+b'))).toMatch(/"\+" at index 2/);
    expect(problem(() => validatePattern('#a'))).toMatch(
      /"#" at index 0 must occupy a whole level/,
    );
    expect(problem(() => validatePattern('a/b#'))).toMatch(/"#"/);
    expect(problem(() => validatePattern('a/\u0000'))).toMatch(/NUL/);
  });
});

describe('topicMatches (reference)', () => {
  const cases: Array<[string, string, boolean]> = [
    // [MQTT-4.7.1-2] "#" matches the parent and any number of levels
    ['sport/tennis/player1/#', 'sport/tennis/player1', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
    ['sport/#', 'sport', true],
    ['#', 'anything/at/all', true],
    ['#', '/', true],
    // [MQTT-4.7.1-3] "+" matches exactly one level, empty ones included
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player1/tracking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['+', 'a', true],
    ['+/#', 'a', true],
    ['a//b', 'a//b', true],
    ['a/+/b', 'a//b', true],
    ['a/b', 'a/b/', false],
    // [MQTT-4.7.2-1] $-topics and leading wildcards
    ['#', '$SYS/broker', false],
    ['+/monitor/Clients', '$SYS/monitor/Clients', false],
    ['$SYS/#', '$SYS/monitor/Clients', true],
    ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
    ['a/#', 'a/$b', true],
    // case and exactness
    ['ACCOUNTS', 'Accounts', false],
  ];
  it.each(cases)('%s matches %s: %s', (pattern, topic, expected) => {
    expect(topicMatches(pattern, topic)).toBe(expected);
  });

  it('throws on invalid input instead of not matching', () => {
    expect(() => topicMatches('a/#/b', 'a')).toThrow(InvalidTopicError);
    expect(() => topicMatches('a', 'a/+')).toThrow(InvalidTopicError);
  });
});

// Small alphabet so random topics and patterns actually match each other.
const level = fc.constantFrom('', 'a', 'b', '$', '$a', 'ab');
const topicArb = fc
  .array(level, { minLength: 1, maxLength: 5 })
  .map((ls) => ls.join('/'))
  .filter((t) => t !== '');
const patternArb = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 5 }), fc.boolean())
  .map(([ls, hash]) => (hash ? [...ls.slice(0, -1), '#'] : ls).join('/'))
  .filter((p) => p !== '');

describe('TopicTrie', () => {
  it('[TRIE-1] agrees with the reference matcher on random topics and patterns', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(patternArb, { maxLength: 12 }),
        fc.array(topicArb, { maxLength: 12 }),
        (patterns, topics) => {
          const trie = new TopicTrie<string>();
          for (const p of patterns) trie.add(p, p);
          for (const t of topics) {
            const expected = patterns.filter((p) => topicMatches(p, t)).sort();
            expect(trie.match(t).sort()).toEqual(expected);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('[TRIE-3] removing every pattern frees every node; values keep insertion order', () => {
    fc.assert(
      fc.property(fc.array(patternArb, { maxLength: 20 }), (patterns) => {
        const trie = new TopicTrie<number>();
        patterns.forEach((p, i) => trie.add(p, i));
        expect(trie.size).toBe(patterns.length);
        // Remove in a different order than added.
        [...patterns.entries()].reverse().forEach(([i, p]) => expect(trie.remove(p, i)).toBe(true));
        expect(trie.size).toBe(0);
        expect(trie.nodeCount).toBe(1);
      }),
      { numRuns: 500 },
    );
    const trie = new TopicTrie<number>();
    trie.add('a/+', 1);
    trie.add('a/+', 2);
    trie.add('a/+', 3);
    expect(trie.remove('a/+', 9)).toBe(false);
    expect(trie.remove('b/+', 1)).toBe(false);
    trie.remove('a/+', 2);
    expect(trie.match('a/x')).toEqual([1, 3]);
  });

  it('throws on an invalid pattern or topic', () => {
    const trie = new TopicTrie<number>();
    expect(() => trie.add('a/#/b', 1)).toThrow(InvalidTopicError);
    expect(() => trie.match('a/+')).toThrow(InvalidTopicError);
    expect(trie.nodeCount).toBe(1);
  });
});

describe('RetainedStore', () => {
  it('[RET-3] finds exactly the retained topics a random pattern matches', () => {
    fc.assert(
      fc.property(fc.uniqueArray(topicArb, { maxLength: 12 }), patternArb, (topics, pattern) => {
        const store = new RetainedStore();
        topics.forEach((t, i) => store.set(t, i + 1));
        const found: string[] = [];
        store.match(pattern, (t) => void found.push(t));
        expect(found.sort()).toEqual(topics.filter((t) => topicMatches(pattern, t)).sort());
      }),
      { numRuns: 2000 },
    );
  });

  it('[RET-1] [RET-2] [RET-4] replaces, clears on empty payloads, and prunes', () => {
    const store = new RetainedStore();
    store.set('a/b', 1);
    store.set('a/b', 2);
    expect(store.get('a/b')).toBe(2);
    expect(store.size).toBe(1);
    for (const empty of [
      '',
      undefined,
      null,
      new Uint8Array(0),
      Buffer.alloc(0),
      new ArrayBuffer(0),
    ]) {
      store.set('a/b', 3);
      store.set('a/b', empty);
      expect(store.get('a/b')).toBeUndefined();
      expect(store.size).toBe(0);
    }
    store.set('a/b', 0); // zero and false are real payloads
    store.set('a/c', false);
    expect(store.size).toBe(2);
    store.set('a/b', null);
    store.set('a/c', null);
    const found: string[] = [];
    store.match('#', (t) => void found.push(t));
    expect(found).toEqual([]);
  });
});
