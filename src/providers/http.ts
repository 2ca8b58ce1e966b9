/**
 * The `http` provider: one HTTP request as a task, through the platform's `fetch`. The run's
 * AbortSignal cancels it; `timeoutMs` bounds it; retries are the engine's (`{ retry }` here is
 * `.withRetry(retry)` on the task, with its events and its clock).
 *
 * Invariants:
 * - [HTTP-1] A response whose status is outside 200..299 rejects with HttpStatusError
 *   (`status`, and the first 1 KiB of the body in `details.bodyTail`); it is retried under
 *   the task's retry policy, except a 4xx other than 408, 425 and 429 (`retryable: false`:
 *   the same request gets the same answer) [ATT-6].
 * - [HTTP-2] Cancelling the run aborts the request (CancelledError); passing `timeoutMs`
 *   aborts it with TimeoutError. Reading the body is covered by both.
 */
import { task } from '../spec/task.js';
import { inject } from '../spec/resource.js';
import { isLazyResult, type LazyResult } from '../spec/lazy-result.js';
import type { LazyArg } from '../spec/task.js';
import type { RetryPolicy } from '../spec/policies.js';
import { CancelledError, InvalidArgumentError } from '../errors.js';
import { HttpStatusError, TimeoutError } from './provider-errors.js';

/** How the body of a 2xx response is read. */
export type HttpBodyType = 'text' | 'json' | 'bytes';

/** Options of {@link http} and {@link requestHttp}. */
export interface HttpOptions {
  /** `GET` by default; `POST` by default when `body` or `json` is given. */
  readonly method?: string;
  /** Request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A request body. */
  readonly body?: string | Uint8Array;
  /** A JSON request body (serialised; `content-type: application/json` set). */
  readonly json?: unknown;
  /** Abort with TimeoutError after this many ms (headers and body). */
  readonly timeoutMs?: number;
  /** How to read the response body: `text` (default), `json` or `bytes`. */
  readonly as?: HttpBodyType;
  /** Retry under the engine's policy: the same as `.withRetry(retry)` on the result. */
  readonly retry?: RetryPolicy;
}

/** A 2xx response. */
export interface HttpResponse<B> {
  /** The status, 200..299. */
  readonly status: number;
  /** Response headers, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body, read as asked (`as`). */
  readonly body: B;
  /** The final URL (after redirects). */
  readonly url: string;
}

/**
 * Make one request now (outside any workflow). See {@link http}.
 *
 * @example
 * ```ts
 * const res = await requestHttp<{ ok: boolean }>('http://127.0.0.1:8080/health', { as: 'json' });
 * res.body.ok;
 * ```
 */
export async function requestHttp<B = string>(
  url: string,
  options: HttpOptions & { signal?: AbortSignal } = {},
): Promise<HttpResponse<B>> {
  if (typeof url !== 'string' || !URL.canParse(url)) {
    throw new InvalidArgumentError('http url', url, 'must be an absolute URL');
  }
  const as = options.as ?? 'text';
  if (as !== 'text' && as !== 'json' && as !== 'bytes') {
    throw new InvalidArgumentError('http.as', as, "must be 'text', 'json' or 'bytes'");
  }
  const timeoutMs = options.timeoutMs;
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0)) {
    throw new InvalidArgumentError('http.timeoutMs', timeoutMs, 'must be a number > 0');
  }
  const headers = new Headers(options.headers);
  let body: string | Uint8Array | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  const method = (options.method ?? (body === undefined ? 'GET' : 'POST')).toUpperCase();
  const run = options.signal;
  const timeout = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
  const signals = [run, timeout].filter((s): s is AbortSignal => s !== undefined);
  // one signal for both (AbortSignal.any needs Node 20.3; engines says 20)
  const both = new AbortController();
  const onAbort = (e: Event): void => both.abort((e.target as AbortSignal).reason);
  for (const s of signals) {
    if (s.aborted) both.abort(s.reason);
    else s.addEventListener('abort', onAbort, { once: true });
  }
  const signal = signals.length === 0 ? undefined : both.signal;
  try {
    const res = await fetch(url, { method, headers, body, signal, redirect: 'follow' });
    if (res.status < 200 || res.status > 299) {
      const text = await res.text();
      throw new HttpStatusError(method, url, {
        status: res.status,
        statusText: res.statusText,
        bodyTail: text.slice(0, 1024),
      }); // [HTTP-1]
    }
    const value =
      as === 'json'
        ? await res.json()
        : as === 'bytes'
          ? new Uint8Array(await res.arrayBuffer())
          : await res.text();
    return {
      status: res.status,
      headers: Object.fromEntries(res.headers),
      body: value as B,
      url: res.url,
    };
  } catch (error) {
    // [HTTP-2]
    if (timeout?.aborted === true) throw new TimeoutError(`${method} ${url}`, timeoutMs!);
    if (run?.aborted === true) throw new CancelledError('http cancelled', { cause: run.reason });
    throw error;
  } finally {
    for (const s of signals) s.removeEventListener('abort', onAbort);
  }
}

const httpTask = task(
  (url: string, options: HttpOptions, signal: AbortSignal) =>
    requestHttp<unknown>(url, { ...options, signal }),
  { name: 'http' },
);

/**
 * A task making one HTTP request with `fetch`: resolves with the status, headers and body of a
 * 2xx response (read as `as` says: text by default); any other status is an HttpStatusError
 * [HTTP-1]. Cancelling the run aborts the request; `timeoutMs` bounds it [HTTP-2]. `retry`
 * applies the engine's retry policy (as `.withRetry` does). URL and options may hold
 * LazyResults.
 *
 * @example
 * ```ts
 * import { Engine } from 'cascade';
 * import { http } from 'cascade/providers';
 * const user = http<{ name: string }>('http://127.0.0.1:8080/user/1', {
 *   as: 'json',
 *   timeoutMs: 2000,
 *   retry: { maxAttempts: 3, delay: 100, backoff: 2 },
 * });
 * const { body } = await new Engine().run(user); // body.name
 * ```
 */
export function http<B = string>(
  url: LazyArg<string>,
  options?: LazyArg<HttpOptions & { as?: 'text' }>,
): LazyResult<HttpResponse<B>>;
export function http<B = unknown>(
  url: LazyArg<string>,
  options: LazyArg<HttpOptions & { as: 'json' }>,
): LazyResult<HttpResponse<B>>;
export function http(
  url: LazyArg<string>,
  options: LazyArg<HttpOptions & { as: 'bytes' }>,
): LazyResult<HttpResponse<Uint8Array>>;
export function http(
  url: LazyArg<string>,
  options: LazyArg<HttpOptions> = {},
): LazyResult<HttpResponse<unknown>> {
  if (typeof url === 'string' && !URL.canParse(url)) {
    throw new InvalidArgumentError('http url', url, 'must be an absolute URL'); // [POL-1]
  }
  const call = httpTask(url, options, inject<AbortSignal>('signal'));
  const retry = isLazyResult(options) ? undefined : (options as HttpOptions).retry;
  return retry === undefined ? call : call.withRetry(retry);
}
