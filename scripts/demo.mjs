#!/usr/bin/env node
// `npm run demo`: the local rehearsal of the whole pipeline (test/rehearsal/rehearsal.ts). Bundles the
// rehearsal on the fly with esbuild into a temp dir and runs it with Node 24 (the runner's runtime).
//   npm run demo -- [--dir DIR] [--keep-namespace] [--no-cluster-start]
// The bundle lives outside the repository, so the two places that locate things from their own file
// (the contract harness's ROOT, the GitHub emulator's require of @octokit/openapi) are told where
// their source is: import.meta.url / dirname become test/rehearsal's.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const node24 = join(root, 'node_modules', 'node', 'bin', 'node');
const here = join(root, 'test', 'rehearsal');
const out = mkdtempSync(join(tmpdir(), 'shipline-demo-bundle-'));
let code;
try {
  await build({
    entryPoints: [join(here, 'main.ts')],
    outfile: join(out, 'rehearsal.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    logLevel: 'warning',
    absWorkingDir: root,
    // Bundled CommonJS dependencies call require(); give them one in ESM (as scripts/build.mjs does).
    banner: { js: "import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);" },
    define: {
      'import.meta.url': JSON.stringify(pathToFileURL(join(here, 'rehearsal.ts')).href),
      'import.meta.dirname': JSON.stringify(here),
    },
  });
  const runtime = existsSync(node24) ? node24 : process.execPath;
  if (runtime !== node24) console.warn(`demo: ${node24} is missing (npm ci installs node@24); running with ${process.version}`);
  const child = spawn(runtime, [join(out, 'rehearsal.mjs'), ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  code = await new Promise((res) => child.once('close', (status, signal) => res(status ?? (signal ? 1 : 0))));
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exitCode = code ?? 1;
