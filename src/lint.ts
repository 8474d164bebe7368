/** The lint engine: model + rules → findings, with suppressions and configured severities applied. */
import type { DockerfileModel, RunBlock } from './parse/dockerfile';
import type { SimpleCommand } from './parse/shell';
import type { BuildContext } from './context';
import type { Finding, Rule, RuleContext, Severity } from './rules/types';
import { readSuppressions } from './suppress';
import type { LockFile } from './resolve/lock';

export interface LintOptions {
  rules: readonly Rule[];
  /** Severity per rule id, overriding the rule's default. */
  severities?: ReadonlyMap<string, Severity>;
  buildContext?: BuildContext;
  /** For image-lock (`lint --verify-lock`). */
  lock?: LockFile;
}

export function lintModel(model: DockerfileModel, options: LintOptions): Finding[] {
  const findings: Finding[] = [];
  const byProgram = indexCommands(model.runs);
  const suppressions = readSuppressions(model);
  for (const rule of options.rules) {
    const severity = options.severities?.get(rule.meta.id) ?? rule.meta.severity;
    const ctx: RuleContext = {
      model,
      buildContext: options.buildContext,
      lock: options.lock,
      report: (r) => findings.push({ rule: rule.meta.id, severity, message: r.message, span: r.span, fix: r.fix }),
      commands: (...names) => commandsOf(byProgram, names),
    };
    rule.check(ctx);
  }
  return findings
    .filter((f) => !suppressions.isSuppressed(f))
    .sort((a, b) => a.span.start - b.span.start || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
}

type CommandIndex = Map<string, { cmd: SimpleCommand; run: RunBlock }[]>;

/**
 * The commands whose program is one of `names` (or matches a RegExp among them), in source order. A list, not a
 * generator: every rule asks once per file, and the generator's bookkeeping was a quarter of lintModel's time on the corpus.
 */
function commandsOf(byProgram: CommandIndex, names: (string | RegExp)[]): { cmd: SimpleCommand; run: RunBlock }[] {
  if (names.length === 1 && typeof names[0] === 'string') return byProgram.get(names[0])?.slice() ?? [];
  const keys = new Set<string>();
  for (const n of names) {
    if (typeof n === 'string') keys.add(n);
    else for (const k of byProgram.keys()) if (n.test(k)) keys.add(k);
  }
  const all: { cmd: SimpleCommand; run: RunBlock }[] = [];
  for (const k of keys) {
    const list = byProgram.get(k);
    if (list) for (const c of list) all.push(c);
  }
  if (keys.size > 1) all.sort((a, b) => a.cmd.span.start - b.cmd.span.start);
  return all;
}

function indexCommands(runs: RunBlock[]): CommandIndex {
  const map: CommandIndex = new Map();
  for (const run of runs) {
    for (const cmd of run.commands) {
      let list = map.get(cmd.name);
      if (!list) map.set(cmd.name, (list = []));
      list.push({ cmd, run });
    }
  }
  return map;
}
