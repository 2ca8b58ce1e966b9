/**
 * visualize()'s DOT read by the real Graphviz (`dot`, installed by .ci/run): every picture
 * (plain graph, inputs, conditions, a router, a subflow inside) renders to SVG without a
 * warning, with a node per task. [VIS-2]
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import {
  END,
  bind,
  env,
  inject,
  jump,
  param,
  router,
  selectJump,
  subflow,
  task,
  visualize,
} from '../../src/index.js';

function render(dotText: string): { code: number | null; svg: string; stderr: string } {
  const r = spawnSync('dot', ['-Tsvg'], { input: dotText, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, svg: r.stdout, stderr: r.stderr };
}

const load = task((d: number) => d, { name: 'load "quoted"\\name' });
const check = task((x: number) => x > 0, { name: 'check' });
const save = task((x: number, _db: unknown) => x, { name: 'save' });
const pick = selectJump((n: number) => (n > 10 ? 'big' : 'small'), { name: 'pick' });
const grow = task((n: number) => jump('decide', n * 3), { name: 'grow' });
const machine = router('machine', {
  start: 'decide',
  states: { decide: bind(pick, { big: END, small: 'grow' }), grow: bind(grow, ['decide']) },
});
const inner = subflow('inner', (n: number) => save(machine(load(n)), inject('db')));

describe('visualize as DOT, read by Graphviz', () => {
  it('renders a graph with inputs, a condition, a router and a subflow', () => {
    const loaded = load(param('days', { type: 'integer', default: 7, description: 'x "y"' }));
    const target = save(machine(loaded), env('DB_URL')).runIf(check(loaded)).after(inner(2));
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
