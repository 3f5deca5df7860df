/**
 * The Trivy releases this action can install, with the sha256 of each release archive, built into
 * the action. The release's own `trivy_<v>_checksums.txt` is deliberately not consulted: it comes
 * from the same place as the archive, so it cannot vouch for it.
 *
 * Values for 0.72.0 (trivy-action's pinned default at the time of writing) are the published
 * sha256 sums of the GitHub release assets, as recorded independently by several projects that pin
 * them (see the closing note of issue 3 for the provenance). Adding a version means adding its
 * sums here, from the release's checksums file, verified against the signed release.
 */

export const DEFAULT_TRIVY_VERSION = '0.72.0';

/** version → release asset name → sha256 (hex). */
export const TRIVY_CHECKSUMS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '0.72.0': {
    'trivy_0.72.0_Linux-64bit.tar.gz': 'bbb64b9695866ce4a7a8f5c9592002c5961cab378577fa3f8a040df362b9b2ea',
    'trivy_0.72.0_Linux-ARM64.tar.gz': '2ca2c023109c2db6b2b77366b6717291452d4531167377d95c79547f0c8e3467',
    'trivy_0.72.0_macOS-64bit.tar.gz': 'ee5e60df8a98e5b89fd74a6d86f9e5c7e9a266a35002cb1e43291698b3bfee08',
    'trivy_0.72.0_macOS-ARM64.tar.gz': '88f208680dc05da2b459e19b4f5aa2b4dc7c2117892ba4aab2ae63baba330016',
  },
};

export function pinnedVersions(table: typeof TRIVY_CHECKSUMS = TRIVY_CHECKSUMS): string[] {
  return Object.keys(table);
}

/** Trivy's release asset for a Node platform/arch, or undefined when Trivy publishes none we pin. */
export function assetName(version: string, platform: NodeJS.Platform | string, arch: string): string | undefined {
  const os = platform === 'linux' ? 'Linux' : platform === 'darwin' ? 'macOS' : undefined;
  const cpu = arch === 'x64' ? '64bit' : arch === 'arm64' ? 'ARM64' : undefined;
  if (!os || !cpu) return undefined;
  return `trivy_${version}_${os}-${cpu}.tar.gz`;
}
