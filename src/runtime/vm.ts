/**
 * The VM loop: runs a task and its tail calls as iterations of one loop — the hot path of
 * long-lived agents (a firefly experiment runs 10^4..10^6 of them, each for millions of
 * iterations). Each run is one {@link VmFiber}: a plain object driven by callbacks, so an
 * agent that waits with `waitFor`/`waitUntil` is parked as nothing more than its own fields.
 *
 * Invariants:
 * - [VM-1] Constant stack: each iteration returns to the loop; nothing recurses. A woken or
 *   resumed fiber starts from a microtask, a timer callback or `setImmediate`.
 * - [VM-2] Flat memory: per iteration the loop allocates at most the merged named-argument
 *   object (none when the change set is empty); no closure, no event, no promise unless the
 *   task returned a thenable or must wait for resources. A parked fiber holds no promise.
 * - [VM-3] A thenable result is awaited; sync results continue synchronously, but after
 *   `yieldEvery` iterations the loop yields once to the event loop (setImmediate), so one
 *   agent cannot starve timers, I/O or other agents. Agents that wake each other through
 *   channels are bounded by the ready queue instead, which yields every `perTurn` wake-ups
 *   [RDY-4].
 * - [VM-4] Constraints, when given, are acquired before and released after every iteration
 *   through the manager's sync fast path; the loop waits only when it has to. A parked fiber
 *   holds no constraint: the slot is given back when the step returns its Wait.
 * - [VM-7] With a constraint gate (`gateKey`), every iteration enters it first and leaves it
 *   when the step returns, like the constraints of [VM-4]: a pause, a concurrency or a rate
 *   limit set while the agent runs applies from its next iteration; a paused agent waits,
 *   holding nothing, and goes on when the pause is removed. [GATE-2]
 * - [VM-5] An aborted signal stops the loop before the next iteration with CancelledError, and
 *   at once when the fiber is parked. [WAIT-3]
 * - [VM-6] A `Wait` result parks the fiber until its source is ready or its deadline passes,
 *   then the next iteration runs with unchanged arguments. [WAIT-1, WAIT-2]
 */
import { TailCall } from '../spec/tail-call.js';
import { Wait } from '../spec/wait.js';
import type { Waker, WaitClock, WaitSource } from '../spec/wait.js';
import type { TaskDef } from '../spec/lazy-result.js';
import type { ResourceManager, ResourceRequest } from './resource-manager.js';
import type { GateKey } from './constraint-gate.js';
import type { RearmableTimer } from './clock.js';
import { QueuedClock } from './queued-clock.js';
import { Timer } from './timer-queue.js';
import { CancelledError } from '../errors.js';

type Callable = (...args: unknown[]) => unknown;

const NO_ARGS: readonly unknown[] = Object.freeze([]);

/** Options of {@link vmLoop}. */
export interface VmLoopOptions {
  readonly resourceManager: ResourceManager;
  /** Acquired around each iteration, or null. [VM-4] */
  readonly constraints: ResourceRequest | null;
  /** The control plane's gate, entered before each iteration and left after it. [VM-7] */
  readonly gateKey?: GateKey | null;
  readonly signal: AbortSignal | undefined;
  /** Iterations between two yields to the event loop. [VM-3] */
  readonly yieldEvery: number;
  /**
   * What the run rejects with, given what an iteration threw, the task's name and the signal
   * (default: the error itself). One function for every run: no closure per agent.
   */
  readonly mapError?: (
    error: unknown,
    taskName: string,
    signal: AbortSignal | undefined,
  ) => unknown;
}

/**
 * Run `def` with `args` and follow its tail calls and waits until it returns a value. If
 * `pending` is a TailCall or Wait, the first call already happened and the loop continues
 * from it.
 *
 * @example
 * ```ts
 * const n = await vmLoop(countdown.def, [{ n: 1e6 }], null, {
 *   resourceManager: rm, constraints: null, signal: undefined, yieldEvery: 1024,
 * });
 * ```
 */
export function vmLoop(
  def: TaskDef,
  args: readonly unknown[],
  pending: TailCall | Wait | null,
  options: VmLoopOptions,
): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    new VmFiber(def, args, options, resolve, reject).start(pending);
  });
}

