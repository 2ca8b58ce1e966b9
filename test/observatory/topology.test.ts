import { describe, expect, it } from 'vitest';
import { TorusTopology } from '../../src/observatory/model/topology.js';
import { InvalidArgumentError } from '../../src/errors.js';

describe('TorusTopology', () => {
  it('gives every cell its 8 Moore neighbours, wrapping at the edges [TOP-1]', () => {
    const t = new TorusTopology(5, 4);
    expect(t.size).toBe(20);
    expect(t.neighboursOf(0).sort((a, b) => a - b)).toEqual([1, 4, 5, 6, 9, 15, 16, 19]);
    expect(t.neighboursOf(7).sort((a, b) => a - b)).toEqual([1, 2, 3, 6, 8, 11, 12, 13]);
  });

  it('is symmetric: b is a neighbour of a iff a is one of b', () => {
    const t = new TorusTopology(7, 9);
    for (let a = 0; a < t.size; a++) {
      for (const b of t.neighboursOf(a)) expect(t.neighboursOf(b)).toContain(a);
    }
  });

  it('rejects a non-positive or fractional size, naming it', () => {
    expect(() => new TorusTopology(0, 5)).toThrow(InvalidArgumentError);
    expect(() => new TorusTopology(5, 2.5)).toThrow(/height/);
  });
});
