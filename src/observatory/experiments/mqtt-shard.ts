/**
 * One shard of a firefly run in a process of its own (`cascade fireflies --shard I/N --broker
 * URL`), in lock-step with the other shards through an MQTT broker. It takes the run from the
 * coordinator's retained config (shard-wire.ts), builds its band with the same ShardStepper
 * the worker-thread shards use, and runs round after round:
 *
 *   pace (real clock) -> the neighbours' border batches of the round before -> run the tick ->
 *   a border batch to each neighbour, flashes to the telemetry batch -> `done` -> wait until
 *   every shard's `done` and every neighbour's batch of this round are in -> next tick = the
 *   minimum of every shard's next
 *
 * which is the worker's round with messages for the barrier [SHD-3]: one tick of lookahead,
 * every shard visits the same ticks [SHD-9], so the flash log is the one-process log [SHD-4].
 *
 * Invariants:
 * - Rounds are matched by number, never by arrival order [SHP-3] (shard-wire.ts).
 * - [SHP-5] The shard ends when the coordinator says stop (exit 0) or goes away (its will
 *   clears the config: CoordinatorLostError); its own last will tells the coordinator if the
 *   process dies, within the broker's keep-alive (1.5 x 2 s) or at once if the socket closes.
 * - [SHP-6] A hot message that leaves its round incomplete is answered at once with one byte
 *   on `P/nudge/<shard>` (read by nobody), so the TCP acknowledgement goes back at once and a
 *   broker with Nagle's algorithm on (Mosquitto as installed) does not hold the round's next
 *   message for a delayed acknowledgement (40 ms a round: x0.05 of real time before, x0.97
 *   after, on a 40x40 grid with two shards).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CoordinatorLostError } from '../../errors.js';
import { MqttConnectError, MqttConnector } from '../../messaging/index.js';
import { ShardStepper } from './shard-stepper.js';
import {
  FlashBatch,
  decodeBorder,
  decodeDone,
  encodeBorder,
  encodeDone,
  encodeTelemetryInit,
  shardPrefix,
  type ShardControl,
  type ShardDone,
  type ShardPace,
  type ShardRunConfig,
  type ShardStatus,
} from './shard-wire.js';
import { wallNow, errorText, shareOf, applyStepLimitShare } from './shard-plan.js';
import { ConstraintSet } from '../../runtime/index.js';

/** Options of {@link runMqttShard}. */
export interface MqttShardOptions {
  /** The broker, `mqtt://HOST:PORT`. */
  url: string;
  /** This shard's index, `0 <= shard < shards`. */
  shard: number;
  /** The number of shards the run has (checked against the coordinator's config). */
  shards: number;
  /** The run's name on the broker (default `fireflies`). */
  run?: string;
  /** MQTT protocol version (default 5; 4 for Aedes). */
  protocolVersion?: 4 | 5;
  /** Ends the shard (as a stop would). */
  signal?: AbortSignal;
  /** Progress in words (waiting for the coordinator, joined, stopped). */
  onStatus?: (line: string) => void;
  /** Tests: throw after this many rounds. */
  failAfterRounds?: number;
}

/** What a shard did. */
export interface MqttShardResult {
  rounds: number;
  simTimeMs: number;
  flashes: number;
  /** Flashes it received from neighbouring shards. */
  borderIn: number;
}

/**
 * QoS of the per-round messages (border, done, telemetry). 0: no PUBACK per message, and
 * nothing is lost while the connection holds (TCP, in order); the lock-step keeps every queue
 * to a few messages, so the broker never has a reason to drop one. A lost connection ends the
 * run anyway (the last will). Measured: (see docs/fireflies.md).
 */
const HOT_QOS = 0;

/** Wall ms a coordinator's will waits for the broker's own end to be seen first. */
const WILL_GRACE_MS = 200;

/** Wall ms between two telemetry messages at most (the coordinator's view stays live). */
const TELEMETRY_WALL_MS = 100;

/**
 * Run one shard until the coordinator stops it.
 *
 * @example
 * ```ts
 * await runMqttShard({ url: 'mqtt://127.0.0.1:1883', shard: 0, shards: 2 });
 * ```
 */
