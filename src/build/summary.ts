/**
 * The job summary: what was built and where, every tag, every signature (verified, and where cosign
 * finds it), and the exact `cosign verify` command — with the public key to save in key mode.
 */
import { formatDuration, type Summary } from '../core/index.js';
import type { BuildAndSignReport } from './run.js';

export function writeBuildSummary(report: BuildAndSignReport, summary: Summary): void {
  summary.heading(report.pushed ? `build-and-sign: \`${report.image}\`` : `build-and-sign: built ${report.repository} (not pushed)`);
  const rows: [string, string][] = [
    ['Repository', report.repository],
    ['Digest', report.digest ? `\`${report.digest}\`` : '–'],
    ['Media type', report.mediaType || '–'],
    ['Tags', report.tags.map((t) => `\`${t}\``).join('<br>')],
    ['Builder', report.builder],
    ['Time', `build ${formatDuration(report.timings.buildMs)}, total ${formatDuration(report.timings.totalMs)}`],
  ];
  summary.table(['Image', 'Value'], rows);
  if (report.platforms.length) {
    summary.paragraph('The digest is an **image index**; it is what was signed. Platform manifests:');
    summary.table(['Platform', 'Digest'], report.platforms.map((p) => [p.platform, p.digest]));
  }
  if (report.signatures.length) {
    summary.heading('Signatures', 3);
    summary.table(
      ['Format', 'Mode', 'Signature manifest', 'Found by cosign via', 'Verified', 'Identity'],
      report.signatures.map((s) => [s.format === 'bundle' ? 'bundle (cosign v3)' : 'legacy .sig (cosign v2)', s.mode, s.digest, s.foundVia, s.verified ? '✅ read back and verified' : '❌', s.identity ?? (s.mode === 'key' ? 'signing key' : '')]),
    );
  } else if (report.pushed) {
    summary.paragraph('> [!WARNING]\n> The image was **not signed**.');
  }
  if (report.verifyCommand) {
    summary.paragraph('Verify with cosign (by digest; v3 checks the bundle, v2 the legacy signature):');
    summary.code(report.verifyCommand, 'sh');
    if (report.publicKey) summary.details('cosign.pub (the public half of signing-key)', (inner) => inner.code(report.publicKey?.trim() ?? '', 'pem'));
  }
}
