/** The runtime layer: engine, scheduling, resources, events. */
export * from './event-bus.js';
export type * from './clock.js';
