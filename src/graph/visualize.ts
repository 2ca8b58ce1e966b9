/**
 * visualize: the graph of a target as text for a picture, in Mermaid (`flowchart`) or
 * Graphviz DOT. Tasks are boxes labelled with their id and policies; inputs (`param`, `env`)
 * are parallelograms feeding the tasks that read them; data edges are solid, `runIf`
 * conditions and `after` orderings dashed and labelled. A router is drawn with its states and
 * the jumps between them (a selector's edges carry its keys); a subflow whose target is known
 * before the run is drawn inside a box of its own.
 *
 * Invariants:
 * - [VIS-1] Drawing runs nothing ([PLAN-1]); the same target gives the same text.
 * - [VIS-2] Every task of the graph is one node, and every edge of the graph one edge.
 */
import type { LazyResult, RouterStateInfo } from '../spec/lazy-result.js';
import { inputSpecOf, type InputSpec } from '../spec/input.js';
import { InvalidArgumentError } from '../errors.js';
import { buildGraph, type Graph, type GraphNode } from './graph.js';
import { edgesOf, staticSubflowTarget } from './plan.js';

/** The text formats {@link visualize} writes. */
export type GraphFormat = 'mermaid' | 'dot';

/** Options of {@link visualize}. */
export interface VisualizeOptions {
  /** Default `mermaid`. */
  readonly format?: GraphFormat;
  /** Flowchart direction: top-down (default) or left-right. */
  readonly direction?: 'TB' | 'LR';
}

type Shape = 'task' | 'input' | 'state' | 'select' | 'end';
type EdgeStyle = 'data' | 'condition' | 'after' | 'jump' | 'link';

interface VNode {
  readonly id: string;
  readonly lines: readonly string[];
  readonly shape: Shape;
}
interface VEdge {
  readonly from: string;
  readonly to: string;
  readonly style: EdgeStyle;
  readonly label?: string;
}
interface VGroup {
  readonly id: string;
  readonly label: string;
  readonly nodes: VNode[];
  readonly groups: VGroup[];
}

/**
 * The graph of `target` as Mermaid or DOT text. [VIS-1]
 *
 * @example
 * ```ts
 * const text = visualize(report(fetchSales(param('days', { default: 7 }))), { format: 'mermaid' });
 * // flowchart TB
 * //   in_param_days[/"param days: number = 7"/]
 * //   n0["fetchSales#0"]
 * //   ...
 * ```
 */
export function visualize(target: LazyResult<unknown>, options: VisualizeOptions = {}): string {
  const format = options.format ?? 'mermaid';
  if (format !== 'mermaid' && format !== 'dot') {
    throw new InvalidArgumentError('format', format, "must be 'mermaid' or 'dot'");
  }
  const direction = options.direction ?? 'TB';
  if (direction !== 'TB' && direction !== 'LR') {
    throw new InvalidArgumentError('direction', direction, "must be 'TB' or 'LR'");
  }
  const root: VGroup = { id: '', label: '', nodes: [], groups: [] };
  const edges: VEdge[] = [];
  describeGraph(buildGraph(target), 'n', root, edges);
  return format === 'mermaid' ? mermaid(root, edges, direction) : dot(root, edges, direction);
}

