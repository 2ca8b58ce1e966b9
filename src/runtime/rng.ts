/**
 * A small, fast, seedable random number generator (sfc32, seeded through splitmix32).
 * The scheduler hands one to everything that needs randomness, so a seeded run repeats bit
 * for bit [SCH-4]. Not cryptographic.
 *
 * Invariants:
 * - [RNG-1] A counter-based draw is a pure function of (seed, stream, counter): what an agent
 *   draws does not depend on the order agents run in, nor on how a grid is cut into shards.
 */
import type { Rng } from './clock.js';
import { InvalidArgumentError } from '../errors.js';

/**
 * A seeded generator of uniform numbers in [0, 1).
 *
 * @example
 * ```ts
 * const rng = new SeededRng(42);
 * const x = rng.next(); // same value for every run seeded with 42
 * ```
 */
export class SeededRng implements Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed))
      throw new InvalidArgumentError('seed', seed, 'must be a finite number');
    let s = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = split();
    this.#b = split();
    this.#c = split();
    this.#d = split();
    for (let i = 0; i < 12; i++) this.next();
  }

  next(): number {
    const a = this.#a;
    const b = this.#b;
    const c = this.#c;
    const d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.#c = (r + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /**
   * An independent generator for stream `stream` of `seed`: what a diagnostic draws from so it
   * never takes numbers from the model's stream (sampling must not change a result).
   *
   * @example
   * ```ts
   * const probeRng = SeededRng.stream(seed, PROBE_STREAM);
   * ```
   */
  static stream(seed: number, stream: number): SeededRng {
    if (!Number.isFinite(seed))
      throw new InvalidArgumentError('seed', seed, 'must be a finite number');
    // mix the stream number in so that (seed, stream) pairs do not collide with plain seeds
    let h = Math.imul((Math.trunc(seed) ^ 0x85ebca6b) >>> 0, 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 15) ^ Math.imul(stream + 1, 0xc2b2ae35), 0x27d4eb2f);
    return new SeededRng((h ^ (h >>> 13)) >>> 0);
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/**
 * A counter-based uniform number in [0, 1): a pure hash of (seed, stream, counter). What an
 * agent draws with it (stream = the agent's id, counter = its own draw count) does not depend
 * on the order agents run in, nor on how a grid is cut into shards [RNG-1]. 32 random bits per
 * draw; two rounds of the murmur3 finaliser over the three words.
 *
 * @example
 * ```ts
 * const startPhase = counterUniform(seed, agentId, 0) * periodMs;
 * ```
 */
export function counterUniform(seed: number, stream: number, counter: number): number {
  let h = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b);
  h = fmix32(h ^ Math.imul(stream | 0, 0xcc9e2d51));
  h = fmix32(h ^ Math.imul((counter | 0) + 0x632be5ab, 0x1b873593));
  return (h >>> 0) / 4294967296;
}

function fmix32(x: number): number {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
