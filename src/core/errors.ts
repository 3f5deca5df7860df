/**
 * Errors that end an action. A ConfigurationError or an ActionFailedError is a user-facing outcome:
 * the run wrapper prints its message as one line, without a stack. Anything else is a bug and keeps
 * its stack.
 */

/** A user mistake in an input: printed as one line naming the input, before any side effect. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  constructor(
    readonly input: string,
    detail: string,
  ) {
    super(`Input '${input}': ${oneLine(detail)}`);
  }
}

/** The action did its job and the verdict is "no" (a failed smoke test, a blocking finding). */
export class ActionFailedError extends Error {
  override readonly name = 'ActionFailedError';
  constructor(message: string) {
    super(oneLine(message));
  }
}

/** True for errors whose message is the whole story (no stack wanted). */
export function isUserFacing(error: unknown): error is ConfigurationError | ActionFailedError {
  return error instanceof ConfigurationError || error instanceof ActionFailedError;
}

export function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ').trim();
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
