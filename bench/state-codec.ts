/**
 * What the state stream's encodings buy on real frames: `npx tsx bench/state-codec.ts`.
 * Runs the firefly experiment (virtual clock, seeded) and takes the grid the gateway would
 * send at 30 frames per simulated second, in two phases: early (flashes scattered) and late
 * (synchronised, the grid flashes together). For each phase and view, the bytes per frame of
 * a keyframe and of the gateway's delta (StateFrameEncoder), and what deflate, brotli, lz4
 * and zstd make of each, with the time to compress one frame. Deterministic sizes (a seeded
 * virtual run); times depend on the machine.
 */
import { availableParallelism, cpus } from 'node:os';
import { brotliCompressSync, constants as zlib, deflateRawSync } from 'node:zlib';
import { compress as zstdCompress, init as zstdInit } from '@bokuweb/zstd-wasm';
import lz4 from 'lz4js';
import { numberOption, parseBenchArgs, type BenchUsage } from './args.js';
import { StateFrameEncoder, downsampleMax, type Viewport } from '../src/gateway/index.js';
import { FireflyExperiment, brightnessAt } from '../src/observatory/index.js';

const usage: BenchUsage = {
  script: 'bench/state-codec.ts',
  about:
    'Encodes real firefly frames (virtual clock, seeded) as the gateway would: keyframe and\n' +
    'delta bytes per frame, and the same frames through deflate, brotli, lz4 and zstd, at two\n' +
    'phases of a run (scattered flashes early, synchronised late) and two views.',
  options: [
    ['--side <n>', 'grid side: an n x n torus (default 200)'],
    ['--view <n>', 'also a downsampled n x n view (default 100)'],
    ['--early <s>', 'simulated second of the early phase (default 10)'],
    ['--late <s>', 'simulated second of the late phase (default 400)'],
    ['--frames <n>', 'frames per phase, 30 per simulated second (default 150: one period)'],
    ['--seed <n>', 'random seed (default 1)'],
    ['--levels <n>', 'also the frames quantised to n brightness levels (default 16)'],
    ['--json', 'print the result as JSON'],
  ],
};
const values = parseBenchArgs(usage, {
  options: {
    side: { type: 'string' },
    view: { type: 'string' },
    early: { type: 'string' },
    late: { type: 'string' },
    frames: { type: 'string' },
    seed: { type: 'string' },
    levels: { type: 'string' },
    json: { type: 'boolean' },
  },
});
const int = (option: string, text: string | undefined, dflt: number): number =>
  text === undefined ? dflt : numberOption(usage, option, text, { integer: true, min: 1 });
const params = {
  side: int('--side', values.side, 200),
  view: int('--view', values.view, 100),
  early: int('--early', values.early, 10),
  late: int('--late', values.late, 400),
  frames: int('--frames', values.frames, 150),
  seed: int('--seed', values.seed, 1),
  levels: Math.min(256, int('--levels', values.levels, 16)),
};
if (params.late <= params.early) {
  process.stderr.write('bench/state-codec.ts: --late must be after --early\n');
  process.exit(2);
}
params.view = Math.min(params.view, params.side);
const machine = {
  cores: availableParallelism(),
  cpu: cpus()[0]?.model ?? '?',
  node: process.version,
};

/** A compressor: its name and a function from bytes to bytes. */
type Codec = [name: string, (b: Uint8Array) => Uint8Array];
await zstdInit();
const codecs: Codec[] = [
  ['none', (b) => b],
  ['deflate-1', (b) => deflateRawSync(b, { level: 1 })],
  ['deflate-6', (b) => deflateRawSync(b, { level: 6 })],
  ['brotli-4', (b) => brotliCompressSync(b, { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } })],
  ['lz4', (b) => lz4.compress(b)],
  ['zstd-3', (b) => zstdCompress(b, 3)],
];

interface Row {
  phase: string;
  r: number;
  levels: number;
  view: string;
  kind: 'key' | 'delta';
  codec: string;
  bytes: number;
  usPerFrame: number;
}

