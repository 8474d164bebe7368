import { optionSpec, parseArgs, type OptionSpec, operandLabel } from '../parse/args';
import type { SimpleCommand, Word } from '../parse/shell';
import { defineRule } from './types';

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

/** The option table of each apt front end (exported for apt-upgrade, which finds the same subcommand). */
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

type AptPackage = 'pinned' | 'unpinned' | 'not-a-package';

/**
 * `pkg=1.2-3` and `pkg=1.2.*` name a version; `pkg/suite` selects a release and, like hadolint's DL3008,
 * counts as pinned; `./x.deb` and other paths are local files. A trailing `-`/`_`/`:` removes, purges or
 * keeps a package (apt-get, aptitude), and `?pattern`/`~pattern` search expressions name no single package.
 */
export function aptPackageState(v: string): AptPackage {
  if (v === '' || /^[?~]/.test(v) || /[-_:]$/.test(v)) return 'not-a-package';
  if (v.includes('=') || v.includes('/') || v.endsWith('.deb')) return 'pinned';
  return 'unpinned';
}


export default defineRule({
  meta: {
    id: 'apt-pin',
    summary: 'Pin versions in apt-get/apt/aptitude install',
    severity: 'warning',
    hadolint: ['DL3008'],
    fixable: ['apt-version'],
  },
  check(ctx) {
    for (const { cmd, run } of ctx.commands('apt-get', 'apt', 'aptitude')) {
      const call = aptCall(cmd);
      if (!call || call.sub.value !== 'install') continue;
      for (const word of call.operands) {
        if (word.value === undefined) continue; // built from something unknown: cannot tell
        if (aptPackageState(word.value) !== 'unpinned') continue;
        // A single trailing `+` asks apt-get to install (`curl+`); `g++` is a name.
        const pkg = /[^+]\+$/.test(word.value) ? word.value.slice(0, -1) : word.value;
        ctx.report({
          message: `apt package ${operandLabel(word, pkg)} is not pinned: use '${pkg}=<version>'`,
          span: word.span,
          fix: { kind: 'apt-version', package: pkg, stage: run.stage },
        });
      }
    }
  },
});
