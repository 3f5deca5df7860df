/**
 * Loading the `manifests` input: files, globs, directories (their .yaml/.yml/.json files, not
 * recursive, as `kubectl apply -f DIR`) and kustomize directories (rendered by `kubectl kustomize`,
 * locally). Multi-document YAML and `kind: List` are flattened. Every object remembers the file and
 * line it came from, so a problem is an annotation on that line. Nothing here talks to a cluster.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { ConfigurationError } from '../core/index.js';
import { globFiles, isGlob } from './glob.js';
import type { KubeObject } from './types.js';

export interface Manifest {
  object: KubeObject;
  /** File (relative to the workspace) or `kustomize:<dir>`. */
  source: string;
  line?: number;
}

export interface LoadOptions {
  workspace: string;
  /** Renders a kustomization directory to YAML (`kubectl kustomize DIR`). */
  kustomize: (dir: string) => Promise<string>;
  inputName?: string;
}

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const MANIFEST_FILE = /\.(ya?ml|json)$/i;

export function isKustomizeDir(dir: string): boolean {
  return KUSTOMIZATION_FILES.some((f) => existsSync(join(dir, f)));
}

/** Checks that each entry exists (or, for a glob, is a glob): the cheap part, for readInputs. */
export function checkManifestEntries(entries: readonly string[], workspace: string, inputName = 'manifests'): void {
  if (entries.length === 0) throw new ConfigurationError(inputName, 'is required: give files, globs, directories or kustomize directories');
  for (const entry of entries) {
    if (isGlob(entry)) continue;
    const path = isAbsolute(entry) ? entry : resolve(workspace, entry);
    if (!existsSync(path)) throw new ConfigurationError(inputName, `'${entry}' does not exist (relative to ${workspace})`);
  }
}

interface Source {
  kind: 'file' | 'kustomize';
  path: string;
}

function expand(entry: string, workspace: string, inputName: string): Source[] {
  if (isGlob(entry)) {
    const files = globFiles(entry, workspace).filter((f) => MANIFEST_FILE.test(f));
    if (files.length === 0) throw new ConfigurationError(inputName, `'${entry}' matched no .yaml, .yml or .json files`);
    return files.map((path) => ({ kind: 'file', path }));
  }
  const path = isAbsolute(entry) ? entry : resolve(workspace, entry);
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new ConfigurationError(inputName, `'${entry}' does not exist`);
  }
  if (stat.isDirectory()) {
    if (isKustomizeDir(path)) return [{ kind: 'kustomize', path }];
    const files = readdirSync(path)
      .filter((f) => MANIFEST_FILE.test(f) && !f.startsWith('.'))
      .sort()
      .map((f) => join(path, f))
      .filter((f) => statSync(f).isFile());
    if (files.length === 0) throw new ConfigurationError(inputName, `directory '${entry}' holds no .yaml, .yml or .json files (and no kustomization.yaml)`);
    return files.map((p) => ({ kind: 'file', path: p }));
  }
  return [{ kind: 'file', path }];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses YAML (or JSON) text holding any number of documents into objects with their lines. */
export function parseManifestText(text: string, source: string, inputName = 'manifests'): Manifest[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (!Array.isArray(docs)) return []; // an empty stream
  const manifests: Manifest[] = [];
  docs.forEach((doc, index) => {
    const problem = doc.errors[0];
    if (problem) {
      const at = problem.linePos?.[0];
      throw new ConfigurationError(inputName, `${source}${at ? `:${at.line}:${at.col}` : ''}: malformed YAML: ${(problem.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`);
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    const line = doc.contents?.range ? lineCounter.linePos(doc.contents.range[0]).line : undefined;
    const where = `${source}${line ? `:${line}` : ''}`;
    const add = (item: unknown, label: string): void => {
      if (!isObject(item) || typeof item['kind'] !== 'string' || typeof item['apiVersion'] !== 'string') {
        throw new ConfigurationError(inputName, `${where}: ${label} is not a Kubernetes object (it needs apiVersion and kind)`);
      }
      const metadata = item['metadata'];
      if (!isObject(metadata) || typeof metadata['name'] !== 'string' || metadata['name'] === '') {
        throw new ConfigurationError(inputName, `${where}: ${item['kind']} has no metadata.name`);
      }
      manifests.push({ object: item as unknown as KubeObject, source, ...(line ? { line } : {}) });
    };
    if (isObject(value) && typeof value['kind'] === 'string' && value['kind'].endsWith('List') && Array.isArray(value['items'])) {
      (value['items'] as unknown[]).forEach((item, i) => add(item, `items[${i}] of the ${String(value['kind'])}`));
    } else {
      add(value, `document ${index + 1}`);
    }
  });
  return manifests;
}

/** Loads every entry of the input, in order; refuses duplicates and an empty result. */
export async function loadManifests(entries: readonly string[], options: LoadOptions): Promise<Manifest[]> {
  const inputName = options.inputName ?? 'manifests';
  checkManifestEntries(entries, options.workspace, inputName);
  const manifests: Manifest[] = [];
  const seenSources = new Set<string>();
  for (const entry of entries) {
    for (const source of expand(entry, options.workspace, inputName)) {
      if (seenSources.has(source.path)) continue;
      seenSources.add(source.path);
      const label = relative(options.workspace, source.path) || source.path;
      let text: string;
      if (source.kind === 'kustomize') {
        try {
          text = await options.kustomize(source.path);
        } catch (error) {
          const detail = (error as { stderr?: string }).stderr?.trim().split('\n').slice(-2).join(' ') || (error as Error).message;
          throw new ConfigurationError(inputName, `kustomize ${label}: ${detail}`);
        }
        manifests.push(...parseManifestText(text, `kustomize:${label}`, inputName));
      } else {
        try {
          text = readFileSync(source.path, 'utf8');
        } catch (error) {
          throw new ConfigurationError(inputName, `cannot read '${label}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
        }
        manifests.push(...parseManifestText(text, label, inputName));
      }
    }
  }
  if (manifests.length === 0) throw new ConfigurationError(inputName, `${entries.join(', ')}: no Kubernetes objects found`);
  const keys = new Map<string, Manifest>();
  for (const m of manifests) {
    const key = `${m.object.kind}/${m.object.metadata.namespace ?? ''}/${m.object.metadata.name ?? ''}`;
    const previous = keys.get(key);
    if (previous) {
      throw new ConfigurationError(inputName, `${m.object.kind} ${m.object.metadata.name ?? ''} is defined twice (${previous.source}${previous.line ? `:${previous.line}` : ''} and ${m.source}${m.line ? `:${m.line}` : ''})`);
    }
    keys.set(key, m);
  }
  return manifests;
}
