/**
 * ConstraintGate: where the constraints of a {@link ConstraintSet} are enforced. Every step of
 * gated work (a graph task's attempt, each iteration of a VM agent) enters the gate through
 * the {@link GateKey} of its task name and group, and leaves it when the step returns.
 *
 * Invariants:
 * - [GATE-1] Most restrictive wins: a step enters only when every applicable constraint
 *   allows it (no applicable pause, every applicable concurrency counter below its limit, a
 *   token in every applicable rate bucket). Applicable = scope `global`, `task:<its task>`,
 *   `group:<its group>`.
 * - [GATE-2] Waiting is never failing: a paused or limited step waits (cancellable by its
 *   signal) and enters as soon as the constraints allow, whatever they were changed to.
 * - [GATE-3] Waiters of one key enter in arrival order; a new step does not overtake waiters
 *   of its own key. Across keys there is no order.
 * - [GATE-4] Counters of steps inside are kept per scope even without constraints, so a
 *   concurrency limit set while steps run counts them; with no constraint at all, entering
 *   costs three increments.
 * - [GATE-5] Rate buckets refill on wall time (`performance.now()`); waiters blocked on a rate
 *   are admitted by one timer armed for the earliest next token.
 * - [GATE-6] A timer that fires late loses no tokens: a bucket that blocked a waiter may hold,
 *   when it refills after the token it was waiting for was due, the tokens of that lateness
 *   beyond its burst (kept until taken, never grown), so steps are admitted at the rate asked
 *   whatever the timer's delay. The excess over the burst is at most one lateness's tokens.
 * - [GATE-7] With a time holder (`holdTime(scheduler)`), every waiting step holds it from the
 *   moment it waits until it enters or is cancelled, so a virtual clock does not move past
 *   a step the gate keeps waiting ([SCH-7]): the limit slows the run, the run stays the same.
 */
import { CancelledError } from '../errors.js';
import type { Constraint } from './constraint.js';

class ScopeCounter {
  inside = 0;
}

class Bucket {
  tokens: number;
  last: number;
  constructor(
    readonly perSec: number,
    readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }
  /** When the token a blocked waiter waits for is due (0: nobody waits on this bucket). */
  dueAt = 0;
  refill(now: number): void {
    if (now > this.last) {
      // [GATE-6] past the due time, the lateness's tokens are the waiters', not lost to the cap
      const late = this.dueAt > 0 && now > this.dueAt ? now - this.dueAt : 0;
      // a credit above the burst stays until taken (it was owed) but does not grow
      const cap = Math.max(this.tokens, this.burst + (late * this.perSec) / 1000);
      if (this.tokens < cap) {
        this.tokens = Math.min(cap, this.tokens + ((now - this.last) * this.perSec) / 1000);
      }
      this.last = now;
      if (late > 0) this.dueAt = 0;
    }
  }
  /** ms until one token is there. */
  waitMs(): number {
    return ((1 - this.tokens) * 1000) / this.perSec;
  }
}

/** Something whose time a waiting step holds ([GATE-7]): a virtual-clock Scheduler. */
export interface TimeHolder {
  hold(): void;
  release(): void;
}

