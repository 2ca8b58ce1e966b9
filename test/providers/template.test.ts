// The template provider: placeholders and dotted paths, nothing evaluated. [TPL-1..3]
import { mkdtemp, rm, writeFile as fsWriteFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine, task } from '../../src/index.js';
import { ErrorCode } from '../../src/errors.js';
import { readFile, renderTemplate, template } from '../../src/providers/index.js';

describe('template', () => {
  it('[TPL-3] fills names and dotted paths; objects as JSON', () => {
    const out = renderTemplate('Hi {{ user.name }}, {{n}} new: {{ items.1 }} {{tags}} {{ ok }}', {
      user: { name: 'Ada' },
      n: 3,
      items: ['a', 'b'],
      tags: ['x', 'y'],
      ok: false,
    });
    expect(out).toBe('Hi Ada, 3 new: b ["x","y"] false');
    expect(renderTemplate('no placeholders', {})).toBe('no placeholders');
    expect(renderTemplate('literal \\{{ name }}', {})).toBe('literal {{ name }}');
  });

  it('[TPL-2] a missing value, a malformed placeholder or an unclosed one names the problem', () => {
    for (const [text, message] of [
      ['{{ missing }}', /\{\{ missing \}\} \(has no value\)/],
      ['{{ a.b }}', /has no value/],
      ['{{ a + 1 }}', /name or a dotted path/],
      ['{{ fn() }}', /name or a dotted path/],
      ['open {{ here', /unclosed/],
    ] as const) {
      const error = (() => {
        try {
          renderTemplate(text, { a: {}, nothing: null });
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect((error as { code: string }).code).toBe(ErrorCode.INVALID_ARGUMENT);
      expect((error as Error).message).toMatch(message);
    }
    expect(() => renderTemplate('{{ nothing }}', { nothing: null })).toThrow(/has no value/);
  });

  it('[TPL-1] never reaches a prototype', () => {
    for (const text of [
      '{{ constructor }}',
      '{{ __proto__ }}',
      '{{ a.constructor.name }}',
      '{{ toString }}',
    ]) {
      expect(() => renderTemplate(text, { a: {} })).toThrow(/has no value/);
    }
  });

  it('renders in a workflow from LazyResults (a template file and a task value)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cascade-tpl-'));
    try {
      const file = path.join(dir, 'mail.txt');
      await fsWriteFile(file, 'Dear {{ user.name }}, you have {{ count }} messages.');
      const count = task(() => 7, { name: 'count' });
      const mail = template(readFile(file), { user: { name: 'Ada' }, count: count() });
      expect(await new Engine().run(mail)).toBe('Dear Ada, you have 7 messages.');
      const bad = await new Engine()
        .run(template('{{ nope }}', {}).withRetry({ maxAttempts: 3 }))
        .catch((e: unknown) => e);
      // INVALID_ARGUMENT is fatal: not retried, not wrapped
      expect((bad as { code: string }).code).toBe(ErrorCode.INVALID_ARGUMENT);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
