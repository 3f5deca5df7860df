/**
 * `shipline audit verify | list | last-good`: read a ledger from a local file or from the audit
 * branch through the API (token from GITHUB_TOKEN or GH_TOKEN, base URL from GITHUB_API_URL), walk
 * its chain, and answer. Exit codes: 0 yes, 1 no (a broken chain, nothing good to roll back to),
 * 2 usage.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from '../cli/commands.js';
import { errorMessage } from '../core/index.js';
import { createGitHubClient, type GitHubClient } from '../github/client.js';
import { apiUrlFrom, parseRepository } from '../github/context.js';
import { getFile, listRootFiles } from '../github/files.js';
import { verifyLedger, type LedgerCheck, type LedgerEntry } from './ledger.js';
import { DEFAULT_LEDGER_BRANCH } from './ledger-store.js';
import { entriesFor, lastGood } from './query.js';
import { isVerified, ledgerFileName, type AuditRecord } from './record.js';
import { parseTo, resolveTarget } from './resolve.js';

type Io = Parameters<Command['run']>[1];
type Env = Readonly<Record<string, string | undefined>>;

const USAGE = [
  'usage: shipline audit verify    [--environment E | --file PATH …] [--expect SHA256 …] [--json]',
  '       shipline audit list      --environment E [--file PATH] [--limit N] [--json]',
  '       shipline audit last-good --environment E [--file PATH] [--exclude-digest D …] [--json] [--no-verify]',
  '       shipline audit resolve   --environment E --to previous|DEPLOYMENT_ID|sha256:DIGEST|RECORD [--file PATH] [--json] [--github-output]',
  'Without --file the ledger is read from the audit branch through the GitHub API:',
  '  --repo owner/name (default GITHUB_REPOSITORY)  --branch NAME (default shipline-audit)',
  '  --api-url URL (default GITHUB_API_URL or https://api.github.com); token from GITHUB_TOKEN or GH_TOKEN.',
];

interface Flags {
  environment?: string;
  files: string[];
  repo?: string;
  branch: string;
  apiUrl?: string;
  expect: string[];
  excludeDigests: string[];
  limit?: number;
  to?: string;
  json: boolean;
  verify: boolean;
  githubOutput: boolean;
}

const VALUE_FLAGS = new Set(['environment', 'file', 'repo', 'branch', 'api-url', 'expect', 'exclude-digest', 'limit', 'to']);
const BOOLEAN_FLAGS = new Set(['json', 'no-verify', 'github-output']);

export function parseAuditFlags(argv: readonly string[]): Flags | string {
  const flags: Flags = { files: [], branch: DEFAULT_LEDGER_BRANCH, expect: [], excludeDigests: [], json: false, verify: true, githubOutput: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) return `unexpected argument '${arg}'`;
    let name = arg.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (BOOLEAN_FLAGS.has(name)) {
      if (value !== undefined) return `--${name} takes no value`;
      if (name === 'json') flags.json = true;
      else if (name === 'github-output') flags.githubOutput = true;
      else flags.verify = false;
      continue;
    }
    if (!VALUE_FLAGS.has(name)) return `unknown option '--${name}'`;
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) return `--${name} needs a value`;
    }
    switch (name) {
      case 'environment':
        flags.environment = value;
        break;
      case 'file':
        flags.files.push(value);
        break;
      case 'repo':
        flags.repo = value;
        break;
      case 'branch':
        flags.branch = value.replace(/^refs\/heads\//, '');
        break;
      case 'api-url':
        flags.apiUrl = value;
        break;
      case 'expect':
        if (!/^[a-f0-9]{64}$/i.test(value)) return `--expect takes a record sha256 (64 hex characters), got '${value}'`;
        flags.expect.push(value.toLowerCase());
        break;
      case 'exclude-digest':
        flags.excludeDigests.push(value.replace(/^.*@/, ''));
        break;
      case 'to':
        flags.to = value;
        break;
      case 'limit':
        if (!/^\d+$/.test(value) || Number(value) < 1) return `--limit takes a positive whole number, got '${value}'`;
        flags.limit = Number(value);
        break;
    }
  }
  return flags;
}

interface Ledger {
  /** `production.jsonl` */
  name: string;
  /** Where it was read from, for messages. */
  source: string;
  text: string;
}

