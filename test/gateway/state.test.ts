/**
 * The state stream over real sockets: keyframe + deltas reconstruct exactly the source's
 * snapshots, a viewport is max-downsampled server-side, a client that stops reading has its
 * frames skipped (counted) with its buffer bounded, and catches up consistently after.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import {
  Gateway,
  STATE_FLAG_DEFLATE,
  StateFrameDecoder,
  deflateStateFrame,
  inflateStateFrame,
  readStateFrameHeader,
  type StateSource,
} from '../../src/gateway/index.js';
import { InvalidArgumentError } from '../../src/errors.js';
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

describe('compressed state frames [GW-9] [SF-4]', () => {
  it('a viewer that asks for deflate gets smaller frames with the same views, compressed once per group', async () => {
    const { source, history } = flashingSource(300, 300, 0.002);
    const gateway = new Gateway({ auth: { mode: 'none' }, state: source, fps: 30 });
    open.push(gateway);
    const { url } = await gateway.listen();
    const plain = await TestClient.open(url);
    const small = await TestClient.open(url);
    const small2 = await TestClient.open(url);
    plain.send({ type: 'subscribe', streams: ['state'] });
    small.send({ type: 'subscribe', streams: ['state'], deflate: true });
    small2.send({ type: 'subscribe', streams: ['state'], deflate: true });
    await plain.waitFrames(12);
    await small.waitFrames(12);
    await small2.waitFrames(12);
    gateway.close().catch(() => undefined); // stop the ticks: every frame counted is final
    const bytes = (c: TestClient): number =>
      c.frames.slice(0, 10).reduce((n, f) => n + f.length, 0);
    expect(bytes(small)).toBeLessThan(bytes(plain) / 2);
    let flagged = 0;
    for (const c of [plain, small]) {
      const dec = new StateFrameDecoder();
      for (const frame of c.frames.slice(0, 10)) {
        const header = readStateFrameHeader(frame);
        if (c === plain) expect(header.flags).toBe(0);
        else if (header.flags === 1) flagged++;
        const { header: h, cells } = dec.apply(frame);
        expect(Buffer.from(cells).equals(Buffer.from(history[h.seq - 1]))).toBe(true);
      }
    }
    expect(flagged).toBeGreaterThan(0);
    // one compression per tick and base for both deflate viewers, not one per socket
    const s = gateway.stats;
    expect(s.stateFramesDeflated).toBeLessThanOrEqual(s.stateTicks * 2);
    expect(s.stateFramesDeflated).toBeLessThan(small.frames.length + small2.frames.length);
  });

  it('a compressed frame that does not inflate is refused by the decoder', () => {
    const frame = new Uint8Array(60);
    frame[0] = 1;
    frame[1] = 1;
    frame[2] = 4; // cols 4
    frame[4] = 5; // rows 5
    frame[6] = 1; // deflate flag
    frame.fill(0xff, 40);
    expect(() => new StateFrameDecoder().apply(frame)).toThrow(/does not inflate/);
    expect(() => inflateStateFrame(frame)).toThrow(InvalidArgumentError);
  });

  it('deflate then inflate gives the frame back; an incompressible frame is sent as it is', () => {
    const frame = new Uint8Array(40 + 1000);
    frame[0] = 1;
    frame[1] = 1;
    frame.fill(7, 40);
    const small = deflateStateFrame(frame);
    expect(small.length).toBeLessThan(100);
    expect(readStateFrameHeader(small).flags).toBe(STATE_FLAG_DEFLATE);
    expect(Buffer.from(inflateStateFrame(small)).equals(Buffer.from(frame))).toBe(true);
    const noise = new Uint8Array(randomBytes(40 + 1000));
    noise.fill(0, 0, 40);
    noise[0] = 1;
    noise[1] = 1;
    expect(deflateStateFrame(noise)).toBe(noise);
  });
});