/**
 * {@link vmLoop} without a promise: the run's value goes to `onValue`, what it fails with (as
 * `mapError` maps it) to `onError`. One pair of functions may serve any number of runs, so a
 * run costs its fiber and nothing else; `vmLoop` adds a promise and its two resolving
 * functions per run. The callbacks may be called before this returns (a run that ends in its
 * first step).
 *
 * @example
 * ```ts
 * let ended = 0;
 * const done = (): void => void ended++;
 * for (const id of ids) vmSpawn(agent.def, [id], vmOptions, done, (e) => console.error(e));
 * ```
 */
export function vmSpawn(
  def: TaskDef,
  args: readonly unknown[],
  options: VmLoopOptions,
  onValue: (value: unknown) => void,
  onError: (error: unknown) => void,
): void {
  new VmFiber(def, args, options, onValue, onError).start(null);
}

/** A fiber's timer callback, shared by all fibers: the scheduler calls it as `timer.fn()`. */
function fiberTimerFired(this: Timer): void {
  (this as VmFiber).timerFired();
}

/** Bits of a fiber's `#state`: five flags in one small integer, not four boolean fields. */
const SINGLE = 1; // the task takes exactly one argument, kept in `#single`
const DONE = 2; // the run has ended
const HELD = 4; // constraints held by the iteration in progress [VM-4]
const TIMER_ARMED = 8; // parked with a deadline: its timer is armed
const GATED = 16; // inside the constraint gate for the iteration in progress [VM-7]

/**
 * What a fiber needs only off the hot path: the timer of a wait on a clock that is not a
 * QueuedClock, the merged named-argument list of a `tailCall({...})`, and the callbacks of
 * async steps, waits for a slot, yields and aborts. Made on first use: a million parked
 * agents should not carry these. [VM-2]
 */
class FiberRare {
  timer: RearmableTimer | null = null;
  timerClock: WaitClock | null = null;
  own: unknown[] | null = null;
  resume: (() => void) | null = null;
  onValue: ((value: unknown) => void) | null = null;
  onAcquired: (() => void) | null = null;
  onGated: (() => void) | null = null;
  onError: ((error: unknown) => void) | null = null;
  onAbort: (() => void) | null = null;
}

/**
 * One running agent: the loop's state in fields, resumed by callbacks. On a scheduler's clock
 * the fiber is its own timer (it extends the queue's Timer), so a timed wait arms no other
 * object and a parked agent is this one object plus its task's state.
 *
 * With a million agents nearly every wake-up starts with a cache miss on its fiber, so it is
 * kept small (16 fields): the fields a step touches come first, the run's constants are one
 * reference to its options, and what only the rare paths need sits in a {@link FiberRare}.
 */
class VmFiber extends Timer implements Waker {
  #fn: Callable;
  /** `#args[0]` when the task takes exactly one argument (an agent's state). */
  #single: unknown = undefined;
  /** SINGLE | DONE | HELD | TIMER_ARMED | GATED. */
  #state = 0;
  #budget: number;
  /** Where the fiber is parked: a source, or only its timer (TIMER_ARMED). */
  #parkedOn: WaitSource | null = null;
  readonly #signal: AbortSignal | undefined;
  readonly #req: ResourceRequest | null;
  /** The timer's clock when it is the fiber itself (a QueuedClock), else null. */
  #queued: QueuedClock | null = null;
  #args: readonly unknown[] = NO_ARGS;
  readonly #options: VmLoopOptions;
  readonly #name: string;
  readonly #resolve: (value: unknown) => void;
  readonly #reject: (error: unknown) => void;
  #rare: FiberRare | null = null;

  constructor(
    def: TaskDef,
    args: readonly unknown[],
    options: VmLoopOptions,
    resolve: (value: unknown) => void,
    reject: (error: unknown) => void,
  ) {
    super(fiberTimerFired);
    this.#options = options;
    this.#req = options.constraints;
    this.#signal = options.signal;
    this.#budget = options.yieldEvery;
    this.#name = def.name;
    this.#fn = def.fn as Callable;
    this.#setArgs(args);
    this.#resolve = resolve;
    this.#reject = reject;
  }

