/**
 * ResourceManager: counted resources (`{ cpu_slot: 10, gpu: 2 }`) that tasks hold while they
 * run. One manager may be shared by many engines, so they respect one global limit.
 *
 * Invariants:
 * - [RM-1] All or nothing: a request is granted whole or not at all.
 * - [RM-2] Strict FIFO: requests are granted in arrival order; a big request at the head is not
 *   overtaken by smaller ones behind it, so no waiter starves. `tryAcquire` never jumps the
 *   queue (it fails while anyone waits).
 * - [RM-3] A request larger than the capacity fails at once with INFEASIBLE_CONSTRAINT naming
 *   the resource and the amounts; so do waiters made infeasible by `setCapacity` /
 *   `updateResource`. An undeclared resource has capacity 0.
 * - [RM-4] `inUse` never exceeds the capacity at the time of each grant.
 * - [RM-5] Sync fast path: `tryAcquire` and an uncontended `acquire` allocate nothing per call
 *   (acquire returns one shared resolved promise).
 */
import { CancelledError, CascadeError, ErrorCode, InvalidArgumentError } from '../errors.js';

/** Amounts by resource name. */
export type ResourceRequest = Readonly<Record<string, number>>;

interface Waiter {
  request: ResourceRequest | null; // null once granted, rejected or aborted
  resolve: () => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Counted resources with FIFO all-or-nothing acquisition.
 *
 * @example
 * ```ts
 * const rm = new ResourceManager({ cpu_slot: 2 });
 * await rm.acquire({ cpu_slot: 1 });
 * if (rm.tryAcquire({ cpu_slot: 1 })) rm.release({ cpu_slot: 1 });
 * rm.release({ cpu_slot: 1 });
 * rm.updateResource('cpu_slot', 4);
 * ```
 */
export class ResourceManager {
  #capacity: Record<string, number> = {};
  #inUse: Record<string, number> = {};
  #queue: Waiter[] = [];
  #head = 0;

  constructor(capacity: Readonly<Record<string, number>>) {
    this.#capacity = validCapacity(capacity);
  }

