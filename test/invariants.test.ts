// The index of invariant tags (scripts/invariants.ts): every tag defined once, every reference
// defined, docs/invariants.md up to date; the tags no test names are listed, not failed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { INVARIANTS_DOC, renderInvariants, scanInvariants } from '../scripts/invariants.js';

const index = scanInvariants();

describe('invariant tags', () => {
  it('defines each tag once', () => {
    expect(index.duplicates).toEqual([]);
  });

  it('refers only to tags that are defined', () => {
    expect(index.missing).toEqual([]);
  });

  it('docs/invariants.md is the generated index (npm run invariants:update)', () => {
    expect(readFileSync(INVARIANTS_DOC, 'utf8')).toBe(renderInvariants(index));
  });

  it('lists the tags no test names, in the index', () => {
    const doc = readFileSync(INVARIANTS_DOC, 'utf8');
    const section = doc.slice(doc.indexOf('## Named by no test'));
    for (const tag of index.untested) expect(section).toContain(`\`${tag}\``);
    expect(index.tags.get('ATT-1')?.tests.size).toBeGreaterThan(0);
  });

  it('expands lists and ranges, and leaves MQTT spec tags out', () => {
    // a range (ATT-1..5) in engine.ts, a list (WAIT-1, WAIT-2) in vm.ts
    expect(index.tags.get('ATT-5')?.code.has('src/runtime/engine.ts')).toBe(true);
    expect(index.tags.get('WAIT-2')?.code.has('src/runtime/vm.ts')).toBe(true);
    expect([...index.tags.keys()].some((t) => t.startsWith('MQTT-'))).toBe(false);
  });
});
