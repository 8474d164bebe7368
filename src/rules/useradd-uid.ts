import { parseArgs, type ParsedArgs } from '../parse/args';
import { SPEC, imageFamily, styleOf } from '../parse/tools/accounts';
import type { DockerfileModel } from '../parse/dockerfile';
import type { SimpleCommand, Word } from '../parse/shell';
import { defineRule } from './types';
import type { AccountCommand as Command, AccountStyle as Style } from '../findings/fixRequests';


/** An unquoted word of unknown value may expand to several words, options included: we cannot tell. */
function hidesOptions(parsed: ParsedArgs, args: Word[]): boolean {
  const last = args[args.length - 1];
  return parsed.operands.some((w) => w.value === undefined && !/^["']/.test(w.raw) && (w !== last || args.length === 1));
}

interface Need {
  id: 'uid' | 'gid';
  system: boolean;
  /** A user whose own group is created alongside it (its gid follows the uid). */
  privateGroup: boolean;
}

/** What a command creates without an explicit id, if anything. */
function missingId(command: Command, style: Style, parsed: ParsedArgs): Need | undefined {
  const has = (...names: string[]) => names.some((n) => parsed.options.has(n));
  if (parsed.operands.length >= 2) return undefined; // `adduser user group`: adds an existing user to a group
  if (command === 'groupadd' || command === 'addgroup' || (command === 'adduser' && style === 'debian' && has('--group') && !has('--system'))) {
    if (has('-g', '--gid')) return undefined;
    return { id: 'gid', system: has('-r', '-S', '--system'), privateGroup: false };
  }
  if (has('-D', '--defaults') && command === 'useradd') return undefined; // prints or sets defaults, creates nobody
  if (has('-u', '--uid')) return undefined;
  const system = has('-r', '-S', '--system');
  let privateGroup: boolean;
  if (style === 'busybox') privateGroup = !system && !has('-G', '--ingroup');
  else if (style === 'debian') privateGroup = !has('--ingroup', '--gid') && (!system || has('--group'));
  else privateGroup = !has('-g', '--gid', '-N', '--no-user-group');
  return { id: 'uid', system, privateGroup };
}

function optionFor(id: 'uid' | 'gid', style: Style): string {
  if (style === 'busybox') return id === 'uid' ? '-u' : '-g';
  return `--${id}`;
}

function describe(command: Command, style: Style, name: string, need: Need): string {
  const what = need.id === 'uid' ? 'user' : 'group';
  const system = need.system ? 'system ' : '';
  const group = need.privateGroup ? `; its own group's gid follows it` : '';
  const option = optionFor(need.id, style);
  const subject = name ? `${system}${what} '${name}'` : `a ${system}${what}`;
  return `${command} creates ${subject} with an implicit ${need.id} ` +
    `(the next free ${system}${need.id}, which depends on the base image${group}): add '${option} <${need.id}>', e.g. '${option} 10001'`;
}

/** The id a user/group command leaves implicit, with where to report it. */
function inspect(cmd: SimpleCommand, model: DockerfileModel, stage: number): { need: Need; style: Style; at: Word | undefined; name: string } | undefined {
  const command = cmd.name as Command;
  const parsed = parseArgs(cmd.args, SPEC[command]);
  if (parsed.options.has('--help') || hidesOptions(parsed, cmd.args)) return undefined;
  const style = styleOf(command, parsed, imageFamily(model, stage));
  const need = missingId(command, style, parsed);
  if (!need) return undefined;
  const at = parsed.operands[0] ?? cmd.program;
  return { need, style, at, name: parsed.operands[0] ? parsed.operands[0].value ?? parsed.operands[0].raw : '' };
}

export default defineRule({
  meta: {
    id: 'useradd-uid',
    summary: 'Create users and groups with explicit ids',
    severity: 'warning',
    fixable: ['explicit-id'],
  },
  check(ctx) {
    for (const { cmd, run } of ctx.commands('useradd', 'adduser', 'groupadd', 'addgroup')) {
      const found = inspect(cmd, ctx.model, run.stage);
      if (!found?.at) continue;
      const command = cmd.name as Command;
      ctx.report({
        message: describe(command, found.style, found.name, found.need),
        span: found.at.span,
        fix: { kind: 'explicit-id', command, style: found.style, name: found.name, needs: [found.need.id] },
      });
    }
  },
});
