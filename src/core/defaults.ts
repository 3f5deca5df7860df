/**
 * action.yml defaults may hold expressions the runner evaluates (`${{ github.token }}`). Outside the
 * runner (the CLI, the contract harness) the few context values an action default can use are read
 * from the environment the runner would have set; anything else evaluates to ''.
 */
export function evaluateDefault(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_match, expression: string) => {
    const github = /^github\.(\w+)$/.exec(expression);
    if (github) return env[`GITHUB_${(github[1] as string).toUpperCase()}`] ?? '';
    return '';
  });
}
