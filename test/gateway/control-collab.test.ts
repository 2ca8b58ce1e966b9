/**
 * The control stream (ack/nack, schema rejection changes nothing, command-applied broadcast,
 * viewer refused) and the collab stream (pub/sub through a LocalBus, retained messages, ACL)
 * over real sockets, with JWT roles.
 */
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Gateway,
  defineCommands,
  patternCovers,
  simulationCommands,
} from '../../src/gateway/index.js';
import { LocalBroker, LocalBus } from '../../src/messaging/index.js';
import { TestClient, sleep } from './client.js';

const secret = 'test-secret-of-at-least-32-bytes-long!!';
function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));
}

const open: Gateway[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((g) => g.close()));
});

/** A stand-in for a simulation: what the commands steer. */
function simulation() {
  const sim = { paused: false, speed: 1, limit: 100, rate: 10 };
  const commands = defineCommands({
    pause: { args: simulationCommands.pause, run: () => void (sim.paused = true) },
    resume: { args: simulationCommands.resume, run: () => void (sim.paused = false) },
    speed: {
      args: simulationCommands.speed,
      run: ({ x }) => {
        sim.speed = x;
        return { speed: x };
      },
    },
    limit: {
      args: simulationCommands.limit,
      run: ({ n }) => {
        if (n > 1000) throw new Error('limit above 1000 is not supported');
        sim.limit = n;
      },
    },
    rate: {
      args: simulationCommands.rate,
      run: async ({ perSec }) => {
        await sleep(5);
        sim.rate = perSec;
        return perSec;
      },
    },
  });
  return { sim, commands };
}

