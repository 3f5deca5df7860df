/**
 * The Trivy CLI, through the one exec wrapper. Trivy is asked for the full, unfiltered JSON report
 * — every severity, no ignore file, no status filter, exit code 0 on findings — because the gate
 * decides in code; any non-zero exit therefore means the scan itself broke.
 *
 * Trivy also reads settings from `TRIVY_*` variables and from `trivy.yaml` in its working
 * directory; either could silently filter the report (TRIVY_SEVERITY, TRIVY_IGNORE_UNFIXED, …), so
 * Trivy runs in a directory of its own with only the variables it needs to reach registries.
 */
import type { Exec, ExecResult } from '../core/index.js';

/** TRIVY_* variables passed through: registry access and runtime, never report filters. */
const PASS_THROUGH = new Set([
  'TRIVY_USERNAME',
  'TRIVY_PASSWORD',
  'TRIVY_REGISTRY_TOKEN',
  'TRIVY_INSECURE',
  'TRIVY_NON_SSL',
  'TRIVY_PLATFORM',
  'TRIVY_IMAGE_SRC',
  'TRIVY_DOCKER_HOST',
  'TRIVY_PODMAN_HOST',
  'TRIVY_NO_PROGRESS',
]);

/**
 * Environment overrides for Trivy: the pass-through TRIVY_* variables of the action's environment,
 * every other TRIVY_* variable (of the action's or the process's environment) removed.
 */
export function trivyEnv(env: Readonly<Record<string, string | undefined>>, inherited: Readonly<Record<string, string | undefined>> = process.env): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const name of [...Object.keys(inherited), ...Object.keys(env)]) {
    if (!name.startsWith('TRIVY_')) continue;
    out[name] = PASS_THROUGH.has(name) ? env[name] : undefined;
  }
  return out;
}

export interface ScanArgs {
  image: string;
  output: string;
  cacheDir: string;
  /** An empty ignore file, so no `.trivyignore` is picked up implicitly. */
  ignoreFile: string;
  timeout: string;
}

export class Trivy {
  constructor(
    readonly binary: string,
    private readonly exec: Exec,
    private readonly env: Record<string, string | undefined>,
    private readonly cwd: string,
  ) {}

  /** `trivy image --download-db-only`: Trivy tries the repositories in order. */
  downloadDbArgs(repositories: readonly string[], cacheDir: string): string[] {
    return ['image', '--download-db-only', '--db-repository', repositories.join(','), '--cache-dir', cacheDir, '--no-progress'];
  }

  scanArgs(args: ScanArgs): string[] {
    return [
      'image',
      '--format',
      'json',
      '--output',
      args.output,
      '--scanners',
      'vuln',
      '--severity',
      'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL',
      '--ignorefile',
      args.ignoreFile,
      '--exit-code',
      '0',
      '--skip-db-update',
      '--cache-dir',
      args.cacheDir,
      '--timeout',
      args.timeout,
      '--no-progress',
      args.image,
    ];
  }

  downloadDb(repositories: readonly string[], cacheDir: string, timeoutMs: number): Promise<ExecResult> {
    return this.exec(this.binary, this.downloadDbArgs(repositories, cacheDir), { env: this.env, cwd: this.cwd, timeoutMs, streamStderr: true });
  }

  scan(args: ScanArgs, timeoutMs: number): Promise<ExecResult> {
    return this.exec(this.binary, this.scanArgs(args), { env: this.env, cwd: this.cwd, timeoutMs, streamStderr: true });
  }
}
