/**
 * The `template` provider: string templating of a task's inputs, deliberately tiny. A
 * placeholder is `{{ path }}`, where path is a name or a dotted path (`user.name`,
 * `items.0`); nothing else is evaluated: no expressions, no calls, no loops, no HTML escaping.
 * `\{{` writes a literal `{{`.
 *
 * Invariants:
 * - [TPL-1] A path is looked up through own properties only: `{{ constructor }}` or
 *   `{{ __proto__ }}` never reach a prototype.
 * - [TPL-2] A placeholder with no value (missing, undefined or null), a malformed placeholder
 *   or an unclosed `{{` is INVALID_ARGUMENT naming it: a template never renders a silent gap.
 * - [TPL-3] Strings are inserted as they are, numbers, booleans and bigints as `String(v)`,
 *   arrays and objects as JSON.
 */
import { task } from '../spec/task.js';
import type { LazyResult } from '../spec/lazy-result.js';
import type { LazyArg } from '../spec/task.js';
import { InvalidArgumentError } from '../errors.js';

const PATH = /^[A-Za-z_$][\w$-]*(?:\.[\w$-]+)*$/;

/**
 * Render `text` with `values` now (outside any workflow). See {@link template}.
 *
 * @example
 * ```ts
 * renderTemplate('Hello {{ user.name }}, {{ n }} new', { user: { name: 'Ada' }, n: 3 });
 * // 'Hello Ada, 3 new'
 * ```
 */
export function renderTemplate(text: string, values: Readonly<Record<string, unknown>>): string {
  if (typeof text !== 'string') {
    throw new InvalidArgumentError('template', text, 'must be a string');
  }
  if (typeof values !== 'object' || values === null) {
    throw new InvalidArgumentError('template values', values, 'must be an object');
  }
  let out = '';
  let i = 0;
  for (;;) {
    const open = text.indexOf('{{', i);
    if (open < 0) return out + text.slice(i);
    if (open > 0 && text[open - 1] === '\\') {
      out += `${text.slice(i, open - 1)}{{`;
      i = open + 2;
      continue;
    }
    const close = text.indexOf('}}', open + 2);
    if (close < 0) {
      throw new InvalidArgumentError('template', text.slice(open, open + 40), 'unclosed {{'); // [TPL-2]
    }
    const path = text.slice(open + 2, close).trim();
    if (!PATH.test(path)) {
      throw new InvalidArgumentError(
        'template placeholder',
        `{{${text.slice(open + 2, close)}}}`,
        'must be a name or a dotted path',
      );
    }
    out += text.slice(i, open) + show(lookUp(values, path), path);
    i = close + 2;
  }
}

/** [TPL-1] own properties only */
function lookUp(values: object, path: string): unknown {
  let at: unknown = values;
  for (const key of path.split('.')) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** [TPL-3] */
function show(value: unknown, path: string): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'object':
      if (value !== null) return JSON.stringify(value);
      break;
    default:
      break;
  }
  throw new InvalidArgumentError('template placeholder', `{{ ${path} }}`, 'has no value'); // [TPL-2]
}

const templateTask = task(renderTemplate, { name: 'template', pure: true });

/**
 * A task rendering a template with values (either may be, or hold, LazyResults): `{{ name }}`
 * and dotted paths (`{{ user.name }}`), nothing more. A placeholder with no value is an
 * INVALID_ARGUMENT error naming it [TPL-2].
 *
 * @example
 * ```ts
 * import { Engine } from 'cascade';
 * import { template, readFile } from 'cascade/providers';
 * const mail = template(readFile('mail.txt'), { user: { name: 'Ada' }, count: 3 });
 * console.log(await new Engine().run(mail));
 * ```
 */
export function template(
  text: LazyArg<string>,
  values: LazyArg<Readonly<Record<string, unknown>>>,
): LazyResult<string> {
  if (typeof text !== 'string' && (typeof text !== 'object' || text === null)) {
    throw new InvalidArgumentError('template', text, 'must be a string or a LazyResult'); // [POL-1]
  }
  return templateTask(text, values);
}
