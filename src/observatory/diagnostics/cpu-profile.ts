/**
 * CPU profiling of a piece of work with V8's sampling profiler (node:inspector, in process),
 * and a reading of the profile: the top functions by self time. Used by `cascade profile`.
 */
import { Session } from 'node:inspector/promises';
import type { Profiler } from 'node:inspector';

/** One line of the top-functions table. */
export interface SelfTimeRow {
  functionName: string;
  /** `url:line` of the function (1-based line), or `(native)`. */
  location: string;
  selfMs: number;
  selfPercent: number;
}

/**
 * Run `work` under the CPU profiler and return its result and the profile.
 *
 * @example
 * ```ts
 * const { profile } = await profileWork(() => runSomething());
 * writeFileSync('run.cpuprofile', JSON.stringify(profile));
 * ```
 */
export async function profileWork<T>(
  work: () => Promise<T>,
  samplingIntervalUs = 500,
): Promise<{ result: T; profile: Profiler.Profile }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
    await session.post('Profiler.start');
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await work() };
    } catch (error) {
      outcome = { ok: false, error };
    }
    const { profile } = await session.post('Profiler.stop');
    if (!outcome.ok) throw outcome.error;
    return { result: outcome.value, profile };
  } finally {
    session.disconnect();
  }
}

/**
 * The functions with the most self time in a profile, aggregated by name and location.
 *
 * @example
 * ```ts
 * for (const row of topSelfTime(profile, 10)) console.log(row.selfMs, row.functionName);
 * ```
 */
export function topSelfTime(profile: Profiler.Profile, top = 15): SelfTimeRow[] {
  const byNode = new Map<number, Profiler.ProfileNode>();
  for (const node of profile.nodes) byNode.set(node.id, node);
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + (deltas[i] ?? 0));
  }
  const rows = new Map<string, { functionName: string; location: string; us: number }>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byNode.get(id)?.callFrame;
    if (frame === undefined) continue;
    total += us;
    const functionName = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    const location = frame.url === '' ? '(native)' : `${frame.url}:${frame.lineNumber + 1}`;
    const key = `${functionName} ${location}`;
    const row = rows.get(key) ?? { functionName, location, us: 0 };
    row.us += us;
    rows.set(key, row);
  }
  return [...rows.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((r) => ({
      functionName: r.functionName,
      location: r.location,
      selfMs: r.us / 1000,
      selfPercent: total > 0 ? (100 * r.us) / total : 0,
    }));
}
