/**
 * The MQTT benchmark (`cascade bench mqtt`, `npx tsx bench/mqtt.ts`), all on loopback in one
 * run, every broker started here (Mosquitto as a child process, Aedes embedded):
 *
 * - **throughput**: M messages flooded from one MqttConnector to another through Mosquitto
 *   and Aedes at QoS 0 and 1 (msgs/s from the first publish to the last receipt), and the
 *   one-at-a-time latency (publish -> handler, next publish after receipt) p50/p99;
 * - **batched**: K small messages per publish through Mosquitto at QoS 0 (messages/s);
 * - **constraint apply**: publish (or `applyCommand` in process) of a pause -> the gate
 *   refuses a step, p50/p99;
 * - **rate limit**: steps admitted by a `rate` constraint at several targets against the
 *   target;
 * - **shards**: a firefly run on two shard processes through Mosquitto against one process
 *   (simulated s per wall s, virtual clock, same seed).
 *
 * It never passes or fails on a figure: it measures and prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { availableParallelism, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ConstraintSet, controlMessages } from '../src/runtime/index.js';
import { EmbeddedBroker, MosquittoProcess, MqttConnector } from '../src/messaging/index.js';
import { FireflyExperiment } from '../src/observatory/experiments/firefly-experiment.js';
import { MqttShardCoordinator } from '../src/observatory/experiments/mqtt-shard-coordinator.js';

/** Parameters of {@link runMqttBench}. */
export interface MqttBenchOptions {
  /** Messages flooded per broker and QoS (default 20,000). */
  messages: number;
  /** One-at-a-time round trips per broker and QoS for the latency (default 500). */
  latencySamples: number;
  /** Messages per publish in the batched mode (default 100). */
  batch: number;
  /** Publishes in the batched mode (default 2,000). */
  batchPublishes: number;
  /** Pause/resume cycles for the constraint apply latency (default 200). */
  applySamples: number;
  /** Rate-limit targets, steps/s (default 1,000, 10,000, 50,000). */
  rates: number[];
  /** Seconds each rate target is measured (default 2). */
  rateSeconds: number;
  /** Shards: an n x n grid (default 40). */
  shardGrid: number;
  /** Shards: simulated seconds (default 10). */
  shardSeconds: number;
  /**
   * The command that starts the `cascade` CLI (argv before `fireflies --shard ...`); the shard
   * phase is skipped without it.
   */
  shardCommand?: string[];
}

export interface MqttBenchResult {
  params: Omit<MqttBenchOptions, 'shardCommand'>;
  machine: { cores: number; cpu: string; node: string };
  throughput: Array<{
    broker: 'mosquitto' | 'aedes';
    qos: 0 | 1;
    msgsPerSec: number;
    latencyP50Ms: number;
    latencyP99Ms: number;
  }>;
  batched: {
    broker: 'mosquitto';
    qos: 0;
    batch: number;
    msgsPerSec: number;
    publishesPerSec: number;
  };
  apply: Array<{ path: 'in process' | 'mosquitto'; p50Ms: number; p99Ms: number }>;
  rate: Array<{ targetPerSec: number; measuredPerSec: number; errorPct: number }>;
  shards: {
    grid: string;
    simSeconds: number;
    oneProcessSimPerWall: number;
    twoProcessSimPerWall: number;
    sameFlashes: boolean;
  } | null;
}

export const DEFAULT_MQTT_BENCH: MqttBenchOptions = {
  messages: 20_000,
  latencySamples: 500,
  batch: 100,
  batchPublishes: 2_000,
  applySamples: 200,
  rates: [1_000, 10_000, 50_000],
  rateSeconds: 2,
  shardGrid: 40,
  shardSeconds: 10,
};

/**
 * @example
 * ```ts
 * const result = await runMqttBench(DEFAULT_MQTT_BENCH, (line) => console.error(line));
 * process.stdout.write(formatMqttBench(result));
 * ```
 */
