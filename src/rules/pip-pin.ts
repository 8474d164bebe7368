import { posix } from 'node:path';
import { optionSpec, parseArgs, type ParsedArgs } from '../parse/args';
import type { SimpleCommand, Word } from '../parse/shell';
import { parseRequirementsFile, pipPinState, type PinState, type RequirementLine } from '../parse/requirements';
import { copiedFrom } from '../context';
import { defineRule, type RuleContext } from './types';
import type { RunBlock } from '../parse/dockerfile';

/** `pip install` options that take a value (pip 24 `pip install --help`, general options included). */
export const PIP_INSTALL = optionSpec([
  '-r', '--requirement', '-c', '--constraint', '-e', '--editable', '-t', '--target', '--platform',
  '--python-version', '--implementation', '--abi', '--root', '--prefix', '--src', '--upgrade-strategy',
  '-i', '--index-url', '--extra-index-url', '-f', '--find-links', '--no-binary', '--only-binary',
  '--progress-bar', '--root-user-action', '--report', '-C', '--config-settings', '--global-option',
  '--build-option', '--proxy', '--retries', '--timeout', '--exists-action', '--trusted-host', '--cert',
  '--client-cert', '--cache-dir', '--log', '--python', '--keyring-provider', '--use-feature',
  '--use-deprecated', '--resume-retries', '--group', '--log-file', '--local-log',
  // uv pip install
  '-p', '--index', '--default-index', '--index-strategy', '--resolution', '--prerelease', '--exclude-newer',
  '-P', '--upgrade-package', '--reinstall-package', '--extra', '--link-mode', '--python-platform', '--overrides',
  '--build-constraint', '-b', '--no-build-isolation-package', '--cache-dir', '--config-file', '--directory', '--project',
]);

/** `pipx install` / `uv tool install` options that take a value. */
export const PIPX_INSTALL = optionSpec([
  '--python', '--pip-args', '--index-url', '-i', '--suffix', '--preinstall', '--backend', '--with', '-w',
  '--from', '--with-requirements', '--with-editable', '--constraints', '-c', '--overrides', '-p', '--index',
  '--default-index', '--extra-index-url', '-f', '--find-links', '--directory', '--config-file', '--cache-dir',
]);

export const PIP_GENERAL = optionSpec(['--python', '--log', '--proxy', '--retries', '--timeout', '--exists-action',
  '--trusted-host', '--cert', '--client-cert', '--cache-dir', '--use-feature', '--use-deprecated', '--keyring-provider']);

/** `uv-pip` is `uv pip install` (pip's options), `uv-tool` is `uv tool install` (pipx's options). */
export type PipTool = 'pip' | 'pipx' | 'uv-pip' | 'uv-tool';

export interface InstallCall {
  tool: PipTool;
  args: Word[];
}

/** True for the tools whose operands are applications with pipx's options (`pipx install`, `uv tool install`). */
export function pipxLike(tool: PipTool): boolean {
  return tool === 'pipx' || tool === 'uv-tool';
}

/** Finds `install` in the various spellings: pip, pip3, pip3.12, python -m pip, pipx, uv pip, uv tool. */
export function installCall(cmd: SimpleCommand): InstallCall | undefined {
  let tool: InstallCall['tool'];
  let rest: Word[];
  if (/^pip[0-9.]*$/.test(cmd.name)) {
    tool = 'pip';
    rest = cmd.args;
  } else if (/^python[0-9.]*$/.test(cmd.name)) {
    const m = cmd.args.findIndex((a) => a.value === '-m');
    if (m < 0 || !/^pip[0-9.]*$/.test(cmd.args[m + 1]?.value ?? '')) return undefined;
    tool = 'pip';
    rest = cmd.args.slice(m + 2);
  } else if (cmd.name === 'pipx') {
    tool = 'pipx';
    rest = cmd.args;
  } else if (cmd.name === 'uv') {
    const sub = parseArgs(cmd.args, PIP_GENERAL).operands;
    if (sub[0]?.value === 'pip') tool = 'uv-pip';
    else if (sub[0]?.value === 'tool') tool = 'uv-tool';
    else return undefined;
    rest = cmd.args.slice(cmd.args.indexOf(sub[0]) + 1);
  } else return undefined;
  const general = parseArgs(rest, PIP_GENERAL);
  const sub = general.operands[0];
  if (!sub || sub.value !== 'install') return undefined;
  return { tool, args: rest.slice(rest.indexOf(sub) + 1) };
}

