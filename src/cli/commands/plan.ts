/**
 * `cascade plan FILE [--json] [--export NAME]`: the execution plan of the target a module
 * exports (inputs, stages, and each task's dependencies, resources and policies). Runs
 * nothing. [PLAN-1]
 */
import type { Command } from 'commander';
import { dryRun, type Plan, type PlanTask } from '../../graph/index.js';
import type { InputSpec } from '../../spec/index.js';
import { loadTarget } from '../load-target.js';

/**
 * Add `cascade plan` to the program.
 *
 * @example
 * ```ts
 * register(program); // cascade plan flow.ts --json
 * ```
 */
export function register(program: Command): void {
  program
    .command('plan')
    .description('print the execution plan of a workflow module: stages, resources, policies')
    .argument('<file>', 'a .js/.mjs module, or .ts with tsx installed, that exports a target')
    .option('--json', 'print the plan as JSON')
    .option('--export <name>', 'the export to plan (default: default, else the only target)')
    .action(async (file: string, flags: { json?: boolean; export?: string }) => {
      const plan = dryRun(await loadTarget(file, flags.export));
      process.stdout.write(
        flags.json === true ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan),
      );
    });
}

/**
 * A plan as text: inputs, then each stage with its tasks, one line each.
 *
 * @example
 * ```ts
 * process.stdout.write(formatPlan(dryRun(target)));
 * ```
 */
export function formatPlan(plan: Plan): string {
  const out = [
    `plan of ${plan.target}: ${plan.tasks.length} task${plan.tasks.length === 1 ? '' : 's'} in ${plan.stages.length} stage${plan.stages.length === 1 ? '' : 's'}`,
  ];
  if (plan.inputs.length > 0) {
    out.push('inputs:');
    for (const i of plan.inputs) out.push(`  ${inputLine(i)}`);
  }
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  plan.stages.forEach((ids, stage) => {
    out.push(`stage ${stage}:`);
    for (const id of ids) out.push(`  ${taskLine(byId.get(id)!)}`);
  });
  return `${out.join('\n')}\n`;
}

function inputLine(i: InputSpec): string {
  const value = i.hasDefault
    ? ` = ${JSON.stringify(i.default)}`
    : i.required
      ? ' (required)'
      : ' (optional)';
  const text = i.description === '' ? '' : `  ${i.description}`;
  return `${i.source} ${i.name}: ${i.type}${value}${text}`;
}

function taskLine(t: PlanTask): string {
  const facts: string[] = [];
  if (t.kind === 'map') facts.push('map');
  if (t.deps.length > 0) facts.push(`takes ${t.deps.join(', ')}`);
  if (t.after.length > 0) facts.push(`after ${t.after.join(', ')}`);
  if (t.condition !== null) facts.push(`if ${String(t.condition)}`);
  if (t.inputs.length > 0) facts.push(`reads ${t.inputs.join(', ')}`);
  if (t.resources.length > 0) facts.push(`uses ${t.resources.join(', ')}`);
  if (t.retry !== null) {
    const r = t.retry;
    facts.push(`retry ${r.maxAttempts}x (delay ${r.delay} ms, backoff ${r.backoff})`);
  }
  if (t.cache !== null) {
    const c = t.cache;
    const ttl = c.kind !== 'file' && c.ttlMs !== null ? ` ttl ${c.ttlMs} ms` : '';
    facts.push(
      c.kind === 'memory'
        ? `cache memory${ttl}`
        : c.kind === 'backend'
          ? `cache ${c.backend}${ttl}`
          : `cache file ${c.path}`,
    );
  }
  if (t.constraints !== null) {
    facts.push(
      Object.entries(t.constraints)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    );
  }
  if (t.pure) facts.push('pure');
  const s = t.structure;
  if (s?.kind === 'router') {
    const states = s.states.map((st) => {
      const next = st.next === null ? '*' : Object.values(st.next).join('|');
      return `${st.name}->${next}`;
    });
    facts.push(
      `router from ${s.start} (max ${s.maxSteps ?? 'unbounded'} steps): ${states.join(', ')}`,
    );
  }
  if (s?.kind === 'subflow') {
    facts.push(
      s.plan === null ? 'subflow (built at run time)' : `subflow of ${s.plan.tasks.length} tasks`,
    );
  }
  return facts.length === 0 ? t.id : `${t.id}  ${facts.join(' · ')}`;
}
