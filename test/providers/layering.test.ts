// Dependencies point down: src/providers builds on spec, runtime and errors (and
// node: built-ins, ioredis); nothing in spec, graph or runtime imports it.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const src = path.join(import.meta.dirname, '..', '..', 'src');

function imports(dir: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const name of readdirSync(path.join(src, dir))) {
    if (!name.endsWith('.ts')) continue;
    // code only: an @example's `import ... from 'cascade'` is not an import
    const text = readFileSync(path.join(src, dir, name), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const m of text.matchAll(/^(?:import|export)[^'"]*from '([^']+)'/gm)) {
      out.push([`${dir}/${name}`, m[1]]);
    }
    for (const m of text.matchAll(/import\('([^']+)'\)/g)) out.push([`${dir}/${name}`, m[1]]);
  }
  return out;
}

describe('layering of src/providers', () => {
  it('imports only spec, runtime, errors, node built-ins and ioredis', () => {
    const found = imports('providers');
    expect(found.length).toBeGreaterThan(10);
    const outside = found.filter(
      ([, from]) => !/^(\.\/|\.\.\/(spec|runtime)\/|\.\.\/errors\.js$|node:|ioredis$)/.test(from),
    );
    expect(outside).toEqual([]);
  });

  it('is imported by no lower layer', () => {
    for (const layer of ['spec', 'graph', 'runtime']) {
      expect(imports(layer).filter(([, from]) => from.includes('providers'))).toEqual([]);
    }
  });
});