export async function runMqttShard(o: MqttShardOptions): Promise<MqttShardResult> {
  const me = o.shard;
  const P = shardPrefix(o.run ?? 'fireflies');
  const nonce = randomBytes(6).toString('hex');
  const status = (s: ShardStatus): Promise<void> => mqtt.publish(`${P}/shard/${me}`, s, { qos: 1 });
  const mqtt = new MqttConnector({
    url: o.url,
    name: `shard-${me}`,
    ...(o.protocolVersion !== undefined && { protocolVersion: o.protocolVersion }),
    keepaliveSeconds: 2,
    will: {
      topic: `${P}/shard/${me}`,
      payload: JSON.stringify({ state: 'gone', nonce } satisfies ShardStatus),
      qos: 1,
    },
  });
  await mqtt.connect();

  // everything that wakes the loop: config, control, rounds, stop
  let wake: (() => void) | null = null;
  const poke = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const changed = (ms = 1000): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  let config: ShardRunConfig | null = null;
  let lost = false;
  /** Why the run does not take this process (another one runs this shard), or null. */
  let refused: string | null = null;
  let stopped = false;
  let publishError: unknown = null;
  const onAbort = (): void => {
    stopped = true;
    poke();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const sent = (p: Promise<void>): void => {
    p.catch((e: unknown) => {
      publishError ??= e;
      poke();
    });
  };

  let brokerLost = false;
  // messages in flight when the broker goes are gone: once in a run, it cannot resume
  // (waiting for a coordinator, the connector just reconnects)
  mqtt.events.on((e) => {
    if (e.type === 'ConnectionChanged' && e.state === 'lost' && config !== null && !stopped) {
      brokerLost = true;
      poke();
    }
  });

  const configSub = mqtt.subscribe(`${P}/config`, (_topic, payload) => {
    if (payload === '' || payload === null || typeof payload !== 'object') {
      // [SHP-5] the coordinator's will cleared it (after a stop, its own clear-up did); a
      // broker that shuts down sends every will first: if this connection goes too in a
      // moment, the broker is what went away
      if (config !== null && !stopped) {
        setTimeout(() => {
          if (mqtt.online && !stopped) lost = true;
          poke();
        }, WILL_GRACE_MS).unref();
      }
      return;
    }
    if (config === null) config = payload as ShardRunConfig;
    poke();
  });
  await configSub.ready;
  o.onStatus?.(`shard ${me}/${o.shards}: waiting for the coordinator on ${o.url}`);
  while (config === null && !stopped) await changed();
  if (config === null) {
    await mqtt.disconnect();
    return { rounds: 0, simTimeMs: 0, flashes: 0, borderIn: 0 };
  }
  const cfg: ShardRunConfig = config;
  if (cfg.joined !== undefined) {
    await mqtt.disconnect();
    throw new CoordinatorLostError(
      `the run on ${o.url} started with all its ${cfg.shards} shards before this one came`,
    );
  }
  if (cfg.shards !== o.shards) {
    await mqtt.disconnect();
    throw new CoordinatorLostError(
      `the coordinator runs ${cfg.shards} shards, this shard was started as ${me}/${o.shards}`,
    );
  }
  const session = cfg.session;
  const N = cfg.shards;

  const limit = cfg.limit;
  const constraints = cfg.controlled === true ? new ConstraintSet() : undefined;
  const stepper = new ShardStepper({
    ...(constraints !== undefined && { constraints }),
    shard: me,
    shards: N,
    width: cfg.width,
    height: cfg.height,
    params: cfg.params,
    seed: cfg.seed,
    ...(limit !== undefined && {
      limit: shareOf(limit, N, me), // [SHD-8]
    }),
    ...(cfg.inboxCapacity !== undefined && { inboxCapacity: cfg.inboxCapacity }),
  });
  await stepper.start();

  // rounds: every shard's done, this shard's neighbours' batches [SHP-3]
  const dones = new Map<number, ShardDone[]>();
  const borders = new Map<string, Int32Array>();
  let pace: ShardPace = { anchorWall: wallNow(), anchorSim: 0, speed: 1, paused: false };
  let until = -Infinity;
  let go = false;
  // [SHP-6] answer a hot message that leaves its round incomplete at once with a byte nobody
  // reads: the reply carries the TCP acknowledgement of what came in, so a broker that
  // batches small writes (Nagle's algorithm, Mosquitto's default) sends the round's next
  // message now, not after the 40 ms of a delayed acknowledgement. (The message that
  // completes a round needs none: the shard's own done and border batches carry it.)
  const NUDGE = new Uint8Array(1);
  const nudge = (): void => {
    mqtt.publish(`${P}/nudge/${me}`, NUDGE, { qos: 0 }).catch(() => undefined);
  };
  const subs = [
    mqtt.subscribe(`${P}/done/+`, (_topic, payload) => {
      const d = payload instanceof Uint8Array ? decodeDone(payload) : null;
      if (d === null || d.session !== session) return; // [SHP-1]
      let list = dones.get(d.round);
      if (list === undefined) dones.set(d.round, (list = []));
      list.push(d);
      if (!complete(d.round)) nudge();
      if (list.length === N) poke();
    }),
    mqtt.subscribe(`${P}/border/${me}/+`, (topic, payload) => {
      const b = payload instanceof Uint8Array ? decodeBorder(payload) : null;
      if (b === null || b.session !== session) return;
      borders.set(`${b.round}:${topic.slice(topic.lastIndexOf('/') + 1)}`, b.ids);
      if (!complete(b.round)) nudge();
      poke();
    }),
    mqtt.subscribe(`${P}/control`, (_topic, payload) => {
      const c = payload as ShardControl;
      if (typeof c !== 'object' || c === null || c.session !== session) return;
      switch (c.type) {
        case 'go':
          // [SHP-1] two processes said ready as this shard: the coordinator took one
          if (c.joined[me] !== nonce) refused = `another process runs shard ${me}`;
          go = true;
          until = c.until;
          pace = {
            anchorWall: c.anchorWall,
            anchorSim: c.anchorSim,
            speed: c.speed,
            paused: c.paused,
          };
          break;
        case 'until':
          until = c.until;
          break;
        case 'pace':
          pace = {
            anchorWall: c.anchorWall,
            anchorSim: c.anchorSim,
            speed: c.speed,
            paused: c.paused,
          };
          break;
        case 'stop':
          stopped = true;
          break;
        case 'limits':
          if (constraints !== undefined) applyStepLimitShare(constraints, c.limits, N, me);
          break;
      }
      poke();
    }),
  ];
  for (const sub of subs) await sub.ready;
  const tel = stepper.telemetry;
  const { from, to } = stepper;
  sent(
    mqtt.publish(
      `${P}/telemetry/${me}`,
      encodeTelemetryInit(
        session,
        from,
        tel.lastFlash.slice(from, to),
        tel.interval.slice(from, to),
      ),
      { qos: 1 },
    ),
  );
  sent(status({ state: 'ready', session, nonce }));
  o.onStatus?.(`shard ${me}/${N}: agents ${from}..${to - 1} ready`);

  const halted = (): boolean =>
    stopped || lost || brokerLost || refused !== null || publishError !== null;
  const counters = (): Omit<ShardDone, 'session' | 'round' | 't' | 'next'> => {
    const s = stepper.exp.stats();
    return {
      flashes: tel.flashes,
      discarded: tel.discardedPulses,
      dropped: tel.droppedPulses,
      failed: s.failedAgents,
      borderIn: stepper.borderIn,
    };
  };
  const sendDone = (round: number, t: number, next: number): void => {
    sent(
      mqtt.publish(`${P}/done/${me}`, encodeDone({ session, round, t, next, ...counters() }), {
        qos: HOT_QOS,
      }),
    );
  };
  const complete = (round: number): boolean => {
    if ((dones.get(round)?.length ?? 0) < N) return false;
    if (round < 0) return true;
    return stepper.neighbours.every((j) => borders.has(`${round}:${j}`));
  };
  /** Wait until round `k` is complete; its agreed next tick, or NaN once halted. */
  const agree = async (round: number): Promise<number> => {
    while (!complete(round)) {
      if (halted()) return Number.NaN;
      await changed();
    }
    let next = Infinity;
    for (const d of dones.get(round)!) next = Math.min(next, d.next);
    dones.delete(round);
    return next;
  };

  let rounds = 0;
  let t = Number.NaN;
  try {
    while (!go && !halted()) await changed();
    const every = cfg.sampleEveryMs;
    let nextSample = every;
    const batch = new FlashBatch();
    let flushedAt = performance.now();
    // round -1: agree on the first tick (not for a process the run did not take)
    if (!halted()) {
      sendDone(-1, Number.NaN, stepper.nextDue(-Infinity, nextSample));
      t = await agree(-1);
    }
    let prevT = 0;
    for (let k = 0; !halted();) {
      if (o.failAfterRounds !== undefined && k >= o.failAfterRounds) {
        throw new Error(`injected failure after ${k} rounds`);
      }
      if (t > until) {
        await changed();
        continue;
      }
      if (cfg.clock === 'real' && !(await paced(t))) break;
      if (k > 0) {
        for (const j of stepper.neighbours) {
          const key = `${k - 1}:${j}`;
          stepper.receive(borders.get(key)!, prevT);
          borders.delete(key);
        }
      }
      await stepper.runTick(t);
      for (const j of stepper.neighbours) {
        sent(
          mqtt.publish(
            `${P}/border/${j}/${me}`,
            encodeBorder(session, k, t, stepper.borderOut(j)),
            {
              qos: HOT_QOS,
            },
          ),
        );
      }
      batch.add(t, stepper.ownFlashes());
      let flush = batch.rounds >= cfg.telemetryEveryRounds;
      if (t === nextSample) {
        nextSample += every;
        flush = true; // the coordinator takes R at this tick [SHP-4]
      }
      const next = stepper.nextDue(t, nextSample);
      const wallNowMs = performance.now();
      if (flush || next > until || wallNowMs - flushedAt >= TELEMETRY_WALL_MS) {
        sent(mqtt.publish(`${P}/telemetry/${me}`, batch.take(session, t), { qos: HOT_QOS }));
        flushedAt = wallNowMs;
      }
      sendDone(k, t, next);
      const agreed = await agree(k);
      if (Number.isNaN(agreed)) break;
      prevT = t;
      t = agreed;
      k++;
      rounds = k;
    }
  } catch (error) {
    if (mqtt.online) {
      await status({ state: 'failed', session, nonce, error: errorText(error) }).catch(() => {});
    }
    await stepper.exp.halt(); // the band is done with: its agents go with it [FLY-11]
    constraints?.close();
    await mqtt.disconnect();
    throw error;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  await stepper.exp.halt(); // [FLY-11]
  constraints?.close();
  // (offline, a QoS 1 publish would wait for the broker's ack forever)
  if (!lost && !brokerLost && refused === null && mqtt.online) {
    await status({ state: 'stopped', session, nonce }).catch(() => {});
  }
  await mqtt.disconnect();
  if (brokerLost) {
    throw new MqttConnectError(o.url, 'the connection was lost mid-run (the run cannot resume)');
  }
  if (publishError !== null) throw publishError as Error;
  if (lost) throw new CoordinatorLostError('its will cleared the run (the process went away)');
  if (refused !== null) throw new CoordinatorLostError(refused);
  o.onStatus?.(`shard ${me}/${N}: stopped after ${rounds} rounds`);
  return {
    rounds,
    simTimeMs: Number.isFinite(t) ? Math.min(t, until) : 0,
    flashes: tel.flashes,
    borderIn: stepper.borderIn,
  };

  /** Real clock: wait until the pace reaches tick `time`; false once halted. */
  async function paced(time: number): Promise<boolean> {
    for (;;) {
      if (halted()) return false;
      if (pace.paused) {
        await changed();
        continue;
      }
      const delay = pace.anchorWall + (time - pace.anchorSim) / pace.speed - wallNow();
      if (delay <= 0) return true;
      await changed(Math.min(delay, 1000));
    }
  }
}
