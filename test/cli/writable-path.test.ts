import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkWritableFile } from '../../src/cli/writable-path.js';
import { UsageError } from '../../src/cli/usage-error.js';

const dir = mkdtempSync(join(tmpdir(), 'cascade-wp-'));

describe('checkWritableFile', () => {
  it('refuses a missing directory, naming the option, the path and the directory', () => {
    expect(() => checkWritableFile('--log', '/nonexistent/x.jsonl')).toThrow(
      new UsageError('--log /nonexistent/x.jsonl: directory /nonexistent does not exist'),
    );
  });

  it('refuses a directory', () => {
    expect(() => checkWritableFile('--out', dir)).toThrow(
      new UsageError(`--out ${dir}: is a directory, not a file`),
    );
  });

  it('refuses a path below a file', () => {
    const file = join(dir, 'plain');
    writeFileSync(file, '');
    expect(() => checkWritableFile('--log', join(file, 'x'))).toThrow(
      new UsageError(`--log ${join(file, 'x')}: ${file} is not a directory`),
    );
  });

  it('accepts a new file and leaves nothing behind', () => {
    const file = join(dir, 'new.jsonl');
    checkWritableFile('--log', file);
    expect(existsSync(file)).toBe(false);
  });

  it('accepts an existing file and leaves its content alone', () => {
    const file = join(dir, 'old.jsonl');
    writeFileSync(file, 'kept\n');
    checkWritableFile('--log', file);
    expect(readFileSync(file, 'utf8')).toBe('kept\n');
  });

  it('accepts /dev/null', () => {
    expect(() => checkWritableFile('--log', '/dev/null')).not.toThrow();
  });
});