class UsageError extends Error {}

async function apiClient(flags: Flags, env: Env): Promise<{ client: GitHubClient; owner: string; repo: string }> {
  const repository = flags.repo ?? env['GITHUB_REPOSITORY'];
  const parts = parseRepository(repository);
  if (!parts) throw new UsageError(repository ? `'${repository}' is not owner/name` : 'give --file, or --repo owner/name (or set GITHUB_REPOSITORY) to read the ledger through the API');
  const token = env['GITHUB_TOKEN']?.trim() || env['GH_TOKEN']?.trim();
  if (!token) throw new UsageError('set GITHUB_TOKEN (or GH_TOKEN) to read the ledger through the API, or give --file');
  const client = await createGitHubClient({ token, apiUrl: flags.apiUrl ?? apiUrlFrom(env), retries: 3 });
  return { client, ...parts };
}

/** The ledgers asked for: local files, one environment's file on the branch, or every one there. */
async function loadLedgers(flags: Flags, env: Env, requireEnvironment: boolean): Promise<Ledger[]> {
  if (requireEnvironment && !flags.environment) throw new UsageError('--environment is required');
  if (flags.files.length) {
    return flags.files.map((file) => {
      try {
        return { name: basename(file), source: file, text: readFileSync(file, 'utf8') };
      } catch (error) {
        throw new UsageError(`cannot read ${file}: ${errorMessage(error)}`);
      }
    });
  }
  const { client, owner, repo } = await apiClient(flags, env);
  const names = flags.environment
    ? [ledgerFileName(flags.environment)]
    : (await listRootFiles(client, { owner, repo, ref: flags.branch })).map((e) => e.path).filter((name) => name.endsWith('.jsonl'));
  if (names.length === 0) throw new Error(`no ledgers on branch ${flags.branch} of ${owner}/${repo}`);
  const ledgers: Ledger[] = [];
  for (const name of names) {
    const file = await getFile(client, { owner, repo, path: name, ref: flags.branch });
    if (!file) throw new Error(`no ledger ${name} on branch ${flags.branch} of ${owner}/${repo}`);
    ledgers.push({ name, source: `${owner}/${repo}@${flags.branch}:${name}`, text: file.text });
  }
  return ledgers;
}

function checkOf(ledger: Ledger): LedgerCheck {
  // A local file may be named anything: only a ledger named like one pins its environment.
  return verifyLedger(ledger.text, ledger.name.endsWith('.jsonl') ? { fileName: ledger.name } : {});
}

async function verify(flags: Flags, env: Env, io: Io): Promise<number> {
  const ledgers = await loadLedgers(flags, env, false);
  const results = ledgers.map((ledger) => ({ ledger, check: checkOf(ledger) }));
  // The newest line has no successor to vouch for it: --expect pins records known from elsewhere.
  const known = new Set(results.flatMap((r) => r.check.entries.map((e) => e.sha256)));
  const missing = flags.expect.filter((sha) => !known.has(sha));
  if (flags.json) {
    const ledgerResults = results.map(({ ledger, check }) => ({ ledger: ledger.source, ok: check.ok, records: check.entries.length, lines: check.lines, headSha256: check.headSha256, ...(check.broken ? { broken: check.broken } : {}) }));
    io.out(JSON.stringify({ ok: missing.length === 0 && results.every((r) => r.check.ok), ledgers: ledgerResults, missing }, null, 2));
  } else {
    for (const { ledger, check } of results) {
      if (check.ok) io.out(`✓ ${ledger.source}: ${check.lines} record${check.lines === 1 ? '' : 's'}, chain intact${check.headSha256 ? `, head ${check.headSha256}` : ''}`);
      else io.out(`✗ ${ledger.source}: ${check.broken?.reason}`);
    }
    for (const sha of missing) io.out(`✗ record ${sha} is in none of the ledgers read: it was changed or removed`);
  }
  return missing.length === 0 && results.every((r) => r.check.ok) ? 0 : 1;
}

