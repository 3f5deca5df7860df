/**
 * docs/reference.md is generated from the workflow and action YAML, so the documentation of every
 * input, secret and output cannot drift from what users type.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { NODE24, ROOT } from '../../harness/contract.js';

describe('generated reference documentation', () => {
  it('docs/reference.md is what scripts/docs.mjs generates from the YAML', () => {
    const run = spawnSync(NODE24, [join(ROOT, 'scripts', 'docs.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('documents every input, secret and output of the reusable workflows', () => {
    const docs = readFileSync(join(ROOT, 'docs', 'reference.md'), 'utf8');
    for (const file of ['pipeline.yml', 'rollback.yml']) {
      const call = (parse(readFileSync(join(ROOT, '.github', 'workflows', file), 'utf8')) as { on: { workflow_call: Record<string, Record<string, unknown>> } }).on.workflow_call;
      for (const kind of ['inputs', 'secrets', 'outputs']) for (const name of Object.keys(call[kind] ?? {})) expect(docs, `${file} ${kind} ${name}`).toContain(`| \`${name}\` |`);
    }
  });
});
