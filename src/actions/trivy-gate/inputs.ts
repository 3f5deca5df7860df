/**
 * trivy-gate inputs, read once into a typed object. Ignore files are read and validated here, so a
 * malformed one is a one-line error before Trivy is downloaded or anything is written.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { ConfigurationError, type InputReader, type Services } from '../../core/index.js';
import type { IgnoreFileContents } from '../../trivy/ignore-file.js';

export const SEVERITY_NAMES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;
export type SeverityName = (typeof SEVERITY_NAMES)[number];

/** Trivy's own defaults (`--db-repository`): the GCR mirror first, then GHCR. */
export const DEFAULT_DB_REPOSITORIES = ['mirror.gcr.io/aquasec/trivy-db:2', 'ghcr.io/aquasecurity/trivy-db:2'];
/** Looked up, in this order, when `ignore-file` is not given. */
export const DEFAULT_IGNORE_FILES = ['.trivyignore.yaml', '.trivyignore.yml', '.trivyignore'];

export interface FileInput {
  /** Absolute path. */
  path: string;
  /** As shown to users and in annotations (relative to the workspace when inside it). */
  display: string;
}

export type ScanSource = { kind: 'image'; image: string } | ({ kind: 'report' } & FileInput);

export interface TrivyGateInputs {
  source: ScanSource;
  severities: SeverityName[];
  ignoreUnfixed: boolean;
  ignoreFiles: IgnoreFileContents[];
  /** Set when several default ignore files exist and only the first is used. */
  ignoreFileNote?: string;
  baseline?: FileInput;
  mode: 'enforce' | 'report';
  sarif?: FileInput;
  trivyVersion: string;
  dbRepositories: string[];
}

function fileInput(workspace: string, value: string): FileInput {
  const path = isAbsolute(value) ? value : resolve(workspace, value);
  const rel = relative(workspace, path);
  return { path, display: rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path };
}

/** An OCI reference as Trivy's `--db-repository` takes it (no scheme, no spaces). */
const OCI_REFERENCE = /^[a-z0-9]+(?:[.-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9._-]+)+(?::[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})?$/;

export async function readTrivyGateInputs(input: InputReader, services: Pick<Services, 'workspace'>): Promise<TrivyGateInputs> {
  const image = input.optional('image');
  const reportValue = input.optional('report');
  if (!image && !reportValue) throw new ConfigurationError('image', 'give either `image` (scan it with Trivy) or `report` (an existing Trivy JSON report)');
  if (image && reportValue) throw new ConfigurationError('report', 'give either `image` or `report`, not both');
  if (image && /\s/.test(image)) throw new ConfigurationError('image', `'${image}' is not an image reference (it contains white space)`);
  const workspace = services.workspace;
  const source: ScanSource = image ? { kind: 'image', image } : { kind: 'report', ...fileInput(workspace, reportValue as string) };

  const severityItems = input.list('severity').map((s) => s.toUpperCase());
  const severities: SeverityName[] = [];
  for (const item of severityItems.length ? severityItems : ['CRITICAL', 'HIGH']) {
    if (!(SEVERITY_NAMES as readonly string[]).includes(item)) {
      throw new ConfigurationError('severity', `'${item}' is not a Trivy severity (use a list of ${SEVERITY_NAMES.join(', ')})`);
    }
    if (!severities.includes(item as SeverityName)) severities.push(item as SeverityName);
  }
  const ignoreUnfixed = input.boolean('ignore-unfixed', true);
  const mode = input.enum('mode', ['enforce', 'report'] as const, 'enforce');

  const baselineValue = input.optional('baseline');
  const baseline = baselineValue ? fileInput(workspace, baselineValue) : undefined;
  if (baseline && existsSync(baseline.path) && statSync(baseline.path).isDirectory()) {
    throw new ConfigurationError('baseline', `${baseline.display} is a directory, not a Trivy JSON report`);
  }
  const sarifValue = input.optional('sarif');
  const sarif = sarifValue ? fileInput(workspace, sarifValue) : undefined;
  if (sarif && existsSync(sarif.path) && statSync(sarif.path).isDirectory()) {
    throw new ConfigurationError('sarif', `${sarif.display} is a directory: give the path of the SARIF file to write`);
  }

  const trivyVersionText = input.string('trivy-version', { default: '' }).replace(/^v/, '');
  const dbRepositories = input.list('db-repository');
  for (const repository of dbRepositories) {
    if (!OCI_REFERENCE.test(repository)) {
      throw new ConfigurationError('db-repository', `'${repository}' is not an OCI repository such as ghcr.io/aquasecurity/trivy-db:2 (no https://)`);
    }
  }
  let trivyVersion = trivyVersionText;
  if (source.kind === 'image') {
    const { DEFAULT_TRIVY_VERSION, pinnedVersions } = await import('../../trivy/checksums.js');
    trivyVersion ||= DEFAULT_TRIVY_VERSION;
    if (!/^\d+\.\d+\.\d+$/.test(trivyVersion)) throw new ConfigurationError('trivy-version', `'${trivyVersionText}' is not a version such as ${DEFAULT_TRIVY_VERSION}`);
    if (!pinnedVersions().includes(trivyVersion)) {
      throw new ConfigurationError(
        'trivy-version',
        `no built-in checksum for Trivy ${trivyVersion}, so it cannot be verified; this release of shipline pins ${pinnedVersions().join(', ')}`,
      );
    }
  }

  // Ignore files: the ones given, or the first default one present.
  const given = input.list('ignore-file');
  let files: FileInput[];
  let ignoreFileNote: string | undefined;
  if (given.length) {
    files = given.map((f) => fileInput(workspace, f));
    for (const f of files) {
      if (!existsSync(f.path)) throw new ConfigurationError('ignore-file', `${f.display} does not exist`);
    }
  } else {
    const present = DEFAULT_IGNORE_FILES.map((f) => fileInput(workspace, f)).filter((f) => existsSync(f.path));
    files = present.slice(0, 1);
    if (present.length > 1) {
      ignoreFileNote = `${present.map((f) => f.display).join(' and ')} both exist; only ${present[0]?.display} is used (set \`ignore-file\` to use several)`;
    }
  }
  const ignoreFiles: IgnoreFileContents[] = [];
  if (files.length) {
    const { readIgnoreFile, IgnoreFileError } = await import('../../trivy/ignore-file.js');
    for (const f of files) {
      try {
        ignoreFiles.push(await readIgnoreFile(f.path, f.display));
      } catch (error) {
        if (error instanceof IgnoreFileError) throw new ConfigurationError('ignore-file', error.message);
        throw error;
      }
    }
  }

  return {
    source,
    severities,
    ignoreUnfixed,
    ignoreFiles,
    ...(ignoreFileNote ? { ignoreFileNote } : {}),
    ...(baseline ? { baseline } : {}),
    mode,
    ...(sarif ? { sarif } : {}),
    trivyVersion,
    dbRepositories: dbRepositories.length ? dbRepositories : DEFAULT_DB_REPOSITORIES,
  };
}