export async function runMqttBench(
  o: MqttBenchOptions,
  log: (line: string) => void = () => undefined,
): Promise<MqttBenchResult> {
  const { shardCommand: _command, ...params } = o;
  const result: MqttBenchResult = {
    params,
    machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? '?', node: process.version },
    throughput: [],
    batched: { broker: 'mosquitto', qos: 0, batch: o.batch, msgsPerSec: 0, publishesPerSec: 0 },
    apply: [],
    rate: [],
    shards: null,
  };
  const mosquitto = await MosquittoProcess.start();
  const aedes = await EmbeddedBroker.start({ port: 0 });
  try {
    for (const [broker, url, v] of [
      ['mosquitto', mosquitto.url, 5],
      ['aedes', aedes.url, 4],
    ] as const) {
      for (const qos of [0, 1] as const) {
        log(`throughput: ${broker} QoS ${qos}`);
        const row = await throughput(url, v, qos, o.messages, o.latencySamples);
        result.throughput.push({ broker, qos, ...row });
      }
    }
    log('batched: mosquitto QoS 0');
    result.batched = {
      ...result.batched,
      ...(await batched(mosquitto.url, o.batch, o.batchPublishes)),
    };
    log('constraint apply latency');
    result.apply.push({ path: 'in process', ...(await applyInProcess(o.applySamples)) });
    result.apply.push({
      path: 'mosquitto',
      ...(await applyOverMqtt(mosquitto.url, o.applySamples)),
    });
    for (const target of o.rates) {
      log(`rate limit ${target}/s`);
      result.rate.push(await rateAccuracy(target, o.rateSeconds));
    }
    if (o.shardCommand !== undefined) {
      log('shards: one process, then two shard processes through mosquitto');
      result.shards = await shards(mosquitto.url, o.shardCommand, o.shardGrid, o.shardSeconds);
    }
  } finally {
    await aedes.close();
    await mosquitto.stop();
  }
  return result;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function stamp(): Uint8Array {
  const f = Float64Array.of(performance.now());
  return new Uint8Array(f.buffer);
}

async function pair(url: string, v: 4 | 5, qos: 0 | 1): Promise<[MqttConnector, MqttConnector]> {
  const pub = new MqttConnector({ url, protocolVersion: v, name: 'bench-pub' });
  const sub = new MqttConnector({ url, protocolVersion: v, name: 'bench-sub', subscribeQos: qos });
  await pub.connect();
  await sub.connect();
  return [pub, sub];
}

/**
 * Publish `count` messages as fast as the client takes them: a window of 900 outstanding
 * publishes (a QoS 0 publish settles once written, QoS 1 on its PUBACK), so the client's
 * socket buffer, not an unbounded queue, sets the pace.
 */
async function flood(
  pub: MqttConnector,
  topic: string,
  payload: Uint8Array,
  qos: 0 | 1,
  count: number,
): Promise<void> {
  const WINDOW = 900;
  const inflight: Array<Promise<void>> = [];
  for (let i = 0; i < count; i++) {
    inflight.push(pub.publish(topic, payload, { qos }));
    if (inflight.length === WINDOW) {
      await Promise.all(inflight);
      inflight.length = 0;
    }
  }
  await Promise.all(inflight);
}

async function throughput(
  url: string,
  v: 4 | 5,
  qos: 0 | 1,
  messages: number,
  samples: number,
): Promise<{ msgsPerSec: number; latencyP50Ms: number; latencyP99Ms: number }> {
  const [pub, sub] = await pair(url, v, qos);
  try {
    let received = 0;
    let onCount: (() => void) | null = null;
    let want = 0;
    const s = sub.subscribe('bench/flood', () => {
      if (++received === want) onCount?.();
    });
    await s.ready;
    // flood
    want = messages;
    const all = new Promise<void>((resolve) => (onCount = resolve));
    const payload = stamp();
    const t0 = performance.now();
    await flood(pub, 'bench/flood', payload, qos, messages);
    await all;
    const msgsPerSec = messages / ((performance.now() - t0) / 1000);
    s.unsubscribe();
    // one at a time
    const lat: number[] = [];
    let next: ((t: number) => void) | null = null;
    const p = sub.subscribe('bench/ping', (_t, payload) => {
      const sent = new Float64Array((payload as Uint8Array).slice().buffer)[0];
      next?.(performance.now() - sent);
    });
    await p.ready;
    for (let i = 0; i < samples; i++) {
      const got = new Promise<number>((resolve) => (next = resolve));
      void pub.publish('bench/ping', stamp(), { qos });
      lat.push(await got);
    }
    lat.sort((a, b) => a - b);
    return { msgsPerSec, latencyP50Ms: percentile(lat, 50), latencyP99Ms: percentile(lat, 99) };
  } finally {
    await pub.disconnect();
    await sub.disconnect();
  }
}

