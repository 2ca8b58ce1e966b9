/**
 * The API report of the package root (`import ... from 'cascade'`): every name src/index.ts
 * exports, with its kind and its signature as the TypeScript compiler sees it (functions with
 * each overload, classes and interfaces with their public members, types with their
 * definition). `npm run api:update` (`npx tsx scripts/api-report.ts`) writes
 * api/cascade.api.md; `--check` exits 1 when the file is stale. test/api-report.test.ts runs
 * the same check, so a change to the root surface is a visible change to a reviewed file.
 *
 * Built on the compiler API rather than api-extractor: one dependency fewer, nothing to pin
 * beside the `typescript` the project already compiles with, and the report is plain names and
 * signatures (no `.d.ts` rollup, no doc-comment lint).
 */
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the report lives. */
export const API_REPORT = join(root, 'api', 'cascade.api.md');

/** The command that rewrites the report, as a failing check names it. */
export const API_UPDATE_COMMAND = 'npm run api:update';

/** One exported name of the root. */
export interface ApiEntry {
  readonly name: string;
  /** `class`, `function`, `const`, `interface` or `type`. */
  readonly kind: string;
  /** Its declaration as TypeScript prints it (members one a line for classes and interfaces). */
  readonly signature: string;
}

const FORMAT =
  ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType;

/**
 * The root's exports, sorted by name, read from src/index.ts with the project's compiler
 * options.
 *
 * @example
 * ```ts
 * apiEntries().find((e) => e.name === 'task'); // { name: 'task', kind: 'function', signature: … }
 * ```
 */
