/** Runs the CLI in-process with captured output, as a user would call it. */
import { main } from '../../src/cli';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], opts: { cwd?: string; stdin?: string | Buffer; env?: NodeJS.ProcessEnv; tty?: boolean; stderrTty?: boolean } = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string | Uint8Array) => (stdout += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')), isTTY: opts.tty ?? false },
    stderr: { write: (s: string) => (stderr += s), isTTY: opts.stderrTty ?? false },
    readStdin: () => Buffer.from(opts.stdin ?? ''),
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
  });
  return { code, stdout, stderr };
}
