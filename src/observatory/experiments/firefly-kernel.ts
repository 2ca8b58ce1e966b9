/**
 * The reference kernel: the firefly model of docs/fireflies.md as a plain discrete-event
 * simulation, with no engine, channels or scheduler. It is the obviously-correct yardstick the
 * runtime path is checked against (same model, same statistics), and a fast option for
 * exploring parameters. Headline figures are for the runtime path, not for this kernel.
 *
 * The model [FLY-1..3]:
 * - refractory (phase < r): pulses are discarded (counted);
 * - sensitive: a pulse advances the phase by k; reaching T flashes at once;
 * - flash: record telemetry, pulse the 8 neighbours, reset phase to jitter ~ U[0, j).
 * Phase is kept as each agent's cycle start: phase(t) = t - cycleStart.
 */
import type { Rng } from '../../runtime/clock.js';
import type { TorusTopology } from '../model/topology.js';
import type { FireflyModelParams } from '../model/firefly-params.js';
import { FireflyTelemetry } from '../model/firefly-telemetry.js';

/**
 * @example
 * ```ts
 * const k = new FireflyKernel(new TorusTopology(50, 50), resolveModelParams(), new SeededRng(1));
 * k.runUntil(400_000);
 * new ConvergenceMonitor(k.telemetry).orderParameter(k.now); // about 1 once synchronised
 * ```
 */
export class FireflyKernel {
  readonly telemetry: FireflyTelemetry;
  /** Current simulated time, ms. */
  now = 0;
  /** Called on every flash (agent id, time); optional. */
  onFlash: ((id: number, t: number) => void) | null = null;

  readonly #topology: TorusTopology;
  readonly #p: FireflyModelParams;
  readonly #rng: Rng;
  readonly #cycleStart: Float64Array;
  /** Min-heap of pending wake-ups: (time, agent) with a per-agent version for lazy deletion. */
  #heapT: Float64Array;
  #heapA: Int32Array;
  #heapV: Uint32Array;
  #heapN = 0;
  readonly #version: Uint32Array;
  readonly #stack: number[] = [];
  /** 1 while an agent waits on the cascade stack to flash: further pulses are discarded. */
  readonly #pending: Uint8Array;

  constructor(topology: TorusTopology, params: FireflyModelParams, rng: Rng) {
    this.#topology = topology;
    this.#p = params;
    this.#rng = rng;
    const n = topology.size;
    this.telemetry = new FireflyTelemetry(n, params.periodMs);
    this.#cycleStart = new Float64Array(n);
    this.#version = new Uint32Array(n);
    this.#pending = new Uint8Array(n);
    const cap = n * 2 + 16;
    this.#heapT = new Float64Array(cap);
    this.#heapA = new Int32Array(cap);
    this.#heapV = new Uint32Array(cap);
    for (let i = 0; i < n; i++) {
      const phase = rng.next() * params.periodMs; // start phase U[0, T)
      this.#cycleStart[i] = -phase;
      this.telemetry.lastFlash[i] = -phase;
      this.#schedule(i);
    }
  }

  /** Advance simulated time to `until` (ms), processing every event due before it. */
  runUntil(until: number): void {
    while (this.#heapN > 0 && this.#heapT[0] <= until) {
      const t = this.#heapT[0];
      const a = this.#heapA[0];
      const v = this.#heapV[0];
      this.#pop();
      if (v !== this.#version[a]) continue;
      this.now = t;
      if (t - this.#cycleStart[a] >= this.#p.periodMs) this.#flash(a, t);
      else this.#schedule(a); // refractory ended: now sensitive, wait for T
    }
    if (until > this.now) this.now = until;
  }

  #schedule(a: number): void {
    const phase = this.now - this.#cycleStart[a];
    const wake = phase < this.#p.refractoryMs ? this.#p.refractoryMs : this.#p.periodMs;
    this.#version[a]++;
    this.#push(this.#cycleStart[a] + wake, a, this.#version[a]);
  }

  #flash(first: number, t: number): void {
    const stack = this.#stack;
    const nb = this.#topology.neighbours;
    const { periodMs, nudgeMs, refractoryMs, jitterMs } = this.#p;
    this.#pending[first] = 1;
    stack.push(first);
    while (stack.length > 0) {
      const a = stack.pop() as number;
      this.#pending[a] = 0;
      this.telemetry.recordFlash(a, t);
      this.onFlash?.(a, t);
      this.#cycleStart[a] = t - this.#rng.next() * jitterMs;
      this.#schedule(a);
      for (let j = a * 8, end = j + 8; j < end; j++) {
        const b = nb[j];
        const phase = t - this.#cycleStart[b];
        if (phase < refractoryMs || this.#pending[b] === 1) {
          this.telemetry.discardedPulses++;
          continue;
        }
        this.#cycleStart[b] -= nudgeMs;
        if (phase + nudgeMs >= periodMs) {
          this.#version[b]++; // cancel its pending wake-up; it flashes now
          this.#pending[b] = 1;
          stack.push(b);
        } else {
          this.#schedule(b);
        }
      }
    }
  }

  #push(t: number, a: number, v: number): void {
    if (this.#heapN === this.#heapT.length) this.#grow();
    let i = this.#heapN++;
    const T = this.#heapT;
    const A = this.#heapA;
    const V = this.#heapV;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (T[p] < t || (T[p] === t && A[p] <= a)) break;
      T[i] = T[p];
      A[i] = A[p];
      V[i] = V[p];
      i = p;
    }
    T[i] = t;
    A[i] = a;
    V[i] = v;
  }

  #pop(): void {
    const T = this.#heapT;
    const A = this.#heapA;
    const V = this.#heapV;
    const n = --this.#heapN;
    if (n === 0) return;
    const t = T[n];
    const a = A[n];
    const v = V[n];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (T[r] < T[l] || (T[r] === T[l] && A[r] < A[l])) ? r : l;
      if (T[c] > t || (T[c] === t && A[c] >= a)) break;
      T[i] = T[c];
      A[i] = A[c];
      V[i] = V[c];
      i = c;
    }
    T[i] = t;
    A[i] = a;
    V[i] = v;
  }

  #grow(): void {
    const cap = this.#heapT.length * 2;
    const T = new Float64Array(cap);
    const A = new Int32Array(cap);
    const V = new Uint32Array(cap);
    T.set(this.#heapT);
    A.set(this.#heapA);
    V.set(this.#heapV);
    this.#heapT = T;
    this.#heapA = A;
    this.#heapV = V;
  }
}
