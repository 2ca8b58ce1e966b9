/**
 * `DirectChannel`: a bounded, point-to-point inbox for static topologies (neighbours on a
 * grid), docs/messaging.md. Zero-copy: the object reference sent is the one received.
 *
 * Storage: a lone buffered message sits in a field; from the second one on, a ring buffer that
 * starts small and doubles on demand up to `capacity`. So a million idle channels cost a
 * million small objects, not a million full buffers, and an agent that takes each message as
 * it comes never touches a buffer at all. A channel
 * has ONE receiver: at most one `recv()` may be pending at a time (a second one throws
 * `CASCADE_ERR_CHANNEL_BUSY`). That keeps the waiting state in plain fields, with no queue of
 * waiters and no closure per message.
 *
 * Invariants:
 * - [DCH-1] `send` is synchronous and never awaits; when the inbox is full the declared
 *   overflow policy decides: `drop-newest` (the new message is lost, `send` returns false),
 *   `drop-oldest` (the oldest buffered message is lost, `send` returns true), `reject`
 *   (nothing is lost, `send` returns false and the sender keeps the message).
 * - [DCH-2] Messages are received in send order.
 * - [DCH-3] Counters balance: `sent === delivered + dropped + rejected + discarded + size`.
 * - [DCH-4] A message arriving while a `recv` waits is handed over directly and cancels the
 *   recv's timer; a timed-out or aborted recv never loses a message.
 * - [DCH-5] `close()` rejects a waiting `recv` with a ClosedError; messages already buffered
 *   can still be received; `send` after close throws ClosedError.
 * - [DCH-7] A channel is a WaitSource: `park(waker)` (what `waitFor(inbox)` does) registers
 *   the receiver without a promise. The first message or `close()` wakes it once, from a
 *   microtask (the ready queue), never inside `send`; the message stays buffered for the
 *   woken receiver's `tryRecv`. A `waitFor` deadline is the waiting agent's own timer on
 *   `channel.clock`: the channel arms nothing for a parked receiver. A closed channel is
 *   always ready, so an agent that waits on one must check `closed`. [WAIT-1, WAIT-3]
 * - [DCH-8] A muted channel (`mute()` until `unmute()`) counts each message sent to it in
 *   `discarded` and keeps none: `send` returns true, no receiver is woken, and [DCH-3] reads
 *   `sent === delivered + dropped + rejected + discarded + size`. It is how an agent that
 *   ignores messages for a while (a firefly's refractory time) says so, rather than buffering
 *   them to throw away later.
 * - [DCH-6] The probe publishes a sample of sent messages to `debug/sample/<owner>`,
 *   fire-and-forget: a connector that throws or rejects is counted in `probeFailures` and
 *   never fails, blocks or changes the send.
 */
import {
  CancelledError,
  CascadeError,
  ClosedError,
  ErrorCode,
  InvalidArgumentError,
} from '../errors.js';
import type { Clock, RearmableTimer, Rng } from '../runtime/clock.js';
import { defaultReadyQueue } from '../runtime/ready-queue.js';
import type { ReadyQueue } from '../runtime/ready-queue.js';
import type { Waker, WaitSource } from '../spec/wait.js';
import type { Connector } from './connector.js';
import { validateTopic } from './topic.js';

/** Returned by `recv` when its timeout or deadline passes with no message. */
export const TIMED_OUT: unique symbol = Symbol('TIMED_OUT');
/** Returned by `tryRecv` when no message is buffered. */
export const EMPTY: unique symbol = Symbol('EMPTY');

/** What `send` does when the inbox is full. [DCH-1] */
export type OverflowPolicy = 'drop-newest' | 'drop-oldest' | 'reject';

/** The sampling probe of a channel. [DCH-6] */
export interface ChannelProbe {
  /** Where samples are published (topic `debug/sample/<owner>`). */
  connector: Connector;
  /** Probability in [0, 1] that a sent message is sampled. */
  sampleRate: number;
  /** The random source (the scheduler's seeded RNG for repeatable runs). */
  rng: Rng;
}

