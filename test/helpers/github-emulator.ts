/**
 * A loopback GitHub REST emulator for the endpoints shipline uses — deployments and their statuses,
 * contents GET/PUT with blob-sha compare-and-swap (409 on a stale sha, 422 on a missing one), git
 * refs/trees/commits/blobs (orphan branches, large files), a workflow run and its environment
 * approvals — that checks every request and every response against GitHub's official REST
 * description (`@octokit/openapi`, api.github.com) and records each disagreement in `mismatches`,
 * so a test fails on any. `fail()` injects faults (5xx, 409, rate limits), before or after the
 * operation took effect. Point GITHUB_API_URL at `apiUrl` (a `pathPrefix` of `/api/v3` serves it
 * the way GitHub Enterprise Server does).
 *
 *   const gh = await startGitHubEmulator();
 *   … run the code under test with GITHUB_API_URL=gh.apiUrl and GITHUB_TOKEN=gh.state.token …
 *   expect(gh.mismatches).toEqual([]);
 *   await gh.stop();
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';


// ─────────────────────────────────────────────────────────────────────────────────────────────────
// The validator: finds the operation for a method + path in the api.github.com description, then
// validates path and query parameters, the JSON request body (strictly: a property the description
// does not declare is a mismatch, as a typo would be) and the response status and body. Ajv compiles
// only the schemas an exchange needs, resolving `$ref`s into the description's components.
// ─────────────────────────────────────────────────────────────────────────────────────────────────

// ajv-formats is CommonJS with an ES default in its types; accept either shape.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormatsValue = addFormatsModule as unknown as AddFormats | { default: AddFormats };
const addFormats: AddFormats = typeof addFormatsValue === 'function' ? addFormatsValue : addFormatsValue.default;

interface Schema {
  [key: string]: unknown;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
  'x-multi-segment'?: boolean;
}

interface MediaType {
  schema?: Schema;
}

interface Operation {
  operationId: string;
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content?: Record<string, MediaType> } | { $ref: string };
  responses: Record<string, { content?: Record<string, MediaType>; $ref?: string }>;
}

interface Description {
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, unknown>>;
}

export interface MatchedOperation {
  operationId: string;
  method: string;
  template: string;
  params: Record<string, string>;
  operation: Operation;
}

interface Route {
  method: string;
  template: string;
  regex: RegExp;
  names: string[];
  literal: number;
  operation: Operation;
}

const HTTP_METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options'];

function deref<T>(spec: Description, value: T | { $ref: string }): T {
  let current: unknown = value;
  for (let i = 0; i < 10 && current && typeof current === 'object' && '$ref' in current; i++) {
    const ref = (current as { $ref: string }).$ref;
    const parts = ref.replace(/^#\//, '').split('/');
    current = parts.reduce<unknown>((node, part) => (node as Record<string, unknown>)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
  }
  return current as T;
}

/** Points `#/components/…` refs at the description added to Ajv under the id `gh`. */
function rebase(schema: unknown): Schema {
  return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\/components\//g, '"$ref":"gh#/components/')) as Schema;
}

/** Adds `additionalProperties: false` to every inline object schema that lists its properties. */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === 'example' || k === 'examples' || k === 'default' ? v : strict(v);
  if (out['type'] === 'object' && out['properties'] && out['additionalProperties'] === undefined) out['additionalProperties'] = false;
  return out;
}

