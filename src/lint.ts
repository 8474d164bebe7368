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
  const suppressions = readSuppressions(model, options.rules);
  for (const rule of options.rules) {
    const severity = options.severities?.get(rule.meta.id) ?? rule.meta.severity;
    const ctx: RuleContext = {
      model,
      buildContext: options.buildContext,
      lock: options.lock,
      report: (r) => findings.push({ rule: rule.meta.id, severity, message: r.message, span: r.span, fix: r.fix }),
      *commands(...names: (string | RegExp)[]) {
        const keys = new Set<string>();
        for (const n of names) {
          if (typeof n === 'string') keys.add(n);
          else for (const k of byProgram.keys()) if (n.test(k)) keys.add(k);
        }
        const all = [...keys].flatMap((k) => byProgram.get(k) ?? []);
        if (keys.size > 1) all.sort((a, b) => a.cmd.span.start - b.cmd.span.start);
        yield* all;
      },
    };
    rule.check(ctx);
  }
  return findings
    .filter((f) => !suppressions.isSuppressed(f))
    .sort((a, b) => a.span.start - b.span.start || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
}

function indexCommands(runs: RunBlock[]): Map<string, { cmd: SimpleCommand; run: RunBlock }[]> {
  const map = new Map<string, { cmd: SimpleCommand; run: RunBlock }[]>();
  for (const run of runs) {
    for (const cmd of run.commands) {
      let list = map.get(cmd.name);
      if (!list) map.set(cmd.name, (list = []));
      list.push({ cmd, run });
    }
  }
  return map;
}