/** Options of {@link DirectChannel}. */
export interface DirectChannelOptions {
  /** Who owns (receives on) the channel; names it in errors and in the probe topic. */
  owner: string;
  /** Maximum number of buffered messages (an integer >= 1). */
  capacity: number;
  /** What to do when full; default `drop-newest`. */
  overflow?: OverflowPolicy;
  /** The clock for `recv` timeouts and deadlines; default: wall time (`performance.now()`). */
  clock?: Clock;
  /** Leak a sample of the traffic to a connector. */
  probe?: ChannelProbe;
  /** Where a parked receiver's wake-up is deferred to (default: the shared ready queue). */
  ready?: ReadyQueue;
}

/** Options of {@link DirectChannel.recv}. */
export interface RecvOptions {
  /** Give up after this many ms of the channel's clock. */
  timeout?: number;
  /** Give up at this absolute time of the channel's clock (`clock.now()` scale). */
  deadline?: number;
  /** Abort the wait: the promise rejects with a CancelledError. */
  signal?: AbortSignal;
}

/** Counters of a channel. [DCH-3] */
export interface ChannelStats {
  /** `send` calls on the open channel. */
  readonly sent: number;
  /** Messages handed to the receiver (recv, tryRecv, drain). */
  readonly delivered: number;
  /** Messages lost to `drop-newest` or `drop-oldest`. */
  readonly dropped: number;
  /** Messages sent while the channel was muted: counted, never buffered. [DCH-8] */
  readonly discarded: number;
  /** Sends refused by the `reject` policy (the message stayed with the sender). */
  readonly rejected: number;
  /** Messages published by the probe. */
  readonly sampled: number;
  /** Probe publishes that threw or rejected. */
  readonly probeFailures: number;
}

/** Wall-time fallback when no clock is given: `performance.now()` and `setTimeout`. */
const WALL_CLOCK: Pick<Clock, 'now' | 'createTimer'> = {
  now: () => performance.now(),
  createTimer(fn: () => void): RearmableTimer {
    let t: ReturnType<typeof setTimeout> | undefined;
    let deadline = 0;
    // setTimeout may fire up to a millisecond before performance.now() reaches the deadline
    // (it uses a coarser clock); re-arm for the rest so a timeout never fires early [CLK-2].
    const check = (): void => {
      const left = deadline - performance.now();
      if (left > 0) t = setTimeout(check, Math.ceil(left));
      else {
        t = undefined;
        fn();
      }
    };
    return {
      arm(at: number): void {
        if (t !== undefined) clearTimeout(t);
        deadline = at;
        t = setTimeout(check, Math.max(0, Math.ceil(at - performance.now())));
      },
      cancel(): void {
        if (t !== undefined) clearTimeout(t);
        t = undefined;
      },
    };
  },
};

const INITIAL_STORAGE = 4;
const OVERFLOW: readonly OverflowPolicy[] = ['drop-newest', 'drop-oldest', 'reject'];

/** The state of a channel's one waiting `recv`, kept apart: most channels never have one. */
class RecvWaiter<T> {
  resolve: ((v: T | typeof TIMED_OUT) => void) | null = null;
  reject: ((e: unknown) => void) | null = null;
  /** Created at the first recv with a deadline, then re-armed: no allocation per wait. */
  timer: RearmableTimer | null = null;
  timerArmed = false;
  signal: AbortSignal | null = null;
  onAbort: (() => void) | null = null;
}

/** A probed channel's sampling state. [DCH-6] */
class ProbeState {
  readonly probe: ChannelProbe;
  readonly topic: string;
  sampled = 0;
  failures = 0;
  readonly onReject = (): void => {
    this.failures++;
  };
  constructor(probe: ChannelProbe, topic: string) {
    this.probe = probe;
    this.topic = topic;
  }
}

