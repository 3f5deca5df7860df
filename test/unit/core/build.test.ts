/**
 * The build: one bundle per action, every action.yml on node24, byte-for-byte reproducible.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../../harness/contract.js';

function digestTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

describe('build', () => {
  it('is reproducible and emits one bundle per action, none shared', () => {
    const a = mkdtempSync(join(tmpdir(), 'build-a-'));
    const b = mkdtempSync(join(tmpdir(), 'build-b-'));
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--outdir', a, 'smoke-test', 'cli'], { cwd: ROOT });
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--outdir', b, 'smoke-test', 'cli'], { cwd: ROOT });
    const ta = digestTree(a);
    expect(ta).toEqual(digestTree(b));
    expect(Object.keys(ta)).toContain('smoke-test/index.js');
    // Chunks live inside the action's own folder: no bundle reaches into another's.
    for (const file of Object.keys(ta).filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(join(a, file), 'utf8');
      for (const m of text.matchAll(/from\s*"(\.{1,2}\/[^"]+)"|import\("(\.{1,2}\/[^"]+)"\)/g)) {
        const target = join(a, file, '..', (m[1] ?? m[2]) as string);
        expect(relative(a, target).split('/')[0]).toBe(file.split('/')[0]);
      }
    }
    expect(JSON.stringify(ta)).not.toContain(ROOT);
    for (const file of Object.keys(ta)) expect(readFileSync(join(a, file), 'utf8')).not.toContain(ROOT);
  });

  it('declares node24 and its own bundle in every action.yml', () => {
    const files = readdirSync(join(ROOT, 'actions')).map((n) => join(ROOT, 'actions', n, 'action.yml'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const doc = parse(readFileSync(file, 'utf8')) as { runs: { using: string; main: string } };
      const name = file.split('/').at(-2);
      expect(doc.runs.using, file).toBe('node24');
      expect(doc.runs.main, file).toBe(`../../dist/${name}/index.js`);
    }
  });
});
