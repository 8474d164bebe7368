/**
 * Which programs are interpreters, and how their options name the program they run: shared by the
 * curl-pipe-shell and unverified-download rules and the script-checksum fixer.
 */
import type { SimpleCommand } from '../shell';

/**
 * How an interpreter's options are read. `code`: options whose value is program text; `other`: options
 * that take the program from elsewhere (a module, a file); `value`: other options that take a value
 * (short ones as letters, since they end a bundle like `-Wignore`).
 */
export interface InterpreterSpec {
  code: string[];
  other: string[];
  value: string;
  longValue: string[];
  /** sh -c: the program is the first operand, not the option value. */
  codeIsOperand?: boolean;
  /** sh -s: read the program from stdin even when operands follow. */
  stdinOption?: string;
  /** php -- args: everything after `--` is an argument of the program read from stdin. */
  argsAfterDashes?: boolean;
}

export const SHELL: InterpreterSpec = { code: ['-c'], other: [], value: 'oO', longValue: ['--rcfile', '--init-file'], codeIsOperand: true, stdinOption: '-s' };
const INTERPRETERS: { name: RegExp; spec: InterpreterSpec }[] = [
  { name: /^(sh|bash|zsh|dash|ash|ksh|mksh)$/, spec: SHELL },
  { name: /^python[0-9.]*$/, spec: { code: ['-c'], other: ['-m'], value: 'WX', longValue: ['--check-hash-based-pycs'] } },
  // perl's -M/-m/-I/-i/-x/-d/-D/-C take the rest of the word: a later letter there is not an option.
  { name: /^perl[0-9.]*$/, spec: { code: ['-e', '-E'], other: [], value: 'MmIixdDC', longValue: [] } },
  { name: /^ruby[0-9.]*$/, spec: { code: ['-e'], other: [], value: 'rICEFxK', longValue: ['--encoding', '--external-encoding', '--internal-encoding', '--enable', '--disable', '--dump'] } },
  { name: /^(node|nodejs)$/, spec: { code: ['-e', '--eval', '-p', '--print'], other: [], value: 'rC', longValue: ['--require', '--import', '--input-type', '--loader', '--experimental-loader', '--conditions', '--env-file', '--title'] } },
  { name: /^php[0-9.]*$/, spec: { code: ['-r', '-B', '-R', '-E'], other: ['-f', '-F'], value: 'cdzt', longValue: [], argsAfterDashes: true } },
];

export function interpreter(cmd: SimpleCommand): InterpreterSpec | undefined {
  return INTERPRETERS.find((i) => i.name.test(cmd.name))?.spec;
}
