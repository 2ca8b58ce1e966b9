/**
 * The control plane as a user drives it: a real `cascade fireflies --control PORT` child
 * process, paused, limited and resumed by `cascade ctl` run as other processes, its events
 * followed over MQTT (what `cascade watch` shows), `cascade ctl status` reading the retained
 * constraints. With no broker installed (the run serves its own, Aedes, on loopback) and
 * across processes through a real Mosquitto (`--control --broker`).
 */
import { describe, expect, it } from 'vitest';
import {
  ControlClient,
  MosquittoProcess,
  freePort,
  type RunEvent,
} from '../../src/messaging/index.js';
import { eventually } from '../messaging/connector.conformance.js';
import { runCli, startCli, type CliProcess } from './run-cli.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const startFireflies = (args: string[]): CliProcess => startCli(['fireflies', ...args]);

describe('cascade ctl / watch against cascade fireflies --control', () => {
  for (const broker of ['embedded', 'mosquitto'] as const) {
    it(`pauses, limits and resumes a live run from a second process (${broker} broker)`, async () => {
      const port = await freePort();
      const mosquitto = broker === 'mosquitto' ? await MosquittoProcess.start({ port }) : null;
      const url = `mqtt://127.0.0.1:${port}`;
      const controlArgs =
        mosquitto === null ? ['--control', String(port)] : ['--control', '--broker', url];
      const run = startFireflies([
        '--grid',
        '20x20',
        '--no-visualize',
        '--clock',
        'real',
        '--speed',
        '5',
        ...controlArgs,
        '--duration',
        '600',
        '--json',
      ]);
      try {
        await eventually(
          () => run.err().includes(`control: ${url}`),
          20_000,
          'the control broker',
        ).catch((e: Error) => {
          throw new Error(`${e.message}; stderr: ${run.err()}`);
        });
        const watcher = await ControlClient.connect(url, 'test-watch');
        const samples: Array<{ at: number; t: number }> = [];
        const events: RunEvent[] = [];
        const w = watcher.watch((e) => {
          events.push(e);
          if (e.type === 'sample') samples.push({ at: Date.now(), t: (e.data as { t: number }).t });
        });
        await w.ready;
        await eventually(() => samples.length >= 2, 20_000, 'samples of a running run');

        const paused = runCli(['ctl', 'pause', 'group:fireflies', '--broker', url], 20_000);
        expect(paused.code, paused.stderr).toBe(0);
        await eventually(
          () =>
            events.some(
              (e) =>
                e.type === 'constraint' &&
                (e.data as { type: string }).type === 'ConstraintApplied',
            ),
          5000,
          'the run applied the pause',
        );
        await sleep(300);
        const atPause = samples.length;
        await sleep(1500); // at x5 a running run samples R 7 times in 1.5 s
        expect(samples.length).toBe(atPause);

        const limited = runCli(
          ['ctl', 'limit', 'global', '--concurrency', '10', '--broker', url],
          20_000,
        );
        expect(limited.code, limited.stderr).toBe(0);
        const status = runCli(['ctl', 'status', '--json', '--broker', url], 20_000);
        expect(status.code, status.stderr).toBe(0);
        const s = JSON.parse(status.stdout) as {
          constraints: unknown[];
          runs: Record<string, unknown>;
        };
        expect(s.constraints).toEqual([
          { scope: 'global', kind: 'concurrency', limit: 10 },
          { scope: 'group:fireflies', kind: 'pause' },
        ]);
        expect(Object.keys(s.runs)).toEqual([`fireflies-${run.child.pid}`]);

        const resumed = runCli(['ctl', 'resume', 'group:fireflies', '--broker', url], 20_000);
        expect(resumed.code, resumed.stderr).toBe(0);
        await eventually(() => samples.length >= atPause + 2, 10_000, 'samples after resume');
        // simulated time went on from where it stopped: no jump over the paused wall time
        const last = samples.at(-1)!;
        const before = samples[atPause - 1];
        expect(last.t - before.t).toBeLessThan(((last.at - before.at) / 1000) * 5);

        const bad = runCli(
          ['ctl', 'limit', 'global', '--concurrency', '0', '--broker', url],
          20_000,
        );
        expect(bad.code).toBe(2);
        w.stop();
        await watcher.close();
      } finally {
        run.child.kill('SIGINT');
      }
      expect(await run.exited).toBe(0);
      const summary = JSON.parse(run.out()) as { cancelled: boolean; agents: number };
      expect(summary).toMatchObject({ cancelled: true, agents: 400 });
      if (mosquitto !== null) {
        // the constraints stay retained on a real broker: clear them for the next run
        expect(runCli(['ctl', 'clear', 'global', '--broker', url], 20_000).code).toBe(0);
        await mosquitto.stop();
      }
    });
  }

  it('limits a run on two worker threads: a rate limit slows every shard, clearing it restores the pace [SLIM-1]', async () => {
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    const run = startFireflies([
      '--grid',
      '20x20',
      '--workers',
      '2',
      '--no-visualize',
      '--clock',
      'real',
      '--speed',
      '5',
      '--control',
      String(port),
      '--duration',
      '600',
    ]);
    // simulated seconds of the last progress line (one a wall second)
    const sim = (): number => Number([...run.out().matchAll(/t=(\d+\.\d+)s/g)].at(-1)?.[1] ?? 0);
    /**
     * Simulated seconds the run advances in `ms` of wall time, as the progress lines say: one
     * a wall second, so at x5 a 2 s window sees 5, 10 or 15 (a line late by a moment falls
     * out of it): a running run shows more than 4, a held one about 0.
     */
    const advance = async (ms: number): Promise<number> => {
      const a = sim();
      await sleep(ms);
      return sim() - a;
    };
    try {
      await eventually(() => sim() >= 2, 30_000, 'a running run').catch((e: Error) => {
        throw new Error(`${e.message}; stderr: ${run.err()}; stdout: ${run.out()}`);
      });
      expect(await advance(2000)).toBeGreaterThan(4); // x5: about 10 simulated s in 2 s
      // 400 fireflies step about 800 times a simulated second (ends of refractory times,
      // flashes, pulses heard): at 100 steps/s, x5 cannot be kept
      const limited = runCli(
        ['ctl', 'limit', 'global', '--rate', '100/s', '--broker', url],
        20_000,
      );
      expect(limited.code, limited.stderr).toBe(0);
      await sleep(1500);
      expect(await advance(3000)).toBeLessThan(3);
      const cleared = runCli(['ctl', 'clear', 'global', '--broker', url], 20_000);
      expect(cleared.code, cleared.stderr).toBe(0);
      await sleep(1500);
      expect(await advance(2000)).toBeGreaterThan(4);
      expect(run.err()).not.toMatch(/not applied/);
    } finally {
      run.child.kill('SIGINT');
    }
    expect(await run.exited, run.err()).toBe(0);
  });

  it('ctl without a run to reach fails with MQTT_CONNECT_FAILED, exit 1', async () => {
    const port = await freePort();
    const r = runCli(['ctl', 'status', '--broker', `mqtt://127.0.0.1:${port}`], 20_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('CASCADE_ERR_MQTT_CONNECT_FAILED');
  });
});
