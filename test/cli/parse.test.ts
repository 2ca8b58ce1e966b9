import { describe, expect, it } from 'vitest';
import { parseNumber } from '../../src/cli/parse.js';
import { parseFirefliesFlags, type FirefliesFlags } from '../../src/cli/commands/fireflies.js';
import { UsageError } from '../../src/cli/usage-error.js';

describe('parseNumber', () => {
  const count = { integer: true, min: 1 };

  it.each(['1e4', '0x10', '0b11', '0o7', '1.0', '+5', ' 1e1 '])(
    'an integer option refuses %j: plain decimal digits only',
    (text) => {
      expect(() => parseNumber('--agents', text, count)).toThrow(
        new UsageError(
          `--agents must be an integer >= 1, got "${text}" (write an integer in plain decimal digits)`,
        ),
      );
    },
  );

  it('an integer option takes plain digits', () => {
    expect(parseNumber('--agents', '10000', count)).toBe(10_000);
    expect(parseNumber('--seed', '0', { integer: true, min: 0 })).toBe(0);
  });

  it('an integer beyond 2^53 is refused (it would silently round)', () => {
    expect(() => parseNumber('--seed', '99999999999999999999', { integer: true, min: 0 })).toThrow(
      /at most 9007199254740991/,
    );
  });

  it('a number option still takes decimals and exponents', () => {
    expect(parseNumber('--period', '2.5', { min: 0, exclusive: true })).toBe(2.5);
    expect(parseNumber('--period', '1e1', { min: 0, exclusive: true })).toBe(10);
  });
});

describe('parseFirefliesFlags: the model options in their names and seconds', () => {
  const defaults: FirefliesFlags = {
    period: '5',
    nudge: '0.2',
    jitter: '0.1',
    seed: '1',
    clock: 'virtual',
    speed: '1',
    sampleRate: '0',
  };
  const parse = (flags: Partial<FirefliesFlags>): unknown =>
    parseFirefliesFlags({ ...defaults, ...flags }, false);

  it.each([
    [{ jitter: '10' }, '--jitter (10 s) must be smaller than --period (5 s)'],
    [{ jitter: '5' }, '--jitter (5 s) must be smaller than --period (5 s)'],
    [{ period: '0.1', nudge: '0.05' }, '--jitter (0.1 s) must be smaller than --period (0.1 s)'],
    [{ nudge: '7' }, '--nudge (7 s) must be smaller than --period (5 s)'],
    [{ refractory: '5' }, '--refractory (5 s) must be smaller than --period (5 s)'],
    [{ period: '0' }, '--period must be a number > 0, got "0"'],
    [{ seed: '4294967296' }, '--seed must be an integer >= 0 and <= 4294967295, got "4294967296"'],
  ])('%j: %s', (flags, message) => {
    expect(() => parse(flags)).toThrow(new UsageError(message));
  });

  it('no message speaks of milliseconds', () => {
    for (const flags of [{ jitter: '10' }, { nudge: '9' }, { refractory: '6' }]) {
      expect(() => parse(flags)).toThrow(/^(?!.*\bms\b)/);
    }
  });

  it('keeps the values in milliseconds for the run', () => {
    expect(parse({ period: '2', nudge: '0.1', jitter: '0.5', refractory: '0.4' })).toMatchObject({
      periodMs: 2000,
      nudgeMs: 100,
      jitterMs: 500,
      refractoryMs: 400,
    });
  });
});
