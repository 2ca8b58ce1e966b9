import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/runtime/event-bus.js';

type Ev = { type: 'a'; n: number } | { type: 'b' };

describe('EventBus', () => {
  it('delivers events to every subscriber in emit order [EVT-1]', () => {
    const bus = new EventBus<Ev>();
    const seen: string[] = [];
    bus.on((e) => seen.push(`1:${e.type}`));
    bus.on((e) => seen.push(`2:${e.type}`));
    bus.emit({ type: 'a', n: 1 });
    bus.emit({ type: 'b' });
    expect(seen).toEqual(['1:a', '2:a', '1:b', '2:b']);
  });

  it('isolates a throwing subscriber and counts it [EVT-2]', () => {
    const errors: unknown[] = [];
    const bus = new EventBus<Ev>({ onSubscriberError: (e) => errors.push(e) });
    const seen: number[] = [];
    bus.on(() => {
      throw new Error('boom');
    });
    bus.onType('a', (e) => seen.push(e.n));
    expect(() => bus.emit({ type: 'a', n: 7 })).not.toThrow();
    expect(seen).toEqual([7]);
    expect(bus.subscriberErrors).toBe(1);
    expect(String(errors[0])).toContain('boom');
  });

  it('stops delivering after unsubscribe', () => {
    const bus = new EventBus<Ev>();
    let count = 0;
    const off = bus.on(() => count++);
    bus.emit({ type: 'b' });
    off();
    bus.emit({ type: 'b' });
    expect(count).toBe(1);
    expect(bus.hasSubscribers).toBe(false);
  });
});