  start(pending: TailCall | Wait | null): void {
    const signal = this.#signal;
    if (signal !== undefined) {
      const rare = this.#rareState();
      rare.onAbort = () => this.#aborted();
      signal.addEventListener('abort', rare.onAbort, { once: true });
    }
    this.#loop(pending);
  }

  /** The source it is parked on is ready (called from the ready queue). [WAIT-1, WAIT-3] */
  wake(): void {
    if ((this.#state & DONE) !== 0) return;
    this.#parkedOn = null;
    this.#disarm();
    this.#loop(null);
  }

  /** The wait's deadline has come. [WAIT-1, WAIT-2, WAIT-3] */
  timerFired(): void {
    const state = this.#state;
    if ((state & (DONE | TIMER_ARMED)) !== TIMER_ARMED) return;
    this.#state = state & ~TIMER_ARMED;
    const source = this.#parkedOn;
    if (source !== null) {
      // false: the source readied us first and our wake() is queued; it runs the next step
      if (!source.unpark(this)) return;
      this.#parkedOn = null;
    }
    this.#loop(null);
  }

  #rareState(): FiberRare {
    return (this.#rare ??= new FiberRare());
  }

  #fail(error: unknown): void {
    if ((this.#state & DONE) !== 0) return;
    this.#release();
    this.#end();
    const map = this.#options.mapError;
    this.#reject(map === undefined ? error : map(error, this.#name, this.#signal));
  }

  #failCallback(): (error: unknown) => void {
    const rare = this.#rareState();
    return (rare.onError ??= (error) => this.#fail(error));
  }

  #aborted(): void {
    // A running or yielding fiber sees the signal before its next iteration; a parked one
    // would not run again, so it ends here. [VM-5]
    if (this.#parkedOn === null && (this.#state & TIMER_ARMED) === 0) return;
    this.#cancel();
  }

  /** End the run with the signal's CancelledError. [VM-5] */
  #cancel(): void {
    this.#fail(new CancelledError('run cancelled', { cause: this.#signal!.reason }));
  }

  #loop(result: unknown): void {
    let r = result;
    for (;;) {
      if (r === null) {
        const signal = this.#signal;
        if (signal !== undefined && signal.aborted) {
          this.#cancel();
          return;
        }
        const gate = this.#options.gateKey;
        if (gate != null && (this.#state & GATED) === 0) {
          if (!gate.tryEnter()) {
            const rare = this.#rareState();
            rare.onGated ??= () => {
              this.#state |= GATED;
              this.#loop(null);
            };
            gate.enter(signal).then(rare.onGated, this.#failCallback()); // [VM-7]
            return;
          }
          this.#state |= GATED;
        }
        const req = this.#req;
        if (req !== null && (this.#state & HELD) === 0) {
          let got: boolean;
          try {
            got = this.#options.resourceManager.tryAcquire(req);
          } catch (error) {
            this.#fail(error); // e.g. INFEASIBLE_CONSTRAINT after the capacity was cut
            return;
          }
          if (!got) {
            const rare = this.#rareState();
            rare.onAcquired ??= () => {
              this.#state |= HELD;
              this.#loop(null);
            };
            this.#options.resourceManager
              .acquire(req, signal)
              .then(rare.onAcquired, this.#failCallback()); // [VM-4]
            return;
          }
          this.#state |= HELD;
        }
        try {
          r =
            (this.#state & SINGLE) !== 0
              ? this.#fn(this.#single)
              : Reflect.apply(this.#fn, undefined, this.#args);
        } catch (error) {
          this.#fail(error);
          return;
        }
        // a Wait or TailCall (the usual results of an agent's step) is not a thenable
        if (!(r instanceof Wait) && !(r instanceof TailCall) && isThenable(r)) {
          const rare = this.#rareState();
          rare.onValue ??= (value) => {
            this.#release();
            this.#loop(value);
          };
          r.then(rare.onValue, this.#failCallback());
          return;
        }
        this.#release();
      }
      if (r instanceof Wait) {
        if (this.#signal?.aborted === true) {
          this.#cancel(); // aborted while the step ran: parking would outlive the run [WAIT-3]
          return;
        }
        let parked: boolean;
        try {
          parked = this.#park(r); // [VM-6]
        } catch (error) {
          this.#fail(error); // e.g. CHANNEL_BUSY: a second receiver on one channel
          return;
        }
        if (parked) return;
      } else if (r instanceof TailCall) {
        // [TAIL-1..3]
        if (r.target !== null) this.#fn = r.target.fn as Callable;
        if (r.list !== null) {
          this.#setArgs(r.list);
        } else {
          const changed = r.named!;
          const prev = this.#args[0];
          const rare = this.#rareState();
          const own = (rare.own ??= [undefined]);
          own[0] = isEmpty(changed) ? prev : Object.assign({}, prev, changed);
          this.#setArgs(own);
        }
      } else {
        this.#end();
        this.#resolve(r);
        return;
      }
      r = null;
      if (--this.#budget === 0) {
        this.#budget = this.#options.yieldEvery;
        const rare = this.#rareState();
        setImmediate(
          (rare.resume ??= () => {
            if ((this.#state & DONE) === 0) this.#loop(null);
          }),
        ); // [VM-3]
        return;
      }
    }
  }

  #setArgs(args: readonly unknown[]): void {
    this.#args = args;
    this.#single = args[0];
    this.#state = args.length === 1 ? this.#state | SINGLE : this.#state & ~SINGLE;
  }

  /** Park on `w`; false when it is over already (the loop goes on at once). */
  #park(w: Wait): boolean {
    const source = w.source;
    const deadline = w.deadline;
    let clock: WaitClock;
    if (source !== null) {
      clock = source.clock;
      if (deadline !== Infinity && clock.now() >= deadline) return false;
      if (!source.park(this)) return false;
      this.#parkedOn = source;
      if (deadline === Infinity) return true;
    } else {
      clock = w.clock!;
      if (clock.now() >= deadline) return false;
    }
    const queued = this.#queued;
    if (clock === queued) {
      // The usual case (the same clock as last time), here and not in #arm: the tick, a small
      // integer, crosses the call; a fractional deadline passed to a call that is not inlined
      // is boxed in a new heap number, on every arm of every agent.
      queued.armTimerTick(this, queued.queue.tickOf(deadline));
      this.#state |= TIMER_ARMED;
    } else {
      this.#arm(clock, deadline);
    }
    return true;
  }

  /** Arm the fiber's timer on a clock other than its last QueuedClock. */
  #arm(clock: WaitClock, deadline: number): void {
    if (clock instanceof QueuedClock) {
      this.#disarm();
      this.#queued = clock;
      if (this.#rare !== null) this.#rare.timerClock = null;
      clock.armTimer(this, deadline);
    } else {
      const rare = this.#rareState();
      if (rare.timerClock !== clock) {
        this.#disarm();
        this.#queued = null;
        rare.timer = clock.createTimer(() => this.timerFired());
        rare.timerClock = clock;
      }
      rare.timer!.arm(deadline);
    }
    this.#state |= TIMER_ARMED;
  }

  #disarm(): void {
    const state = this.#state;
    if ((state & TIMER_ARMED) === 0) return;
    this.#state = state & ~TIMER_ARMED;
    if (this.#queued !== null) this.cancel();
    else this.#rare!.timer!.cancel();
  }

  #release(): void {
    const state = this.#state;
    if ((state & (HELD | GATED)) === 0) return;
    this.#state = state & ~(HELD | GATED);
    if ((state & HELD) !== 0) this.#options.resourceManager.release(this.#req!);
    if ((state & GATED) !== 0) this.#options.gateKey!.leave(); // [VM-7]
  }

  /** Leave no listener, timer or parked waker behind. */
  #end(): void {
    this.#state |= DONE;
    const onAbort = this.#rare?.onAbort;
    if (onAbort != null) this.#signal!.removeEventListener('abort', onAbort);
    if (this.#parkedOn !== null) {
      this.#parkedOn.unpark(this);
      this.#parkedOn = null;
    }
    this.#disarm();
  }
}

/**
 * True for promises and other thenables.
 *
 * @example
 * ```ts
 * isThenable(Promise.resolve(1)); // true
 * ```
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value instanceof Promise ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as { then?: unknown }).then === 'function')
  );
}

function isEmpty(object: object): boolean {
  for (const _ in object) return false;
  return true;
}
