import { describe, expect, it } from 'vitest';
import { listOf, plural } from '../../src/cli/plural.js';

describe('plural and listOf', () => {
  it('counts in the singular only for one', () => {
    expect([0, 1, 2].map((n) => plural(n, 'agent'))).toEqual(['0 agents', '1 agent', '2 agents']);
    expect(plural(2, 'agent run')).toBe('2 agent runs');
  });

  it('joins lists as English reads them', () => {
    expect([[], ['a'], ['a', 'b'], ['a', 'b', 'c']].map(listOf)).toEqual([
      '',
      'a',
      'a and b',
      'a, b and c',
    ]);
  });
});
