/** How pip, pipx and uv install command lines are read: shared by the pip-pin rule and the pip-version fixer. */
import { optionSpec, parseArgs } from '../args';
import type { SimpleCommand, Word } from '../shell';

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

/** The `install` word of a pip call (the pip-compile fix inserts `--no-compile` after it); undefined for pipx and uv. */
export function installWord(cmd: SimpleCommand): Word | undefined {
  const call = installCall(cmd);
  if (!call || call.tool !== 'pip') return undefined;
  const words = cmd.args;
  const at = call.args.length ? words.indexOf(call.args[0]) - 1 : words.length - 1;
  return words[at]?.value === 'install' ? words[at] : undefined;
}

/** pip (and pipx, which runs it) compile what they install to .pyc unless told not to; uv only with `--compile-bytecode`. */
export function pipCompiles(cmd: SimpleCommand): boolean {
  const call = installCall(cmd);
  if (!call) return false;
  const parsed = parseArgs(call.args, pipxLike(call.tool) ? PIPX_INSTALL : PIP_INSTALL);
  if (call.tool === 'uv-pip' || call.tool === 'uv-tool') return parsed.options.has('--compile-bytecode') || parsed.options.has('--compile');
  if (call.tool === 'pipx') return !call.args.some((a) => a.value?.includes('--no-compile'));
  return !parsed.options.has('--no-compile');
}
