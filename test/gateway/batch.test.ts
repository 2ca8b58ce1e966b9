/**
 * Batched events [GW-8]: a session that subscribes or resumes with `batch: true` gets the
 * events of one turn in one `events` frame, the same events in the same order as a plain
 * session, and the resume and gap rules of [GW-3] unchanged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Gateway } from '../../src/gateway/index.js';
import { TestClient, sleep, type Msg } from './client.js';

const open: Gateway[] = [];
async function start(replay = 10_000) {
  const gateway = new Gateway({ auth: { mode: 'none' }, port: 0, replay });
  open.push(gateway);
  const { url } = await gateway.listen();
  return { gateway, url };
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((g) => g.close()));
});

/** The seqs a client got, flattening `events` frames; and how many frames carried them. */
function seqsOf(c: TestClient): { seqs: number[]; frames: number } {
  const seqs: number[] = [];
  let frames = 0;
  for (const m of c.inbox) {
    if (m.type === 'event') {
      seqs.push(m.seq as number);
      frames++;
    } else if (m.type === 'events') {
      for (const e of m.events as Msg[]) seqs.push(e.seq as number);
      frames++;
    }
  }
  return { seqs, frames };
}

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

const range = (a: number, b: number): number[] =>
  Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('batched events [GW-8]', () => {
  it('a burst arrives in one frame, the same events in the same order as a plain session', async () => {
    const { gateway, url } = await start();
    const plain = await TestClient.open(url);
    const batch = await TestClient.open(url);
    plain.send({ type: 'subscribe', streams: ['events'] });
    batch.send({ type: 'subscribe', streams: ['events'], batch: true });
    await plain.nextOf('subscribed');
    await batch.nextOf('subscribed');
    for (let i = 1; i <= 300; i++) gateway.publishEvent('tick', { i });
    await until(() => seqsOf(plain).seqs.length === 300 && seqsOf(batch).seqs.length === 300);
    expect(seqsOf(batch).seqs).toEqual(range(1, 300));
    expect(seqsOf(plain).seqs).toEqual(range(1, 300));
    expect(seqsOf(plain).frames).toBe(300);
    expect(seqsOf(batch).frames).toBe(1);
    const frame = batch.inbox.find((m) => m.type === 'events')!;
    expect((frame.events as Msg[])[4]).toMatchObject({
      type: 'event',
      seq: 5,
      event: 'tick',
      data: { i: 5 },
    });
    // the next turn's events come in a frame of their own
    gateway.publishEvent('tick', { i: 301 });
    await until(() => seqsOf(batch).seqs.length === 301);
    expect(seqsOf(batch).frames).toBe(2);
    await plain.close();
    await batch.close();
  });

  it('resume with batch: the missed events exactly once, then live ones, no repeats', async () => {
    const { gateway, url } = await start();
    for (let i = 1; i <= 2500; i++) gateway.publishEvent('tick', { i });
    const c = await TestClient.open(url);
    c.send({ type: 'resume', epoch: gateway.epoch, lastSeq: 100, batch: true });
    // live events published while the catch-up runs
    for (let i = 2501; i <= 2600; i++) gateway.publishEvent('tick', { i });
    await c.nextOf('resumed');
    for (let i = 2601; i <= 2700; i++) gateway.publishEvent('tick', { i });
    await until(() => seqsOf(c).seqs.length >= 2600);
    await sleep(50);
    const { seqs, frames } = seqsOf(c);
    expect(seqs).toEqual(range(101, 2700));
    expect(frames).toBeLessThan(10); // 1024 events a frame at most
    await c.close();
  });

  it('more events in one turn than the replay buffer holds: a gap for exactly the evicted ones', async () => {
    const { gateway, url } = await start(100);
    const c = await TestClient.open(url);
    c.send({ type: 'subscribe', streams: ['events'], batch: true });
    await c.nextOf('subscribed');
    for (let i = 1; i <= 250; i++) gateway.publishEvent('tick', { i });
    expect(await c.nextOf('gap')).toEqual({ type: 'gap', from: 1, to: 150 });
    await until(() => seqsOf(c).seqs.length === 100);
    expect(seqsOf(c).seqs).toEqual(range(151, 250));
    await c.close();
  });

  it('unsubscribe stops the batches; a subscribe later is live from then on', async () => {
    const { gateway, url } = await start();
    const c = await TestClient.open(url);
    c.send({ type: 'subscribe', streams: ['events'], batch: true });
    await c.nextOf('subscribed');
    gateway.publishEvent('tick', { i: 1 });
    await until(() => seqsOf(c).seqs.length === 1);
    c.send({ type: 'unsubscribe', streams: ['events'] });
    await c.nextOf('unsubscribed');
    gateway.publishEvent('tick', { i: 2 });
    await sleep(50);
    c.send({ type: 'subscribe', streams: ['events'], batch: true });
    await c.nextOf('subscribed');
    gateway.publishEvent('tick', { i: 3 });
    await until(() => seqsOf(c).seqs.length === 2);
    await sleep(50);
    expect(seqsOf(c).seqs).toEqual([1, 3]);
    await c.close();
  });
});
