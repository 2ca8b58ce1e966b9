/**
 * What process shards and their coordinator say to each other through an MQTT broker: the
 * topics under `cascade/shards/<run>/` and the binary payloads of the hot messages (one per
 * tick per neighbour, one per tick per shard). Binary payloads are Float64 words (ids and
 * ticks are integers far below 2^53, so they are exact) and pass through the connector's codec
 * untouched [COD-2]; the rare ones (the run's configuration, a shard's status, control) are
 * JSON.
 *
 * Topics (P = `cascade/shards/<run>`):
 * - `P/config` (retained, JSON {@link ShardRunConfig}): the run the coordinator offers. The
 *   coordinator's last will clears it (empty retained payload), which is how shards learn
 *   the coordinator went away. [SHP-1]
 * - `P/shard/<i>` (JSON {@link ShardStatus}): ready / stopped / failed; a shard's last will
 *   says `gone`. [SHP-2]
 * - `P/control` (JSON {@link ShardControl}, QoS 1): go, until, pace, stop, and the run's step
 *   limits, of which each shard takes its share [SLIM-1].
 * - `P/border/<to>/<from>` (binary {@link encodeBorder}): one batch per round per neighbour,
 *   empty ones included, so a round is complete when every neighbour's batch is in. [SHP-3]
 * - `P/done/<from>` (binary {@link encodeDone}): the shard ran the round; its next tick and
 *   counters. Every shard and the coordinator read every shard's. [SHP-3]
 * - `P/telemetry/<from>` (binary): to the coordinator, the shard's first phases, then its
 *   flashes batched over rounds (each batch says the tick it covers through). [SHP-4]
 *
 * Invariants:
 * - [SHP-1] Every message carries the session of the config it belongs to; a message of
 *   another session is ignored, so a stale shard or a retained leftover cannot join a run.
 * - [SHP-3] Round k is complete for a shard once it holds `done` of round k from every shard
 *   and the border batch of round k from every neighbour; keyed by round, not by arrival.
 */
import type { FireflyModelParams } from '../model/firefly-params.js';
import type { StepLimits } from './shard-plan.js';

/** The topic prefix of run `run`. */
export const shardPrefix = (run: string): string => `cascade/shards/${run}`;

/** What the coordinator offers: every shard builds its band from this alone. */
export interface ShardRunConfig {
  session: number;
  shards: number;
  width: number;
  height: number;
  params: FireflyModelParams;
  seed: number;
  clock: 'real' | 'virtual';
  sampleEveryMs: number;
  /** Rounds of flashes a shard batches into one telemetry message (at most). */
  telemetryEveryRounds: number;
  inboxCapacity?: number;
  /** Total concurrency limit, split between the shards as on worker threads [SHD-8]. */
  limit?: number;
  /** The run takes step limits from a control plane (`limits` control messages) [SLIM-1]. */
  controlled?: boolean;
  /** Once the run has started: the nonce of the process running each shard. */
  joined?: string[];
}

/** A shard's word about itself; `nonce` tells one process from another. */
export type ShardStatus =
  | { state: 'ready'; session: number; nonce: string }
  | { state: 'stopped'; session: number; nonce: string }
  | { state: 'failed'; session: number; nonce: string; error: string }
  | { state: 'gone'; nonce: string };

/** The pace of a real-clock run: simulated `anchorSim` at absolute wall `anchorWall` (ms). */
export interface ShardPace {
  anchorWall: number;
  anchorSim: number;
  speed: number;
  paused: boolean;
}

/** From the coordinator to every shard. */
export type ShardControl =
  | ({ type: 'go'; session: number; until: number; joined: string[] } & ShardPace)
  | { type: 'until'; session: number; until: number }
  | ({ type: 'pace'; session: number } & ShardPace)
  | { type: 'stop'; session: number }
  | { type: 'limits'; session: number; limits: StepLimits };

/** Counters a shard reports with each round. */
export interface ShardCounters {
  flashes: number;
  discarded: number;
  dropped: number;
  failed: number;
  borderIn: number;
}

/** A decoded `done`. */
export interface ShardDone extends ShardCounters {
  session: number;
  round: number;
  /** The tick just run (NaN for round -1, which only agrees on the first tick). */
  t: number;
  /** The shard's next due tick. */
  next: number;
}

const DONE_WORDS = 9;

function words(bytes: Uint8Array): Float64Array | null {
  if (bytes.byteLength % 8 !== 0 || bytes.byteLength === 0) return null;
  // a decoded payload is a fresh copy at offset 0 [COD-2]; copy again if it is not aligned
  const b = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  return new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8);
}

