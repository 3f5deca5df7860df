/**
 * Entry point of `npm run demo` (scripts/demo.mjs bundles this file with esbuild and runs it with
 * Node 24):  npm run demo -- [--dir DIR] [--keep-namespace] [--no-cluster-start]
 * Exit code 0 when every stage that ran ended as expected (the broken release's failed deploy is
 * expected), 1 otherwise, 2 on a usage error. Skipped stages (a component missing here) are named
 * with the command that installs what they need, and do not fail the run.
 */
import { runRehearsal, type RehearsalOptions } from './rehearsal.js';

const USAGE = 'usage: npm run demo -- [--dir DIR] [--keep-namespace] [--no-cluster-start]';

export async function main(argv: readonly string[]): Promise<number> {
  const options: RehearsalOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--dir' && argv[i + 1]) options.dir = argv[++i] as string;
    else if (arg === '--keep-namespace') options.keepNamespace = true;
    else if (arg === '--no-cluster-start') options.startCluster = false;
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      return 0;
    } else {
      console.error(`demo: unknown argument '${arg}'\n${USAGE}`);
      return 2;
    }
  }
  const report = await runRehearsal(options);
  return report.ok ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
