/**
 * What every firefly writes when it flashes and what the monitor and the renderer read: two
 * typed arrays indexed by agent id, plus counters [FLY-4]. No message per flash is needed to
 * observe the grid. (A SharedArrayBuffer-backed instance lets worker shards write it too.)
 */

/**
 * @example
 * ```ts
 * const tel = new FireflyTelemetry(2500, 5000);
 * tel.recordFlash(7, 1234.5);
 * ```
 */
export class FireflyTelemetry {
  /** Time of each agent's last flash (ms); before its first flash, its implied cycle start. */
  readonly lastFlash: Float64Array;
  /** Each agent's last inter-flash interval (ms); the nominal period until it flashed twice. */
  readonly interval: Float64Array;
  /** Flashes so far per agent (saturates at 2^32-1). */
  readonly flashCount: Uint32Array;
  /** Total flashes. */
  flashes = 0;
  /** Pulses that reached an agent in its refractory phase and were discarded by the model. */
  discardedPulses = 0;
  /** Pulses that a full inbox dropped (the channel's overflow policy); should stay 0. */
  droppedPulses = 0;

  /**
   * @param shared Arrays to use instead of new ones: shards write their own agents' entries of
   * arrays on SharedArrayBuffers that the main thread's view and monitor read directly (the
   * caller initialises them: `interval` to the period).
   */
  constructor(
    agents: number,
    periodMs: number,
    shared?: { lastFlash: Float64Array; interval: Float64Array; flashCount: Uint32Array },
  ) {
    if (shared !== undefined) {
      this.lastFlash = shared.lastFlash;
      this.interval = shared.interval;
      this.flashCount = shared.flashCount;
      return;
    }
    this.lastFlash = new Float64Array(agents);
    this.interval = new Float64Array(agents).fill(periodMs);
    this.flashCount = new Uint32Array(agents);
  }

  recordFlash(id: number, t: number): void {
    if (this.flashCount[id] > 0) this.interval[id] = t - this.lastFlash[id];
    this.lastFlash[id] = t;
    this.flashCount[id]++;
    this.flashes++;
  }
}
