/**
 * `cascade fireflies --serve`: a real CLI process serves its run over the gateway; a real
 * WebSocket client watches the grid and the events, and pauses, resumes and speeds up the run
 * (DESIGN: the control stream steers the run as the live view's keys do [OBS-2]).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { STATE_HEADER_BYTES } from '../../src/gateway/index.js';
import { TestClient, sleep, type Msg } from '../gateway/client.js';
import { cli, root, runCli } from './run-cli.js';

let child: ChildProcessWithoutNullStreams | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

/** Start `cascade fireflies ... --serve 0` and wait for the URL it prints. */
async function serve(args: string[]): Promise<{ ws: string; page: string; out: () => string }> {
  const p = spawn(process.execPath, [cli, 'fireflies', ...args, '--serve', '0'], { cwd: root });
  child = p;
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const url = await new Promise<RegExpExecArray>((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`no URL printed; stderr: ${stderr}`)), 15_000);
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /serving (http:\S+) \(WebSocket (ws:\S+)\)/.exec(stderr);
      if (m !== null) {
        clearTimeout(t);
        ok(m);
      }
    });
  });
  return { page: url[1], ws: url[2], out: () => stdout };
}

const samples = (c: TestClient): Msg[] =>
  c.inbox.filter((m) => m.type === 'event' && m.event === 'sample');

describe('cascade fireflies --serve', () => {
  it('streams the grid and R, and pause / resume / speed steer the running experiment', async () => {
    const run = await serve([
      '--grid',
      '20x20',
      '--no-visualize',
      '--clock',
      'real',
      '--duration',
      '600',
    ]);
    const c = await TestClient.open(run.ws);
    expect(c.hello.state).toMatchObject({ width: 20, height: 20 });
    expect(c.hello.control?.commands).toEqual(['pause', 'resume', 'speed', 'limit']);
    c.send({ type: 'resume', epoch: c.hello.epoch, lastSeq: 0 });
    c.send({ type: 'subscribe', streams: ['state'] });
    const started = await c.next((m) => m.type === 'event' && m.event === 'run-started', 10_000);
    expect(started.data).toMatchObject({ agents: 400, clock: 'real', workers: 1 });
    await c.waitFrames(5, 5000);
    // the grid's flashes reach the viewer: some frame carries a lit cell
    await c.waitFrames(40, 5000);
    expect(c.frames.some((f) => f.subarray(STATE_HEADER_BYTES).some((b) => b > 0))).toBe(true);
    // a sample each simulated second at x1
    await c.next((m) => m.type === 'event' && m.event === 'sample', 5000);

    c.send({ type: 'control', id: 1, cmd: 'pause' });
    expect((await c.nextOf('ack')).id).toBe(1);
    await sleep(300); // a sample already on its way may still land
    const before = samples(c).length;
    await sleep(2000);
    expect(samples(c).length).toBe(before); // simulated time stands still

    c.send({ type: 'control', id: 2, cmd: 'resume' });
    expect((await c.nextOf('ack')).id).toBe(2);
    c.send({ type: 'control', id: 3, cmd: 'speed', args: { x: 20 } });
    expect(await c.nextOf('ack')).toMatchObject({ id: 3, result: { speed: 20 } });
    await sleep(1500);
    const ts = samples(c).map((m) => (m.data as { t: number }).t);
    expect(ts.length).toBeGreaterThan(before + 10); // x20: about 20 samples a wall second
    // every sample is one simulated second after the one before: pacing never reshapes time
    for (let i = 1; i < ts.length; i++) expect(ts[i] - ts[i - 1]).toBeCloseTo(1, 6);

    // a run without --limit refuses a limit, and goes on
    c.send({ type: 'control', id: 4, cmd: 'limit', args: { n: 5 } });
    const nack = await c.nextOf('nack');
    expect(nack).toMatchObject({ id: 4, code: 'CASCADE_ERR_COMMAND_FAILED' });
    expect(String(nack.message)).toMatch(/without a limit/);

    const exited = new Promise<number | null>((ok) => child?.on('exit', (code) => ok(code)));
    child?.kill('SIGINT');
    const ended = await c.next((m) => m.type === 'event' && m.event === 'run-ended', 10_000);
    expect(ended.data).toMatchObject({ cancelled: true });
    expect(await exited).toBe(0);
    expect(run.out()).toMatch(/paused \d/); // the summary counts the paused wall time
    await c.closed;
  }, 60_000);

  it('refuses a port in use before the run starts (exit 2, one line)', async () => {
    const blocker = createServer();
    await new Promise<void>((ok) => blocker.listen(0, '127.0.0.1', ok));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = runCli(['fireflies', '--no-visualize', '--serve', String(port)], 20_000);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`cascade: --serve 127.0.0.1:${port}: the port is in use\n`);
      expect(r.stdout).toBe('');
    } finally {
      blocker.close();
    }
  });

  it('refuses a non-loopback address without a token secret', () => {
    const r = runCli(['fireflies', '--no-visualize', '--serve', '0.0.0.0:0'], 20_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs CASCADE_GATEWAY_SECRET/);
  });
});