async function batched(
  url: string,
  batch: number,
  publishes: number,
): Promise<{ msgsPerSec: number; publishesPerSec: number }> {
  const [pub, sub] = await pair(url, 5, 0);
  try {
    const RECORD = 16; // bytes per message in the batch
    let messages = 0;
    let done: (() => void) | null = null;
    const s = sub.subscribe('bench/batch', (_t, payload) => {
      messages += (payload as Uint8Array).byteLength / RECORD;
      if (messages === batch * publishes) done?.();
    });
    await s.ready;
    const body = new Uint8Array(batch * RECORD);
    const all = new Promise<void>((resolve) => (done = resolve));
    const t0 = performance.now();
    await flood(pub, 'bench/batch', body, 0, publishes);
    await all;
    const sec = (performance.now() - t0) / 1000;
    return { msgsPerSec: messages / sec, publishesPerSec: publishes / sec };
  } finally {
    await pub.disconnect();
    await sub.disconnect();
  }
}

/** In process: `applyCommand(pause)` -> the gate refuses a step. */
async function applyInProcess(samples: number): Promise<{ p50Ms: number; p99Ms: number }> {
  const set = new ConstraintSet();
  const key = set.gate.key('step', 'bench');
  const lat: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    set.applyCommand({ type: 'pause', scope: 'group:bench' });
    while (key.tryEnter()) key.leave();
    lat.push(performance.now() - t0);
    set.applyCommand({ type: 'resume', scope: 'group:bench' });
    if (i % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  set.close();
  lat.sort((a, b) => a - b);
  return { p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99) };
}

/** Through Mosquitto: the retained pause published as `cascade ctl` does -> refused there. */
async function applyOverMqtt(
  url: string,
  samples: number,
): Promise<{ p50Ms: number; p99Ms: number }> {
  const ctl = new MqttConnector({ url, name: 'bench-ctl' });
  const engine = new MqttConnector({ url, name: 'bench-engine' });
  await ctl.connect();
  await engine.connect();
  const set = new ConstraintSet();
  const attached = set.attach(engine);
  await attached.ready;
  const key = set.gate.key('step', 'bench');
  let check: (() => void) | null = null;
  const off = set.events.on(() => check?.());
  const lat: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      const enforced = new Promise<void>((resolve) => {
        check = () => {
          if (key.tryEnter()) key.leave();
          else resolve();
        };
      });
      for (const m of controlMessages({ type: 'pause', scope: 'group:bench' }, Date.now())) {
        void ctl.publish(m.topic, m.payload, { retain: true, qos: 1 });
      }
      await enforced;
      lat.push(performance.now() - t0);
      const resumed = new Promise<void>((resolve) => {
        check = () => {
          if (key.tryEnter()) {
            key.leave();
            resolve();
          }
        };
      });
      for (const m of controlMessages({ type: 'resume', scope: 'group:bench' }, Date.now())) {
        void ctl.publish(m.topic, m.payload, { retain: true, qos: 1 });
      }
      await resumed;
    }
  } finally {
    check = null;
    off();
    attached.unsubscribe();
    set.close();
    await ctl.disconnect();
    await engine.disconnect();
  }
  lat.sort((a, b) => a - b);
  return { p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99) };
}

/** Steps admitted by a rate constraint of `target`/s, by 64 concurrent loops. */
async function rateAccuracy(
  target: number,
  seconds: number,
): Promise<{ targetPerSec: number; measuredPerSec: number; errorPct: number }> {
  const set = new ConstraintSet();
  set.applyCommand({ type: 'limit', scope: 'global', perSec: target });
  const key = set.gate.key('step', 'bench');
  let admitted = 0;
  let counting = false;
  const ac = new AbortController();
  setMaxListeners(0, ac.signal); // one per waiting loop
  const loop = async (): Promise<void> => {
    while (!ac.signal.aborted) {
      if (!key.tryEnter()) await key.enter(ac.signal);
      key.leave();
      if (counting) admitted++;
    }
  };
  const loops = Array.from({ length: 64 }, () => loop());
  await new Promise((r) => setTimeout(r, 200)); // past the initial burst
  counting = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  counting = false;
  const measured = admitted / ((performance.now() - t0) / 1000);
  ac.abort();
  await Promise.allSettled(loops);
  set.close();
  return {
    targetPerSec: target,
    measuredPerSec: measured,
    errorPct: ((measured - target) / target) * 100,
  };
}