  /**
   * Take `request` now if it fits and nobody waits; true if taken. Throws
   * INFEASIBLE_CONSTRAINT if it can never fit. [RM-2] [RM-5]
   */
  tryAcquire(request: ResourceRequest): boolean {
    this.#assertFeasible(request);
    if (this.#head < this.#queue.length || !this.#fits(request)) return false;
    this.#take(request);
    return true;
  }

  /**
   * Wait until `request` fits, then take it, in FIFO order. Rejects at once with
   * INFEASIBLE_CONSTRAINT if it can never fit, with CancelledError if `signal` aborts first.
   */
  acquire(request: ResourceRequest, signal?: AbortSignal): Promise<void> {
    const infeasible = this.#infeasible(request);
    if (infeasible !== null) return Promise.reject(infeasible);
    if (signal?.aborted) return Promise.reject(cancelled(signal));
    if (this.#head === this.#queue.length && this.#fits(request)) {
      this.#take(request);
      return RESOLVED;
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { request, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          if (waiter.request === null) return;
          waiter.request = null;
          reject(cancelled(signal));
          this.#drain(); // the head may have changed
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
    });
  }

  /** Give back what a granted request took; wakes waiters that now fit, in order. */
  release(request: ResourceRequest): void {
    for (const name in request) {
      const amount = request[name];
      const held = this.#inUse[name] ?? 0;
      if (!(amount >= 0) || !Number.isFinite(amount)) {
        throw new InvalidArgumentError(`release.${name}`, amount, 'must be a finite number >= 0');
      }
      if (amount > held + 1e-9) {
        throw new InvalidArgumentError(`release.${name}`, amount, `only ${held} in use`);
      }
      this.#inUse[name] = held - amount;
    }
    if (this.#head < this.#queue.length) this.#drain();
  }

  /** Replace the whole capacity. Waiters that can no longer ever fit are rejected. [RM-3] */
  setCapacity(capacity: Readonly<Record<string, number>>): void {
    this.#capacity = validCapacity(capacity);
    this.#recheck();
  }

  /** Set the capacity of one resource (0 removes it). */
  updateResource(name: string, amount: number): void {
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
      throw new InvalidArgumentError(`capacity.${name}`, amount, 'must be a finite number >= 0');
    }
    this.#capacity[name] = amount;
    this.#recheck();
  }

  /** A copy of the capacity. */
  get capacity(): Readonly<Record<string, number>> {
    return { ...this.#capacity };
  }

  /** A copy of the amounts held now. */
  get inUse(): Readonly<Record<string, number>> {
    return { ...this.#inUse };
  }

  /** A copy of capacity minus use, per resource (may be negative after a capacity cut). */
  get available(): Readonly<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const name in this.#capacity) out[name] = this.#capacity[name] - (this.#inUse[name] ?? 0);
    return out;
  }

  /** How many requests wait. */
  get waiting(): number {
    let n = 0;
    for (let i = this.#head; i < this.#queue.length; i++) if (this.#queue[i].request) n++;
    return n;
  }

  #fits(request: ResourceRequest): boolean {
    for (const name in request) {
      if ((this.#inUse[name] ?? 0) + request[name] > (this.#capacity[name] ?? 0)) return false;
    }
    return true;
  }

  #take(request: ResourceRequest): void {
    for (const name in request) this.#inUse[name] = (this.#inUse[name] ?? 0) + request[name];
  }

  #infeasible(request: ResourceRequest): CascadeError | null {
    for (const name in request) {
      const requested = request[name];
      if (typeof requested !== 'number' || !(requested >= 0) || !Number.isFinite(requested)) {
        return new InvalidArgumentError(`request.${name}`, requested, 'must be a number >= 0');
      }
      const capacity = this.#capacity[name] ?? 0;
      if (requested > capacity) {
        return new CascadeError(
          ErrorCode.INFEASIBLE_CONSTRAINT,
          `constraint ${name}: ${requested} can never be met (capacity ${capacity})`,
          { resource: name, requested, capacity },
        );
      }
    }
    return null;
  }

  #assertFeasible(request: ResourceRequest): void {
    const error = this.#infeasible(request);
    if (error !== null) throw error;
  }

  #drain(): void {
    const q = this.#queue;
    while (this.#head < q.length) {
      const w = q[this.#head];
      if (w.request === null) {
        this.#head++;
        continue;
      }
      if (!this.#fits(w.request)) break; // [RM-2] the head blocks the line
      this.#take(w.request);
      w.request = null;
      this.#head++;
      if (w.onAbort !== undefined) w.signal!.removeEventListener('abort', w.onAbort);
      w.resolve();
    }
    if (this.#head === q.length) {
      q.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > q.length) {
      this.#queue = q.slice(this.#head);
      this.#head = 0;
    }
  }

  #recheck(): void {
    for (let i = this.#head; i < this.#queue.length; i++) {
      const w = this.#queue[i];
      if (w.request === null) continue;
      const error = this.#infeasible(w.request);
      if (error !== null) {
        w.request = null;
        if (w.onAbort !== undefined) w.signal!.removeEventListener('abort', w.onAbort);
        w.reject(error);
      }
    }
    this.#drain();
  }
}

function validCapacity(capacity: Readonly<Record<string, number>>): Record<string, number> {
  if (typeof capacity !== 'object' || capacity === null || Array.isArray(capacity)) {
    throw new InvalidArgumentError('capacity', capacity, 'must be a record of amounts');
  }
  const out: Record<string, number> = {};
  for (const name of Object.keys(capacity)) {
    const amount = capacity[name];
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
      throw new InvalidArgumentError(`capacity.${name}`, amount, 'must be a finite number >= 0');
    }
    out[name] = amount;
  }
  return out;
}

function cancelled(signal: AbortSignal): CancelledError {
  return new CancelledError('cancelled while waiting for resources', { cause: signal.reason });
}
