/**
 * The state stream over real sockets: keyframe + deltas reconstruct exactly the source's
 * snapshots, a viewport is max-downsampled server-side, a client that stops reading has its
 * frames skipped (counted) with its buffer bounded, and catches up consistently after.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import {
  Gateway,
  StateFrameDecoder,
  readStateFrameHeader,
  type StateSource,
} from '../../src/gateway/index.js';
import { TestClient, sleep } from './client.js';
import { naiveDownsample } from './reference.js';

const open: Gateway[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((g) => g.close()));
});

/**
 * A flashing grid: each snapshot changes about `share` of the cells (a flash of 255 that
 * decays), and keeps a copy of every snapshot it handed out, by tick (1, 2, ...).
 */
function flashingSource(width: number, height: number, share: number, keep = true) {
  const grid = new Uint8Array(width * height);
  const history: Uint8Array[] = [];
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const source: StateSource = {
    width,
    height,
    snapshot(out) {
      for (let i = 0; i < grid.length; i++) if (grid[i] > 0) grid[i] = Math.max(0, grid[i] - 40);
      const flashes = Math.ceil(grid.length * share);
      for (let k = 0; k < flashes; k++) grid[Math.floor(rand() * grid.length)] = 255;
      out.set(grid);
      if (keep) history.push(new Uint8Array(grid));
    },
  };
  return { source, history };
}

