/**
 * visualize()'s DOT read by the real Graphviz (`dot`, installed by .ci/run): every picture
 * (plain graph, inputs, conditions, a router, a subflow inside) renders to SVG without a
 * warning, with a node per task. [VIS-2]
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { visualize } from '../../src/index.js';
import { picture } from './fixtures/picture.js';

function render(dotText: string): { code: number | null; svg: string; stderr: string } {
  const r = spawnSync('dot', ['-Tsvg'], { input: dotText, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, svg: r.stdout, stderr: r.stderr };
}

const { target } = picture('load "quoted"\\name');

describe('visualize as DOT, read by Graphviz', () => {
  it('renders a graph with inputs, a condition, a router and a subflow', () => {
    const dot = visualize(target, { format: 'dot' });
    const r = render(dot);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const id of ['n0', 'n1', 'n2', 'n3', 'n4', 'n1_s_decide', 'n1_end', 'n3_0']) {
      expect(r.svg).toContain(`<title>${id}</title>`);
    }
    expect(r.svg).toContain('load &quot;quoted&quot;\\name#0');
  });
});