export function apiEntries(): ApiEntry[] {
  const entry = join(root, 'src', 'index.ts');
  const program = ts.createProgram([entry], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    types: ['node'],
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (source === undefined || moduleSymbol === undefined) throw new Error(`cannot read ${entry}`);
  const entries = checker
    .getExportsOfModule(moduleSymbol)
    .map((exported) => describeSymbol(checker, exported));
  const key = (e: ApiEntry): string => `${e.name.toLowerCase()} ${e.name}`;
  return entries.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

// Types are printed with no enclosing declaration: by their own names, never qualified by the
// (machine-specific) path of the file that declares them.
const at = undefined;

function describeSymbol(checker: ts.TypeChecker, exported: ts.Symbol): ApiEntry {
  const name = exported.name;
  const symbol =
    exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const flags = symbol.flags;

  if (flags & ts.SymbolFlags.Class) {
    const instance = checker.getDeclaredTypeOfSymbol(symbol);
    const statics = checker.getTypeOfSymbol(symbol);
    const lines = [
      ...statics
        .getConstructSignatures()
        .map((s) => `  constructor${constructorText(checker, s)};`),
      ...members(checker, symbol, statics, 'static ').filter((l) => !l.includes(' prototype:')),
      ...members(checker, symbol, instance, ''),
    ];
    return {
      name,
      kind: 'class',
      signature: block(`class ${name}${typeParams(symbol)}${heritage(symbol)}`, lines),
    };
  }
  if (flags & ts.SymbolFlags.Interface) {
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    const lines = [
      ...type.getCallSignatures().map((s) => `  ${signatureText(checker, s)};`),
      ...members(checker, symbol, type, ''),
    ];
    return {
      name,
      kind: 'interface',
      signature: block(`interface ${name}${typeParams(symbol)}${heritage(symbol)}`, lines),
    };
  }
  if (flags & ts.SymbolFlags.Function) {
    const type = checker.getTypeOfSymbol(symbol);
    const overloads = type
      .getCallSignatures()
      .map((s) => `function ${name}${signatureText(checker, s)};`);
    return { name, kind: 'function', signature: overloads.join('\n') };
  }
  if (flags & ts.SymbolFlags.Variable) {
    const type = checker.getTypeOfSymbol(symbol);
    // `ErrorCode` is both a const and a type of the same name: the const is the API.
    return { name, kind: 'const', signature: `const ${name}: ${typeText(checker, type)};` };
  }
  if (flags & ts.SymbolFlags.TypeAlias) {
    const declaration = symbol.declarations?.find(ts.isTypeAliasDeclaration);
    const definition =
      declaration === undefined
        ? typeText(checker, checker.getDeclaredTypeOfSymbol(symbol))
        : declaration.type.getText();
    return {
      name,
      kind: 'type',
      signature: `type ${name}${typeParams(symbol)} = ${oneLine(definition)};`,
    };
  }
  throw new Error(`api report: no rule for the kind of ${name} (symbol flags ${flags})`);
}

/** The members `owner` declares itself (inherited ones are its base type's). */
function members(
  checker: ts.TypeChecker,
  owner: ts.Symbol,
  type: ts.Type,
  prefix: string,
): string[] {
  const own = new Set<ts.Node>(owner.declarations);
  const lines: string[] = [];
  for (const member of checker.getPropertiesOfType(type)) {
    const declaration = member.valueDeclaration ?? member.declarations?.[0];
    if (declaration === undefined || !own.has(declaration.parent)) continue;
    const modifiers = ts.getCombinedModifierFlags(declaration);
    if (modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
    if (member.name.startsWith('#') || member.name.startsWith('__')) continue;
    if (ts.getJSDocTags(declaration).some((t) => t.tagName.text === 'internal')) continue;
    const readonly = modifiers & ts.ModifierFlags.Readonly ? 'readonly ' : '';
    const optional = member.flags & ts.SymbolFlags.Optional ? '?' : '';
    const memberType = checker.getTypeOfSymbolAtLocation(member, declaration);
    const isMethod = member.flags & ts.SymbolFlags.Method;
    if (isMethod) {
      for (const s of memberType.getCallSignatures()) {
        lines.push(`  ${prefix}${member.name}${optional}${signatureText(checker, s)};`);
      }
    } else if (
      member.flags & ts.SymbolFlags.GetAccessor &&
      !(member.flags & ts.SymbolFlags.SetAccessor)
    ) {
      lines.push(`  ${prefix}get ${member.name}(): ${typeText(checker, memberType)};`);
    } else {
      lines.push(
        `  ${prefix}${readonly}${member.name}${optional}: ${typeText(checker, memberType)};`,
      );
    }
  }
  return lines;
}

function signatureText(checker: ts.TypeChecker, s: ts.Signature): string {
  return unqualified(checker.signatureToString(s, at, FORMAT));
}

/** A construct signature without the class's type parameters and return type. */
function constructorText(checker: ts.TypeChecker, s: ts.Signature): string {
  return signatureText(checker, s)
    .replace(/^<[^(]*>(?=\()/, '')
    .replace(/: [^:]*$/, '');
}

function typeText(checker: ts.TypeChecker, type: ts.Type): string {
  return unqualified(checker.typeToString(type, at, FORMAT));
}

/** `import("http").Server` as `http.Server`: no file paths in the report. */
function unqualified(text: string): string {
  return text.replace(/import\("([^"]+)"\)\./g, '$1.');
}

function typeParams(symbol: ts.Symbol): string {
  const declaration = symbol.declarations?.[0];
  if (declaration === undefined) return '';
  const params = ts.getEffectiveTypeParameterDeclarations(
    declaration as ts.DeclarationWithTypeParameters,
  );
  return params.length === 0 ? '' : `<${params.map((p) => oneLine(p.getText())).join(', ')}>`;
}

function heritage(symbol: ts.Symbol): string {
  const declaration = symbol.declarations?.find(
    (d) => ts.isClassDeclaration(d) || ts.isInterfaceDeclaration(d),
  );
  const clauses = declaration?.heritageClauses ?? [];
  return clauses.map((c) => ` ${oneLine(c.getText())}`).join('');
}

function block(head: string, lines: string[]): string {
  return lines.length === 0 ? `${head} {}` : `${head} {\n${lines.join('\n')}\n}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/^\| /, '');
}

/**
 * The report's text for `entries`.
 *
 * @example
 * ```ts
 * writeFileSync(API_REPORT, renderApiReport(apiEntries()));
 * ```
 */
export function renderApiReport(entries: readonly ApiEntry[]): string {
  const values = entries.filter((e) => e.kind !== 'interface' && e.kind !== 'type').length;
  const parts = [
    '# API report: `cascade` (the package root)',
    '',
    `Generated from src/index.ts by \`${API_UPDATE_COMMAND}\` (scripts/api-report.ts); \`npm test\``,
    'fails when it is stale. Review a change to this file as a change to the public API. The',
    'layer subpaths (`cascade/runtime`, `cascade/messaging`, ...) are not listed here.',
    '',
    `${entries.length} names: ${values} values, ${entries.length - values} types.`,
    '',
    '| name | kind |',
    '| ---- | ---- |',
    ...entries.map((e) => `| \`${e.name}\` | ${e.kind} |`),
  ];
  for (const e of entries) {
    parts.push('', `## ${e.name}`, '', '```ts', e.signature, '```');
  }
  return `${parts.join('\n')}\n`;
}

function main(): void {
  const text = renderApiReport(apiEntries());
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(API_REPORT, 'utf8');
    } catch {
      // missing: stale
    }
    if (current !== text) {
      process.stderr.write(`api/cascade.api.md is stale: run ${API_UPDATE_COMMAND}\n`);
      process.exit(1);
    }
    return;
  }
  mkdirSync(dirname(API_REPORT), { recursive: true });
  writeFileSync(API_REPORT, text);
  process.stdout.write(`wrote api/cascade.api.md (${text.split('\n## ').length - 1} names)\n`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
