/**
 * The index of invariant tags (`[VM-4]`: a rule stated once in a module comment and named by its tests): where each is defined (a
 * `- [TAG] …` bullet in a file's header comment under src/), where code and tests refer to it,
 * and which tags no test names. `npx tsx scripts/invariants.ts` writes docs/invariants.md;
 * `--check` exits 1 when the file is stale or a tag is defined twice or referred to but never
 * defined. test/invariants.test.ts runs the same checks.
 *
 * A reference is any bracketed tag in src/, test/ or bench/: `[VM-4]`, a list `[WAIT-1,
 * WAIT-2]`, a range `[TAIL-1..3]`. Tags of the MQTT specification (`[MQTT-4.7.1-1]`) are the
 * spec's, not ours, and are left out.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One tag of the index. */
export interface InvariantTag {
  readonly tag: string;
  /** `file:line` of each definition (more than one is an error). */
  readonly definedAt: string[];
  /** The definition's first line of text. */
  readonly summary: string;
  /** Files under src/ and bench/ that refer to it (the defining file not counted). */
  readonly code: Set<string>;
  /** Test files that name it. */
  readonly tests: Set<string>;
}

/** The index, and what is wrong with it. */
export interface InvariantIndex {
  readonly tags: Map<string, InvariantTag>;
  /** `TAG at file:line` for each reference to a tag that is never defined. */
  readonly missing: string[];
  /** Tags defined more than once. */
  readonly duplicates: string[];
  /** Tags that no test names. */
  readonly untested: string[];
}

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const DEFINITION = /^\s*\*\s+-\s+\[([A-Z][A-Z0-9]*(?:-[A-Z][A-Z0-9]*)*-\d+)\]\s*(.*)$/;
const BRACKETS =
  /\[([A-Z][A-Z0-9]*(?:-[A-Z][A-Z0-9]*)*-\d+(?:\.\.\d+)?(?:,\s*[A-Z][A-Z0-9-]*\d(?:\.\.\d+)?)*)\]/g;
const ONE = /^([A-Z][A-Z0-9]*(?:-[A-Z][A-Z0-9]*)*)-(\d+)(?:\.\.(\d+))?$/;

function filesUnder(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) filesUnder(path, out);
    else if (/\.(ts|js|mjs|html)$/.test(name)) out.push(path);
  }
  return out;
}

/** The tags inside one bracket: `VM-4`, `WAIT-1, WAIT-2`, `TAIL-1..3` (expanded). */
function tagsIn(inner: string): string[] {
  const out: string[] = [];
  for (const part of inner.split(',')) {
    const m = ONE.exec(part.trim());
    if (m === null) continue;
    const from = Number(m[2]);
    const to = m[3] === undefined ? from : Number(m[3]);
    for (let n = from; n <= to; n++) out.push(`${m[1]}-${n}`);
  }
  return out;
}

/**
 * Scan the repository at `root` and build the index.
 *
 * @example
 * ```ts
 * const { duplicates, missing } = scanInvariants();
 * ```
 */
export function scanInvariants(root = ROOT): InvariantIndex {
  const tags = new Map<string, InvariantTag>();
  const refs: { tag: string; file: string; at: string; test: boolean }[] = [];
  for (const top of ['src', 'test', 'bench']) {
    for (const path of filesUnder(join(root, top))) {
      const file = relative(root, path);
      const test = top === 'test';
      const lines = readFileSync(path, 'utf8').split('\n');
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        const def = top === 'src' ? DEFINITION.exec(line) : null;
        if (def !== null) {
          const at = `${file}:${i + 1}`;
          const known = tags.get(def[1]);
          if (known !== undefined) known.definedAt.push(at);
          else {
            tags.set(def[1], {
              tag: def[1],
              definedAt: [at],
              summary: def[2].trim(),
              code: new Set(),
              tests: new Set(),
            });
          }
        }
        for (const m of line.matchAll(BRACKETS)) {
          if (def !== null && m.index === line.indexOf('[')) continue; // the definition itself
          if (m[1].startsWith('MQTT-')) continue;
          for (const tag of tagsIn(m[1])) refs.push({ tag, file, at: `${file}:${i + 1}`, test });
        }
      }
    }
  }
  const missing: string[] = [];
  for (const r of refs) {
    const t = tags.get(r.tag);
    if (t === undefined) missing.push(`${r.tag} at ${r.at}`);
    else if (r.test) t.tests.add(r.file);
    else if (!t.definedAt[0].startsWith(`${r.file}:`)) t.code.add(r.file);
  }
  const sorted = new Map([...tags].sort(([a], [b]) => compareTags(a, b)));
  return {
    tags: sorted,
    missing,
    duplicates: [...sorted.values()].filter((t) => t.definedAt.length > 1).map((t) => t.tag),
    untested: [...sorted.values()].filter((t) => t.tests.size === 0).map((t) => t.tag),
  };
}

function compareTags(a: string, b: string): number {
  const [pa, na] = splitTag(a);
  const [pb, nb] = splitTag(b);
  return pa === pb ? na - nb : pa < pb ? -1 : 1;
}

function splitTag(tag: string): [string, number] {
  const i = tag.lastIndexOf('-');
  return [tag.slice(0, i), Number(tag.slice(i + 1))];
}

/**
 * docs/invariants.md for an index.
 *
 * @example
 * ```ts
 * writeFileSync('docs/invariants.md', renderInvariants(scanInvariants()));
 * ```
 */
export function renderInvariants(index: InvariantIndex): string {
  const out: string[] = [
    '# Invariants',
    '',
    'Every numbered invariant the code keeps, where it is defined (the header comment of the',
    'file that owns it), and the tests that name it. Code and tests refer to an invariant by',
    'its tag, e.g. `// [VM-4]`. Generated by `npm run invariants:update`; a test fails when',
    'this file is stale, when a tag is defined twice or when a tag referred to is not defined.',
    '',
    `${index.tags.size} invariants; ${index.untested.length} named by no test.`,
    '',
    '| tag | defined in | invariant | tests |',
    '| --- | --- | --- | --- |',
  ];
  for (const t of index.tags.values()) {
    const tests = [...t.tests].sort().map((f) => `\`${f.replace(/^test\//, '')}\``);
    const summary = t.summary.replace(/\|/g, '\\|').replace(/\s*\[[^\]]*\]\s*$/, '');
    out.push(
      `| \`${t.tag}\` | \`${t.definedAt[0].replace(/:\d+$/, '')}\` | ${summary}… | ${tests.length === 0 ? '**none**' : tests.join(', ')} |`,
    );
  }
  out.push('', '## Named by no test', '');
  out.push(
    index.untested.length === 0 ? 'None.' : index.untested.map((t) => `\`${t}\``).join(', '),
  );
  out.push('');
  return out.join('\n');
}

/** The path of the generated index. */
export const INVARIANTS_DOC = join(ROOT, 'docs', 'invariants.md');

function main(): void {
  const index = scanInvariants();
  const text = renderInvariants(index);
  const problems = [
    ...index.duplicates.map((t) => `defined twice: ${t}`),
    ...index.missing.map((m) => `not defined: ${m}`),
  ];
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(INVARIANTS_DOC, 'utf8');
    } catch {
      // missing: stale
    }
    if (current !== text)
      problems.push('docs/invariants.md is stale: run npm run invariants:update');
  } else {
    writeFileSync(INVARIANTS_DOC, text);
  }
  for (const p of problems) console.error(p);
  console.log(`${index.tags.size} invariants, ${index.untested.length} named by no test`);
  if (problems.length > 0) process.exitCode = 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