/** Loads one environment's entries, refusing a broken chain unless --no-verify. */
async function entriesOf(flags: Flags, env: Env, io: Io): Promise<LedgerEntry[] | number> {
  const ledgers = await loadLedgers(flags, env, true);
  const entries: LedgerEntry[] = [];
  for (const ledger of ledgers) {
    const check = checkOf(ledger);
    if (!check.ok && flags.verify) {
      io.err(`shipline audit: ${ledger.source} is broken — ${check.broken?.reason} (use --no-verify to read it anyway)`);
      return 1;
    }
    entries.push(...check.entries);
  }
  return entriesFor(entries, flags.environment);
}

function imageCell(e: LedgerEntry): string {
  const image = e.record.image;
  return image ? `${image.name}@${image.digest.slice(0, 19)}` : '-';
}

function listRow(e: LedgerEntry, imageWidth: number): string {
  const r = e.record;
  const approvals = r.approvals === null ? '?' : r.approvals.filter((a) => a.state === 'approved').map((a) => a.user).join(',') || '-';
  return [
    String(e.line).padStart(4),
    r.finishedAt.replace(/\.\d+Z$/, 'Z').padEnd(20),
    r.status.padEnd(11),
    (isVerified(r) ? 'verified' : '-').padEnd(8),
    imageCell(e).padEnd(imageWidth),
    (r.deployer ?? '-').padEnd(16),
    approvals.padEnd(16),
    e.sha256.slice(0, 12),
  ].join('  ');
}

async function list(flags: Flags, env: Env, io: Io): Promise<number> {
  const entries = await entriesOf(flags, env, io);
  if (typeof entries === 'number') return entries;
  const newestFirst = [...entries].reverse().slice(0, flags.limit ?? entries.length);
  if (flags.json) {
    io.out(JSON.stringify(newestFirst.map((e) => ({ line: e.line, sha256: e.sha256, record: e.record })), null, 2));
    return 0;
  }
  if (newestFirst.length === 0) {
    io.out(`no records for ${flags.environment}`);
    return 0;
  }
  // The image column is as wide as its longest value, so long registry names keep the columns aligned.
  const imageWidth = Math.max(40, ...newestFirst.map((e) => imageCell(e).length));
  io.out(['line', 'finished'.padEnd(20), 'status'.padEnd(11), 'verified', 'image'.padEnd(imageWidth), 'deployer'.padEnd(16), 'approved by'.padEnd(16), 'sha256'].join('  '));
  for (const e of newestFirst) io.out(listRow(e, imageWidth));
  return 0;
}

async function lastGoodCommand(flags: Flags, env: Env, io: Io): Promise<number> {
  const entries = await entriesOf(flags, env, io);
  if (typeof entries === 'number') return entries;
  const found = lastGood(entries, { environment: flags.environment as string, excludeDigests: flags.excludeDigests });
  if (!found || !found.record.image) {
    io.err(`shipline audit: no successful, verified deployment of ${flags.environment} to roll back to${flags.excludeDigests.length ? ` (excluding ${flags.excludeDigests.join(', ')})` : ''}`);
    return 1;
  }
  const r = found.record;
  const image = r.image as NonNullable<typeof r.image>;
  if (flags.json) {
    io.out(
      JSON.stringify(
        {
          environment: r.environment,
          digest: image.digest,
          image: `${image.name}@${image.digest}`,
          reference: image.reference,
          commit: r.commit,
          recordSha256: found.sha256,
          line: found.line,
          finishedAt: r.finishedAt,
          deployer: r.deployer,
          run: r.run.url,
        },
        null,
        2,
      ),
    );
  } else io.out(image.digest);
  return 0;
}

