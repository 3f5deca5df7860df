/**
 * CLI subcommands that are not actions (e.g. `shipline audit verify`). Each domain registers its own.
 */
export interface Command {
  summary: string;
  /** Returns the process exit code. */
  run(argv: string[], io: { out: (line: string) => void; err: (line: string) => void }): Promise<number>;
}

export const commands: Record<string, () => Promise<Command>> = {
  audit: async () => (await import('../audit/cli.js')).auditCommand,
};