describe('control stream', () => {
  it('ack with the result, command-applied to every events subscriber', async () => {
    const { sim, commands } = simulation();
    const gateway = new Gateway({ auth: { mode: 'jwt', secret }, commands });
    open.push(gateway);
    const { url } = await gateway.listen();
    const pilot = await TestClient.open(url, {
      token: await token({ sub: 'ann', role: 'control' }),
    });
    const watcher = await TestClient.open(url, { token: await token({ role: 'viewer' }) });
    expect(pilot.hello.control).toEqual({
      commands: ['pause', 'resume', 'speed', 'limit', 'rate'],
    });
    watcher.send({ type: 'subscribe', streams: ['events'] });
    await watcher.nextOf('subscribed');

    pilot.send({ type: 'control', id: 'c1', cmd: 'speed', args: { x: 4 } });
    expect(await pilot.nextOf('ack')).toEqual({ type: 'ack', id: 'c1', result: { speed: 4 } });
    expect(sim.speed).toBe(4);
    const applied = await watcher.nextOf('event');
    expect(applied).toMatchObject({
      event: 'command-applied',
      data: {
        id: 'c1',
        cmd: 'speed',
        args: { x: 4 },
        result: { speed: 4 },
        by: { subject: 'ann', role: 'control' },
      },
    });
    pilot.send({ type: 'control', id: 2, cmd: 'pause' });
    expect(await pilot.nextOf('ack')).toEqual({ type: 'ack', id: 2, result: null });
    expect(sim.paused).toBe(true);
    pilot.send({ type: 'control', id: 3, cmd: 'rate', args: { perSec: 2.5 } }); // async handler
    expect(await pilot.nextOf('ack')).toEqual({ type: 'ack', id: 3, result: 2.5 });
    expect(sim.rate).toBe(2.5);
    await pilot.close();
    await watcher.close();
  });

  it('a rejected command changes nothing and is not broadcast', async () => {
    const { sim, commands } = simulation();
    const gateway = new Gateway({ auth: { mode: 'none' }, commands });
    open.push(gateway);
    const { url } = await gateway.listen();
    const c = await TestClient.open(url);
    c.send({ type: 'subscribe', streams: ['events'] });
    await c.nextOf('subscribed');
    const before = { ...sim };
    const cases: Array<[unknown, string]> = [
      [{ cmd: 'speed', args: { x: 0 } }, 'CASCADE_ERR_INVALID_COMMAND'],
      [{ cmd: 'speed', args: { x: -2 } }, 'CASCADE_ERR_INVALID_COMMAND'],
      [{ cmd: 'speed', args: { x: '3' } }, 'CASCADE_ERR_INVALID_COMMAND'],
      [{ cmd: 'limit', args: { n: 1.5 } }, 'CASCADE_ERR_INVALID_COMMAND'],
      [{ cmd: 'limit', args: { n: 0 } }, 'CASCADE_ERR_INVALID_COMMAND'],
      [{ cmd: 'pause', args: { now: true } }, 'CASCADE_ERR_INVALID_COMMAND'],
      [{ cmd: 'rate', args: {} }, 'CASCADE_ERR_INVALID_COMMAND'],
      [{ cmd: 'limit', args: { n: 5000 } }, 'CASCADE_ERR_COMMAND_FAILED'],
      [{ cmd: 'explode' }, 'CASCADE_ERR_UNKNOWN_COMMAND'],
      [{ cmd: 'toString' }, 'CASCADE_ERR_UNKNOWN_COMMAND'],
    ];
    for (const [k, [command, code]] of cases.entries()) {
      c.send({ type: 'control', id: k, ...(command as object) });
      const nack = await c.nextOf('nack');
      expect(nack, JSON.stringify(command)).toMatchObject({ id: k, code });
      expect(typeof nack.message).toBe('string');
    }
    expect(sim).toEqual(before);
    await sleep(30);
    expect(c.inbox.filter((m) => m.type === 'event')).toEqual([]);
    expect(gateway.stats).toMatchObject({ commandsApplied: 0, commandsRefused: cases.length });
    await c.close();
  });

  it('a viewer may not steer; a gateway without commands says so', async () => {
    const { sim, commands } = simulation();
    const gateway = new Gateway({ auth: { mode: 'jwt', secret }, commands });
    open.push(gateway);
    const { url } = await gateway.listen();
    const viewer = await TestClient.open(url, { token: await token({ role: 'viewer' }) });
    viewer.send({ type: 'control', id: 'x', cmd: 'pause' });
    expect(await viewer.nextOf('nack')).toMatchObject({ id: 'x', code: 'CASCADE_ERR_FORBIDDEN' });
    expect(sim.paused).toBe(false);
    const admin = await TestClient.open(url, { token: await token({ role: 'admin' }) });
    admin.send({ type: 'control', id: 'y', cmd: 'pause' });
    expect(await admin.nextOf('ack')).toMatchObject({ id: 'y' });
    await viewer.close();
    await admin.close();

    const bare = new Gateway({ auth: { mode: 'none' } });
    open.push(bare);
    const c = await TestClient.open((await bare.listen()).url);
    c.send({ type: 'control', id: 1, cmd: 'pause' });
    expect(await c.nextOf('nack')).toMatchObject({ code: 'CASCADE_ERR_UNKNOWN_STREAM' });
    await c.close();
  });
});

