/**
 * The `shipline` command: runs any action locally with the same code as the bundles.
 *
 *   shipline <action> --<input> value …     e.g. shipline smoke-test --url http://localhost:8080/healthz
 *   shipline <action> --help                the action's inputs
 *   shipline <command> …                    other commands (e.g. audit)
 */
import { actions } from './registry.js';
import { commands } from './commands.js';
import { runActionCli, type Io } from './run-action.js';

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === 'help') {
    io.out('usage: shipline <action> [--input value …]   (shipline <action> --help lists its inputs)');
    io.out(`actions: ${Object.keys(actions).join(', ')}`);
    const extra = Object.keys(commands);
    if (extra.length) io.out(`commands: ${extra.join(', ')}`);
    return name ? 0 : 2;
  }
  const loadAction = actions[name];
  if (loadAction) return runActionCli(name, await loadAction(), rest, io);
  const loadCommand = commands[name];
  if (loadCommand) return (await loadCommand()).run(rest, io);
  io.err(`shipline: unknown action or command '${name}' (actions: ${Object.keys(actions).join(', ')})`);
  return 2;
}
