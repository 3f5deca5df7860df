/**
 * The real cosign binaries, built from the Go module proxy by .ci/install/30-cosign.sh: v2 (legacy
 * `.sig`) and v3 (Sigstore bundle referrers) side by side. Found through SHIPLINE_COSIGN_V2/V3,
 * then ~/.cache/shipline/cosign/v{2,3}/cosign, then cosign-v2/cosign-v3 on PATH.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export const COSIGN_INSTALL = 'build the real cosign: bash .ci/install/30-cosign.sh (go install from the Go module proxy)';

export function cosignBinary(major: 'v2' | 'v3'): string | undefined {
  const candidates = [process.env[`SHIPLINE_COSIGN_${major.toUpperCase()}`], join(homedir(), '.cache', 'shipline', 'cosign', major, 'cosign')];
  for (const candidate of candidates) if (candidate && existsSync(candidate)) return candidate;
  const onPath = spawnSync('sh', ['-c', `command -v cosign-${major}`], { encoding: 'utf8' });
  return onPath.status === 0 ? onPath.stdout.trim() : undefined;
}

export interface CosignRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs cosign offline-ish: its own empty HOME (no TUF cache, no docker config), no network needed for key mode. */
export function cosign(binary: string, args: string[], env: Record<string, string> = {}): CosignRun {
  const home = mkdtempSync(join(tmpdir(), 'shipline-cosign-home-'));
  try {
    const result = spawnSync(binary, args, {
      encoding: 'utf8',
      timeout: 120_000,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, ...env },
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