describe('collab stream', () => {
  async function collabGateway() {
    const broker = new LocalBroker();
    const bus = new LocalBus({ broker, name: 'gateway' });
    await bus.connect();
    const gateway = new Gateway({ auth: { mode: 'jwt', secret }, connector: bus });
    open.push(gateway);
    const { url } = await gateway.listen();
    return { broker, bus, gateway, url };
  }

  it('pub/sub through a LocalBus, the retained message first', async () => {
    const { broker, url } = await collabGateway();
    const side = new LocalBus({ broker, name: 'side' });
    await side.connect();
    await side.publish('room/1/title', 'Fireflies at dusk', { retain: true });
    const acl = { sub: ['room/#'], pub: ['room/+/cursor'] };
    const a = await TestClient.open(url, { token: await token({ role: 'viewer', topics: acl }) });
    const b = await TestClient.open(url, { token: await token({ role: 'viewer', topics: acl }) });
    expect(a.hello.collab).toEqual(acl);
    a.send({ type: 'collab-subscribe', pattern: 'room/1/#' });
    expect(await a.nextOf('collab-subscribed')).toMatchObject({ pattern: 'room/1/#' });
    expect(await a.nextOf('collab')).toEqual({
      type: 'collab',
      topic: 'room/1/title',
      payload: 'Fireflies at dusk',
    });
    const seen: unknown[] = [];
    side.subscribe('room/#', (topic, payload) => void seen.push([topic, payload]));
    b.send({ type: 'collab-publish', topic: 'room/1/cursor', payload: { x: 3, y: 4 } });
    expect(await a.nextOf('collab')).toEqual({
      type: 'collab',
      topic: 'room/1/cursor',
      payload: { x: 3, y: 4 },
    });
    expect(seen).toContainEqual(['room/1/cursor', { x: 3, y: 4 }]);
    a.send({ type: 'collab-unsubscribe', pattern: 'room/1/#' });
    await a.nextOf('collab-unsubscribed');
    await side.publish('room/1/cursor', { x: 9, y: 9 });
    await sleep(30);
    expect(a.inbox.filter((m) => m.type === 'collab')).toEqual([]);
    await a.close();
    await b.close();
  });

  it('outside the ACL: an error frame and nothing published or subscribed', async () => {
    const { broker, bus, url } = await collabGateway();
    const seen: unknown[] = [];
    const side = new LocalBus({ broker, name: 'side' });
    await side.connect();
    side.subscribe('#', (topic) => void seen.push(topic));
    const c = await TestClient.open(url, {
      token: await token({
        role: 'control',
        topics: { sub: ['room/+/cursor'], pub: ['room/1/cursor'] },
      }),
    });
    c.send({ type: 'collab-publish', topic: 'admin/shutdown', payload: 1 });
    expect(await c.nextOf('error')).toMatchObject({ code: 'CASCADE_ERR_FORBIDDEN' });
    c.send({ type: 'collab-publish', topic: 'room/2/cursor', payload: 1, retain: true });
    expect(await c.nextOf('error')).toMatchObject({ code: 'CASCADE_ERR_FORBIDDEN' });
    c.send({ type: 'collab-subscribe', pattern: 'room/#' }); // wider than room/+/cursor
    expect(await c.nextOf('error')).toMatchObject({ code: 'CASCADE_ERR_FORBIDDEN' });
    c.send({ type: 'collab-subscribe', pattern: 'room/+/+/x' });
    expect(await c.nextOf('error')).toMatchObject({ code: 'CASCADE_ERR_FORBIDDEN' });
    c.send({ type: 'collab-subscribe', pattern: 'room/#/x' });
    expect(await c.nextOf('error')).toMatchObject({ code: 'CASCADE_ERR_INVALID_TOPIC' });
    c.send({ type: 'collab-publish', topic: 'room/+/cursor', payload: 1 });
    expect(await c.nextOf('error')).toMatchObject({ code: 'CASCADE_ERR_INVALID_TOPIC' });
    expect(seen).toEqual([]);
    expect(broker.retainedCount).toBe(0);
    expect(bus.subscriptionCount).toBe(0);
    c.send({ type: 'collab-subscribe', pattern: 'room/7/cursor' }); // inside: fine
    await c.nextOf('collab-subscribed');
    expect(bus.subscriptionCount).toBe(1);
    await c.close();
    await sleep(20);
    expect(bus.subscriptionCount).toBe(0); // freed with the session
  });

  it('patternCovers: a subscription is allowed only inside an ACL pattern', () => {
    expect(patternCovers('room/#', 'room/+/cursor')).toBe(true);
    expect(patternCovers('room/#', 'room')).toBe(true);
    expect(patternCovers('room/+', 'room/#')).toBe(false);
    expect(patternCovers('room/+', 'room/a')).toBe(true);
    expect(patternCovers('room/a', 'room/+')).toBe(false);
    expect(patternCovers('#', '$SYS/x')).toBe(false);
    expect(patternCovers('+/x', 'a/x/y')).toBe(false);
  });
});