function describeGraph(graph: Graph, prefix: string, group: VGroup, edges: VEdge[]): void {
  const idOf = (i: number): string => `${prefix}${i}`;
  const inputsSeen = new Set<string>();
  for (const node of graph.nodes) {
    const id = idOf(node.index);
    group.nodes.push({ id, lines: labelOf(node), shape: 'task' });
    for (const inj of node.injects) {
      const spec = inputSpecOf(inj);
      if (spec === null) continue;
      const inputId = `${prefix}_in_${spec.source}_${spec.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
      if (!inputsSeen.has(inputId)) {
        inputsSeen.add(inputId);
        group.nodes.push({ id: inputId, lines: [inputLabel(spec)], shape: 'input' });
      }
      edges.push({ from: inputId, to: id, style: 'data' });
    }
    const e = edgesOf(graph, node);
    for (const d of e.data) edges.push({ from: idOf(d), to: id, style: 'data' });
    if (e.condition !== null) {
      edges.push({ from: idOf(e.condition), to: id, style: 'condition', label: 'if' });
    }
    for (const a of e.after) edges.push({ from: idOf(a), to: id, style: 'after', label: 'after' });
    describeStructure(node, id, group, edges);
  }
}

function describeStructure(node: GraphNode, id: string, group: VGroup, edges: VEdge[]): void {
  const s = node.lazy.task!.structure;
  if (s === undefined) return;
  if (s.kind === 'router') {
    const g: VGroup = { id: `${id}_states`, label: `router ${node.name}`, nodes: [], groups: [] };
    const stateId = (name: string): string => `${id}_s_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
    let end = false;
    for (const st of s.states) {
      g.nodes.push({
        id: stateId(st.name),
        lines: stateLabel(st),
        shape: st.kind === 'select' ? 'select' : 'state',
      });
      for (const [key, to] of Object.entries(st.next ?? {})) {
        const target = to === '$end' ? `${id}_end` : stateId(to);
        if (to === '$end') end = true;
        edges.push({
          from: stateId(st.name),
          to: target,
          style: 'jump',
          ...(st.kind === 'select' && { label: key }),
        });
      }
    }
    if (end) g.nodes.push({ id: `${id}_end`, lines: ['end'], shape: 'end' });
    group.groups.push(g);
    edges.push({ from: id, to: stateId(s.start), style: 'link', label: 'start' });
  } else if (s.kind === 'subflow') {
    const inner = staticSubflowTarget(node);
    if (inner === null) return;
    const g: VGroup = { id: `${id}_flow`, label: `subflow ${node.name}`, nodes: [], groups: [] };
    const graph = buildGraph(inner);
    describeGraph(graph, `${id}_`, g, edges);
    group.groups.push(g);
    edges.push({ from: `${id}_${graph.target}`, to: id, style: 'link', label: 'result' });
  }
}

function labelOf(node: GraphNode): string[] {
  const lazy = node.lazy;
  const lines = [node.id];
  const s = lazy.task!.structure;
  if (s?.kind === 'router') lines.push(`router, max ${s.maxSteps} steps`);
  if (s?.kind === 'subflow') lines.push('subflow');
  if (lazy.kind === 'map') lines.push('map');
  if (lazy.retry !== null) lines.push(`retry x${lazy.retry.maxAttempts}`);
  if (lazy.cache !== null) lines.push(`cache ${lazy.cache.kind}`);
  if (lazy.constraints !== null) {
    lines.push(
      Object.entries(lazy.constraints)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    );
  }
  const uses: string[] = [];
  for (const inj of node.injects) {
    if (inputSpecOf(inj) !== null) continue;
    const r = inj.resource;
    const name = typeof r === 'string' ? r : (r?.name ?? '?');
    if (name !== 'context' || s?.kind !== 'subflow') uses.push(name);
  }
  if (uses.length > 0) lines.push(`uses ${uses.join(', ')}`);
  return lines;
}

function stateLabel(st: RouterStateInfo): string[] {
  return st.label === st.name ? [st.name] : [st.name, st.label];
}

function inputLabel(spec: InputSpec): string {
  const dflt = spec.hasDefault ? ` = ${JSON.stringify(spec.default)}` : spec.required ? '' : '?';
  return `${spec.source} ${spec.name}: ${spec.type}${dflt}`;
}

// --- Mermaid ---

function mermaid(root: VGroup, edges: VEdge[], direction: string): string {
  const out = [`flowchart ${direction}`];
  mermaidGroup(root, out, '  ');
  for (const e of edges) {
    const label = e.label === undefined ? '' : `|${mermaidText(e.label)}|`;
    const arrow = e.style === 'data' || e.style === 'jump' ? '-->' : '-.->';
    out.push(`  ${e.from} ${arrow}${label} ${e.to}`);
  }
  return `${out.join('\n')}\n`;
}

function mermaidGroup(g: VGroup, out: string[], indent: string): void {
  for (const n of g.nodes) out.push(`${indent}${n.id}${mermaidShape(n)}`);
  for (const child of g.groups) {
    out.push(`${indent}subgraph ${child.id} ["${mermaidText(child.label)}"]`);
    mermaidGroup(child, out, `${indent}  `);
    out.push(`${indent}end`);
  }
}

function mermaidShape(n: VNode): string {
  const text = `"${n.lines.map(mermaidText).join('<br/>')}"`;
  switch (n.shape) {
    case 'task':
      return `[${text}]`;
    case 'input':
      return `[/${text}/]`;
    case 'state':
      return `(${text})`;
    case 'select':
      return `{${text}}`;
    case 'end':
      return `((${text}))`;
  }
}

/** Mermaid label text: quotes and markup characters as entity codes. */
function mermaidText(s: string): string {
  return s.replace(/[#"<>|]/g, (c) => `#${c.charCodeAt(0)};`);
}

// --- DOT ---

function dot(root: VGroup, edges: VEdge[], direction: string): string {
  const out = [
    'digraph cascade {',
    `  rankdir=${direction};`,
    '  node [shape=box, fontname="sans-serif"];',
  ];
  dotGroup(root, out, '  ');
  for (const e of edges) {
    const attrs: string[] = [];
    if (e.style === 'condition' || e.style === 'after' || e.style === 'link')
      attrs.push('style=dashed');
    if (e.label !== undefined) attrs.push(`label=${dotText(e.label)}`);
    out.push(`  ${e.from} -> ${e.to}${attrs.length > 0 ? ` [${attrs.join(', ')}]` : ''};`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

function dotGroup(g: VGroup, out: string[], indent: string): void {
  for (const n of g.nodes) {
    out.push(`${indent}${n.id} [label=${dotText(n.lines.join('\n'))}${dotShape(n.shape)}];`);
  }
  for (const child of g.groups) {
    out.push(`${indent}subgraph cluster_${child.id} {`);
    out.push(`${indent}  label=${dotText(child.label)};`);
    dotGroup(child, out, `${indent}  `);
    out.push(`${indent}}`);
  }
}

function dotShape(shape: Shape): string {
  switch (shape) {
    case 'task':
      return '';
    case 'input':
      return ', shape=parallelogram';
    case 'state':
      return ', shape=box, style=rounded';
    case 'select':
      return ', shape=diamond';
    case 'end':
      return ', shape=doublecircle';
  }
}

/** A DOT quoted string. */
function dotText(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
