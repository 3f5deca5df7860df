/**
 * Registry failures, with the HTTP status and the distribution-spec error code (`MANIFEST_UNKNOWN`,
 * `UNAUTHORIZED`, …) so callers decide on structure, not on message text.
 */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** Worth another attempt: 5xx, 429, a dropped connection. */
  get transient(): boolean {
    return this.status === undefined || this.status === 429 || this.status >= 500;
  }
}

/** The registry could not be reached at all (refused, DNS, TLS). */
export class RegistryUnreachableError extends RegistryError {
  constructor(
    readonly registry: string,
    readonly reason: string,
  ) {
    super(`registry ${registry} is unreachable: ${reason}`, undefined, 'UNREACHABLE');
  }

  /** A refused connection or an unknown host does not heal in a few seconds. */
  override get transient(): boolean {
    return false;
  }
}

/** The registry refused the credentials, or demanded some that were not given. */
export class RegistryAuthError extends RegistryError {
  constructor(message: string, status: number) {
    super(message, status, 'UNAUTHORIZED');
  }

  override get transient(): boolean {
    return false;
  }
}

/** A short reason for a fetch() failure: `ECONNREFUSED`, `ENOTFOUND`, a TLS problem, a timeout. */
export function describeFetchError(error: unknown): string {
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string; name?: string } };
  if (e.name === 'TimeoutError' || e.cause?.name === 'TimeoutError') return 'timed out';
  const code = e.cause?.code ?? e.code;
  const message = e.cause?.message ?? e.message ?? String(error);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}