function describeErrors(errors: ErrorObject[] | null | undefined, limit = 5): string {
  return (errors ?? [])
    .slice(0, limit)
    .map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` '${String(e.params['additionalProperty'])}'` : ''}${e.params && 'allowedValues' in e.params ? ` ${JSON.stringify(e.params['allowedValues'])}` : ''}`)
    .join('; ');
}

export class OpenApiValidator {
  private readonly ajv: Ajv;
  private readonly routes: Route[] = [];
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(private readonly spec: Description) {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
    addFormats(this.ajv);
    for (const format of ['int64', 'int32', 'double', 'repo.nwo', 'binary']) this.ajv.addFormat(format, true);
    this.ajv.addSchema({ $id: 'gh', components: spec.components } as Schema);
    for (const [template, item] of Object.entries(spec.paths)) {
      for (const method of HTTP_METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const params = (operation.parameters ?? []).map((p) => deref<Parameter>(spec, p));
        const names: string[] = [];
        const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
          names.push(name);
          return params.find((p) => p.name === name && p.in === 'path')?.['x-multi-segment'] ? '(.*)' : '([^/]+)';
        });
        this.routes.push({ method: method.toUpperCase(), template, regex: new RegExp(`^${pattern}$`), names, literal: template.replace(/\{\w+\}/g, '').length, operation });
      }
    }
    // Literal paths beat templated ones (`/git/ref/{ref}` is not `/git/{x}/{y}`).
    this.routes.sort((a, b) => b.literal - a.literal || a.names.length - b.names.length);
  }

  match(method: string, path: string): MatchedOperation | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1] ?? '')));
      return { operationId: route.operation.operationId, method, template: route.template, params, operation: route.operation };
    }
    return undefined;
  }

  private compile(key: string, schema: unknown): ValidateFunction {
    let fn = this.cache.get(key);
    if (!fn) {
      fn = this.ajv.compile(rebase(schema));
      this.cache.set(key, fn);
    }
    return fn;
  }

  private parameters(op: MatchedOperation): Parameter[] {
    return (op.operation.parameters ?? []).map((p) => deref<Parameter>(this.spec, p));
  }

  private coerce(value: string, schema: Schema | undefined): unknown {
    const type = schema?.['type'];
    if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
    if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
    if (type === 'array') return value.split(',');
    return value;
  }

  /** Problems with a request, as sentences; empty when it matches the description. */
  validateRequest(op: MatchedOperation, query: URLSearchParams, contentType: string | undefined, body: unknown, hasBody: boolean): string[] {
    const problems: string[] = [];
    const params = this.parameters(op);
    for (const p of params.filter((x) => x.in === 'path')) {
      const value = op.params[p.name];
      if (value === undefined) continue;
      const fn = this.compile(`${op.operationId}:path:${p.name}`, p.schema ?? {});
      if (!fn(this.coerce(value, p.schema))) problems.push(`path parameter ${p.name}='${value}': ${describeErrors(fn.errors)}`);
    }
    const declared = new Set(params.filter((x) => x.in === 'query').map((x) => x.name));
    for (const name of new Set(query.keys())) if (!declared.has(name)) problems.push(`query parameter '${name}' is not in the description`);
    for (const p of params.filter((x) => x.in === 'query')) {
      const value = query.get(p.name);
      if (value === null) {
        if (p.required) problems.push(`query parameter ${p.name} is required`);
        continue;
      }
      const fn = this.compile(`${op.operationId}:query:${p.name}`, p.schema ?? {});
      if (!fn(this.coerce(value, p.schema))) problems.push(`query parameter ${p.name}='${value}': ${describeErrors(fn.errors)}`);
    }
    const requestBody = op.operation.requestBody ? deref<{ required?: boolean; content?: Record<string, MediaType> }>(this.spec, op.operation.requestBody) : undefined;
    if (!requestBody) {
      if (hasBody) problems.push('a request body was sent, but the operation takes none');
      return problems;
    }
    if (!hasBody) {
      if (requestBody.required) problems.push('the request body is required');
      return problems;
    }
    const media = requestBody.content?.['application/json'];
    if (!media?.schema) return problems;
    if (!contentType?.startsWith('application/json')) problems.push(`request content-type is '${contentType ?? ''}', expected application/json`);
    const fn = this.compile(`${op.operationId}:body`, strict(media.schema));
    if (!fn(body)) problems.push(`request body: ${describeErrors(fn.errors)}`);
    return problems;
  }

  /** Problems with a response, as sentences; empty when it matches the description. */
  validateResponse(op: MatchedOperation, status: number, contentType: string | undefined, body: unknown): string[] {
    const declared = op.operation.responses[String(status)] ?? op.operation.responses[`${String(status)[0]}XX`] ?? op.operation.responses['default'];
    if (!declared) {
      // GitHub answers any call with 401/403/404/5xx in its usual error shape; other statuses must be declared.
      if (status >= 400) {
        const fn = this.compile('basic-error', { $ref: '#/components/schemas/basic-error' });
        return fn(body) ? [] : [`undeclared ${status} response body is not a basic-error: ${describeErrors(fn.errors)}`];
      }
      return [`status ${status} is not a declared response of ${op.operationId} (declared: ${Object.keys(op.operation.responses).join(', ')})`];
    }
    const response = deref<{ content?: Record<string, MediaType> }>(this.spec, declared);
    if (!response.content) return body === undefined || body === '' ? [] : [`${status} response of ${op.operationId} declares no body, but one was sent`];
    const type = contentType?.split(';')[0]?.trim() ?? '';
    const media = response.content[type] ?? response.content['application/json'];
    if (!media?.schema) return [];
    const fn = this.compile(`${op.operationId}:response:${status}:${type}`, media.schema);
    return fn(body) ? [] : [`${status} response body: ${describeErrors(fn.errors)}`];
  }

  /** An example value from the description (components/examples), deep-copied. */
  example(name: string): Record<string, unknown> {
    const example = this.spec.components['examples']?.[name] as { value?: unknown } | undefined;
    if (!example?.value) throw new Error(`no example '${name}' in the description`);
    return structuredClone(example.value) as Record<string, unknown>;
  }
}

let loading: OpenApiValidator | undefined;

/** The api.github.com description from `@octokit/openapi`, loaded once per process (13 MB). */
export function githubApiValidator(): OpenApiValidator {
  if (!loading) {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
    // GitHub's description uses `oneOf` for alternatives that overlap (any error body matches both
    // basic-error and repository-rule-violation-error, whose properties are all optional), which JSON
    // Schema's exactly-one rule then rejects. The intent is "one of these shapes": validate as anyOf.
    const text = readFileSync(file, 'utf8').replace(/"oneOf":/g, '"anyOf":');
    loading = new OpenApiValidator(JSON.parse(text) as Description);
  }
  return loading;
}

// ─────────────────────────────────────────────────────────────────────────────────────────────────
// The emulator
// ─────────────────────────────────────────────────────────────────────────────────────────────────

export interface EmulatorOptions {
  owner?: string;
  repo?: string;
  /** The only token accepted (`Authorization: token …` or `Bearer …`). */
  token?: string;
  /** Serve under a prefix, as GitHub Enterprise Server does (`/api/v3`). */
  pathPrefix?: string;
  defaultBranch?: string;
  /** Files larger than this come back from the contents API without content (GitHub: 1 MB). */
  largeFileBytes?: number;
}

export interface RecordedApiRequest {
  method: string;
  /** Path without the prefix, as sent (still percent-encoded). */
  path: string;
  operationId?: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  status: number;
  response: unknown;
  /** Answered by a fault from `fail()`. */
  injected: boolean;
  authorization?: string;
}

export interface Mismatch {
  method: string;
  path: string;
  operationId?: string;
  kind: 'route' | 'request' | 'response' | 'emulator';
  detail: string;
}

export interface Fault {
  method?: string;
  /** An operation id (`repos/create-or-update-file-contents`), a spec path template, or a RegExp on the path. */
  path?: string | RegExp;
  status: number;
  /** How many matching requests fail (default 1). */
  times?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Perform the operation, then answer with the fault (the write landed, the client cannot know). */
  afterHandling?: boolean;
}

export interface ApprovalSpec {
  user: string;
  state?: 'approved' | 'rejected' | 'pending';
  comment?: string;
  environments: string[];
}

export interface RunSpec {
  approvals?: ApprovalSpec[];
  runStartedAt?: string;
  attempt?: number;
  actor?: string;
  triggeringActor?: string;
  name?: string;
}

export interface StoredDeployment {
  id: number;
  sha: string;
  ref: string;
  task: string;
  payload: Record<string, unknown> | string;
  environment: string;
  description: string | null;
  transient: boolean;
  production: boolean;
  createdAt: string;
  creator: string;
  statuses: StoredStatus[];
}

export interface StoredStatus {
  id: number;
  state: string;
  description: string;
  environment: string;
  logUrl: string;
  environmentUrl: string;
  createdAt: string;
  autoInactive: boolean | undefined;
}

interface Commit {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
  date: string;
}

const gitHash = (kind: string, content: Buffer): string => createHash('sha1').update(`${kind} ${content.length}\0`).update(content).digest('hex');

export class EmulatorState {
  readonly owner: string;
  readonly repo: string;
  readonly token: string;
  readonly defaultBranch: string;
  largeFileBytes: number;
  readonly blobs = new Map<string, Buffer>();
  /** tree sha → (path → blob sha) */
  readonly trees = new Map<string, Map<string, string>>();
  readonly commits = new Map<string, Commit>();
  /** branch name → commit sha */
  readonly branches = new Map<string, string>();
  readonly deployments: StoredDeployment[] = [];
  readonly runs = new Map<number, RunSpec>();
  /** Operation ids answered 403 "Resource not accessible by integration" (a missing permission). */
  readonly forbidden = new Set<string>();
  /** Commit status contexts that are failing: a deployment that does not bypass them gets 409. */
  failingStatusContexts: string[] = [];
  /** Login the token belongs to. */
  tokenUser = 'github-actions[bot]';
  private seq = 1000;
  private clockMs = Date.parse('2026-01-01T00:00:00Z');

  constructor(options: Required<Pick<EmulatorOptions, 'owner' | 'repo' | 'token' | 'defaultBranch' | 'largeFileBytes'>>) {
    this.owner = options.owner;
    this.repo = options.repo;
    this.token = options.token;
    this.defaultBranch = options.defaultBranch;
    this.largeFileBytes = options.largeFileBytes;
    this.commitFiles(this.defaultBranch, { 'README.md': '# api\n' }, 'Initial commit', true);
  }

  nextId(): number {
    return ++this.seq;
  }

  /** Strictly increasing timestamps, so ordering by time is ordering by creation. */
  now(): string {
    this.clockMs = Math.max(this.clockMs + 1000, Date.now());
    return new Date(this.clockMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  putBlob(content: Buffer): string {
    const sha = gitHash('blob', content);
    this.blobs.set(sha, content);
    return sha;
  }

  putTree(entries: Map<string, string>): string {
    const text = [...entries].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, s]) => `${p}\0${s}`).join('\n');
    const sha = gitHash('tree', Buffer.from(text));
    this.trees.set(sha, new Map(entries));
    return sha;
  }

  putCommit(tree: string, parents: string[], message: string): Commit {
    const date = this.now();
    const sha = gitHash('commit', Buffer.from(`${tree}\n${parents.join(',')}\n${message}\n${date}\n${this.nextId()}`));
    const commit = { sha, tree, parents, message, date };
    this.commits.set(sha, commit);
    return commit;
  }

  /** The tree (path → blob sha) of a branch or commit sha; undefined when neither exists. */
  treeAt(ref: string): Map<string, string> | undefined {
    const commitSha = this.branches.get(ref) ?? (this.commits.has(ref) ? ref : undefined);
    const commit = commitSha ? this.commits.get(commitSha) : undefined;
    return commit ? this.trees.get(commit.tree) : undefined;
  }

  /** A file's text on a branch (for assertions). */
  readFile(branch: string, path: string): string | undefined {
    const blob = this.treeAt(branch)?.get(path);
    return blob ? this.blobs.get(blob)?.toString('utf8') : undefined;
  }

  /** Commits files straight onto a branch (to seed or to tamper, as a person with push access could). */
  commitFiles(branch: string, files: Record<string, string | null>, message = 'edit', orphan = false): string {
    const head = this.branches.get(branch);
    const base = orphan || !head ? new Map<string, string>() : new Map(this.treeAt(branch));
    for (const [path, text] of Object.entries(files)) {
      if (text === null) base.delete(path);
      else base.set(path, this.putBlob(Buffer.from(text, 'utf8')));
    }
    const commit = this.putCommit(this.putTree(base), head && !orphan ? [head] : [], message);
    this.branches.set(branch, commit.sha);
    return commit.sha;
  }

  /** The commits of a branch, newest first. */
  history(branch: string): Commit[] {
    const out: Commit[] = [];
    for (let sha = this.branches.get(branch); sha; sha = this.commits.get(sha)?.parents[0]) out.push(this.commits.get(sha) as Commit);
    return out;
  }

  latestStatus(deploymentId: number): StoredStatus | undefined {
    return this.deployments.find((d) => d.id === deploymentId)?.statuses.at(-1);
  }
}

export interface GitHubEmulator {
  /** What GITHUB_API_URL should be (includes the prefix). */
  apiUrl: string;
  /** The web URL (GITHUB_SERVER_URL). */
  serverUrl: string;
  state: EmulatorState;
  requests: RecordedApiRequest[];
  /** Every disagreement with GitHub's description; tests assert it stays empty. */
  mismatches: Mismatch[];
  /** Makes the next matching request(s) fail. */
  fail(fault: Fault): void;
  stop(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: unknown[],
  ) {
    super(message);
  }
}

interface Handled {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Handler = (ctx: { params: Record<string, string>; query: URLSearchParams; body: Record<string, unknown> }) => Handled;

const DOCS = 'https://docs.github.com/rest';

function base64Lines(buffer: Buffer): string {
  return (buffer.toString('base64').match(/.{1,60}/g) ?? ['']).join('\n') + '\n';
}

export async function startGitHubEmulator(options: EmulatorOptions = {}): Promise<GitHubEmulator> {
  const validator = githubApiValidator();
  const state = new EmulatorState({
    owner: options.owner ?? 'acme',
    repo: options.repo ?? 'api',
    token: options.token ?? 'ghs_emulatorToken0123456789abcdefABCDEF',
    defaultBranch: options.defaultBranch ?? 'main',
    largeFileBytes: options.largeFileBytes ?? 1024 * 1024,
  });
  const prefix = (options.pathPrefix ?? '').replace(/\/+$/, '');
  const requests: RecordedApiRequest[] = [];
  const mismatches: Mismatch[] = [];
  const faults: (Fault & { left: number })[] = [];
  let apiUrl = '';
  let serverUrl = '';
  const repoApi = (): string => `${apiUrl}/repos/${state.owner}/${state.repo}`;
  const repoWeb = (): string => `${serverUrl}/${state.owner}/${state.repo}`;
  const nodeId = (kind: string, id: number | string): string => Buffer.from(`${kind}:${id}`).toString('base64').replace(/=+$/, '');

  const user = (login: string): Record<string, unknown> => {
    const id = [...login].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 100_000_000, 7);
    const url = `${apiUrl}/users/${encodeURIComponent(login)}`;
    return {
      login,
      id,
      node_id: nodeId('User', id),
      avatar_url: `${serverUrl}/avatars/${id}`,
      gravatar_id: '',
      url,
      html_url: `${serverUrl}/${encodeURIComponent(login)}`,
      followers_url: `${url}/followers`,
      following_url: `${url}/following{/other_user}`,
      gists_url: `${url}/gists{/gist_id}`,
      starred_url: `${url}/starred{/owner}{/repo}`,
      subscriptions_url: `${url}/subscriptions`,
      organizations_url: `${url}/orgs`,
      repos_url: `${url}/repos`,
      events_url: `${url}/events{/privacy}`,
      received_events_url: `${url}/received_events`,
      type: login.endsWith('[bot]') ? 'Bot' : 'User',
      user_view_type: 'public',
      site_admin: false,
    };
  };

  const checkRepo = (params: Record<string, string>): void => {
    if (params['owner']?.toLowerCase() !== state.owner.toLowerCase() || params['repo']?.toLowerCase() !== state.repo.toLowerCase()) throw new HttpError(404, 'Not Found');
  };

  const contentEntry = (path: string, sha: string, size: number, ref: string, type: 'file' | 'dir' = 'file'): Record<string, unknown> => {
    const self = `${repoApi()}/contents/${path}?ref=${encodeURIComponent(ref)}`;
    const git = `${repoApi()}/git/${type === 'dir' ? 'trees' : 'blobs'}/${sha}`;
    const html = `${repoWeb()}/${type === 'dir' ? 'tree' : 'blob'}/${encodeURIComponent(ref)}/${path}`;
    return {
      name: path.split('/').pop(),
      path,
      sha,
      size,
      url: self,
      html_url: html,
      git_url: git,
      download_url: type === 'dir' ? null : `${serverUrl}/raw/${state.owner}/${state.repo}/${encodeURIComponent(ref)}/${path}`,
      type,
      _links: { self, git, html },
    };
  };

  const commitObject = (commit: Commit): Record<string, unknown> => {
    const who = { name: state.tokenUser, email: '41898282+github-actions[bot]@users.noreply.github.com', date: commit.date };
    return {
      sha: commit.sha,
      node_id: nodeId('Commit', commit.sha),
      url: `${repoApi()}/git/commits/${commit.sha}`,
      html_url: `${repoWeb()}/commit/${commit.sha}`,
      author: who,
      committer: who,
      tree: { sha: commit.tree, url: `${repoApi()}/git/trees/${commit.tree}` },
      message: commit.message,
      parents: commit.parents.map((p) => ({ sha: p, url: `${repoApi()}/git/commits/${p}`, html_url: `${repoWeb()}/commit/${p}` })),
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    };
  };

  const deploymentObject = (d: StoredDeployment): Record<string, unknown> => ({
    url: `${repoApi()}/deployments/${d.id}`,
    id: d.id,
    node_id: nodeId('Deployment', d.id),
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: d.payload,
    original_environment: d.environment,
    environment: d.environment,
    description: d.description,
    creator: user(d.creator),
    created_at: d.createdAt,
    updated_at: d.statuses.at(-1)?.createdAt ?? d.createdAt,
    statuses_url: `${repoApi()}/deployments/${d.id}/statuses`,
    repository_url: repoApi(),
    transient_environment: d.transient,
    production_environment: d.production,
  });

  const statusObject = (d: StoredDeployment, s: StoredStatus): Record<string, unknown> => ({
    url: `${repoApi()}/deployments/${d.id}/statuses/${s.id}`,
    id: s.id,
    node_id: nodeId('DeploymentStatus', s.id),
    state: s.state,
    creator: user(state.tokenUser),
    description: s.description,
    environment: s.environment,
    // GitHub answers "" for a status created without a URL, which its own description (format: uri,
    // required) does not allow; the emulator keeps to the description: the status's own URL.
    target_url: s.logUrl || `${repoApi()}/deployments/${d.id}/statuses/${s.id}`,
    ...(s.logUrl ? { log_url: s.logUrl } : {}),
    ...(s.environmentUrl ? { environment_url: s.environmentUrl } : {}),
    created_at: s.createdAt,
    updated_at: s.createdAt,
    deployment_url: `${repoApi()}/deployments/${d.id}`,
    repository_url: repoApi(),
  });

  const findDeployment = (id: string | undefined): StoredDeployment => {
    const d = state.deployments.find((x) => String(x.id) === id);
    if (!d) throw new HttpError(404, 'Not Found');
    return d;
  };

  const addStatus = (d: StoredDeployment, s: Omit<StoredStatus, 'id' | 'createdAt'>): StoredStatus => {
    const status: StoredStatus = { ...s, id: state.nextId(), createdAt: state.now() };
    d.statuses.push(status);
    return status;
  };

  const handlers: Record<string, Handler> = {
    'repos/get-content': ({ params, query }) => {
      checkRepo(params);
      const ref = query.get('ref') ?? state.defaultBranch;
      const tree = state.treeAt(ref);
      if (!tree) throw new HttpError(404, `No commit found for the ref ${ref}`);
      const path = (params['path'] ?? '').replace(/^\/+|\/+$/g, '');
      const blobSha = path ? tree.get(path) : undefined;
      if (blobSha) {
        const content = state.blobs.get(blobSha) as Buffer;
        const large = content.length > state.largeFileBytes;
        return { status: 200, body: { ...contentEntry(path, blobSha, content.length, ref), content: large ? '' : base64Lines(content), encoding: large ? 'none' : 'base64' } };
      }
      const dir = path ? `${path}/` : '';
      const names = new Map<string, Record<string, unknown>>();
      for (const [p, sha] of tree) {
        if (!p.startsWith(dir)) continue;
        const rest = p.slice(dir.length);
        const slash = rest.indexOf('/');
        if (slash < 0) names.set(rest, contentEntry(p, sha, (state.blobs.get(sha) as Buffer).length, ref));
        else if (!names.has(rest.slice(0, slash))) names.set(rest.slice(0, slash), contentEntry(`${dir}${rest.slice(0, slash)}`, gitHash('tree', Buffer.from(p)), 0, ref, 'dir'));
      }
      if (names.size === 0) throw new HttpError(404, 'Not Found');
      return { status: 200, body: [...names.values()] };
    },

    'repos/create-or-update-file-contents': ({ params, body }) => {
      checkRepo(params);
      const path = params['path'] ?? '';
      const branch = typeof body['branch'] === 'string' ? body['branch'] : state.defaultBranch;
      const head = state.branches.get(branch);
      if (!head) throw new HttpError(404, `Branch ${branch} not found`);
      if (typeof body['message'] !== 'string' || typeof body['content'] !== 'string') throw new HttpError(422, 'Invalid request.\n\n"message" and "content" are required.');
      const tree = new Map(state.treeAt(branch));
      const existing = tree.get(path);
      const sha = body['sha'];
      if (existing && sha === undefined) throw new HttpError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.');
      if (existing && sha !== existing) throw new HttpError(409, `${path} does not match ${String(sha)}`);
      if (!existing && sha !== undefined) throw new HttpError(409, `${path} does not match ${String(sha)}`);
      const content = Buffer.from(body['content'], 'base64');
      const blob = state.putBlob(content);
      tree.set(path, blob);
      const commit = state.putCommit(state.putTree(tree), [head], body['message']);
      state.branches.set(branch, commit.sha);
      return {
        status: existing ? 200 : 201,
        body: { content: contentEntry(path, blob, content.length, branch), commit: commitObject(commit) },
      };
    },

    'git/get-ref': ({ params }) => {
      checkRepo(params);
      const ref = params['ref'] ?? '';
      const branch = ref.replace(/^heads\//, '');
      const sha = ref.startsWith('heads/') ? state.branches.get(branch) : undefined;
      if (!sha) throw new HttpError(404, 'Not Found');
      return { status: 200, body: { ref: `refs/${ref}`, node_id: nodeId('Ref', ref), url: `${repoApi()}/git/refs/${ref}`, object: { type: 'commit', sha, url: `${repoApi()}/git/commits/${sha}` } } };
    },

    'git/create-ref': ({ params, body }) => {
      checkRepo(params);
      const ref = String(body['ref'] ?? '');
      const sha = String(body['sha'] ?? '');
      if (!/^refs\/.+\/.+/.test(ref)) throw new HttpError(422, `${ref} is not a valid ref name.`);
      if (!ref.startsWith('refs/heads/')) throw new HttpError(422, 'The emulator only creates branches (refs/heads/…).');
      if (!state.commits.has(sha)) throw new HttpError(422, 'Object does not exist');
      const branch = ref.slice('refs/heads/'.length);
      if (state.branches.has(branch)) throw new HttpError(422, 'Reference already exists');
      state.branches.set(branch, sha);
      return {
        status: 201,
        headers: { location: `${repoApi()}/git/refs/heads/${branch}` },
        body: { ref, node_id: nodeId('Ref', ref), url: `${repoApi()}/git/${ref}`, object: { type: 'commit', sha, url: `${repoApi()}/git/commits/${sha}` } },
      };
    },

    'git/create-tree': ({ params, body }) => {
      checkRepo(params);
      let tree = new Map<string, string>();
      if (typeof body['base_tree'] === 'string') {
        const base = state.trees.get(body['base_tree']);
        if (!base) throw new HttpError(422, 'base_tree is not a valid tree');
        tree = new Map(base);
      }
      for (const entry of (body['tree'] as Record<string, unknown>[]) ?? []) {
        const path = String(entry['path']);
        if (entry['type'] !== 'blob') throw new HttpError(422, 'The emulator only builds trees of blobs.');
        if (typeof entry['content'] === 'string' && entry['sha'] !== undefined) throw new HttpError(422, 'Use either tree.sha or content, not both');
        if (typeof entry['content'] === 'string') tree.set(path, state.putBlob(Buffer.from(entry['content'], 'utf8')));
        else if (entry['sha'] === null) tree.delete(path);
        else if (typeof entry['sha'] === 'string' && state.blobs.has(entry['sha'])) tree.set(path, entry['sha']);
        else throw new HttpError(422, `tree.sha ${String(entry['sha'])} is not a valid blob`);
      }
      const sha = state.putTree(tree);
      return {
        status: 201,
        headers: { location: `${repoApi()}/git/trees/${sha}` },
        body: {
          sha,
          url: `${repoApi()}/git/trees/${sha}`,
          truncated: false,
          tree: [...tree].map(([path, blob]) => ({ path, mode: '100644', type: 'blob', sha: blob, size: (state.blobs.get(blob) as Buffer).length, url: `${repoApi()}/git/blobs/${blob}` })),
        },
      };
    },

    'git/create-commit': ({ params, body }) => {
      checkRepo(params);
      const tree = String(body['tree'] ?? '');
      if (!state.trees.has(tree)) throw new HttpError(422, 'Tree SHA does not exist');
      const parents = (body['parents'] as string[] | undefined) ?? [];
      for (const p of parents) if (!state.commits.has(p)) throw new HttpError(422, 'Parent SHA does not exist or is not a commit object');
      const commit = state.putCommit(tree, parents, String(body['message'] ?? ''));
      return { status: 201, headers: { location: `${repoApi()}/git/commits/${commit.sha}` }, body: commitObject(commit) };
    },

    'git/get-tree': ({ params, query }) => {
      checkRepo(params);
      const ref = params['tree_sha'] ?? '';
      const tree = state.trees.has(ref) ? state.trees.get(ref) : state.treeAt(ref);
      if (!tree) throw new HttpError(404, 'Not Found');
      const recursive = query.has('recursive');
      const entries = new Map<string, Record<string, unknown>>();
      for (const [path, blob] of tree) {
        const slash = path.indexOf('/');
        if (recursive || slash < 0) {
          entries.set(path, { path, mode: '100644', type: 'blob', sha: blob, size: (state.blobs.get(blob) as Buffer).length, url: `${repoApi()}/git/blobs/${blob}` });
        }
        if (slash >= 0 && !entries.has(path.slice(0, slash))) {
          const dir = path.slice(0, slash);
          const sha = gitHash('tree', Buffer.from(dir));
          entries.set(dir, { path: dir, mode: '040000', type: 'tree', sha, url: `${repoApi()}/git/trees/${sha}` });
        }
      }
      const sha = state.trees.has(ref) ? ref : state.putTree(tree);
      return { status: 200, body: { sha, url: `${repoApi()}/git/trees/${sha}`, truncated: false, tree: [...entries.values()] } };
    },

    'git/get-blob': ({ params }) => {
      checkRepo(params);
      const sha = params['file_sha'] ?? '';
      const content = state.blobs.get(sha);
      if (!content) throw new HttpError(404, 'Not Found');
      return { status: 200, body: { sha, node_id: nodeId('Blob', sha), size: content.length, url: `${repoApi()}/git/blobs/${sha}`, content: base64Lines(content), encoding: 'base64' } };
    },

    'repos/create-deployment': ({ params, body }) => {
      checkRepo(params);
      const ref = String(body['ref'] ?? '');
      const sha = /^[0-9a-f]{40}$/.test(ref) ? ref : state.branches.get(ref);
      if (!sha) throw new HttpError(422, `No ref found for: ${ref}`);
      const required = body['required_contexts'] as string[] | undefined;
      const failing = required === undefined ? state.failingStatusContexts : state.failingStatusContexts.filter((c) => required.includes(c));
      if (failing.length) throw new HttpError(409, `Conflict: Commit status checks failed for ${ref}.`, failing.map((c) => ({ contexts: [{ context: c, state: 'failure' }], resource: 'Deployment', field: 'required_contexts', code: 'invalid' })));
      const environment = String(body['environment'] ?? 'production');
      const payload = body['payload'] ?? {};
      const d: StoredDeployment = {
        id: state.nextId(),
        sha,
        ref,
        task: String(body['task'] ?? 'deploy'),
        payload: typeof payload === 'string' && payload !== '' ? (JSON.parse(payload) as Record<string, unknown>) : (payload as Record<string, unknown>),
        environment,
        description: (body['description'] as string | null | undefined) ?? '',
        transient: body['transient_environment'] === true,
        production: typeof body['production_environment'] === 'boolean' ? body['production_environment'] : environment === 'production',
        createdAt: state.now(),
        creator: state.tokenUser,
        statuses: [],
      };
      state.deployments.push(d);
      return { status: 201, body: deploymentObject(d) };
    },

    'repos/get-deployment': ({ params }) => {
      checkRepo(params);
      return { status: 200, body: deploymentObject(findDeployment(params['deployment_id'])) };
    },

    'repos/list-deployments': ({ params, query }) => {
      checkRepo(params);
      const filters: [string, (d: StoredDeployment) => string][] = [
        ['sha', (d) => d.sha],
        ['ref', (d) => d.ref],
        ['task', (d) => d.task],
        ['environment', (d) => d.environment],
      ];
      let list = [...state.deployments].reverse();
      for (const [name, get] of filters) {
        const value = query.get(name);
        if (value !== null && value !== 'none') list = list.filter((d) => get(d) === value);
      }
      const perPage = Number(query.get('per_page') ?? 30);
      const page = Number(query.get('page') ?? 1);
      return { status: 200, body: list.slice((page - 1) * perPage, page * perPage).map(deploymentObject) };
    },

    'repos/create-deployment-status': ({ params, body }) => {
      checkRepo(params);
      const d = findDeployment(params['deployment_id']);
      const description = typeof body['description'] === 'string' ? body['description'] : '';
      if ([...description].length > 140) {
        throw new HttpError(422, 'Validation Failed', [{ resource: 'DeploymentStatus', code: 'custom', field: 'description', message: 'description is too long (maximum is 140 characters)' }]);
      }
      const logUrl = String(body['log_url'] ?? body['target_url'] ?? '');
      const s = addStatus(d, {
        state: String(body['state']),
        description,
        environment: typeof body['environment'] === 'string' ? body['environment'] : d.environment,
        logUrl,
        environmentUrl: String(body['environment_url'] ?? ''),
        autoInactive: body['auto_inactive'] as boolean | undefined,
      });
      // GitHub: auto_inactive (default true) retires prior successful deployments of the environment,
      // except transient and production ones.
      if (s.state === 'success' && s.autoInactive !== false) {
        for (const other of state.deployments) {
          if (other.id >= d.id || other.environment !== d.environment || other.transient || other.production) continue;
          if (other.statuses.at(-1)?.state === 'success') addStatus(other, { state: 'inactive', description: '', environment: other.environment, logUrl: '', environmentUrl: '', autoInactive: undefined });
        }
      }
      return { status: 201, headers: { location: `${repoApi()}/deployments/${d.id}/statuses/${s.id}` }, body: statusObject(d, s) };
    },

    'repos/list-deployment-statuses': ({ params, query }) => {
      checkRepo(params);
      const d = findDeployment(params['deployment_id']);
      const perPage = Number(query.get('per_page') ?? 30);
      const page = Number(query.get('page') ?? 1);
      return { status: 200, body: [...d.statuses].reverse().slice((page - 1) * perPage, page * perPage).map((s) => statusObject(d, s)) };
    },

    'actions/get-reviews-for-run': ({ params }) => {
      checkRepo(params);
      const run = state.runs.get(Number(params['run_id']));
      if (!run) throw new HttpError(404, 'Not Found');
      return {
        status: 200,
        body: (run.approvals ?? []).map((a) => ({
          state: a.state ?? 'approved',
          comment: a.comment ?? '',
          user: user(a.user),
          environments: a.environments.map((name, i) => ({
            id: 1000 + i,
            node_id: nodeId('Environment', name),
            name,
            url: `${repoApi()}/environments/${encodeURIComponent(name)}`,
            html_url: `${repoWeb()}/deployments/activity_log?environments_filter=${encodeURIComponent(name)}`,
            created_at: '2025-11-23T22:00:40Z',
            updated_at: '2025-11-23T22:00:40Z',
          })),
        })),
      };
    },

    'actions/get-workflow-run': ({ params }) => {
      checkRepo(params);
      const runId = Number(params['run_id']);
      const run = state.runs.get(runId);
      if (!run) throw new HttpError(404, 'Not Found');
      // GitHub's own example, with this run's facts.
      const body = validator.example('workflow-run');
      const url = `${repoApi()}/actions/runs/${runId}`;
      Object.assign(body, {
        id: runId,
        name: run.name ?? 'deploy',
        run_attempt: run.attempt ?? 1,
        run_started_at: run.runStartedAt ?? '2026-01-01T00:00:00Z',
        url,
        html_url: `${repoWeb()}/actions/runs/${runId}`,
        jobs_url: `${url}/jobs`,
        logs_url: `${url}/logs`,
        artifacts_url: `${url}/artifacts`,
        cancel_url: `${url}/cancel`,
        rerun_url: `${url}/rerun`,
        pull_requests: [],
        actor: user(run.actor ?? 'octocat'),
        triggering_actor: user(run.triggeringActor ?? run.actor ?? 'octocat'),
      });
      return { status: 200, body };
    },
  };

  const record = (entry: RecordedApiRequest): void => {
    requests.push(entry);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://emulator');
      const method = (req.method ?? 'GET').toUpperCase();
      const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
        const text = body === undefined ? '' : JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-api-version-selected': '2022-11-28', 'x-ratelimit-remaining': '4999', ...headers });
        res.end(text);
      };
      const errorBody = (error: HttpError): Record<string, unknown> => ({ message: error.message, documentation_url: DOCS, status: String(error.status), ...(error.errors ? { errors: error.errors } : {}) });
      if (prefix && !url.pathname.startsWith(`${prefix}/`)) {
        mismatches.push({ method, path: url.pathname, kind: 'route', detail: `outside the API prefix ${prefix}` });
        return send(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
      }
      const path = url.pathname.slice(prefix.length);
      const op = validator.match(method, path);
      const query: Record<string, string> = Object.fromEntries(url.searchParams);
      let body: unknown;
      let parseProblem: string | undefined;
      if (raw !== '') {
        try {
          body = JSON.parse(raw);
        } catch {
          parseProblem = 'the request body is not JSON';
        }
      }
      const entry: RecordedApiRequest = {
        method,
        path,
        params: op?.params ?? {},
        query,
        body,
        status: 0,
        response: undefined,
        injected: false,
        ...(op ? { operationId: op.operationId } : {}),
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      };
      const respond = (status: number, responseBody: unknown, headers: Record<string, string> = {}, injected = false): void => {
        entry.status = status;
        entry.response = responseBody;
        entry.injected = injected;
        if (op && !injected) {
          for (const detail of validator.validateResponse(op, status, 'application/json', responseBody)) mismatches.push({ method, path, operationId: op.operationId, kind: 'response', detail });
        }
        record(entry);
        send(status, responseBody, headers);
      };
      if (!op) {
        mismatches.push({ method, path, kind: 'route', detail: `no operation of api.github.com matches ${method} ${path}` });
        entry.status = 404;
        record(entry);
        return send(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
      }
      const auth = req.headers.authorization ?? '';
      if (auth !== `token ${state.token}` && auth !== `Bearer ${state.token}`) {
        return respond(401, { message: auth ? 'Bad credentials' : 'Requires authentication', documentation_url: DOCS, status: '401' });
      }
      const problems = parseProblem ? [parseProblem] : validator.validateRequest(op, url.searchParams, req.headers['content-type'], body, raw !== '');
      for (const detail of problems) mismatches.push({ method, path, operationId: op.operationId, kind: 'request', detail });
      if (problems.length) return respond(422, { message: 'Validation Failed', documentation_url: DOCS, status: '422', errors: problems.map((p) => ({ message: p, code: 'invalid' })) });

      const fault = faults.find(
        (f) => f.left > 0 && (!f.method || f.method.toUpperCase() === method) && (!f.path || (f.path instanceof RegExp ? f.path.test(path) : f.path === op.operationId || f.path === op.template || f.path === path)),
      );
      if (fault) fault.left--;
      const injectFault = (): void =>
        respond(fault?.status ?? 500, fault?.body ?? { message: fault && fault.status >= 500 ? 'Server Error' : 'Injected fault', documentation_url: DOCS, status: String(fault?.status ?? 500) }, fault?.headers ?? {}, true);
      if (fault && !fault.afterHandling) return injectFault();

      const handler = handlers[op.operationId];
      if (!handler) {
        mismatches.push({ method, path, operationId: op.operationId, kind: 'emulator', detail: `the emulator does not implement ${op.operationId}` });
        return respond(501, { message: `emulator: ${op.operationId} is not implemented`, documentation_url: DOCS, status: '501' }, {}, true);
      }
      if (state.forbidden.has(op.operationId)) return respond(403, { message: 'Resource not accessible by integration', documentation_url: DOCS, status: '403' });
      let result: Handled;
      try {
        result = handler({ params: op.params, query: url.searchParams, body: (body ?? {}) as Record<string, unknown> });
      } catch (error) {
        if (error instanceof HttpError) return respond(error.status, errorBody(error));
        mismatches.push({ method, path, operationId: op.operationId, kind: 'emulator', detail: `emulator bug: ${(error as Error).stack ?? String(error)}` });
        return respond(500, { message: 'emulator error', documentation_url: DOCS, status: '500' }, {}, true);
      }
      if (fault) return injectFault();
      return respond(result.status, result.body, result.headers ?? {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  serverUrl = `http://127.0.0.1:${port}`;
  apiUrl = `${serverUrl}${prefix}`;

  return {
    apiUrl,
    serverUrl,
    state,
    requests,
    mismatches,
    fail: (fault) => void faults.push({ ...fault, left: fault.times ?? 1 }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
