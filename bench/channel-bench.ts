/**
 * The channel benchmark (issue 3): the reference scenario of the Python original, `P`
 * producers sending `M` messages each to their `F` neighbours on a ring, through every way
 * Cascade agents can talk, plus two peers:
 *
 * - `localbus`: LocalBus, one topic per producer, F subscribers per topic (exact patterns).
 * - `localbus-wildcard`: the same with wildcard patterns (`ring/<i>/+`, `+/<i>/flash`,
 *   `ring/<i>/#`, in turn); `-nocache` also turns the broker's match memo off, so every
 *   publish walks the trie.
 * - `direct`: one DirectChannel per agent, F `send`s per message, each consumer draining its
 *   inbox with `tryRecv` after every round of the P producers.
 * - `eventemitter`: Node's EventEmitter, exact topics (no wildcards exist there).
 * - `mqemitter`, `mqemitter-wildcard`: the emitter inside the Aedes broker, same topics and
 *   patterns.
 *
 * Every scenario delivers P*M*F messages (checked: a wrong count throws). Throughput counts
 * delivered messages. Latency is measured from just before the send/publish to the handler
 * (`performance.now()`, every `sampleEvery`-th message) and reported as p50/p99 in µs. Each
 * scenario runs `repetitions` times, interleaved with the others; the row is the run with the
 * median throughput. Numbers are never pass/fail: this is a measurement, not a test.
 *
 * A benchmark, not part of the library: it lives in bench/ with its peers (mqemitter is a
 * devDependency) and runs as `npx tsx bench/channels.ts` or `cascade bench channels`.
 */
