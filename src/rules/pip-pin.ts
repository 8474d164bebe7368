import { posix } from 'node:path';
import { parseArgs, type ParsedArgs } from '../parse/args';
import type { Word } from '../parse/shell';
import { installCall, pipxLike, PIP_INSTALL, PIPX_INSTALL } from '../parse/tools/pip';
import { parseRequirementsFile, pipPinState, type PinState, type RequirementLine } from '../parse/requirements';
import { copiedFrom } from '../context';
import { defineRule, type RuleContext } from './types';
import type { RunBlock } from '../parse/dockerfile';

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