/** The frames of one phase: key and delta, per view, as the gateway encodes them. */
function framesOf(
  grids: Uint8Array[],
  side: number,
  cols: number,
): Record<'key' | 'delta', Uint8Array[]> {
  const vp: Viewport = { x: 0, y: 0, w: side, h: side, cols, rows: cols };
  const enc = new StateFrameEncoder();
  const views = grids.map((g) => {
    const v = new Uint8Array(cols * cols);
    downsampleMax(g, side, vp, v);
    return v;
  });
  const key: Uint8Array[] = [];
  const delta: Uint8Array[] = [];
  for (let f = 1; f < views.length; f++) {
    key.push(enc.encode(views[f], null, vp, f + 1, 0).slice());
    delta.push(enc.encode(views[f], views[f - 1], vp, f + 1, 0, f).slice());
  }
  return { key, delta };
}

async function main(): Promise<void> {
  const log = (line: string): void => {
    if (values.json !== true) process.stderr.write(`${line}\n`);
  };
  log(`state codec bench: ${JSON.stringify(params)}`);
  const exp = new FireflyExperiment({
    width: params.side,
    height: params.side,
    clock: 'virtual',
    seed: params.seed,
    publishFlashes: false,
  });
  await exp.start();
  const rows: Row[] = [];
  const frameMs = 1000 / 30;
  for (const [phase, atS] of [
    ['early', params.early],
    ['late', params.late],
  ] as const) {
    log(`running to ${atS} simulated s...`);
    const t0 = atS * 1000;
    await exp.runUntil(t0);
    const grids: Uint8Array[] = [];
    for (let f = 0; f <= params.frames; f++) {
      await exp.runUntil(t0 + Math.round(f * frameMs));
      const g = new Uint8Array(params.side * params.side);
      const now = exp.now();
      for (let i = 0; i < g.length; i++) {
        g[i] = Math.round(brightnessAt(exp.lastFlash[i], now, exp.periodMs) * 255);
      }
      grids.push(g);
    }
    const r = exp.monitor.orderParameter(exp.now());
    // 256 levels as the gateway sends today, and quantised as a viewer's palette shows them
    const step = 256 / params.levels;
    const quantised = grids.map((g) => g.map((b) => Math.floor(b / step) * step));
    for (const [levels, source] of new Map([
      [256, grids],
      [params.levels, quantised],
    ]))
      for (const cols of new Set([params.side, params.view])) {
        const frames = framesOf(source, params.side, cols);
        for (const kind of ['key', 'delta'] as const) {
          for (const [codec, fn] of codecs) {
            for (const frame of frames[kind].slice(0, 5)) fn(frame); // warm up
            let bytes = 0;
            const start = performance.now();
            for (const frame of frames[kind]) bytes += fn(frame).length;
            const us = ((performance.now() - start) * 1000) / frames[kind].length;
            rows.push({
              phase,
              r,
              levels,
              view: `${cols}x${cols}`,
              kind,
              codec,
              bytes: Math.round(bytes / frames[kind].length),
              usPerFrame: us,
            });
          }
        }
      }
  }
  await exp.stop();
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify({ params, machine, rows }, null, 2)}\n`);
    return;
  }
  const k = (n: number): string => Math.round(n).toLocaleString('en-US');
  const lines = [
    `parameters: ${Object.entries(params)
      .map(([a, b]) => `${a}=${b}`)
      .join(' ')}`,
    `machine: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}`,
    '',
    'phase (R)        levels  view         frame  codec       bytes/frame  vs raw key  µs/frame',
  ];
  for (const row of rows) {
    const rawKey = rows.find(
      (x) =>
        x.phase === row.phase &&
        x.view === row.view &&
        x.levels === 256 &&
        x.kind === 'key' &&
        x.codec === 'none',
    )!.bytes;
    lines.push(
      `${`${row.phase} (${row.r.toFixed(2)})`.padEnd(17)}${String(row.levels).padEnd(8)}${row.view.padEnd(13)}${row.kind.padEnd(7)}` +
        `${row.codec.padEnd(12)}${k(row.bytes).padStart(11)}  ${`${(row.bytes / rawKey).toFixed(3)}`.padStart(10)}` +
        `  ${row.usPerFrame.toFixed(0).padStart(8)}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
