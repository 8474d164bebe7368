/**
 * Package entry point (the bundle dist/dockrepro.js). Loading it runs nothing: `require('dockrepro')` gets the
 * command line as a function (`main(argv, io)` resolves to the exit code); bin/dockrepro calls `start()`.
 */
import { readFileSync } from 'node:fs';
import { main, version } from './cli';
import { EXIT } from './cliIo';
import { isLintWorker, serveLintWorker, WORKER_ARG } from './parallel';
import { printable } from './util/escape';

export { main, EXIT, version };
export type { Io } from './cliIo';

/** Runs this process as the command line, or as a lint worker (src/parallel.ts starts workers on bin/dockrepro too). */
export function start(): void {
  if (process.argv[2] === WORKER_ARG && isLintWorker()) serveLintWorker();
  else runCommandLine();
}

/** Wires the CLI to the real process, and never lets a stack trace reach the user. */
function runCommandLine(): void {
  main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    readStdin: () => readFileSync(0),
    env: process.env,
    cwd: process.cwd(),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`dockrepro: internal error: ${printable(String((e as Error)?.message ?? e))}\nPlease report it with the file that caused it.\n`);
      if (process.env.DOCKREPRO_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
      process.exitCode = EXIT.error;
    },
  );
}
