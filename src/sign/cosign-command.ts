/**
 * The exact `cosign verify` command a user runs to check what was signed. One command covers both
 * formats: cosign v3 looks for a bundle referrer first and falls back to `.sig`; cosign v2 reads
 * `.sig` (and bundles too since 2.5). Key-mode signatures are not in a transparency log, hence
 * `--insecure-ignore-tlog`; plain-http registries need `--allow-http-registry`.
 */
import { quoteArg } from '../core/index.js';

export interface CosignCommandOptions {
  mode: 'key' | 'keyless';
  /** `registry/path@sha256:…` — always the digest, never a tag. */
  imageRef: string;
  insecure: boolean;
  /** Keyless: the certificate identity (SAN) and OIDC issuer. */
  identity?: string;
  issuer?: string;
  keyPath?: string;
}

export function cosignVerifyArgs(options: CosignCommandOptions): string[] {
  const args = ['verify'];
  if (options.mode === 'key') args.push('--key', options.keyPath ?? 'cosign.pub', '--insecure-ignore-tlog');
  else {
    args.push('--certificate-identity', options.identity ?? '<workflow identity>');
    args.push('--certificate-oidc-issuer', options.issuer ?? 'https://token.actions.githubusercontent.com');
  }
  if (options.insecure) args.push('--allow-http-registry');
  args.push(options.imageRef);
  return args;
}

export function cosignVerifyCommand(options: CosignCommandOptions): string {
  return ['cosign', ...cosignVerifyArgs(options)].map(quoteArg).join(' ');
}
