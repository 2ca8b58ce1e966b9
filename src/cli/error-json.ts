/**
 * Errors as JSON. `JSON.stringify` sees only an object's own enumerable properties, and an
 * Error's `message`, `stack` and `cause` are not enumerable: a failed task's event printed as
 * `"error":{}`. Here an error becomes its name, code (when it has one), message and cause, the
 * cause serialised the same way, to any depth.
 */

/** The JSON form of an error. */
export interface ErrorJson {
  name: string;
  code?: unknown;
  message: string;
  cause?: unknown;
}

/** Deeper cause chains are cut here (a cause that refers back to its error would not end). */
const MAX_CAUSE_DEPTH = 16;

/**
 * An error (or anything thrown) as a JSON-friendly value; other values are returned as they
 * are.
 *
 * @example
 * ```ts
 * errorToJson(new Error('outer', { cause: new Error('inner') }));
 * // { name: 'Error', message: 'outer', cause: { name: 'Error', message: 'inner' } }
 * ```
 */
export function errorToJson(value: unknown, depth = 0): unknown {
  if (!(value instanceof Error)) return value;
  const json: ErrorJson = { name: value.name, message: value.message };
  const code = (value as { code?: unknown }).code;
  if (code !== undefined) json.code = code;
  if (value.cause !== undefined) {
    json.cause =
      depth + 1 >= MAX_CAUSE_DEPTH ? '(cause chain cut)' : errorToJson(value.cause, depth + 1);
  }
  return json;
}

/**
 * A `JSON.stringify` replacer that writes every error inside the value with
 * {@link errorToJson}.
 *
 * @example
 * ```ts
 * JSON.stringify({ type: 'TaskExecutionFinished', error: new Error('boom') }, errorReplacer);
 * // {"type":"TaskExecutionFinished","error":{"name":"Error","message":"boom"}}
 * ```
 */
export function errorReplacer(_key: string, value: unknown): unknown {
  return errorToJson(value);
}
