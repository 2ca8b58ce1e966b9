import { describe, expect, it } from 'vitest';
import { errorReplacer, errorToJson } from '../../src/cli/error-json.js';
import { CascadeError, ErrorCode, InvalidArgumentError } from '../../src/errors.js';

describe('errorToJson', () => {
  it('writes name, code, message and the cause, recursively', () => {
    const inner = new InvalidArgumentError('period', -1, 'must be > 0');
    const outer = new CascadeError(
      ErrorCode.TASK_FAILED,
      'task t failed',
      {},
      {
        cause: new Error('middle', { cause: inner }),
      },
    );
    expect(JSON.parse(JSON.stringify({ error: outer }, errorReplacer))).toEqual({
      error: {
        name: 'CascadeError',
        code: 'CASCADE_ERR_TASK_FAILED',
        message: 'task t failed',
        cause: {
          name: 'Error',
          message: 'middle',
          cause: {
            name: 'InvalidArgumentError',
            code: 'CASCADE_ERR_INVALID_ARGUMENT',
            message: 'invalid period: -1 (must be > 0)',
          },
        },
      },
    });
  });

  it('keeps a cause that is not an error as it is', () => {
    expect(errorToJson(new Error('x', { cause: { status: 503 } }))).toEqual({
      name: 'Error',
      message: 'x',
      cause: { status: 503 },
    });
  });

  it('ends on a cause chain that loops', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(JSON.stringify(a, errorReplacer)).toContain('(cause chain cut)');
  });

  it('leaves other values alone', () => {
    expect(JSON.stringify({ n: 1, s: 'x', a: [null] }, errorReplacer)).toBe(
      '{"n":1,"s":"x","a":[null]}',
    );
  });
});
