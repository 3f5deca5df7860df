#!/usr/bin/env node
/* global structuredClone */
// trivy-gate decision speed on a 100,000-finding Trivy report (SPEC budget: decide in ≤ 2 s).
//
// The report is generated in a temp dir from Trivy's own output (test/fixtures/trivy goldens), so
// every finding has Trivy's real field layout — PURL, layer, data source, title, description, CWE,
// vendor severities, CVSS, ~18 references, dates — indented as Trivy writes it. It has OS and
// language results, every severity, fixed/affected/will_not_fix/no-Status findings and duplicates.
//
// Each measurement is a separate Node 24 process, interleaved, median of BENCH_TRIVY_RUNS (3):
//   baseline  `JSON.parse(readFileSync(report))` — what any JSON-based gate must at least do;
//   gate      dist/trivy-gate/index.js run as the runner runs it, with a 500-entry ignore file;
//   +SARIF    the same, also writing SARIF (capped at 25,000 results).
// Peak memory is each process's max RSS (getrusage, via a --import preload).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, writeSync, closeSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const node24 = join(root, 'node_modules', 'node', 'bin', 'node');
const FINDINGS = Number(process.env.BENCH_TRIVY_FINDINGS ?? 100_000);
const RUNS = Number(process.env.BENCH_TRIVY_RUNS ?? 3);
const BUDGET_MS = 2000;

const temp = process.env.BENCH_TRIVY_DIR ?? mkdtempSync(join(tmpdir(), 'shipline-bench-trivy-'));
const fixtures = join(root, 'test', 'fixtures', 'trivy');
const alpine = JSON.parse(readFileSync(join(fixtures, 'alpine-310.json.golden'), 'utf8'));
const spring = JSON.parse(readFileSync(join(fixtures, 'spring4shell-jre11.json.golden'), 'utf8'));
const osTemplates = alpine.Results[0].Vulnerabilities;
const jarTemplate = spring.Results[1].Vulnerabilities[0];

// Deterministic pseudo-random numbers (the same report every run).
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const SEVERITY = [['CRITICAL', 0.05], ['HIGH', 0.2], ['MEDIUM', 0.4], ['LOW', 0.25], ['', 0.1]];
const pick = (table) => {
  let r = rand();
  for (const [value, p] of table) if ((r -= p) < 0) return value;
  return table[table.length - 1][0];
};
const STATUS = [['fixed', 0.7], ['affected', 0.15], ['will_not_fix', 0.1], [undefined, 0.05]];

function finding(i, template, lang) {
  const v = structuredClone(template);
  const pkg = `${lang ? 'org.example:lib' : 'libpkg'}${i % 7919}`;
  v.VulnerabilityID = `CVE-${2015 + (i % 11)}-${String(10000 + i).padStart(6, '0')}`;
  v.PkgName = pkg;
  v.PkgID = `${pkg}@1.${i % 50}.${i % 7}`;
  v.InstalledVersion = `1.${i % 50}.${i % 7}`;
  v.Severity = pick(SEVERITY);
  const status = pick(STATUS);
  if (status === undefined) delete v.Status;
  else v.Status = status;
  if (status === 'fixed' || (status === undefined && rand() < 0.5)) v.FixedVersion = `1.${i % 50}.${(i % 7) + 1}`;
  else delete v.FixedVersion;
  v.PkgIdentifier = { PURL: lang ? `pkg:maven/org.example/lib${i % 7919}@${v.InstalledVersion}` : `pkg:apk/alpine/${pkg}@${v.InstalledVersion}?arch=x86_64&distro=3.19.1`, UID: (i * 2654435761 >>> 0).toString(16) };
  if (lang) v.PkgPath = `app/lib/lib${i % 7919}-${v.InstalledVersion}.jar`;
  v.PrimaryURL = `https://avd.aquasec.com/nvd/${v.VulnerabilityID.toLowerCase()}`;
  return v;
}

function generate(path) {
  const results = [
    { Target: 'ghcr.io/acme/api:1.0 (alpine 3.19.1)', Class: 'os-pkgs', Type: 'alpine', n: Math.round(FINDINGS * 0.6), lang: false },
    { Target: 'Java', Class: 'lang-pkgs', Type: 'jar', n: Math.round(FINDINGS * 0.25), lang: true },
    { Target: 'app/package-lock.json', Class: 'lang-pkgs', Type: 'npm', n: 0, lang: true },
  ];
  results[2].n = FINDINGS - results[0].n - results[1].n;
  const head = { ...alpine, ArtifactName: 'ghcr.io/acme/api:1.0', Results: undefined };
  const fd = openSync(path, 'w');
  const headText = JSON.stringify(head, null, 2);
  writeSync(fd, headText.slice(0, headText.lastIndexOf('\n}')) + ',\n  "Results": [\n');
  let i = 0;
  results.forEach((r, ri) => {
    writeSync(fd, `    {\n      "Target": ${JSON.stringify(r.Target)},\n      "Class": "${r.Class}",\n      "Type": "${r.Type}",\n      "Vulnerabilities": [\n`);
    let chunk = [];
    for (let k = 0; k < r.n; k++, i++) {
      // 1% exact duplicates (Trivy reports them for packages found twice).
      const v = k > 0 && rand() < 0.01 ? finding(i - 1, r.lang ? jarTemplate : osTemplates[(i - 1) % osTemplates.length], r.lang) : finding(i, r.lang ? jarTemplate : osTemplates[i % osTemplates.length], r.lang);
      chunk.push(JSON.stringify(v, null, 2).replace(/^/gm, '        '));
      if (chunk.length === 1000) {
        writeSync(fd, chunk.join(',\n') + (k < r.n - 1 ? ',\n' : '\n'));
        chunk = [];
      }
    }
    if (chunk.length) writeSync(fd, chunk.join(',\n') + '\n');
    writeSync(fd, `      ]\n    }${ri < results.length - 1 ? ',' : ''}\n`);
  });
  writeSync(fd, '  ]\n}\n');
  closeSync(fd);
}

