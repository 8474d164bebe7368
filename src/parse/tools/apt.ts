/** How apt-get, apt and aptitude command lines are read: shared by the apt rules and the apt-version fixer. */
import { optionSpec, parseArgs, type OptionSpec } from '../args';
import type { SimpleCommand, Word } from '../shell';

/** apt-get(8) / apt(8) options that take a value (apt 2.x–3.x); `-q=2` style values use `=`. */
const APT_GET = optionSpec([
  '-o', '--option', '-c', '--config-file', '-t', '--target-release', '--default-release',
  '-a', '--host-architecture', '-P', '--build-profiles', '--solver', '--planner', '-S', '--snapshot',
]);

/** aptitude(8) options that take a value. */
const APTITUDE = optionSpec([
  '-o', '-t', '--target-release', '--default-release', '-F', '--display-format', '-O', '--sort',
  '-S', '-w', '--width', '--log-file', '--log-level', '--group-by',
]);

/** The option table of each apt front end. */
export const APT_OPTIONS: Record<string, OptionSpec> = { 'apt-get': APT_GET, apt: APT_GET, aptitude: APTITUDE };

export interface AptCall {
  /** The subcommand word (`install`, `upgrade`, …); options may come before it (`apt-get -y install`). */
  sub: Word;
  /** Operands after the subcommand, option values removed. */
  operands: Word[];
}

/** Splits an apt-get/apt/aptitude call into its subcommand and operands; undefined for other programs. */
export function aptCall(cmd: SimpleCommand): AptCall | undefined {
  const spec = APT_OPTIONS[cmd.name];
  if (!spec) return undefined;
  const [sub, ...operands] = parseArgs(cmd.args, spec).operands;
  if (sub?.value === undefined) return undefined;
  return { sub, operands };
}

/** dpkg(1) options that take a value (the action options take none: `-i FILE` has FILE as an operand). */
export const DPKG = optionSpec(['--admindir', '--root', '--instdir', '--log', '--status-fd', '--status-logger', '--path-include', '--path-exclude', '-D', '--debug', '--force']);
