/**
 * What every command shares: the process's input and output as one value (tests pass their own), the exit
 * codes, and when a finding's severity fails the run. Its own module so that commands (src/cli.ts,
 * src/fixCommand.ts) import it instead of each other.
 */
import type { Threshold } from './config';
import type { Severity } from './rules/types';

export interface Io {
  stdout: { write(s: string | Uint8Array): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  readStdin(): Buffer;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export const EXIT = { ok: 0, findings: 1, error: 2 } as const;

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2, style: 3 };

export function meetsThreshold(severity: Severity, threshold: Threshold): boolean {
  return threshold !== 'none' && RANK[severity] <= RANK[threshold];
}
