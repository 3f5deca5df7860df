/**
 * The workflow gate: the real actionlint (current release, Go module) and zizmor (PyPI, offline) with
 * zero findings, GitHub's own parser (@actions/workflow-parser), and shipline's own rules.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../../harness/contract.js';

const files = [
  ...readdirSync(join(ROOT, '.github', 'workflows')).map((f) => join('.github', 'workflows', f)),
  ...readdirSync(join(ROOT, 'workflows')).map((f) => join('workflows', f)),
].filter((f) => /\.ya?ml$/.test(f));

function has(tool: string, args: string[]): boolean {
  return spawnSync(tool, args, { stdio: 'ignore', env: { ...process.env, PATH: `${process.env['HOME']}/go/bin:${process.env['PATH']}` } }).status === 0;
}
const PATH = `${process.env['HOME']}/go/bin:${process.env['HOME']}/.local/bin:${process.env['PATH']}`;
const hasActionlint = has('actionlint', ['-version']);
const hasZizmor = has('zizmor', ['--version']);

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  uses?: string;
  permissions?: unknown;
  environment?: unknown;
  concurrency?: { group?: string; 'cancel-in-progress'?: boolean };
  steps?: Step[];
  with?: Record<string, unknown>;
}
const load = (file: string): { jobs: Record<string, Job> } => parse(readFileSync(join(ROOT, file), 'utf8'));

describe('workflow gate', () => {
  it('found the workflows and templates', () => {
    expect(files).toEqual(expect.arrayContaining(['.github/workflows/pipeline.yml', '.github/workflows/rollback.yml', 'workflows/deploy-on-push.yml', 'workflows/cross-org-call.yml', 'workflows/rollback-dispatch.yml']));
  });

  it.skipIf(!hasActionlint)('actionlint (current release, with shellcheck) reports nothing', () => {
    const run = spawnSync('actionlint', ['-no-color', ...files], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PATH } });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(execFileSync('actionlint', ['-version'], { encoding: 'utf8', env: { ...process.env, PATH } })).toMatch(/^v?1\.7\.\d+/);
  });
  if (!hasActionlint) console.log('skipped actionlint: install it with `go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12` (.ci/install/60-workflow-lint.sh)');

  it.skipIf(!hasZizmor)('zizmor (offline audits) reports nothing', () => {
    const run = spawnSync('zizmor', ['--offline', '--no-progress', '--config', '.github/zizmor.yml', '--format', 'json', ...files], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PATH } });
    expect(JSON.parse(run.stdout || '[]')).toEqual([]);
    expect(run.status).toBe(0);
  });
  if (!hasZizmor) console.log('skipped zizmor: install it with `pip install zizmor==1.32.0` (.ci/install/60-workflow-lint.sh)');

  it.each(files)('%s parses with GitHub\'s workflow parser, without errors', (file) => {
    const result = parseWorkflow({ name: file, content: readFileSync(join(ROOT, file), 'utf8') }, new NoOperationTraceWriter());
    expect(result.context.errors.getErrors().map((e) => e.message)).toEqual([]);
    expect(result.value).toBeDefined();
  });
});

describe('shipline workflow rules', () => {
  it.each(files)('%s: every job declares its permissions', (file) => {
    for (const [name, job] of Object.entries(load(file).jobs)) expect(job.permissions, `${file} job ${name}`).toBeDefined();
  });

  it.each(files)('%s: no ${{ }} expression inside run: (values reach the shell through env:)', (file) => {
    for (const [name, job] of Object.entries(load(file).jobs)) {
      for (const step of job.steps ?? []) if (step.run) expect(step.run, `${file} job ${name} step ${step.name ?? step.id}`).not.toContain('${{');
    }
  });

  it.each(files)('%s: every remote action and reusable workflow is pinned by a full commit SHA', (file) => {
    const refs = Object.values(load(file).jobs).flatMap((job) => [job.uses, ...(job.steps ?? []).map((s) => s.uses)]).filter((u): u is string => !!u);
    for (const ref of refs.filter((r) => !r.startsWith('./'))) expect(ref, file).toMatch(/@[0-9a-f]{40}$/);
  });

  it.each(files)('%s: a job with an environment is in a per-environment concurrency group that never cancels', (file) => {
    for (const [name, job] of Object.entries(load(file).jobs)) {
      if (!job.environment) continue;
      expect(job.concurrency?.group, `${file} job ${name}`).toMatch(/\$\{\{ (inputs\.[\w-]*environment|inputs\.environment) \}\}/);
      expect(job.concurrency?.['cancel-in-progress'], `${file} job ${name}`).toBe(false);
    }
  });

  it.each(['.github/workflows/pipeline.yml', '.github/workflows/rollback.yml'])('%s: id-token: write only where it is used, and shipline comes from the workflow\'s own commit', (file) => {
    for (const [name, job] of Object.entries(load(file).jobs)) {
      const perms = (job.permissions ?? {}) as Record<string, string>;
      const steps = job.steps ?? [];
      const self = steps.findIndex((s) => s.id === 'self');
      const usesShipline = steps.filter((s) => s.uses?.startsWith('./.shipline'));
      if (usesShipline.length || steps.some((s) => s.run?.includes('.shipline/'))) {
        expect(self, `${file} job ${name} resolves shipline's commit`).toBeGreaterThanOrEqual(0);
        const checkout = steps[self + 1];
        expect(checkout?.with).toMatchObject({ repository: '${{ steps.self.outputs.repository }}', ref: '${{ steps.self.outputs.sha }}', path: '.shipline' });
      }
      if (perms['id-token'] === 'write') expect(self, `${file} job ${name} has id-token: write but does not use it`).toBeGreaterThanOrEqual(0);
    }
  });

  it.each(['.github/workflows/pipeline.yml', '.github/workflows/rollback.yml'])('%s: every input given to a shipline action is declared in its action.yml', (file) => {
    for (const [name, job] of Object.entries(load(file).jobs)) {
      for (const step of job.steps ?? []) {
        if (!step.uses?.startsWith('./.shipline')) continue;
        const actionDir = step.uses.replace('./.shipline', ROOT);
        const actionFile = join(actionDir, 'action.yml');
        expect(existsSync(actionFile), `${file} job ${name}: ${step.uses} has no action.yml`).toBe(true);
        const declared = Object.keys((parse(readFileSync(actionFile, 'utf8')) as { inputs?: object }).inputs ?? {});
        for (const input of Object.keys(step.with ?? {})) expect(declared, `${file} job ${name}: ${step.uses} input '${input}'`).toContain(input);
      }
    }
  });
});