const reportPath = join(temp, 'report.json');
const t0 = performance.now();
generate(reportPath);
JSON.parse(readFileSync(reportPath, 'utf8')); // sanity: the generated report is valid JSON
const genMs = performance.now() - t0;
const sizeMb = statSync(reportPath).size / 1e6;

// An ignore file like a long-lived project's: 500 entries, some expired, some scoped by path/purl.
const ignore = ['vulnerabilities:'];
for (let k = 0; k < 500; k++) {
  const id = `CVE-${2015 + ((k * 37) % 11)}-${String(10000 + k * 37).padStart(6, '0')}`;
  ignore.push(`  - id: ${id}`);
  if (k % 5 === 0) ignore.push(`    expired_at: ${k % 10 === 0 ? '2020-01-01' : '2999-01-01'}`);
  if (k % 7 === 0) ignore.push('    paths: ["app/**"]');
  if (k % 11 === 0) ignore.push(`    purls: ["pkg:apk/alpine/libpkg${(k * 37) % 7919}"]`);
  ignore.push('    statement: accepted risk');
}
const ignorePath = join(temp, '.trivyignore.yaml');
writeFileSync(ignorePath, ignore.join('\n') + '\n');

const preload = join(temp, 'rss.mjs');
writeFileSync(preload, "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));\n");
const baselineScript = join(temp, 'baseline.mjs');
writeFileSync(baselineScript, "import { readFileSync } from 'node:fs';\nconst doc = JSON.parse(readFileSync(process.argv[2], 'utf8'));\nif (!doc.Results) process.exit(2);\n");

function measure(kind) {
  const rssFile = join(temp, `rss-${kind}`);
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, BENCH_RSS_FILE: rssFile, RUNNER_TEMP: temp, GITHUB_WORKSPACE: temp };
  let args;
  if (kind === 'baseline') args = ['--import', preload, baselineScript, reportPath];
  else {
    for (const f of ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_STATE', 'GITHUB_ENV']) {
      env[f] = join(temp, `${kind}-${f}`);
      writeFileSync(env[f], '');
    }
    Object.assign(env, {
      'INPUT_REPORT': reportPath,
      'INPUT_SEVERITY': 'CRITICAL,HIGH',
      'INPUT_IGNORE-UNFIXED': 'true',
      'INPUT_IGNORE-FILE': ignorePath,
      'INPUT_MODE': 'report',
      ...(kind === 'sarif' ? { 'INPUT_SARIF': join(temp, 'out.sarif') } : {}),
    });
    args = ['--import', preload, join(root, 'dist', 'trivy-gate', 'index.js')];
  }
  const start = process.hrtime.bigint();
  const result = spawnSync(node24, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${kind} exited ${result.status}: ${result.stderr}\n${result.stdout.slice(-2000)}`);
  const decided = /Decided \d+ findings .* in (\d+) ms/.exec(result.stdout);
  const blocking = kind === 'baseline' ? undefined : /blocking<<[^\n]*\n(\d+)/.exec(readFileSync(env.GITHUB_OUTPUT, 'utf8'))?.[1];
  return { ms, rssMb: Number(readFileSync(rssFile, 'utf8')) / 1024, inProcessMs: decided ? Number(decided[1]) : undefined, blocking };
}

const samples = { baseline: [], gate: [], sarif: [] };
measure('gate'); // warm the page cache
for (let r = 0; r < RUNS; r++) for (const kind of Object.keys(samples)) samples[kind].push(measure(kind));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const row = (kind) => ({
  ms: median(samples[kind].map((s) => s.ms)),
  rss: Math.max(...samples[kind].map((s) => s.rssMb)),
  inProcess: samples[kind][0].inProcessMs === undefined ? undefined : median(samples[kind].map((s) => s.inProcessMs)),
  blocking: samples[kind][0].blocking,
});
const base = row('baseline');
console.log(`${FINDINGS.toLocaleString('en')} findings, ${sizeMb.toFixed(0)} MB of indented Trivy JSON (generated in ${(genMs / 1000).toFixed(1)} s); median of ${RUNS} interleaved runs, each a fresh Node 24 process; budget ≤ ${BUDGET_MS} ms.\n`);
console.log('| measurement | wall ms (process) | read + decide ms (in process) | ratio to JSON.parse | peak RSS MB | within budget |');
console.log('| --- | ---: | ---: | ---: | ---: | --- |');
console.log(`| JSON.parse(readFileSync(report)) — baseline | ${base.ms.toFixed(0)} | – | 1.00× | ${base.rss.toFixed(0)} | |`);
for (const [kind, label] of [['gate', 'trivy-gate bundle: decide (500-entry ignore file)'], ['sarif', 'trivy-gate bundle: decide + write SARIF (25,000 cap)']]) {
  const r = row(kind);
  console.log(`| ${label} | ${r.ms.toFixed(0)} | ${r.inProcess ?? '–'} | ${(r.ms / base.ms).toFixed(2)}× | ${r.rss.toFixed(0)} | ${r.ms <= BUDGET_MS ? 'yes' : '**no**'} |`);
}
console.log(`\n(blocking findings decided: ${row('gate').blocking})`);
if (!process.env.BENCH_TRIVY_DIR) rmSync(temp, { recursive: true, force: true });