interface Waiter {
  holder: TimeHolder | null;
  resolve: () => void;
  reject: (e: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  done: boolean;
}

/** What the gate's owner tells it about the constraints in force. */
export interface GateSource {
  /** The constraints in force now. */
  active(): Iterable<Constraint>;
}

/**
 * A step's way through the gate, one per (task name, group).
 *
 * @example
 * ```ts
 * const key = gate.key('fly', 'fireflies');
 * if (!key.tryEnter()) await key.enter(signal);
 * try { step(); } finally { key.leave(); }
 * ```
 */
export class GateKey {
  /** Scope counters: global, task, and group when there is one. [GATE-4] */
  readonly counters: ScopeCounter[];
  version = -1;
  paused = false;
  concurrency: Array<{ counter: ScopeCounter; limit: number }> = [];
  buckets: Bucket[] = [];
  waiters: Waiter[] = [];
  head = 0;
  constructor(
    readonly gate: ConstraintGate,
    readonly task: string,
    readonly group: string | null,
    counters: ScopeCounter[],
  ) {
    this.counters = counters;
  }
  /** Enter now if allowed; true if entered. [GATE-1] [GATE-3] */
  tryEnter(): boolean {
    return this.gate._tryEnter(this);
  }
  /** Enter when allowed; rejects with CancelledError if `signal` aborts first. [GATE-2] */
  enter(signal?: AbortSignal): Promise<void> {
    return this.gate._enter(this, signal);
  }
  /** Leave after a step. */
  leave(): void {
    this.gate._leave(this);
  }
  get waiting(): number {
    return this.waiters.length - this.head;
  }
}

const RESOLVED = Promise.resolve();

/**
 * Enforces constraints on steps. Made by a ConstraintSet (`set.gate`); engines sharing the set
 * share its gate, so limits are global across them.
 *
 * @example
 * ```ts
 * const set = new ConstraintSet();
 * const key = set.gate.key('fly', null);
 * set.set({ scope: 'global', kind: 'concurrency', limit: 2 });
 * key.tryEnter(); key.tryEnter(); key.tryEnter(); // true, true, false
 * ```
 */
export class ConstraintGate {
  #source: GateSource;
  #version = 0;
  #any = false;
  #counters = new Map<string, ScopeCounter>();
  #keys = new Map<string, GateKey>();
  #buckets = new Map<string, Bucket>();
  #waitingKeys = new Set<GateKey>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #holder: TimeHolder | null = null;

  constructor(source: GateSource) {
    this.#source = source;
  }

  /**
   * Steps that wait from now on hold `holder`'s time until they enter [GATE-7]; null stops
   * that (steps already waiting keep the holder they took).
   *
   * @example
   * ```ts
   * set.gate.holdTime(scheduler); // a virtual-clock run waits for rate-limited steps
   * ```
   */
  holdTime(holder: TimeHolder | null): void {
    this.#holder = holder;
  }

