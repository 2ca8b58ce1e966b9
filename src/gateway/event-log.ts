/**
 * The bounded replay buffer of the gateway's `events` stream: the last `capacity` events,
 * each already serialised to the JSON text every client receives (an event is encoded once,
 * however many clients get it).
 *
 * Invariants:
 * - [EVL-1] Sequence numbers start at 1 and increase by exactly 1 per event; none is reused
 *   within one log.
 * - [EVL-2] The log holds exactly the events `oldestSeq .. lastSeq` (none when empty); older
 *   ones are evicted one by one, oldest first, so a reader can always tell what it missed.
 */
import { InvalidArgumentError } from '../errors.js';

/** What {@link EventLog.since} found. */
export interface EventRange {
  /** Events after `lastSeq` that the log no longer holds: `[from, to]`, or null. */
  gap: { from: number; to: number } | null;
  /** The serialised events still held after `lastSeq`, in order. */
  texts: string[];
}

/**
 * A ring of serialised events.
 *
 * @example
 * ```ts
 * const log = new EventLog(3);
 * for (let i = 0; i < 5; i++) log.append('tick', { i }, Date.now());
 * log.since(0); // { gap: { from: 1, to: 2 }, texts: [events 3, 4, 5] }
 * ```
 */
export class EventLog {
  readonly capacity: number;
  #texts: string[] = [];
  #start = 0; // ring index of the oldest event
  #lastSeq = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new InvalidArgumentError('events.replay', capacity, 'must be an integer >= 1');
    }
    this.capacity = capacity;
  }

  /** The sequence number of the newest event; 0 before the first. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** The sequence number of the oldest event held (`lastSeq + 1` when empty). [EVL-2] */
  get oldestSeq(): number {
    return this.#lastSeq - this.#texts.length + 1;
  }

  /** Number of events held. */
  get size(): number {
    return this.#texts.length;
  }

  /**
   * Append an event; returns its JSON text (a `{type:'event', ...}` server message).
   * @throws TypeError if `data` cannot be serialised (a cycle, a BigInt): nothing is appended.
   */
  append(event: string, data: unknown, time: number): string {
    const seq = this.#lastSeq + 1;
    // Serialised before the sequence number is taken, so a bad payload leaves no hole. [EVL-1]
    const text = `{"type":"event","seq":${seq},"event":${JSON.stringify(event)},"time":${time},"data":${JSON.stringify(data) ?? 'null'}}`;
    this.#lastSeq = seq;
    if (this.#texts.length < this.capacity) {
      this.#texts.push(text);
    } else {
      this.#texts[this.#start] = text; // [EVL-2] evict the oldest
      this.#start = (this.#start + 1) % this.capacity;
    }
    return text;
  }

  /** The serialised event `seq`, or undefined if it was evicted or does not exist yet. */
  get(seq: number): string | undefined {
    const oldest = this.oldestSeq;
    if (seq < oldest || seq > this.#lastSeq) return undefined;
    return this.#texts[(this.#start + (seq - oldest)) % this.#texts.length];
  }

  /** The events after `lastSeq` (which must be <= {@link lastSeq}), and the gap before them. */
  since(lastSeq: number): EventRange {
    const oldest = this.oldestSeq;
    const gap = lastSeq + 1 < oldest ? { from: lastSeq + 1, to: oldest - 1 } : null;
    const first = Math.max(lastSeq + 1, oldest);
    const texts: string[] = [];
    const n = this.#texts.length;
    for (let seq = first; seq <= this.#lastSeq; seq++) {
      texts.push(this.#texts[(this.#start + (seq - oldest)) % n]);
    }
    return { gap, texts };
  }
}
