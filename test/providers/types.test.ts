// Types flow through the providers: what each LazyResult resolves to, typed bodies, LazyResult
// arguments accepted where values are. Checked by tsc (npm run typecheck) and run by vitest.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { task, type LazyResult } from '../../src/index.js';
import {
  http,
  readFile,
  shell,
  template,
  wait,
  writeFile,
  type HttpResponse,
  type ShellResult,
} from '../../src/providers/index.js';

describe('provider types', () => {
  it('give LazyResults of what they resolve to', () => {
    const name = task(() => 'x', { name: 'name' })();
    expectTypeOf(shell(['echo', name])).toEqualTypeOf<LazyResult<ShellResult>>();
    expectTypeOf(http('http://127.0.0.1/')).toEqualTypeOf<LazyResult<HttpResponse<string>>>();
    expectTypeOf(http<{ id: number }>('http://127.0.0.1/', { as: 'json' })).toEqualTypeOf<
      LazyResult<HttpResponse<{ id: number }>>
    >();
    expectTypeOf(http('http://127.0.0.1/', { as: 'bytes' })).toEqualTypeOf<
      LazyResult<HttpResponse<Uint8Array>>
    >();
    expectTypeOf(readFile('a.txt')).toEqualTypeOf<LazyResult<string>>();
    expectTypeOf(readFile('a.bin', { as: 'bytes' })).toEqualTypeOf<LazyResult<Uint8Array>>();
    expectTypeOf(readFile<{ port: number }>('c.json', { as: 'json' })).toEqualTypeOf<
      LazyResult<{ port: number }>
    >();
    expectTypeOf(writeFile('out.txt', name)).toEqualTypeOf<LazyResult<string>>();
    expectTypeOf(template(readFile('t.txt'), { n: name })).toEqualTypeOf<LazyResult<string>>();
    expectTypeOf(wait(10, 42)).toEqualTypeOf<LazyResult<number>>();
    expectTypeOf(wait(10)).toEqualTypeOf<LazyResult<undefined>>();
  });

  it('refuse what does not fit', () => {
    // @ts-expect-error argv elements are strings (and at run time: INVALID_ARGUMENT)
    expect(() => shell(['echo', 1])).toThrow(/shell command\[1\]/);
    // @ts-expect-error a URL is a string
    expectTypeOf(http(42)).toBeObject();
  });
});
