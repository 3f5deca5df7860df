/**
 * Builds Trivy JSON reports for tests from the real goldens in test/fixtures/trivy (so the field
 * layout is Trivy's): `vuln({...})` is a real finding with fields overridden, `report([...results])`
 * a SchemaVersion 2 report around them.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const FIXTURES = resolve(import.meta.dirname, '..', '..', 'fixtures', 'trivy');
export const fixture = (name: string): string => join(FIXTURES, name);

type Json = Record<string, unknown>;

const alpine = JSON.parse(readFileSync(fixture('alpine-310.json.golden'), 'utf8')) as { Results: { Vulnerabilities: Json[] }[] } & Json;
const TEMPLATE = alpine.Results[0]?.Vulnerabilities[0] as Json;

/** A real Trivy vulnerability (CVE-2019-1549 in libcrypto1.1) with fields replaced; `undefined` deletes. */
export function vuln(overrides: Record<string, unknown> = {}): Json {
  const v: Json = structuredClone(TEMPLATE);
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete v[key];
    else v[key] = value;
  }
  return v;
}

export interface ResultSpec {
  Target?: string;
  Class?: string;
  Type?: string;
  Vulnerabilities?: Json[];
  ExperimentalModifiedFindings?: Json[];
}

export const OS_TARGET = 'ghcr.io/acme/api:1.0 (alpine 3.10.2)';

export function osResult(vulns: Json[], extra: Partial<ResultSpec> = {}): ResultSpec {
  return { Target: OS_TARGET, Class: 'os-pkgs', Type: 'alpine', Vulnerabilities: vulns, ...extra };
}

export function langResult(target: string, type: string, vulns: Json[]): ResultSpec {
  return { Target: target, Class: 'lang-pkgs', Type: type, Vulnerabilities: vulns };
}

export function report(results: ResultSpec[], extra: Json = {}): Json {
  return {
    SchemaVersion: 2,
    Trivy: { Version: '0.72.0' },
    ReportID: '017b7d41-e09f-7000-80ea-000000000001',
    CreatedAt: '2026-01-01T00:00:00Z',
    ArtifactName: 'ghcr.io/acme/api:1.0',
    ArtifactType: 'container_image',
    Metadata: { OS: { Family: 'alpine', Name: '3.10.2' }, ImageID: 'sha256:9617', RepoTags: ['ghcr.io/acme/api:1.0'] },
    Results: results,
    ...extra,
  };
}

export function tempDir(prefix = 'shipline-trivy-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a report (object or raw text) into `dir` and returns its path; indented like Trivy's. */
export function writeReport(dir: string, name: string, content: Json | string): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}
