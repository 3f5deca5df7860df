#!/usr/bin/env node
// Rebuilds every bundle into a temp dir and fails on any difference from the committed dist/,
// printing the diff: users run dist/, so it must be exactly what the sources build.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const temp = mkdtempSync(join(tmpdir(), 'shipline-dist-'));
try {
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--outdir', join(temp, 'dist')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const diff = spawnSync('git', ['diff', '--no-index', '--stat', '--', join(root, 'dist'), join(temp, 'dist')], { encoding: 'utf8' });
  if (diff.status === 0) {
    console.log('dist/ is up to date with the sources.');
  } else {
    const full = spawnSync('git', ['diff', '--no-index', '--', join(root, 'dist'), join(temp, 'dist')], { encoding: 'utf8' });
    console.error('dist/ differs from a fresh build of the sources. Run `npm run build` and commit dist/.');
    console.error(diff.stdout);
    console.error(full.stdout.length > 20000 ? `${full.stdout.slice(0, 20000)}\n… (diff cut at 20,000 characters)` : full.stdout);
    process.exitCode = 1;
  }
} finally {
  rmSync(temp, { recursive: true, force: true });
}