describe('state stream', () => {
  it('keyframe then deltas reconstruct exactly each snapshot; a viewport is max-downsampled', async () => {
    const { source, history } = flashingSource(120, 90, 0.01);
    const gateway = new Gateway({ auth: { mode: 'none' }, state: source, fps: 100 });
    open.push(gateway);
    const { url } = await gateway.listen();
    const fullView = await TestClient.open(url);
    const small = await TestClient.open(url);
    expect(fullView.hello.state).toEqual({
      width: 120,
      height: 90,
      fps: 100,
      maxViewCells: 1 << 20,
    });
    fullView.send({ type: 'subscribe', streams: ['state'] });
    small.send({ type: 'viewport', x: 20, y: 10, w: 90, h: 60, cols: 30, rows: 20 });
    small.send({ type: 'subscribe', streams: ['state'] });
    await fullView.waitFrames(30);
    await small.waitFrames(30);

    const dec = new StateFrameDecoder();
    const types = new Set<number>();
    fullView.frames.forEach((frame, k) => {
      const { header, cells } = dec.apply(frame);
      if (k === 0) expect(header.type).toBe(1); // a keyframe first
      types.add(header.type);
      expect(header.viewport).toEqual({ x: 0, y: 0, w: 120, h: 90, cols: 120, rows: 90 });
      expect(Buffer.from(cells).equals(history[header.seq - 1])).toBe(true);
    });
    expect(types.has(2) || types.has(3)).toBe(true); // deltas did flow

    const vp = { x: 20, y: 10, w: 90, h: 60, cols: 30, rows: 20 };
    const sdec = new StateFrameDecoder();
    for (const frame of small.frames) {
      const { header, cells } = sdec.apply(frame);
      expect(header.viewport).toEqual(vp);
      const expected = naiveDownsample(history[header.seq - 1], 120, vp);
      expect(Buffer.from(cells).equals(Buffer.from(expected))).toBe(true);
    }
    const stats = gateway.sessionStats();
    expect(stats.every((s) => s.keyframes >= 1)).toBe(true);
    await fullView.close();
    await small.close();
  });

  it('a 1000x1000 grid viewed at 200x200 arrives as 200x200 frames', async () => {
    const { source, history } = flashingSource(1000, 1000, 0.001);
    const gateway = new Gateway({ auth: { mode: 'none' }, state: source, fps: 30 });
    open.push(gateway);
    const { url } = await gateway.listen();
    const c = await TestClient.open(url);
    c.send({ type: 'viewport', cols: 200, rows: 200 });
    c.send({ type: 'subscribe', streams: ['state'] });
    await c.waitFrames(5);
    const dec = new StateFrameDecoder();
    for (const frame of c.frames.slice(0, 5)) {
      const { header, cells } = dec.apply(frame);
      expect(header.viewport).toMatchObject({ w: 1000, h: 1000, cols: 200, rows: 200 });
      expect(frame.length).toBeLessThanOrEqual(40 + 40_000);
      const expected = naiveDownsample(history[header.seq - 1], 1000, header.viewport);
      expect(Buffer.from(cells).equals(Buffer.from(expected))).toBe(true);
    }
    await c.close();
  });

  it('viewport mistakes are error frames; no state source is UNKNOWN_STREAM', async () => {
    const { source } = flashingSource(10, 10, 0.1, false);
    const gateway = new Gateway({
      auth: { mode: 'none' },
      state: source,
      limits: { maxViewCells: 50 },
    });
    open.push(gateway);
    const { url } = await gateway.listen();
    const c = await TestClient.open(url);
    c.send({ type: 'viewport', x: 10 });
    expect(await c.nextOf('error')).toMatchObject({ code: 'CASCADE_ERR_INVALID_MESSAGE' });
    c.send({ type: 'viewport', cols: 10, rows: 10 });
    expect(await c.nextOf('error')).toMatchObject({ code: 'CASCADE_ERR_LIMIT_EXCEEDED' });
    c.send({ type: 'viewport', cols: -1 });
    expect(await c.nextOf('error')).toMatchObject({ code: 'CASCADE_ERR_INVALID_MESSAGE' });
    c.send({ type: 'subscribe', streams: ['state'] }); // default: the largest view <= 50 cells
    await c.waitFrames(1);
    expect(readStateFrameHeader(c.frames[0]).viewport).toMatchObject({ cols: 7, rows: 7 });
    await c.close();

    const plain = new Gateway({ auth: { mode: 'none' } });
    open.push(plain);
    const p = await TestClient.open((await plain.listen()).url);
    p.send({ type: 'subscribe', streams: ['state'] });
    expect(await p.nextOf('error')).toMatchObject({ code: 'CASCADE_ERR_UNKNOWN_STREAM' });
    await p.close();
  });

  it('a client that stops reading skips frames (counted), its buffer stays bounded, others go on', async () => {
    // 256x256 of fresh noise every tick: every frame is a 64 KiB keyframe.
    const side = 256;
    let seed = 1;
    const source: StateSource = {
      width: side,
      height: side,
      snapshot(out) {
        for (let i = 0; i < out.length; i++) {
          seed = (seed * 1103515245 + 12345) >>> 0;
          out[i] = seed >>> 24;
        }
      },
    };
    const stateBufferedBytes = 128 * 1024;
    const gateway = new Gateway({
      auth: { mode: 'none' },
      state: source,
      fps: 100,
      limits: { stateBufferedBytes },
    });
    open.push(gateway);
    const { url } = await gateway.listen();
    const slow = await TestClient.open(url);
    const fast = await TestClient.open(url);
    slow.send({ type: 'subscribe', streams: ['state'] });
    fast.send({ type: 'subscribe', streams: ['state'] });
    await slow.waitFrames(2);
    const socket = (slow.ws as unknown as { _socket: Socket })._socket;
    socket.pause(); // stop reading: the kernel buffers fill, then the server's
    const heap0 = process.memoryUsage().heapUsed;
    let maxBuffered = 0;
    const slowId = () => gateway.sessionStats().find((s) => s.id === slow.hello.session)!;
    for (let i = 0; i < 30; i++) {
      await sleep(50);
      maxBuffered = Math.max(maxBuffered, slowId().bufferedAmount);
    }
    const stalled = slowId();
    const fastStats = gateway.sessionStats().find((s) => s.id === fast.hello.session)!;
    expect(stalled.framesSkipped).toBeGreaterThan(20);
    expect(gateway.stats.stateFramesSkipped).toBeGreaterThanOrEqual(stalled.framesSkipped);
    // At most one frame beyond the threshold ever waits in the server for it. [GW-2]
    expect(maxBuffered).toBeLessThanOrEqual(stateBufferedBytes + 40 + side * side);
    expect(fastStats.framesSent).toBeGreaterThan(stalled.framesSent + 20);
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(64 * 1024 * 1024);

    socket.resume(); // catches up: every frame it gets still decodes in order
    const got = slow.frames.length;
    await slow.waitFrames(got + 10, 5000);
    const dec = new StateFrameDecoder();
    for (const frame of slow.frames) dec.apply(frame);
    await slow.close();
    await fast.close();
  });
});
