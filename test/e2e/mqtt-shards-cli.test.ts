/**
 * `cascade fireflies --shards N --broker URL` and `--shard I/N` as a user runs them: three
 * processes through a real Mosquitto on loopback give the summary of one process (virtual
 * clock, same seed) [SHD-4]; a shard killed mid-run is named by the coordinator, which ends
 * with exit 1 within seconds [SHP-2]; shards end when the coordinator is killed [SHP-5].
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MosquittoProcess } from '../../src/messaging/index.js';
import { eventually } from '../messaging/connector.conformance.js';
import { runCli, startCli, type CliProcess } from './run-cli.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Proc = CliProcess;
const start = (args: string[]): Proc => startCli(['fireflies', ...args]);

const MODEL = ['--grid', '12x12', '--period', '0.5', '--nudge', '0.025', '--jitter', '0.02'];

describe('cascade fireflies --shards / --shard over Mosquitto', () => {
  const procs: Proc[] = [];
  let broker: MosquittoProcess | null = null;
  /** A live run (real clock, 600 s) on two shard processes and a coordinator given `extra`. */
  function startLiveRun(url: string, extra: string[] = []): { coordinator: Proc; shards: Proc[] } {
    const coordinator = start([
      ...MODEL,
      ...['--clock', 'real', '--duration', '600', '--no-visualize'],
      ...['--shards', '2', '--broker', url, ...extra],
    ]);
    const shards = [
      start(['--shard', '0/2', '--broker', url]),
      start(['--shard', '1/2', '--broker', url]),
    ];
    procs.push(coordinator, ...shards);
    return { coordinator, shards };
  }
  afterEach(async () => {
    for (const p of procs.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await broker?.stop();
    broker = null;
  });

  it('bad usage of --shard / --shards: exit 2 with one line naming the problem', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--shard', '0/2'], /--shard needs --broker/],
      [['--shard', '2/2', '--broker', 'mqtt://127.0.0.1:1'], /index must be below 2/],
      [['--shard', 'x', '--broker', 'mqtt://127.0.0.1:1'], /--shard must be I\/N/],
      [['--shards', '2', '--shard', '0/2', '--broker', 'mqtt://127.0.0.1:1'], /not both/],
      [['--shards', '2', '--workers', '2', '--broker', 'mqtt://127.0.0.1:1'], /--workers/],
      [['--shard', '0/2', '--broker', 'notaurl'], /invalid url: notaurl .*mqtt:\/\/HOST:PORT/],
      [['--shards', '2', '--broker', 'localhost:1883'], /invalid url: localhost:1883/],
      [
        ['--shard', '0/2', '--broker', 'mqtt://127.0.0.1:1', '--control'],
        /--control goes on the coordinator/,
      ],
      [
        ['--shards', '2', '--broker', 'mqtt://127.0.0.1:1', '--control', '18831'],
        /--control without a port/,
      ],
      [
        ['--grid', '4x4', '--shards', '5', '--broker', 'mqtt://127.0.0.1:1'],
        /at most the grid's height/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = runCli(['fireflies', ...args], 20_000);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 60_000);

  it('three processes give the summary of one (virtual clock, same seed) [SHD-4]', async () => {
    broker = await MosquittoProcess.start();
    const url = broker.url;
    procs.push(
      start(['--shard', '0/2', '--broker', url]),
      start(['--shard', '1/2', '--broker', url]),
    );
    const run = [
      '--clock',
      'virtual',
      '--duration',
      '4',
      '--seed',
      '11',
      '--no-visualize',
      '--json',
    ];
    const coordinator = start([...MODEL, ...run, '--shards', '2', '--broker', url]);
    procs.push(coordinator);
    expect(await coordinator.exited, coordinator.err()).toBe(0);
    const one = runCli(['fireflies', ...MODEL, ...run]);
    expect(one.code, one.stderr).toBe(0);
    const a = JSON.parse(coordinator.out()) as Record<string, unknown>;
    const b = JSON.parse(one.stdout) as Record<string, unknown>;
    for (const key of ['flashes', 'discardedPulses', 'droppedPulses', 'finalR', 'rSeries']) {
      expect(a[key], key).toEqual(b[key]);
    }
    expect(a.flashes).toBeGreaterThan(144 * 5);
    expect(a.shardProcesses).toBe(2);
    for (const shard of procs.slice(0, 2)) {
      expect(await shard.exited, shard.err()).toBe(0);
      expect(shard.out()).toMatch(/border flashes received/);
    }
  }, 60_000);

  it('keeps real time through a Mosquitto as installed, Nagle on (x0.05 before) [SHP-6]', async () => {
    broker = await MosquittoProcess.start({ tcpNoDelay: false });
    const url = broker.url;
    procs.push(
      start(['--shard', '0/2', '--broker', url]),
      start(['--shard', '1/2', '--broker', url]),
    );
    const coordinator = start([
      ...MODEL,
      '--clock',
      'real',
      '--duration',
      '4',
      '--no-visualize',
      '--json',
      '--shards',
      '2',
      '--broker',
      url,
    ]);
    procs.push(coordinator);
    expect(await coordinator.exited, coordinator.err()).toBe(0);
    const s = JSON.parse(coordinator.out()) as { pace: { achieved: number }; flashes: number };
    // each round waited out a 40 ms delayed acknowledgement before: 0.05 of real time
    expect(s.pace.achieved).toBeGreaterThan(0.5);
    expect(s.flashes).toBeGreaterThan(144 * 4);
  }, 60_000);

  it('a shard killed mid-run is named and the run ends with exit 1 [SHP-2]', async () => {
    broker = await MosquittoProcess.start();
    const url = broker.url;
    const { coordinator, shards } = startLiveRun(url);
    await eventually(
      () => /t=[1-9]\d*\.\d+s/.test(coordinator.out()),
      45_000,
      'a running run',
    ).catch((e: Error) => {
      throw new Error(
        `${e.message}: ${coordinator.err()}\nstdout: ${coordinator.out()}\n` +
          shards.map((s, i) => `shard ${i}: ${s.err()}`).join('\n'),
      );
    });
    const killedAt = Date.now();
    shards[1].child.kill('SIGKILL');
    const code = await coordinator.exited;
    const noticedMs = Date.now() - killedAt;
    expect(code).toBe(1);
    expect(coordinator.err()).toMatch(/shard 1 failed: .*went away.*CASCADE_ERR_SHARD_FAILED/);
    expect(noticedMs).toBeLessThan(2_500);
    expect(await shards[0].exited, shards[0].err()).toBe(0); // told to stop
  }, 60_000);

  it('--shards N --control: cascade ctl pauses, resumes and limits every shard through the broker [SLIM-1]', async () => {
    broker = await MosquittoProcess.start();
    const url = broker.url;
    const { coordinator, shards } = startLiveRun(url, ['--control']);
    // the simulated time of the progress lines (t=12.3s)
    const simTimes = (): number[] =>
      [...coordinator.out().matchAll(/t=(\d+\.\d+)s/g)].map((m) => Number(m[1]));
    const lastSim = (): number => simTimes().at(-1) ?? 0;
    await eventually(() => lastSim() >= 1, 45_000, 'a running run').catch((e: Error) => {
      throw new Error(`${e.message}: ${coordinator.err()}\nstdout: ${coordinator.out()}`);
    });
    expect(coordinator.err()).toContain(`control: ${url}`);

    const paused = runCli(['ctl', 'pause', 'global', '--broker', url], 20_000);
    expect(paused.code, paused.stderr).toBe(0);
    await sleep(1000); // the pause arrives and the round in flight ends
    const atPause = lastSim();
    const linesAtPause = simTimes().length;
    await sleep(2000);
    expect(simTimes().length).toBeGreaterThan(linesAtPause); // still reporting, not hung
    expect(lastSim()).toBe(atPause);

    const resumed = runCli(['ctl', 'resume', 'global', '--broker', url], 20_000);
    expect(resumed.code, resumed.stderr).toBe(0);
    await eventually(() => lastSim() > atPause, 10_000, 'simulated time going on after resume');

    // a rate limit: each shard takes half [SLIM-1]; 144 fireflies of a 0.5 s period step
    // thousands of times a simulated second, so at 100 steps/s time crawls
    const advance = async (ms: number): Promise<number> => {
      const a = lastSim();
      await sleep(ms);
      return lastSim() - a;
    };
    const limited = runCli(['ctl', 'limit', 'global', '--rate', '100/s', '--broker', url], 20_000);
    expect(limited.code, limited.stderr).toBe(0);
    await sleep(1500);
    expect(await advance(3000)).toBeLessThan(0.8);
    expect(coordinator.err()).not.toMatch(/not applied/);
    expect(runCli(['ctl', 'clear', 'global', '--broker', url], 20_000).code).toBe(0);
    await sleep(1500);
    expect(await advance(3000)).toBeGreaterThan(1.5);

    coordinator.child.kill('SIGINT');
    expect(await coordinator.exited, coordinator.err()).toBe(0);
    for (const shard of shards) expect(await shard.exited, shard.err()).toBe(0);
  }, 90_000);

  it('shards end when the coordinator is killed [SHP-5]', async () => {
    broker = await MosquittoProcess.start();
    const url = broker.url;
    const { coordinator, shards } = startLiveRun(url);
    await eventually(() => /t=[1-9]\d*\.\d+s/.test(coordinator.out()), 45_000, 'a running run');
    coordinator.child.kill('SIGKILL');
    for (const shard of shards) {
      expect(await shard.exited).toBe(1);
      expect(shard.err()).toMatch(/CASCADE_ERR_COORDINATOR_LOST/);
    }
  }, 60_000);
});