async function shards(
  url: string,
  command: string[],
  grid: number,
  seconds: number,
): Promise<MqttBenchResult['shards']> {
  const model = {
    width: grid,
    height: grid,
    seed: 1,
    clock: 'virtual' as const,
    publishFlashes: false,
  };
  const durationMs = seconds * 1000;
  const one = new FireflyExperiment(model);
  await one.start();
  let t0 = performance.now();
  await one.runUntil(durationMs);
  const oneWall = (performance.now() - t0) / 1000;
  const oneFlashes = one.stats().flashes;
  await one.stop();

  const children: ChildProcess[] = [0, 1].map((i) =>
    spawn(command[0], [...command.slice(1), 'fireflies', '--shard', `${i}/2`, '--broker', url], {
      stdio: 'ignore',
    }),
  );
  const coordinator = new MqttShardCoordinator({ ...model, url, shards: 2 });
  try {
    await Promise.race([coordinator.start(), coordinator.failure]);
    t0 = performance.now();
    await Promise.race([coordinator.runUntil(durationMs), coordinator.failure]);
    const twoWall = (performance.now() - t0) / 1000;
    return {
      grid: `${grid}x${grid}`,
      simSeconds: seconds,
      oneProcessSimPerWall: seconds / oneWall,
      twoProcessSimPerWall: seconds / twoWall,
      sameFlashes: coordinator.stats().flashes === oneFlashes,
    };
  } finally {
    await coordinator.stop();
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  }
}

const f0 = (n: number): string => Math.round(n).toLocaleString('en-US');
const f2 = (n: number): string => n.toFixed(2);

/** The result as the tables `cascade bench mqtt` prints. */
export function formatMqttBench(r: MqttBenchResult): string {
  const p = r.params;
  const lines = [
    `cascade bench mqtt: ${f0(p.messages)} messages flooded, ${p.latencySamples} one-at-a-time ` +
      `round trips per broker and QoS; batches of ${p.batch} x ${f0(p.batchPublishes)}`,
    `machine: ${r.machine.cores} cores (${r.machine.cpu}), Node ${r.machine.node}`,
    '',
    'broker     QoS  msgs/s     latency p50 ms  p99 ms',
    ...r.throughput.map(
      (t) =>
        `${t.broker.padEnd(10)} ${String(t.qos).padEnd(4)} ${f0(t.msgsPerSec).padStart(9)}  ` +
        `${f2(t.latencyP50Ms).padStart(14)}  ${f2(t.latencyP99Ms).padStart(6)}`,
    ),
    `mosquitto  0    ${f0(r.batched.msgsPerSec).padStart(9)}  batched: ${r.batched.batch} per publish, ` +
      `${f0(r.batched.publishesPerSec)} publishes/s`,
    '',
    'constraint apply (publish -> a step refused)  p50 ms  p99 ms',
    ...r.apply.map(
      (a) => `${a.path.padEnd(44)} ${f2(a.p50Ms).padStart(6)}  ${f2(a.p99Ms).padStart(6)}`,
    ),
    '',
    'rate limit target/s  measured/s  error',
    ...r.rate.map(
      (x) =>
        `${f0(x.targetPerSec).padStart(19)}  ${f0(x.measuredPerSec).padStart(10)}  ` +
        `${x.errorPct >= 0 ? '+' : ''}${x.errorPct.toFixed(2)}%`,
    ),
  ];
  if (r.shards !== null) {
    const s = r.shards;
    lines.push(
      '',
      `shards (${s.grid}, ${s.simSeconds} simulated s, virtual clock): one process ` +
        `${f2(s.oneProcessSimPerWall)} sim s/wall s, two shard processes through mosquitto ` +
        `${f2(s.twoProcessSimPerWall)} sim s/wall s (same flashes: ${s.sameFlashes ? 'yes' : 'NO'})`,
    );
  }
  return `${lines.join('\n')}\n`;
}
