// The API report of the package root (scripts/api-report.ts): api/cascade.api.md lists exactly
// what src/index.ts exports, so a change to the public surface is a reviewed change.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  API_REPORT,
  API_UPDATE_COMMAND,
  apiEntries,
  renderApiReport,
} from '../scripts/api-report.js';
import * as root from '../src/index.js';

const entries = apiEntries();

describe('API report', () => {
  it(`api/cascade.api.md is up to date (if not: ${API_UPDATE_COMMAND})`, () => {
    const current = readFileSync(API_REPORT, 'utf8');
    const fresh = renderApiReport(entries);
    if (current !== fresh) {
      expect.fail(`api/cascade.api.md is stale: run ${API_UPDATE_COMMAND} and review the diff`);
    }
  });

  it('lists every value the root module exports at run time, and only those', () => {
    const values = entries.filter((e) => e.kind !== 'interface' && e.kind !== 'type');
    expect(values.map((e) => e.name).sort()).toEqual(Object.keys(root).sort());
  });

  it('gives kinds and signatures from the compiler', () => {
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(byName.get('task')?.kind).toBe('function');
    expect(byName.get('task')?.signature).toMatch(/^function task<A extends unknown\[\], R>\(fn:/);
    expect(byName.get('Engine')?.signature).toContain('run<T>(target: LazyResult<T>');
    expect(byName.get('EngineEvent')?.kind).toBe('type');
    expect(byName.get('ErrorCode')?.kind).toBe('const');
    expect(renderApiReport(entries)).not.toMatch(/import\(|\/work\/|\\/);
  });

  it('keeps internals and benchmarks out of the root', () => {
    for (const name of ['fnv1a', 'substitute', 'Timer', 'ENTER_SEQUENCE', 'runChannelBench']) {
      expect(Object.keys(root)).not.toContain(name);
    }
  });
});