/** A deployment id names a record through the deployment's payload (the record itself). */
async function recordIdOfDeployment(id: number, flags: Flags, env: Env): Promise<string> {
  const { client, owner, repo } = await apiClient(flags, env);
  const { data } = await client.octokit.rest.repos.getDeployment({ owner, repo, deployment_id: id });
  const payload = (typeof data.payload === 'string' ? JSON.parse(data.payload || '{}') : data.payload) as { id?: unknown };
  if (typeof payload.id !== 'string') throw new Error(`deployment ${id} carries no shipline audit record in its payload`);
  if (flags.environment && data.environment !== flags.environment) throw new Error(`deployment ${id} is of environment ${data.environment}, not ${flags.environment}`);
  return payload.id.toLowerCase();
}

async function resolveCommand(flags: Flags, env: Env, io: Io): Promise<number> {
  const to = parseTo(flags.to ?? 'previous');
  if (typeof to === 'string') throw new UsageError(to);
  const entries = await entriesOf(flags, env, io);
  if (typeof entries === 'number') return entries;
  const wanted = to.kind === 'deployment' ? ({ kind: 'record', id: await recordIdOfDeployment(to.id, flags, env) } as const) : to;
  const target = resolveTarget(entries, flags.environment as string, wanted);
  if (typeof target === 'string') {
    io.err(`shipline audit resolve: ${target}`);
    return 1;
  }
  const image = target.entry.record.image as NonNullable<AuditRecord['image']>;
  const result = {
    environment: target.entry.record.environment,
    image: `${image.name}@${image.digest}`,
    digest: image.digest,
    commit: target.entry.record.commit,
    recordSha256: target.entry.sha256,
    'rollback-of': target.rollbackOf?.sha256 ?? '',
    rollingBackImage: target.rollbackOf?.record.image ? `${target.rollbackOf.record.image.name}@${target.rollbackOf.record.image.digest}` : '',
  };
  if (flags.githubOutput) {
    const path = env['GITHUB_OUTPUT'];
    if (!path) throw new UsageError('--github-output needs GITHUB_OUTPUT (it is set in a workflow step)');
    appendFileSync(path, `image=${result.image}\ndigest=${result.digest}\nrollback-of=${result['rollback-of']}\nrecord-sha256=${result.recordSha256}\n`);
  }
  if (flags.json) io.out(JSON.stringify(result, null, 2));
  else io.out(`${result.image}${result.rollingBackImage ? ` (rolling back ${result.rollingBackImage})` : ''}`);
  return 0;
}

export const auditCommand: Command = {
  summary: 'verify, list and query deployment audit ledgers (verify | list | last-good | resolve)',
  async run(argv, io) {
    return runAuditCli(argv, io, process.env);
  },
};

export async function runAuditCli(argv: readonly string[], io: Io, env: Env): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === 'help') {
    for (const line of USAGE) io.out(line);
    return sub ? 0 : 2;
  }
  const flags = parseAuditFlags(rest);
  if (typeof flags === 'string') {
    io.err(`shipline audit ${sub}: ${flags}`);
    return 2;
  }
  try {
    switch (sub) {
      case 'verify':
        return await verify(flags, env, io);
      case 'list':
        return await list(flags, env, io);
      case 'last-good':
        return await lastGoodCommand(flags, env, io);
      case 'resolve':
        return await resolveCommand(flags, env, io);
      default:
        io.err(`shipline audit: unknown subcommand '${sub}' (verify, list, last-good, resolve)`);
        return 2;
    }
  } catch (error) {
    io.err(`shipline audit ${sub}: ${errorMessage(error)}`);
    return error instanceof UsageError ? 2 : 1;
  }
}
