/**
 * `cascade graph` and `cascade plan` on workflow modules (a .ts one through tsx, a .mjs one),
 * as a user runs them: the built CLI in a child process. npm test builds first. [LOAD-1]
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const ts = 'test/authoring/fixtures/report-flow.ts';
const mjs = 'test/authoring/fixtures/plain-flow.mjs';

describe('cascade plan', () => {
  it('prints the stages, inputs and policies of a TypeScript module', () => {
    const r = runCli(['plan', ts]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('plan of publish#3: 4 tasks in 3 stages');
    expect(lines).toContain('  param days: integer = 7  days to cover');
    expect(lines).toContain('stage 0:');
    expect(r.stdout).toMatch(/fetchSales#0 .*retry 3x \(delay 100 ms, backoff 2\)/);
    expect(r.stdout).toMatch(/fetchCosts#1 .*cache memory · cpu_slot=1/);
    expect(r.stdout).toMatch(/stage 1:\n {2}margin#2 {2}takes fetchSales#0, fetchCosts#1/);
  });

  it('--json gives the plan as data', () => {
    const r = runCli(['plan', ts, '--json']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as { stages: string[][]; inputs: Array<{ name: string }> };
    expect(plan.stages).toEqual([['fetchSales#0', 'fetchCosts#1'], ['margin#2'], ['publish#3']]);
    expect(plan.inputs.map((i) => i.name)).toEqual(['city', 'days', 'REPORT_TOKEN']);
  });

  it('--export picks one target of several in a .mjs module', () => {
    const r = runCli(['plan', mjs, '--export', 'big', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { stages: string[][] }).stages).toEqual([
      ['double#0'],
      ['double#1'],
    ]);
  });

  it.each([
    [[mjs], /exports several targets \(big, small\): pick one with --export NAME/],
    [[mjs, '--export', 'notATarget'], /export "notATarget" is not a target/],
    [[mjs, '--export', 'nope'], /has no export "nope" \(targets: big, small\)/],
    [['missing.ts'], /missing\.ts: no such file/],
    [[ts, '--bogus'], /unknown option '--bogus'/],
  ])('plan %j exits 2 with one line', (args, message) => {
    const r = runCli(['plan', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});

describe('cascade graph', () => {
  it('prints Mermaid by default', () => {
    const r = runCli(['graph', ts]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('flowchart TB\n')).toBe(true);
    expect(r.stdout).toContain('n_in_param_city --> n0');
    expect(r.stdout).toContain('n2 --> n3');
  });

  it('--format dot --export costsOnly draws that target alone', () => {
    const r = runCli(['graph', ts, '--format', 'dot', '--export', 'costsOnly']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('digraph cascade {');
    expect(r.stdout).toContain('n0 [label="fetchCosts#0\\ncache memory\\ncpu_slot=1"];');
    expect(r.stdout).not.toContain('publish');
  });

  it('draws a router with its states and keyed jumps', () => {
    const r = runCli(['graph', ts, '--export', 'growth']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('subgraph n1_states ["router growth"]');
    expect(r.stdout).toContain('n1_s_check -->|more| n1_s_grow');
    expect(r.stdout).toContain('n1_s_check -->|done| n1_end');
    const plan = runCli(['plan', ts, '--export', 'growth']);
    expect(plan.stdout).toMatch(
      /growth#1 .*router from check \(max 20 steps\): check->\$end\|grow, grow->check/,
    );
  });

  it('a bad --format exits 2', () => {
    const r = runCli(['graph', ts, '--format', 'png']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/argument 'png' is invalid. Allowed choices are mermaid, dot/);
  });

  it('--help names the options', () => {
    const r = runCli(['graph', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--format <format>/);
    expect(r.stdout).toMatch(/--export <name>/);
  });
});