import { EventEmitter } from 'node:events';
import { availableParallelism, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import mqemitter from 'mqemitter';
import { InvalidArgumentError } from '../src/errors.js';
import { medianOf } from '../src/observatory/metrics/index.js';
import { DirectChannel, EMPTY, LocalBroker, LocalBus } from '../src/messaging/index.js';

/** Options of {@link runChannelBench}. */
export interface ChannelBenchOptions {
  /** Number of producers (agents on the ring), default 100. */
  producers?: number;
  /** Messages each producer sends, default 5000. */
  messages?: number;
  /** Neighbours each message reaches, default 8. */
  fanout?: number;
  /** Runs per scenario; the median is reported. Default 5. */
  repetitions?: number;
  /** Sample the latency of every n-th message, default 64. */
  sampleEvery?: number;
  /** Only these scenarios (default: all). */
  scenarios?: readonly ScenarioName[];
}

/** The scenarios, in the order they are reported. */
export const SCENARIOS = [
  'localbus',
  'localbus-wildcard',
  'localbus-wildcard-nocache',
  'direct',
  'eventemitter',
  'mqemitter',
  'mqemitter-wildcard',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** One scenario's result. */
export interface ChannelBenchRow {
  scenario: ScenarioName;
  delivered: number;
  /** Median over the repetitions. */
  msgsPerSec: number;
  /** Latency send -> handler of the median run, µs. */
  p50Us: number;
  p99Us: number;
  /** Every repetition's throughput, in run order. */
  runs: number[];
}

/** What {@link runChannelBench} returns (and `--json` prints). */
export interface ChannelBenchResult {
  params: Required<Omit<ChannelBenchOptions, 'scenarios'>> & { scenarios: ScenarioName[] };
  machine: { cores: number; cpu: string; node: string; platform: string };
  rows: ChannelBenchRow[];
  /** Ratios measured side by side in this run (median over repetitions of paired runs). */
  ratios: {
    localbusVsMqemitter: number;
    wildcardVsMqemitterWildcard: number;
    directVsLocalbus: number;
    localbusVsEventEmitter: number;
  };
  /** The Python original on this kind of machine, msgs/s, for reference. */
  reference: { pythonBus: number; pythonDirect: number; busTarget: number; directTarget: number };
}

interface Msg {
  from: number;
  t: number;
}

/** The latency sink and delivery counter every scenario's handler feeds. */
class Sink {
  delivered = 0;
  n = 0;
  constructor(readonly lat: Float64Array) {}
  take(m: Msg): void {
    this.delivered++;
    if (m.t !== 0 && this.n < this.lat.length) this.lat[this.n++] = performance.now() - m.t;
  }
}

interface Run {
  seconds: number;
  sink: Sink;
}

type Params = ChannelBenchResult['params'];

function neighbours(p: number, producers: number, fanout: number): number[] {
  const out: number[] = [];
  for (let d = 1; out.length < fanout; d++) {
    out.push((p + d) % producers);
    if (out.length < fanout) out.push((p - d + producers * d) % producers);
  }
  return out;
}

function newSink(o: Params): Sink {
  const samples = Math.ceil((o.producers * o.messages) / o.sampleEvery) * o.fanout + o.fanout;
  return new Sink(new Float64Array(samples));
}

/** Drive P producers x M messages through `send(p, msg)`; `afterRound` runs after each round. */
function drive(o: Params, send: (p: number, m: Msg) => void, afterRound?: () => void): number {
  const every = o.sampleEvery;
  let k = 0;
  const t0 = performance.now();
  for (let r = 0; r < o.messages; r++) {
    for (let p = 0; p < o.producers; p++) {
      const m: Msg = { from: p, t: 0 };
      if (++k === every) {
        k = 0;
        m.t = performance.now();
      }
      send(p, m);
    }
    if (afterRound !== undefined) afterRound();
  }
  return (performance.now() - t0) / 1000;
}

const WILDCARD_FORMS = [
  (i: number) => `ring/${i}/+`,
  (i: number) => `+/${i}/flash`,
  (i: number) => `ring/${i}/#`,
];

async function runLocalBus(o: Params, wildcard: boolean, cache: boolean): Promise<Run> {
  const broker = new LocalBroker(cache ? {} : { matchCacheSize: 0 });
  const bus = new LocalBus({ broker, name: 'bench' });
  await bus.connect();
  const sink = newSink(o);
  const handler = (_t: string, payload: unknown): void => sink.take(payload as Msg);
  const topics: string[] = [];
  for (let p = 0; p < o.producers; p++) {
    topics.push(wildcard ? `ring/${p}/flash` : `p/${p}`);
    neighbours(p, o.producers, o.fanout).forEach((_c, j) =>
      bus.subscribe(wildcard ? WILDCARD_FORMS[j % 3](p) : `p/${p}`, handler),
    );
  }
  const seconds = drive(o, (p, m) => void bus.publish(topics[p], m));
  await bus.disconnect();
  return { seconds, sink };
}

function runDirect(o: Params): Run {
  const sink = newSink(o);
  const inboxes: DirectChannel<Msg>[] = [];
  for (let c = 0; c < o.producers; c++) {
    inboxes.push(new DirectChannel<Msg>({ owner: `agent-${c}`, capacity: 2 * o.fanout }));
  }
  const targets = inboxes.map((_, p) =>
    neighbours(p, o.producers, o.fanout).map((c) => inboxes[c]),
  );
  const seconds = drive(
    o,
    (p, m) => {
      const out = targets[p];
      for (let j = 0; j < out.length; j++) out[j].send(m);
    },
    () => {
      for (let c = 0; c < inboxes.length; c++) {
        const inbox = inboxes[c];
        for (let m = inbox.tryRecv(); m !== EMPTY; m = inbox.tryRecv()) sink.take(m);
      }
    },
  );
  return { seconds, sink };
}

function runEventEmitter(o: Params): Run {
  const sink = newSink(o);
  const ee = new EventEmitter();
  ee.setMaxListeners(0);
  const handler = (m: Msg): void => sink.take(m);
  const topics: string[] = [];
  for (let p = 0; p < o.producers; p++) {
    topics.push(`p/${p}`);
    for (let j = 0; j < o.fanout; j++) ee.on(topics[p], handler);
  }
  const seconds = drive(o, (p, m) => void ee.emit(topics[p], m));
  return { seconds, sink };
}

async function runMqemitter(o: Params, wildcard: boolean): Promise<Run> {
  const sink = newSink(o);
  const mq = mqemitter();
  const handler = (msg: mqemitter.Message, done: () => void): void => {
    sink.take(msg.payload as Msg);
    done();
  };
  const topics: string[] = [];
  for (let p = 0; p < o.producers; p++) {
    topics.push(wildcard ? `ring/${p}/flash` : `p/${p}`);
    for (let j = 0; j < o.fanout; j++)
      mq.on(wildcard ? WILDCARD_FORMS[j % 3](p) : `p/${p}`, handler);
  }
  const seconds = drive(o, (p, m) => mq.emit({ topic: topics[p], payload: m }));
  await new Promise<void>((resolve) => mq.close(resolve));
  return { seconds, sink };
}

function runScenario(name: ScenarioName, o: Params): Promise<Run> | Run {
  switch (name) {
    case 'localbus':
      return runLocalBus(o, false, true);
    case 'localbus-wildcard':
      return runLocalBus(o, true, true);
    case 'localbus-wildcard-nocache':
      return runLocalBus(o, true, false);
    case 'direct':
      return runDirect(o);
    case 'eventemitter':
      return runEventEmitter(o);
    case 'mqemitter':
      return runMqemitter(o, false);
    case 'mqemitter-wildcard':
      return runMqemitter(o, true);
  }
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function checkInt(option: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidArgumentError(option, value, `must be an integer >= ${min}`);
  }
}

/**
 * Validate and complete the options (throws InvalidArgumentError naming the option).
 *
 * @example
 * ```ts
 * resolveChannelBenchOptions({ producers: 10 }); // { producers: 10, messages: 5000, ... }
 * ```
 */
export function resolveChannelBenchOptions(opts: ChannelBenchOptions = {}): Params {
  const p: Params = {
    producers: opts.producers ?? 100,
    messages: opts.messages ?? 5000,
    fanout: opts.fanout ?? 8,
    repetitions: opts.repetitions ?? 5,
    sampleEvery: opts.sampleEvery ?? 64,
    scenarios: [...(opts.scenarios ?? SCENARIOS)],
  };
  checkInt('producers', p.producers, 2);
  checkInt('messages', p.messages, 1);
  checkInt('fanout', p.fanout, 1);
  checkInt('repetitions', p.repetitions, 1);
  checkInt('sampleEvery', p.sampleEvery, 1);
  if (p.fanout > p.producers - 1) {
    throw new InvalidArgumentError(
      'fanout',
      p.fanout,
      `must be at most producers - 1 (${p.producers - 1})`,
    );
  }
  for (const s of p.scenarios) {
    if (!SCENARIOS.includes(s)) {
      throw new InvalidArgumentError('scenario', s, `must be one of ${SCENARIOS.join(', ')}`);
    }
  }
  return p;
}

/**
 * Run the channel benchmark. `onProgress` is told after each run.
 *
 * @example
 * ```ts
 * const result = await runChannelBench({ producers: 100, messages: 5000, fanout: 8 });
 * console.log(formatChannelBench(result));
 * ```
 */
export async function runChannelBench(
  opts: ChannelBenchOptions = {},
  onProgress?: (scenario: ScenarioName, repetition: number, msgsPerSec: number) => void,
): Promise<ChannelBenchResult> {
  const o = resolveChannelBenchOptions(opts);
  const expected = o.producers * o.messages * o.fanout;
  const runs = new Map<ScenarioName, Array<{ rate: number; lat: Float64Array }>>();
  for (const s of o.scenarios) runs.set(s, []);
  for (let rep = 0; rep < o.repetitions; rep++) {
    for (const s of o.scenarios) {
      const { seconds, sink } = await runScenario(s, o);
      if (sink.delivered !== expected) {
        throw new Error(`${s}: delivered ${sink.delivered} messages, expected ${expected}`);
      }
      const rate = sink.delivered / seconds;
      runs.get(s)!.push({ rate, lat: sink.lat.slice(0, sink.n).sort() });
      onProgress?.(s, rep, rate);
      await new Promise((r) => setImmediate(r)); // let timers and I/O breathe between runs
    }
  }
  const rows: ChannelBenchRow[] = o.scenarios.map((s) => {
    const rs = runs.get(s)!;
    const med = medianOf(rs.map((r) => r.rate));
    const closest = rs.reduce((a, b) => (Math.abs(b.rate - med) < Math.abs(a.rate - med) ? b : a));
    return {
      scenario: s,
      delivered: expected,
      msgsPerSec: med,
      p50Us: percentile(closest.lat, 0.5) * 1000,
      p99Us: percentile(closest.lat, 0.99) * 1000,
      runs: rs.map((r) => r.rate),
    };
  });
  // Ratios pair runs of the same repetition (run back to back), then take the median: on a
  // shared, noisy machine this is steadier than a ratio of two medians.
  const ratio = (a: ScenarioName, b: ScenarioName): number => {
    const ra = runs.get(a);
    const rb = runs.get(b);
    if (ra === undefined || rb === undefined) return NaN;
    return medianOf(ra.map((r, i) => r.rate / rb[i].rate));
  };
  return {
    params: o,
    machine: {
      cores: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    rows,
    ratios: {
      localbusVsMqemitter: ratio('localbus', 'mqemitter'),
      wildcardVsMqemitterWildcard: ratio('localbus-wildcard', 'mqemitter-wildcard'),
      directVsLocalbus: ratio('direct', 'localbus'),
      localbusVsEventEmitter: ratio('localbus', 'eventemitter'),
    },
    reference: {
      pythonBus: 0.57e6,
      pythonDirect: 0.82e6,
      busTarget: 15 * 0.57e6,
      directTarget: 30 * 0.82e6,
    },
  };
}

const fmtRate = (x: number): string => (Number.isFinite(x) ? `${(x / 1e6).toFixed(2)} M/s` : 'n/a');
const fmtUs = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const fmtX = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}x` : 'n/a');

/**
 * The human-readable report: parameters, machine, one row per scenario, ratios.
 *
 * @example
 * ```ts
 * process.stdout.write(formatChannelBench(await runChannelBench()));
 * ```
 */
export function formatChannelBench(r: ChannelBenchResult): string {
  const p = r.params;
  const lines = [
    `channel benchmark: ${p.producers} producers x ${p.messages} messages, fan-out ${p.fanout} ` +
      `(neighbour ring), ${p.repetitions} repetitions (median), latency sampled 1/${p.sampleEvery}`,
    `machine: ${r.machine.cores} cores, ${r.machine.cpu}, Node ${r.machine.node}, ${r.machine.platform}`,
    '',
  ];
  const head = ['scenario', 'delivered', 'msgs/s (median)', 'p50 µs', 'p99 µs', 'runs (M/s)'];
  const body = r.rows.map((row) => [
    row.scenario,
    String(row.delivered),
    fmtRate(row.msgsPerSec),
    fmtUs(row.p50Us),
    fmtUs(row.p99Us),
    row.runs.map((x) => (x / 1e6).toFixed(1)).join(' '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ');
  lines.push(line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line), '');
  const ref = r.reference;
  lines.push(
    `paired ratios: LocalBus vs mqemitter ${fmtX(r.ratios.localbusVsMqemitter)} (exact), ` +
      `${fmtX(r.ratios.wildcardVsMqemitterWildcard)} (wildcard); LocalBus vs EventEmitter ` +
      `${fmtX(r.ratios.localbusVsEventEmitter)}; direct vs LocalBus ${fmtX(r.ratios.directVsLocalbus)}`,
    `vs the Python original (bus ${fmtRate(ref.pythonBus)}, direct ${fmtRate(ref.pythonDirect)}): ` +
      `bus ${fmtX(rateOf(r, 'localbus') / ref.pythonBus)} (aim 15x = ${fmtRate(ref.busTarget)}), ` +
      `direct ${fmtX(rateOf(r, 'direct') / ref.pythonDirect)} (aim 30x = ${fmtRate(ref.directTarget)})`,
  );
  return lines.join('\n') + '\n';
}

function rateOf(r: ChannelBenchResult, s: ScenarioName): number {
  return r.rows.find((row) => row.scenario === s)?.msgsPerSec ?? NaN;
}