/**
 * A bounded single-receiver inbox.
 *
 * @example
 * ```ts
 * const inbox = new DirectChannel<number>({ owner: 'fly-7', capacity: 16 });
 * inbox.send(3); // true
 * inbox.tryRecv(); // 3
 * const msg = await inbox.recv({ timeout: 100 }); // a message, or TIMED_OUT
 * if (msg !== TIMED_OUT) console.log(msg);
 * inbox.close();
 * ```
 */
export class DirectChannel<T> implements WaitSource {
  // The fields `send`, `tryRecv` and `park` touch come first, so that they share cache lines:
  // with a million channels nearly every touch of one is a cache miss.
  /** Non-zero when closed, probed, muted or waited on: `send`'s fast path tests only this. */
  #special = 0;
  #count = 0;
  #sent = 0;
  /** The buffered message when it is the only one (`#inline`); the ring is then empty. */
  #one: T | undefined = undefined;
  #inline = false;
  /** A parked receiver (`waitFor(inbox)`), the promise-free alternative to a recv. [DCH-7] */
  #waker: Waker | null = null;
  /** While true, sends are counted in `#discarded` and not buffered. [DCH-8] */
  #muted = false;
  /** Closed or probed: what keeps `#special` set once a waiter or the mute is gone. */
  #sticky = false;
  /** A `recv` is waiting (its state is in `#recv`). [DCH-4] */
  #waiting = false;
  readonly #ready: ReadyQueue;
  #head = 0;
  #buf: (T | undefined)[] | null = null;
  #discarded = 0;
  /** `#discarded` when the current mute began. */
  #discardMark = 0;
  #closed = false;
  #clock: Pick<Clock, 'now' | 'createTimer'>;
  readonly owner: string;
  readonly capacity: number;
  readonly overflow: OverflowPolicy;
  /** The single promise waiter's state: made at the first `recv` that waits, then reused. */
  #recv: RecvWaiter<T> | null = null;
  /** [DCH-6] */
  #probe: ProbeState | null = null;
  // Counters. [DCH-3]
  #dropped = 0;
  #rejected = 0;

