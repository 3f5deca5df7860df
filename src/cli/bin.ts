import { main } from './main.js';
import type { Io } from './run-action.js';

const io: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  color: Boolean(process.stdout.isTTY) && !process.env['NO_COLOR'],
};
process.exitCode = await main(process.argv.slice(2), io);