const asBytes = (f: Float64Array): Uint8Array =>
  new Uint8Array(f.buffer, f.byteOffset, f.byteLength);

/** Border batch: [session, round, t, ids...]. */
export function encodeBorder(
  session: number,
  round: number,
  t: number,
  ids: Int32Array,
): Uint8Array {
  const f = new Float64Array(3 + ids.length);
  f[0] = session;
  f[1] = round;
  f[2] = t;
  for (let i = 0; i < ids.length; i++) f[3 + i] = ids[i];
  return asBytes(f);
}

export function decodeBorder(
  bytes: Uint8Array,
): { session: number; round: number; t: number; ids: Int32Array } | null {
  const f = words(bytes);
  if (f === null || f.length < 3) return null;
  return { session: f[0], round: f[1], t: f[2], ids: Int32Array.from(f.subarray(3)) };
}

export function encodeDone(d: ShardDone): Uint8Array {
  return asBytes(
    Float64Array.of(
      d.session,
      d.round,
      d.t,
      d.next,
      d.flashes,
      d.discarded,
      d.dropped,
      d.failed,
      d.borderIn,
    ),
  );
}

export function decodeDone(bytes: Uint8Array): ShardDone | null {
  const f = words(bytes);
  if (f === null || f.length !== DONE_WORDS) return null;
  return {
    session: f[0],
    round: f[1],
    t: f[2],
    next: f[3],
    flashes: f[4],
    discarded: f[5],
    dropped: f[6],
    failed: f[7],
    borderIn: f[8],
  };
}

const TEL_INIT = 1;
const TEL_FLASHES = 2;

/** Telemetry, first message: the band's implied cycle starts and intervals before any flash. */
export function encodeTelemetryInit(
  session: number,
  from: number,
  lastFlash: Float64Array,
  interval: Float64Array,
): Uint8Array {
  const n = lastFlash.length;
  const f = new Float64Array(4 + 2 * n);
  f.set([session, TEL_INIT, from, n]);
  f.set(lastFlash, 4);
  f.set(interval, 4 + n);
  return asBytes(f);
}

/** Accumulates a shard's flashes over rounds: [session, 2, through, (t, count, ids...)*]. */
export class FlashBatch {
  #f = new Float64Array(256);
  #len = 3;
  rounds = 0;

  add(t: number, ids: Int32Array): void {
    this.rounds++;
    if (ids.length === 0) return;
    this.#room(2 + ids.length);
    const f = this.#f;
    f[this.#len++] = t;
    f[this.#len++] = ids.length;
    for (let i = 0; i < ids.length; i++) f[this.#len++] = ids[i];
  }

  /** The batch covering every round through tick `through`; empties the batch. */
  take(session: number, through: number): Uint8Array {
    const f = this.#f;
    f[0] = session;
    f[1] = TEL_FLASHES;
    f[2] = through;
    const out = asBytes(f.slice(0, this.#len));
    this.#len = 3;
    this.rounds = 0;
    return out;
  }

  #room(extra: number): void {
    if (this.#len + extra <= this.#f.length) return;
    const grown = new Float64Array(Math.max(this.#f.length * 2, this.#len + extra));
    grown.set(this.#f.subarray(0, this.#len));
    this.#f = grown;
  }
}

/** A decoded telemetry message. */
export type ShardTelemetry =
  | {
      kind: 'init';
      session: number;
      from: number;
      lastFlash: Float64Array;
      interval: Float64Array;
    }
  | {
      kind: 'flashes';
      session: number;
      through: number;
      /** (t, ids) per tick with flashes, in tick order. */
      ticks: Array<{ t: number; ids: Float64Array }>;
    };

export function decodeTelemetry(bytes: Uint8Array): ShardTelemetry | null {
  const f = words(bytes);
  if (f === null || f.length < 3) return null;
  if (f[1] === TEL_INIT) {
    const n = f[3];
    if (f.length !== 4 + 2 * n) return null;
    return {
      kind: 'init',
      session: f[0],
      from: f[2],
      lastFlash: f.slice(4, 4 + n),
      interval: f.slice(4 + n),
    };
  }
  if (f[1] !== TEL_FLASHES) return null;
  const ticks: Array<{ t: number; ids: Float64Array }> = [];
  for (let i = 3; i < f.length;) {
    const t = f[i];
    const count = f[i + 1];
    if (!(count >= 0) || i + 2 + count > f.length) return null;
    ticks.push({ t, ids: f.subarray(i + 2, i + 2 + count) });
    i += 2 + count;
  }
  return { kind: 'flashes', session: f[0], through: f[2], ticks };
}