  constructor(options: DirectChannelOptions) {
    const { owner, capacity, overflow = 'drop-newest', clock, probe, ready } = options;
    if (typeof owner !== 'string' || owner.length === 0) {
      throw new InvalidArgumentError('owner', owner, 'must be a non-empty string');
    }
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new InvalidArgumentError('capacity', capacity, 'must be an integer >= 1');
    }
    if (!OVERFLOW.includes(overflow)) {
      throw new InvalidArgumentError('overflow', overflow, `must be one of ${OVERFLOW.join(', ')}`);
    }
    this.owner = owner;
    this.capacity = capacity;
    this.overflow = overflow;
    this.#clock = clock ?? WALL_CLOCK;
    this.#ready = ready ?? defaultReadyQueue();
    if (probe !== undefined) {
      const rate = probe.sampleRate;
      if (!(typeof rate === 'number' && rate >= 0 && rate <= 1)) {
        throw new InvalidArgumentError('probe.sampleRate', rate, 'must be a number in [0, 1]');
      }
      const state = new ProbeState(probe, `debug/sample/${owner}`);
      validateTopic(state.topic);
      this.#probe = state;
      this.#sticky = true;
      this.#special = 1;
    }
  }

  /** Number of buffered messages. */
  get size(): number {
    return this.#count;
  }

  /** Length of the allocated ring buffer (0 until two messages were buffered at once). */
  get storageSize(): number {
    return this.#buf === null ? 0 : this.#buf.length;
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.#closed;
  }

  /** True between `mute()` and `unmute()`. [DCH-8] */
  get muted(): boolean {
    return this.#muted;
  }

  /** True while a `recv` waits or a receiver is parked (`waitFor`). */
  get hasWaiter(): boolean {
    return this.#waiting || this.#waker !== null;
  }

  /** A snapshot of the counters. [DCH-3] */
  get stats(): ChannelStats {
    return {
      sent: this.#sent,
      // Derived from [DCH-3]: one counter fewer to bump on the hot path.
      delivered: this.#sent - this.#dropped - this.#rejected - this.#discarded - this.#count,
      dropped: this.#dropped,
      discarded: this.#discarded,
      rejected: this.#rejected,
      sampled: this.#probe?.sampled ?? 0,
      probeFailures: this.#probe?.failures ?? 0,
    };
  }

  /**
   * Put a message in the inbox, synchronously. Returns false when the message was not
   * accepted (`drop-newest`, `reject` on a full inbox). [DCH-1]
   * @throws ClosedError after `close()`.
   */
  send(msg: T): boolean {
    this.#sent++;
    // One check for the three rare cases: closed, probe, waiting receiver.
    if (this.#special !== 0) {
      if (this.#closed) {
        this.#sent--;
        throw new ClosedError('channel', this.owner);
      }
      if (this.#probe !== null) this.#sample(msg);
      if (this.#muted) {
        this.#discarded++; // [DCH-8] the receiver asked not to get these
        return true;
      }
      if (this.#waiting) {
        const resolve = this.#recv!.resolve!;
        this.#settle();
        resolve(msg);
        return true;
      }
      if (this.#waker !== null) this.#wakeParked(); // the message is buffered below
    }
    const count = this.#count;
    if (count === 0) {
      // the only message is kept in a field: no storage touched (the common case of an agent
      // that takes each message as it comes)
      this.#one = msg;
      this.#inline = true;
      this.#count = 1;
      return true;
    }
    if (count === this.capacity) return this.#overflowed(msg);
    let buf = this.#buf;
    if (this.#inline) buf = this.#spill();
    if (buf === null || count === buf.length) buf = this.#grow();
    let i = this.#head + count;
    if (i >= buf.length) i -= buf.length;
    buf[i] = msg;
    this.#count = count + 1;
    return true;
  }

  /** The oldest buffered message, or {@link EMPTY}. Also works after `close()`. */
  tryRecv(): T | typeof EMPTY {
    if (this.#count === 0) return EMPTY;
    if (this.#inline) {
      const one = this.#one as T;
      this.#one = undefined; // do not keep the message alive
      this.#inline = false;
      this.#count = 0;
      return one;
    }
    const buf = this.#buf!;
    const head = this.#head;
    const msg = buf[head] as T;
    buf[head] = undefined; // do not keep the message alive
    this.#head = head + 1 === buf.length ? 0 : head + 1;
    this.#count--;
    return msg;
  }

  /**
   * Wait for a message. Resolves at once (one `Promise.resolve`) when one is buffered; use
   * {@link tryRecv} first on hot paths. Resolves {@link TIMED_OUT} when `timeout` (relative)
   * or `deadline` (absolute, clock time) passes first; rejects with a CancelledError when
   * `signal` aborts and with a ClosedError when the channel is (or gets) closed and empty.
   * @throws CascadeError `CASCADE_ERR_CHANNEL_BUSY` if another `recv` is already waiting.
   */
  recv(opts?: RecvOptions): Promise<T | typeof TIMED_OUT> {
    let deadline = Infinity;
    if (opts !== undefined) {
      if (opts.timeout !== undefined) {
        if (!(opts.timeout >= 0))
          throw new InvalidArgumentError('timeout', opts.timeout, 'must be >= 0');
        deadline = this.#clock.now() + opts.timeout;
      }
      if (opts.deadline !== undefined) {
        if (Number.isNaN(opts.deadline))
          throw new InvalidArgumentError('deadline', opts.deadline, 'must be a number');
        deadline = Math.min(deadline, opts.deadline);
      }
    }
    return this.#wait(deadline, opts?.signal);
  }

  /**
   * `recv({ deadline })` without the options object: the allocation-free form for agents that
   * wait with a deadline in a loop.
   */
  recvUntil(deadline: number): Promise<T | typeof TIMED_OUT> {
    return this.#wait(deadline, undefined);
  }

  /** The clock of `recv` timeouts and of `waitFor(channel, deadline)` deadlines. */
  get clock(): Pick<Clock, 'now' | 'createTimer'> {
    return this.#clock;
  }

  /**
   * Park `waker` until a message is buffered or the channel is closed, then call
   * `waker.wake()` once from the ready queue. Returns false, without parking, when one of these
   * holds already. [DCH-7] Agents use it through `waitFor(inbox, deadline?)`.
   * @throws CascadeError `CASCADE_ERR_CHANNEL_BUSY` if a receiver is already waiting.
   */
  park(waker: Waker): boolean {
    if (this.#special !== 0) {
      // the rare cases, in fields further into the object
      if (this.#waiting || this.#waker !== null) this.#busy();
      if (this.#closed) return false;
    }
    if (this.#count > 0) return false;
    this.#waker = waker;
    this.#special = 1;
    return true;
  }

  /**
   * Forget a parked `waker` without waking it. Returns true if it was parked here, false if
   * not (or if a message has readied it already: its wake-up is queued).
   */
  unpark(waker: Waker): boolean {
    if (this.#waker !== waker) return false;
    this.#forgetWaker();
    return true;
  }

  /**
   * Discard every message sent from now on until {@link unmute}, counting them in
   * `stats.discarded`: for a receiver that would only throw them away (a firefly in its
   * refractory time), so they are never buffered. Messages already buffered stay; a parked
   * receiver is not woken by discarded messages. Idempotent. [DCH-8]
   */
  mute(): void {
    if (this.#muted) return;
    this.#muted = true;
    this.#special = 1;
    this.#discardMark = this.#discarded;
  }

  /** Buffer messages again; returns how many were discarded since `mute()` (0 if not muted). [DCH-8] */
  unmute(): number {
    if (!this.#muted) return 0;
    this.#muted = false;
    this.#special = this.#sticky || this.#waiting || this.#waker !== null ? 1 : 0;
    return this.#discarded - this.#discardMark;
  }

  /** Take every buffered message, oldest first. */
  drain(): T[] {
    const out: T[] = new Array<T>(this.#count);
    for (let i = 0; i < out.length; i++) out[i] = this.tryRecv() as T;
    return out;
  }

  /** Close the channel: a waiting `recv` rejects with ClosedError; idempotent. [DCH-5] */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sticky = true;
    this.#special = 1;
    if (this.#waiting) {
      const reject = this.#recv!.reject!;
      this.#settle();
      reject(new ClosedError('channel', this.owner));
    } else if (this.#waker !== null) {
      this.#wakeParked();
    }
  }

  #wait(deadline: number, signal: AbortSignal | undefined): Promise<T | typeof TIMED_OUT> {
    if (this.#waiting || this.#waker !== null) this.#busy();
    if (signal !== undefined && signal.aborted) {
      return Promise.reject(new CancelledError('recv aborted', { cause: signal.reason }));
    }
    if (this.#count > 0) return Promise.resolve(this.tryRecv() as T);
    if (this.#closed) return Promise.reject(new ClosedError('channel', this.owner));
    if (Number.isNaN(deadline))
      throw new InvalidArgumentError('deadline', deadline, 'must be a number');
    if (deadline <= this.#clock.now()) return Promise.resolve(TIMED_OUT);
    return new Promise<T | typeof TIMED_OUT>((resolve, reject) => {
      const w = (this.#recv ??= new RecvWaiter<T>());
      this.#waiting = true;
      this.#special = 1;
      w.resolve = resolve;
      w.reject = reject;
      if (deadline !== Infinity) {
        (w.timer ??= this.#clock.createTimer(() => this.#timedOut())).arm(deadline);
        w.timerArmed = true;
      }
      if (signal !== undefined) {
        w.signal = signal;
        signal.addEventListener('abort', (w.onAbort ??= () => this.#aborted()), { once: true });
      }
    });
  }

  #overflowed(msg: T): boolean {
    switch (this.overflow) {
      case 'drop-newest':
        this.#dropped++;
        return false;
      case 'reject':
        this.#rejected++;
        return false;
      case 'drop-oldest': {
        if (this.#inline) {
          this.#one = msg; // capacity 1: the one message is replaced
          this.#dropped++;
          return true;
        }
        const buf = this.#buf!;
        const head = this.#head;
        buf[head] = msg; // the oldest slot becomes the newest
        this.#head = head + 1 === buf.length ? 0 : head + 1;
        this.#dropped++;
        return true;
      }
    }
  }

  /** Move the inline message into the ring (a second message is coming). */
  #spill(): (T | undefined)[] {
    const buf = this.#buf ?? new Array<T | undefined>(Math.min(INITIAL_STORAGE, this.capacity));
    this.#buf = buf;
    this.#head = 0;
    buf[0] = this.#one;
    this.#one = undefined;
    this.#inline = false;
    return buf;
  }

  #grow(): (T | undefined)[] {
    const old = this.#buf;
    if (old === null) {
      this.#head = 0;
      return (this.#buf = new Array<T | undefined>(Math.min(INITIAL_STORAGE, this.capacity)));
    }
    const next = new Array<T | undefined>(Math.min(old.length * 2, this.capacity));
    for (let i = 0, j = this.#head; i < this.#count; i++) {
      next[i] = old[j];
      if (++j === old.length) j = 0;
    }
    this.#head = 0;
    return (this.#buf = next);
  }

  /** Hand the parked receiver to the ready queue: woken later, never inside a send. [DCH-7] */
  #wakeParked(): void {
    const waker = this.#waker!;
    // only the parked state is reset: a parked receiver has no recv promise, timer or signal
    this.#forgetWaker();
    this.#ready.push(waker);
  }

  /** No receiver is parked any more: `#special` keeps only what outlives a waiter. */
  #forgetWaker(): void {
    this.#waker = null;
    this.#special = this.#sticky || this.#muted ? 1 : 0;
  }

  #busy(): never {
    throw new CascadeError(
      ErrorCode.CHANNEL_BUSY,
      `channel ${this.owner} already has a waiting receiver (a DirectChannel has one receiver)`,
      { owner: this.owner },
    );
  }

  #settle(): void {
    this.#waiting = false;
    this.#forgetWaker();
    const w = this.#recv!;
    w.resolve = null;
    w.reject = null;
    if (w.timerArmed) {
      w.timer!.cancel(); // [DCH-4]
      w.timerArmed = false;
    }
    if (w.signal !== null) {
      w.signal.removeEventListener('abort', w.onAbort!);
      w.signal = null;
    }
  }

  #timedOut(): void {
    if (!this.#waiting) return;
    const w = this.#recv!;
    const resolve = w.resolve!;
    w.timerArmed = false; // it just fired
    this.#settle();
    resolve(TIMED_OUT);
  }

  #aborted(): void {
    if (!this.#waiting) return;
    const w = this.#recv!;
    const reject = w.reject!;
    const reason: unknown = w.signal!.reason;
    w.signal = null; // the listener was `once`
    this.#settle();
    reject(new CancelledError('recv aborted', { cause: reason }));
  }

  #sample(msg: T): void {
    const state = this.#probe!;
    const probe = state.probe;
    if (!(probe.rng.next() < probe.sampleRate)) return;
    state.sampled++;
    try {
      const r: unknown = probe.connector.publish(state.topic, msg);
      if (r instanceof Promise) r.then(undefined, state.onReject);
    } catch {
      state.failures++;
    }
  }
}
