/**
 * Files on a branch through the REST API: read (contents API, falling back to the git blobs API for
 * files over 1 MB, whose `content` the contents API leaves empty), write with compare-and-swap on the
 * blob sha (the contents API answers 409 when the sha is stale), list a folder, and create a branch
 * as an orphan (its own root commit, so it carries none of the repository's code).
 */
import { GitHubApiError, type GitHubClient } from './client.js';

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface RepoFile {
  path: string;
  /** The git blob sha: what a write must name to replace this version. */
  sha: string;
  text: string;
  size: number;
}

export interface WrittenFile {
  /** The new blob sha. */
  sha: string;
  commitSha: string;
  created: boolean;
}

const isStatus = (error: unknown, ...statuses: number[]): boolean => error instanceof GitHubApiError && statuses.includes(error.status);

/** Reads a file on `ref`; undefined when the file (or the ref) does not exist. */
export async function getFile(client: GitHubClient, at: RepoRef & { path: string; ref: string }): Promise<RepoFile | undefined> {
  let data: unknown;
  try {
    ({ data } = await client.octokit.rest.repos.getContent({ owner: at.owner, repo: at.repo, path: at.path, ref: at.ref }));
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
  if (Array.isArray(data) || typeof data !== 'object' || data === null || (data as { type?: unknown }).type !== 'file') {
    throw new GitHubApiError('GET', `/repos/${at.owner}/${at.repo}/contents/${at.path}`, 200, `${at.path} is not a file`);
  }
  const file = data as { sha: string; size: number; content?: string; encoding?: string };
  let base64 = file.content ?? '';
  // Files over 1 MB come back with encoding "none" and no content: read the blob by its sha.
  if (file.encoding !== 'base64' || (base64 === '' && file.size > 0)) {
    const { data: blob } = await client.octokit.rest.git.getBlob({ owner: at.owner, repo: at.repo, file_sha: file.sha });
    if (blob.encoding !== 'base64') throw new GitHubApiError('GET', `/repos/${at.owner}/${at.repo}/git/blobs/${file.sha}`, 200, `unexpected blob encoding '${blob.encoding}'`);
    base64 = blob.content;
  }
  const text = Buffer.from(base64.replace(/\s+/g, ''), 'base64').toString('utf8');
  return { path: at.path, sha: file.sha, text, size: file.size };
}

/**
 * Creates or replaces a file. `sha` is the blob being replaced (omit to create): GitHub refuses a
 * stale one with 409, and a missing one for an existing file with 422, so a lost race never
 * overwrites another writer's version.
 */
export async function putFile(
  client: GitHubClient,
  at: RepoRef & { path: string; branch: string; text: string; message: string; sha?: string },
): Promise<WrittenFile> {
  const response = await client.octokit.rest.repos.createOrUpdateFileContents({
    owner: at.owner,
    repo: at.repo,
    path: at.path,
    branch: at.branch,
    message: at.message,
    content: Buffer.from(at.text, 'utf8').toString('base64'),
    ...(at.sha ? { sha: at.sha } : {}),
  });
  const sha = response.data.content?.sha;
  if (!sha) throw new GitHubApiError('PUT', `/repos/${at.owner}/${at.repo}/contents/${at.path}`, response.status, 'the response names no blob sha');
  return { sha, commitSha: response.data.commit.sha ?? '', created: response.status === 201 };
}

/**
 * The files at the root of `ref` (a branch, tag or commit), through the git trees API; empty when
 * the ref does not exist. (The contents API has no documented operation for a root listing.)
 */
export async function listRootFiles(client: GitHubClient, at: RepoRef & { ref: string }): Promise<{ path: string; sha: string; size?: number }[]> {
  try {
    const { data } = await client.octokit.rest.git.getTree({ owner: at.owner, repo: at.repo, tree_sha: at.ref });
    return data.tree.filter((e) => e.type === 'blob' && e.path && e.sha).map((e) => ({ path: e.path as string, sha: e.sha as string, ...(e.size !== undefined ? { size: e.size } : {}) }));
  } catch (error) {
    if (isStatus(error, 404)) return [];
    throw error;
  }
}

/** The commit a branch points at, or undefined when there is no such branch. */
export async function getBranchHead(client: GitHubClient, at: RepoRef & { branch: string }): Promise<string | undefined> {
  try {
    const { data } = await client.octokit.rest.git.getRef({ owner: at.owner, repo: at.repo, ref: `heads/${at.branch}` });
    return data.object.sha;
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
}

/**
 * Makes sure `branch` exists, creating it as an orphan whose one commit holds `files`. Two runs
 * racing to create it both succeed: the loser's 422 "Reference already exists" is the outcome it
 * wanted. Returns whether this call created it.
 */
export async function ensureOrphanBranch(client: GitHubClient, at: RepoRef & { branch: string; message: string; files: Record<string, string> }): Promise<boolean> {
  if (await getBranchHead(client, at)) return false;
  const { octokit } = client;
  const tree = await octokit.rest.git.createTree({
    owner: at.owner,
    repo: at.repo,
    tree: Object.entries(at.files).map(([path, content]) => ({ path, mode: '100644' as const, type: 'blob' as const, content })),
  });
  const commit = await octokit.rest.git.createCommit({ owner: at.owner, repo: at.repo, message: at.message, tree: tree.data.sha, parents: [] });
  try {
    await octokit.rest.git.createRef({ owner: at.owner, repo: at.repo, ref: `refs/heads/${at.branch}`, sha: commit.data.sha });
    return true;
  } catch (error) {
    if (isStatus(error, 409, 422) && (await getBranchHead(client, at))) return false;
    throw error;
  }
}