function describe(spec: string, state: Exclude<PinState, { pinned: true }>): string {
  const name = state.name ?? spec;
  switch (state.reason) {
    case 'range':
      return `'${spec}' is a version range, not a pin: use '${name}==<version>'`;
    case 'wildcard':
      return `'${spec}' is a wildcard, not a pin: use '${name}==<version>'`;
    case 'vcs-ref':
      return `'${spec}' is not pinned to a full commit id ('@<40-hex commit>')`;
    case 'url-no-hash':
      return `'${spec}' is downloaded without a hash: add '#sha256=<hash>'`;
    default:
      return `'${spec}' is not pinned: use '${name}==<version>'`;
  }
}

/**
 * Reports unpinned lines of a requirements file copied from the build context, following `-r` includes
 * where they appear (as pip reads them). An explicit stack of open files, not recursion: a chain of
 * thousands of includes is input, and must not overflow the call stack.
 */
function checkRequirementsFile(ctx: RuleContext<'pip-version'>, run: RunBlock, word: Word, imagePath: string, seen: Set<string>): void {
  const open: { path: string; rel: string; lines: RequirementLine[]; next: number }[] = [];
  const enter = (path: string) => {
    const rel = ctx.buildContext && copiedFrom(ctx.model, run, path);
    if (!rel || seen.has(rel)) return;
    seen.add(rel);
    const text = ctx.buildContext!.read(rel);
    if (text !== undefined) open.push({ path, rel, lines: parseRequirementsFile(text), next: 0 });
  };
  enter(imagePath);
  while (open.length > 0) {
    const top = open[open.length - 1];
    const line = top.lines[top.next++];
    if (line === undefined) {
      open.pop();
      continue;
    }
    if (line.include) {
      if (line.include.kind === 'requirement') enter(posix.join(posix.dirname(top.path), line.include.path));
      continue;
    }
    if (line.hashes) continue;
    const state = pipPinState(line.spec);
    if (!state.pinned) {
      ctx.report({
        message: `${top.rel}:${line.line}: ${describe(line.spec, state)}`,
        span: word.span,
        fix: { kind: 'pip-version', requirementsFile: top.rel, line: line.line, package: state.name ?? line.spec },
      });
    }
  }
}

function requirementOperands(parsed: ParsedArgs): Word[] {
  const out = [...parsed.operands];
  for (const o of parsed.optionWords) if ((o.name === '-e' || o.name === '--editable') && o.value) out.push(o.value);
  return out;
}

export default defineRule({
  meta: {
    id: 'pip-pin',
    summary: 'Pin exact versions in pip/pipx/uv install',
    severity: 'warning',
    hadolint: ['DL3013'],
    fixable: ['pip-version'],
  },
  check(ctx) {
    for (const { cmd, run } of ctx.commands(/^(pip|python)[0-9.]*$/, 'pipx', 'uv')) {
      const call = installCall(cmd);
      if (!call) continue;
      const parsed = parseArgs(call.args, pipxLike(call.tool) ? PIPX_INSTALL : PIP_INSTALL);
      // A constraints file pins whatever it lists; the CLI requirements are then not ours to judge.
      if (parsed.options.has('-c') || parsed.options.has('--constraint') || parsed.options.has('--require-hashes')) continue;
      for (const word of requirementOperands(parsed)) {
        if (word.value === undefined) continue; // depends on something unknown: not provably unpinned
        const spec = pipxLike(call.tool) ? word.value.replace(/^([A-Za-z0-9._-]+)@(?=[0-9])/, '$1==') : word.value;
        const state = pipPinState(spec);
        if (!state.pinned) {
          ctx.report({ message: `pip requirement ${describe(word.value, state)}`, span: word.span, fix: { kind: 'pip-version', package: state.name ?? word.value } });
        }
      }
      for (const o of parsed.optionWords) {
        if ((o.name === '-r' || o.name === '--requirement') && o.value?.value !== undefined) {
          checkRequirementsFile(ctx, run, o.value, o.value.value, new Set());
        }
      }
    }
  },
});
