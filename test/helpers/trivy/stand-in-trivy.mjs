#!/usr/bin/env node
// A stand-in for the `trivy` binary (Trivy itself cannot be downloaded on this machine). It honours
// the part of Trivy's CLI that trivy-gate uses, with Trivy's semantics, and refuses anything else
// the way Trivy's CLI (cobra) does:
//
//   trivy --version | trivy version
//   trivy image --download-db-only --db-repository R1,R2 --cache-dir D [--no-progress]
//       Tries each repository in order, as Trivy does: GET http://<registry>/v2/<name>/manifests/<tag>
//       (loopback registries are plain http, as in go-containerregistry); the first that answers 200
//       with an OCI manifest wins and the DB is written to D/db (metadata.json + trivy.db).
//   trivy image --format json --output F --scanners vuln --severity S --ignorefile I --exit-code N
//       --skip-db-update --cache-dir D --timeout T [--no-progress] IMAGE
//       Needs D/db/metadata.json when --skip-db-update is given (Trivy: "--skip-db-update cannot be
//       specified on the first run"). Writes the report from $STANDIN_TRIVY_REPORT with ArtifactName
//       and the OS target set to IMAGE, keeps only --severity, drops IDs listed in the --ignorefile
//       (.trivyignore format), and exits N when findings remain (Trivy's --exit-code).
//
// Test controls: STANDIN_TRIVY_LOG (append one JSON line per call: argv and the TRIVY_* env seen),
// STANDIN_TRIVY_REPORT (the report to serve), STANDIN_TRIVY_SCAN_ERROR (fail the scan with that
// message, exit 1). TRIVY_SEVERITY is honoured when --severity is absent, as in Trivy.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const argv = process.argv.slice(2);
const env = process.env;
if (env.STANDIN_TRIVY_LOG) {
  const trivyEnv = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('TRIVY_')));
  appendFileSync(env.STANDIN_TRIVY_LOG, JSON.stringify({ argv, env: trivyEnv, cwd: process.cwd() }) + '\n');
}

const log = (level, message) => process.stderr.write(`2026-01-01T00:00:00Z\t${level}\t${message}\n`);
const fatal = (message) => {
  log('FATAL', `Fatal error\t${message}`);
  process.exit(1);
};

if (argv[0] === '--version' || argv[0] === 'version') {
  process.stdout.write('Version: 0.72.0 (stand-in)\n');
  process.exit(0);
}
if (argv[0] !== 'image') {
  process.stderr.write(`Error: unknown command "${argv[0] ?? ''}" for "trivy" (stand-in supports: image, version)\n`);
  process.exit(1);
}

const VALUE_FLAGS = new Set(['--format', '--output', '--scanners', '--severity', '--ignorefile', '--exit-code', '--cache-dir', '--timeout', '--db-repository']);
const BOOL_FLAGS = new Set(['--download-db-only', '--skip-db-update', '--no-progress', '--quiet']);
const flags = {};
const positional = [];
for (let i = 1; i < argv.length; i++) {
  const arg = argv[i];
  if (arg.startsWith('--')) {
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (VALUE_FLAGS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) {
        process.stderr.write(`Error: flag needs an argument: ${name}\n`);
        process.exit(1);
      }
      flags[name] = value;
    } else if (BOOL_FLAGS.has(name)) flags[name] = inline === undefined ? true : inline !== 'false';
    else {
      process.stderr.write(`Error: unknown flag: ${name}\n`);
      process.exit(1);
    }
  } else positional.push(arg);
}

const cacheDir = flags['--cache-dir'] ?? join(env.HOME ?? '/tmp', '.cache', 'trivy');
const dbDir = join(cacheDir, 'db');