  /** The key of a task name and group (cached: one object per pair). */
  key(task: string, group: string | null = null): GateKey {
    const id = group === null ? task : `${task}\u0000${group}`;
    let k = this.#keys.get(id);
    if (k === undefined) {
      const counters = [this.#counter('global'), this.#counter(`task:${task}`)];
      if (group !== null) counters.push(this.#counter(`group:${group}`));
      k = new GateKey(this, task, group, counters);
      this.#keys.set(id, k);
    }
    return k;
  }

  /** Steps inside now in a scope (`global`, `task:NAME`, `group:NAME`). */
  inside(scope: string): number {
    return this.#counters.get(scope)?.inside ?? 0;
  }

  /** Steps waiting at the gate now. */
  get waiting(): number {
    let n = 0;
    for (const k of this.#waitingKeys) n += k.waiting;
    return n;
  }

  /** The constraints changed: recompute and admit whoever may go now. */
  changed(): void {
    this.#version++;
    let any = false;
    const live = new Set<string>();
    for (const c of this.#source.active()) {
      any = true;
      if (c.kind === 'rate') {
        const id = `${c.scope}|${c.perSec}|${c.burst ?? ''}`;
        live.add(id);
        if (!this.#buckets.has(id)) {
          const burst = c.burst ?? Math.max(1, Math.ceil(c.perSec / 100));
          this.#buckets.set(id, new Bucket(c.perSec, burst, performance.now()));
        }
      }
    }
    for (const id of this.#buckets.keys()) if (!live.has(id)) this.#buckets.delete(id);
    this.#any = any;
    this.#drain();
  }

  /** Stop the rate timer; waiters stay (they end with their signals). */
  close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** @internal */
  _tryEnter(key: GateKey): boolean {
    if (!this.#any) {
      if (key.head < key.waiters.length) return false; // [GATE-3]
      this.#take(key);
      return true;
    }
    if (key.head < key.waiters.length) return false; // [GATE-3]
    if (!this.#admits(key)) return false;
    this.#take(key);
    return true;
  }

  /** @internal */
  _enter(key: GateKey, signal: AbortSignal | undefined): Promise<void> {
    if (this._tryEnter(key)) return RESOLVED;
    if (signal?.aborted === true) return Promise.reject(cancelled(signal));
    return new Promise<void>((resolve, reject) => {
      const holder = this.#holder;
      const w: Waiter = { holder, resolve, reject, signal, onAbort: undefined, done: false };
      holder?.hold(); // [GATE-7]
      if (signal !== undefined) {
        w.onAbort = () => {
          if (w.done) return;
          w.done = true;
          w.holder?.release();
          reject(cancelled(signal));
          this.#drain();
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      key.waiters.push(w);
      this.#waitingKeys.add(key);
      this.#armRateTimer();
    });
  }

  /** @internal */
  _leave(key: GateKey): void {
    const c = key.counters;
    for (let i = 0; i < c.length; i++) c[i].inside--;
    if (this.#waitingKeys.size > 0) this.#drain();
  }

  #counter(scope: string): ScopeCounter {
    let c = this.#counters.get(scope);
    if (c === undefined) this.#counters.set(scope, (c = new ScopeCounter()));
    return c;
  }

  #take(key: GateKey): void {
    const c = key.counters;
    for (let i = 0; i < c.length; i++) c[i].inside++;
    const b = key.buckets;
    for (let i = 0; i < b.length; i++) b[i].tokens -= 1;
  }

  /** [GATE-1] Would every applicable constraint let a step of `key` in now? */
  #admits(key: GateKey): boolean {
    if (key.version !== this.#version) this.#refresh(key);
    if (key.paused) return false;
    const conc = key.concurrency;
    for (let i = 0; i < conc.length; i++) if (conc[i].counter.inside >= conc[i].limit) return false;
    const b = key.buckets;
    if (b.length > 0) {
      const now = performance.now();
      for (let i = 0; i < b.length; i++) {
        b[i].refill(now);
        if (b[i].tokens < 1) return false;
      }
    }
    return true;
  }

  #refresh(key: GateKey): void {
    key.version = this.#version;
    key.paused = false;
    key.concurrency = [];
    key.buckets = [];
    for (const c of this.#source.active()) {
      const s = c.scope;
      const applies =
        s === 'global' ||
        s === `task:${key.task}` ||
        (key.group !== null && s === `group:${key.group}`);
      if (!applies) continue;
      switch (c.kind) {
        case 'pause':
          key.paused = true;
          break;
        case 'concurrency':
          key.concurrency.push({ counter: this.#counter(s), limit: c.limit });
          break;
        case 'rate': {
          const b = this.#buckets.get(`${s}|${c.perSec}|${c.burst ?? ''}`);
          if (b !== undefined) key.buckets.push(b);
          break;
        }
      }
    }
  }

  #drain(): void {
    for (const key of this.#waitingKeys) {
      const ws = key.waiters;
      while (key.head < ws.length) {
        const w = ws[key.head];
        if (w.done) {
          key.head++;
          continue;
        }
        if (this.#any && !this.#admits(key)) break; // [GATE-3] the head blocks its key
        this.#take(key);
        w.done = true;
        key.head++;
        if (w.onAbort !== undefined) w.signal!.removeEventListener('abort', w.onAbort);
        w.resolve();
        w.holder?.release(); // after resolve: the step runs before time may move on [GATE-7]
      }
      if (key.head === ws.length) {
        ws.length = 0;
        key.head = 0;
        this.#waitingKeys.delete(key);
      } else if (key.head > 1024 && key.head * 2 > ws.length) {
        key.waiters = ws.slice(key.head);
        key.head = 0;
      }
    }
    this.#armRateTimer();
  }

  /** [GATE-5] One timer, for the earliest token any blocked key waits for. */
  #armRateTimer(): void {
    if (this.#timer !== null || this.#waitingKeys.size === 0) return;
    let wait = Infinity;
    for (const key of this.#waitingKeys) {
      if (key.version !== this.#version) this.#refresh(key);
      if (key.paused) continue;
      for (const b of key.buckets) {
        if (b.tokens >= 1) continue;
        b.dueAt = b.last + b.waitMs(); // [GATE-6]
        wait = Math.min(wait, b.dueAt - performance.now());
      }
    }
    if (wait === Infinity) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#drain();
      },
      Math.max(1, Math.ceil(wait)),
    );
  }
}

function cancelled(signal: AbortSignal): CancelledError {
  return new CancelledError('cancelled while waiting at the constraint gate', {
    cause: signal.reason,
  });
}
