#!/usr/bin/env node
// Builds one esbuild bundle per action (never a shared bundle) from every actions/*/action.yml and
// the root action.yml, plus the `shipline` CLI. Checks every action runs on node24 and points at its
// own bundle. Output is byte-for-byte reproducible (no timestamps, no absolute paths).
//
//   node scripts/build.mjs [--outdir DIR] [name …]   (names: rebuild only those bundles, e.g. smoke-test cli)
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { parse } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outFlag = process.argv.indexOf('--outdir');
const outRoot = outFlag > 0 ? resolve(process.argv[outFlag + 1]) : join(root, 'dist');
const only = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--outdir');

/** [{ name, actionFile, entry }] for every action, the root one being "deploy". */
export function listActions() {
  const actions = [];
  const dir = join(root, 'actions');
  for (const name of existsSync(dir) ? readdirSync(dir).sort() : []) {
    const file = join(dir, name, 'action.yml');
    if (existsSync(file)) actions.push({ name, actionFile: file });
  }
  if (existsSync(join(root, 'action.yml'))) actions.push({ name: 'deploy', actionFile: join(root, 'action.yml') });
  return actions.map((a) => ({ ...a, entry: join(root, 'src', 'actions', a.name, 'main.ts') }));
}

function checkAction({ name, actionFile, entry }) {
  const problems = [];
  const doc = parse(readFileSync(actionFile, 'utf8'));
  const rel = relative(root, actionFile);
  if (doc?.runs?.using !== 'node24') problems.push(`${rel}: runs.using is '${doc?.runs?.using}', expected node24`);
  const expected = relative(dirname(actionFile), join(root, 'dist', name, 'index.js'));
  if (doc?.runs?.main !== expected) problems.push(`${rel}: runs.main is '${doc?.runs?.main}', expected ${expected}`);
  if (doc?.runs?.post && doc.runs.post !== expected) problems.push(`${rel}: runs.post must be ${expected} (the wrapper dispatches post steps)`);
  if (!existsSync(entry)) problems.push(`${rel}: entry ${relative(root, entry)} does not exist`);
  return problems;
}

const shared = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  splitting: true,
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
  absWorkingDir: root,
  // Bundled CommonJS dependencies call require(); give them one in ESM.
  banner: { js: "import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);" },
  entryNames: 'index',
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
};

async function main() {
  const actions = listActions();
  const problems = actions.flatMap(checkAction);
  if (problems.length) {
    for (const p of problems) console.error(`✗ ${p}`);
    process.exit(1);
  }
  if (only.length === 0) rmSync(outRoot, { recursive: true, force: true });
  mkdirSync(outRoot, { recursive: true });
  // Bundles are ESM .js files: say so next to them, whatever the consumer's package.json says.
  writeFileSync(join(outRoot, 'package.json'), '{\n  "type": "module"\n}\n');
  const targets = [...actions.map((a) => ({ name: a.name, entry: a.entry })), { name: 'cli', entry: join(root, 'src', 'cli', 'bin.ts') }];
  const unknown = only.filter((n) => !targets.some((t) => t.name === n));
  if (unknown.length) {
    console.error(`✗ unknown bundle(s): ${unknown.join(', ')} (known: ${targets.map((t) => t.name).join(', ')})`);
    process.exit(1);
  }
  const rows = [];
  for (const { name, entry } of targets.filter((t) => only.length === 0 || only.includes(t.name))) {
    rmSync(join(outRoot, name), { recursive: true, force: true });
    const result = await build({ ...shared, entryPoints: [entry], outdir: join(outRoot, name) });
    const files = Object.entries(result.metafile.outputs);
    const main = files.find(([f]) => f.endsWith(`${name}/index.js`));
    rows.push(`${name.padEnd(16)} ${String(Math.round((main?.[1].bytes ?? 0) / 1024)).padStart(5)} KiB entry, ${files.length - 1} lazy chunk(s), ${Math.round(files.reduce((s, [, o]) => s + o.bytes, 0) / 1024)} KiB total`);
  }
  console.log(`built ${rows.length} bundles into ${relative(root, outRoot) || '.'}:\n  ${rows.join('\n  ')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
