/** Process entry point: wires the CLI to the real process, and never lets a stack trace reach the user. */
import { readFileSync } from 'node:fs';
import { main, EXIT } from './cli';
import { isLintWorker, serveLintWorker, WORKER_ARG } from './parallel';
import { printable } from './util/escape';

// A lint worker (src/parallel.ts) runs this same bundle, so that it starts as fast as the command line.
if (process.argv[2] === WORKER_ARG && isLintWorker()) serveLintWorker();
else runCommandLine();

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
