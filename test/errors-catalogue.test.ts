// The error catalogue: every code in ErrorCode is documented in docs/errors.md (and nothing
// else is), and every code is thrown or sent somewhere in src/.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/errors.js';

const root = join(import.meta.dirname, '..');

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Error classes anywhere in src/ and the codes their bodies name. */
function errorClasses(files: Map<string, string>): Map<string, string[]> {
  const classes = new Map<string, string[]>();
  for (const text of files.values()) {
    for (const m of text.matchAll(/class (\w+) extends (?:CascadeError|\w+Error) \{/g)) {
      let depth = 0;
      let end = m.index + m[0].length - 1;
      for (; end < text.length; end++) {
        if (text[end] === '{') depth++;
        else if (text[end] === '}' && --depth === 0) break;
      }
      const body = text.slice(m.index, end);
      classes.set(
        m[1],
        [...body.matchAll(/ErrorCode\.(\w+)/g)].map((c) => c[1]),
      );
    }
  }
  return classes;
}

/** `src` with every error class body blanked out: what is left throws, sends or maps codes. */
function outsideClasses(text: string): string {
  return text.replace(/class \w+ extends (?:CascadeError|\w+Error) \{[\s\S]*?\n\}/g, '');
}

function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

describe('error catalogue', () => {
  const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
  // code only: an @example that throws an error is not a place that throws it
  const files = new Map(
    sources(join(root, 'src')).map((f) => [f, withoutComments(readFileSync(f, 'utf8'))]),
  );

  it('documents every code, and only codes that exist', () => {
    const documented = new Set(doc.match(/CASCADE_ERR_[A-Z_]+/g));
    expect([...documented].sort()).toEqual(Object.values(ErrorCode).sort());
  });

  it('throws or sends every code somewhere in src/', () => {
    const classes = errorClasses(files);
    const used = new Set<string>();
    for (const [file, text] of files) {
      const rest = file.endsWith(join('src', 'errors.ts')) ? '' : outsideClasses(text);
      for (const m of rest.matchAll(/ErrorCode\.(\w+)/g)) used.add(m[1]);
      for (const m of text.matchAll(/new (\w+)\(/g)) {
        for (const code of classes.get(m[1]) ?? []) used.add(code);
      }
    }
    const unused = Object.keys(ErrorCode).filter((k) => !used.has(k));
    expect(unused).toEqual([]);
  });
});