if (flags['--download-db-only']) {
  const repositories = (flags['--db-repository'] ?? 'mirror.gcr.io/aquasec/trivy-db:2,ghcr.io/aquasecurity/trivy-db:2').split(',');
  for (const repository of repositories) {
    const slash = repository.indexOf('/');
    const host = repository.slice(0, slash);
    let name = repository.slice(slash + 1);
    let tag = 'latest';
    const colon = name.lastIndexOf(':');
    if (colon > 0) {
      tag = name.slice(colon + 1);
      name = name.slice(0, colon);
    }
    if (!/^(127\.0\.0\.1|localhost)(:\d+)?$/.test(host)) {
      log('WARN', `Failed to download artifact\trepo="${repository}" err="stand-in: no network to ${host}"`);
      continue;
    }
    try {
      const response = await fetch(`http://${host}/v2/${name}/manifests/${tag}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
      if (response.status !== 200) {
        log('WARN', `Failed to download artifact\trepo="${repository}" err="GET ${response.status}"`);
        continue;
      }
      const manifest = await response.json();
      const layer = manifest.layers?.[0];
      if (layer?.mediaType !== 'application/vnd.aquasec.trivy.db.layer.v1.tar+gzip') {
        log('WARN', `Failed to download artifact\trepo="${repository}" err="unexpected media type"`);
        continue;
      }
      mkdirSync(dbDir, { recursive: true });
      writeFileSync(join(dbDir, 'trivy.db'), `stand-in db ${layer.digest}\n`);
      writeFileSync(join(dbDir, 'metadata.json'), JSON.stringify({ Version: 2, NextUpdate: '2099-01-01T00:00:00Z', UpdatedAt: '2026-01-01T00:00:00Z', DownloadedAt: new Date().toISOString() }));
      log('INFO', `Artifact successfully downloaded\trepo="${repository}"`);
      process.exit(0);
    } catch (error) {
      log('WARN', `Failed to download artifact\trepo="${repository}" err="${error.message}"`);
    }
  }
  fatal('init error: DB error: failed to download vulnerability DB: OCI artifact error: failed to download vulnerability DB');
}

if (positional.length !== 1) {
  process.stderr.write(`Error: "trivy image" requires exactly 1 argument (got ${positional.length})\n`);
  process.exit(1);
}
const image = positional[0];
if ((flags['--format'] ?? 'table') !== 'json') fatal(`stand-in only writes --format json (got ${flags['--format'] ?? 'table'})`);
if (flags['--skip-db-update'] && !existsSync(join(dbDir, 'metadata.json'))) {
  fatal("init error: DB error: --skip-db-update cannot be specified on the first run");
}
if (env.STANDIN_TRIVY_SCAN_ERROR) fatal(`run error: image scan error: scan error: ${env.STANDIN_TRIVY_SCAN_ERROR}`);
if (!env.STANDIN_TRIVY_REPORT) fatal('stand-in: STANDIN_TRIVY_REPORT is not set');

const report = JSON.parse(readFileSync(env.STANDIN_TRIVY_REPORT, 'utf8'));
const severities = new Set((flags['--severity'] ?? env.TRIVY_SEVERITY ?? 'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL').split(','));
const ignored = new Set();
const ignoreFile = flags['--ignorefile'] ?? '.trivyignore';
if (existsSync(ignoreFile)) {
  for (const line of readFileSync(ignoreFile, 'utf8').split('\n')) {
    const id = line.trim().split(/\s+/)[0];
    if (id && !id.startsWith('#')) ignored.add(id);
  }
}
const original = report.ArtifactName;
report.ArtifactName = image;
let remaining = 0;
for (const result of report.Results ?? []) {
  if (result.Class === 'os-pkgs' && original) result.Target = result.Target.replace(original, image);
  if (!result.Vulnerabilities) continue;
  result.Vulnerabilities = result.Vulnerabilities.filter((v) => severities.has(v.Severity || 'UNKNOWN') && !ignored.has(v.VulnerabilityID));
  remaining += result.Vulnerabilities.length;
  if (result.Vulnerabilities.length === 0) delete result.Vulnerabilities;
}
const text = JSON.stringify(report, null, 2);
if (flags['--output']) writeFileSync(flags['--output'], text);
else process.stdout.write(text + '\n');
log('INFO', `Detected vulnerabilities\ttotal=${remaining}`);
process.exit(remaining > 0 ? Number(flags['--exit-code'] ?? 0) : 0);
