/**
 * Loading a workflow module for `cascade graph` and `cascade plan`: import a .js/.mjs/.cjs
 * file as it is, or a .ts/.mts/.cts file through tsx's ESM loader (`tsx/esm/api`), found in
 * the working directory's node_modules first, then beside cascade; then pick the exported
 * target (a LazyResult): `--export NAME`, else `default`, else the only one.
 *
 * Invariants:
 * - [LOAD-1] Every way of not finding a target (no file, TypeScript without tsx, no target,
 *   several targets, an unknown --export) is a UsageError (exit 2) saying what to do.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LazyResult } from '../spec/lazy-result.js';
import { UsageError } from './usage-error.js';

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);

interface TsxApi {
  register(): unknown;
}

/**
 * Import `file` and return the target it exports.
 *
 * @example
 * ```ts
 * const target = await loadTarget('workflows/report.ts', 'weekly');
 * ```
 */
export async function loadTarget(file: string, exportName?: string): Promise<LazyResult<unknown>> {
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`${file}: no such file`);
  if (TYPESCRIPT.has(extname(path))) await registerTsx(file);
  const module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  return pickTarget(file, module, exportName);
}

async function registerTsx(file: string): Promise<void> {
  let api: Partial<TsxApi> | null = null;
  const local = localTsxApi();
  try {
    // the user's own tsx first (a project that runs its workflows with it), else cascade's
    api = (await import(local ?? 'tsx/esm/api')) as Partial<TsxApi>;
  } catch {
    api = null;
  }
  if (typeof api?.register !== 'function') {
    throw new UsageError(
      `${file} is TypeScript and tsx is not installed: run \`npm install --save-dev tsx\`, ` +
        'or compile the module to .js, or run `node --import tsx <cascade>/dist/cli/main.js ...`',
    );
  }
  api.register();
}

/**
 * The URL of the ESM entry of `tsx/esm/api` in the working directory's node_modules, or null.
 * (createRequire resolves with the `require` condition, so the `import` entry is read from
 * tsx's own exports map.)
 */
function localTsxApi(): string | null {
  try {
    const pkgPath = createRequire(join(process.cwd(), 'noop.js')).resolve('tsx/package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as {
      exports?: Record<string, { import?: { default?: string } | string }>;
    };
    const entry = pkg.exports?.['./esm/api']?.import;
    const rel = typeof entry === 'string' ? entry : entry?.default;
    return rel === undefined ? null : pathToFileURL(join(dirname(pkgPath), rel)).href;
  } catch {
    return null;
  }
}

/**
 * The target among a module's exports. [LOAD-1]
 *
 * @example
 * ```ts
 * pickTarget('flow.js', { default: add(1, 2) }); // the default export
 * ```
 */
export function pickTarget(
  file: string,
  module: Readonly<Record<string, unknown>>,
  exportName?: string,
): LazyResult<unknown> {
  const targets = Object.keys(module).filter((k) => isTarget(module[k]));
  if (exportName !== undefined) {
    if (!(exportName in module)) {
      throw new UsageError(`${file} has no export "${exportName}" (targets: ${list(targets)})`);
    }
    return asTarget(file, exportName, module[exportName]);
  }
  if ('default' in module && module.default !== undefined) {
    return asTarget(file, 'default', module.default);
  }
  if (targets.length === 1) return module[targets[0]] as LazyResult<unknown>;
  if (targets.length > 1) {
    throw new UsageError(
      `${file} exports several targets (${list(targets)}): pick one with --export NAME`,
    );
  }
  const foreign = Object.keys(module).filter((k) => looksLikeLazy(module[k]));
  if (foreign.length > 0) {
    throw new UsageError(
      `${file}: ${list(foreign)} come from another copy of cascade; import task from 'cascade'`,
    );
  }
  throw new UsageError(`${file} exports no target (a LazyResult: a task call, router or subflow)`);
}

function asTarget(file: string, name: string, value: unknown): LazyResult<unknown> {
  if (isTarget(value)) return value;
  const hint = looksLikeLazy(value)
    ? ` (it comes from another copy of cascade; import from 'cascade')`
    : '';
  throw new UsageError(
    `${file}: export "${name}" is not a target (a task call's LazyResult)${hint}`,
  );
}

function isTarget(value: unknown): value is LazyResult<unknown> {
  return value instanceof LazyResult && value.kind !== 'inject';
}

function looksLikeLazy(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof LazyResult) &&
    value.constructor?.name === 'LazyResult'
  );
}

function list(names: string[]): string {
  return names.length === 0 ? 'none' : names.join(', ');
}
