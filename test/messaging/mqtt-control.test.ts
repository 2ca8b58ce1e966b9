/**
 * The control plane over MQTT: constraints published as retained messages by one connector
 * (as `cascade ctl` does) reach an engine through its MqttConnector and hold, limit and resume
 * its VM agents [VM-7] [GATE-2]; an engine that connects later gets them from the retained
 * state; a ttl lapses by itself [CTL-5] [CMDL-2]. Real brokers on loopback: Aedes and Mosquitto.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { task, tailCall } from '../../src/spec/index.js';
import {
  ConstraintSet,
  Engine,
  controlMessages,
  type ControlCommand,
} from '../../src/runtime/index.js';
import { EmbeddedBroker, MosquittoProcess, MqttConnector } from '../../src/messaging/index.js';
import { ErrorCode } from '../../src/errors.js';
import { eventually } from './connector.conformance.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function send(c: MqttConnector, cmd: ControlCommand): Promise<void> {
  for (const m of controlMessages(cmd, Date.now())) {
    await c.publish(m.topic, m.payload, { retain: true, qos: 1, expirySeconds: m.expirySeconds });
  }
}

describe('control plane over MQTT', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  async function agents(url: string, protocolVersion: 4 | 5, count: number) {
    const connector = new MqttConnector({ url, protocolVersion, name: 'engine' });
    await connector.connect();
    const constraints = new ConstraintSet();
    const engine = new Engine({ connector, constraints });
    const steps = new Array<number>(count).fill(0);
    const agent = task(
      async ({ id }: { id: number }) => {
        steps[id]++;
        await sleep(1);
        return tailCall({ id });
      },
      { name: 'agent' },
    );
    const ac = new AbortController();
    const runs = steps.map((_, id) =>
      engine
        .run(agent({ id }), { vm: true, signal: ac.signal, group: 'swarm' })
        .catch((e: unknown) => e),
    );
    cleanups.push(async () => {
      ac.abort();
      const ends = await Promise.all(runs);
      for (const e of ends) expect((e as { code?: string }).code).toBe(ErrorCode.CANCELLED);
      engine.close();
      constraints.close();
      await connector.disconnect();
    });
    return { steps, constraints };
  }

  for (const [label, v] of [
    ['Aedes, MQTT 3.1.1', 4],
    ['Mosquitto, MQTT 5', 5],
  ] as const) {
    it(`pause, limit and resume running VM agents from another client (${label})`, async () => {
      const broker = v === 4 ? await EmbeddedBroker.start() : await MosquittoProcess.start();
      cleanups.push(() => ('stop' in broker ? broker.stop() : broker.close()));
      const ctl = new MqttConnector({ url: broker.url, protocolVersion: v, name: 'ctl' });
      await ctl.connect();
      cleanups.push(() => ctl.disconnect());
      const { steps, constraints } = await agents(broker.url, v, 4);
      await eventually(() => steps.every((s) => s > 3), 3000, 'agents running');

      await send(ctl, { type: 'pause', scope: 'group:swarm' });
      await eventually(() => constraints.get('group:swarm', 'pause') !== undefined, 3000, 'pause');
      await sleep(20);
      const frozen = [...steps];
      await sleep(100);
      expect(steps).toEqual(frozen);

      await send(ctl, { type: 'limit', scope: 'task:agent', concurrency: 1 });
      await send(ctl, { type: 'resume', scope: 'group:swarm' });
      await eventually(() => steps.every((s, i) => s > frozen[i] + 2), 3000, 'resumed');
      let most = 0;
      for (let i = 0; i < 30; i++) {
        most = Math.max(most, constraints.gate.inside('task:agent'));
        await sleep(1);
      }
      expect(most).toBe(1);

      // A run that connects later gets the constraints in force from the retained state.
      const late = new ConstraintSet();
      const lateConnector = new MqttConnector({ url: broker.url, protocolVersion: v });
      await lateConnector.connect();
      await late.attach(lateConnector).ready;
      await eventually(() => late.size === 1, 3000, 'retained constraints');
      expect(late.list()).toEqual([{ scope: 'task:agent', kind: 'concurrency', limit: 1 }]);
      await lateConnector.disconnect();
      late.close();
    });
  }

  it('[CMDL-2] a pause with a ttl lapses by itself and the agents go on (Mosquitto)', async () => {
    const broker = await MosquittoProcess.start();
    cleanups.push(() => broker.stop());
    const ctl = new MqttConnector({ url: broker.url, name: 'ctl' });
    await ctl.connect();
    cleanups.push(() => ctl.disconnect());
    const { steps, constraints } = await agents(broker.url, 5, 2);
    await eventually(() => steps.every((s) => s > 3), 3000, 'agents running');
    await send(ctl, { type: 'pause', scope: 'global', ttlSeconds: 1 });
    await eventually(() => constraints.size === 1, 3000, 'pause');
    await sleep(20);
    const frozen = [...steps];
    await sleep(300);
    expect(steps).toEqual(frozen);
    await eventually(() => steps.every((s, i) => s > frozen[i] + 3), 3000, 'expired');
    expect(constraints.size).toBe(0);
  });
});
