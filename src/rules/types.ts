import type { DockerfileModel, RunBlock } from '../parse/dockerfile';
import type { SimpleCommand } from '../parse/shell';
import type { Span } from '../util/text';
import type { BuildContext } from '../context';
import type { LockFile } from '../resolve/lock';

export type Severity = 'error' | 'warning' | 'info' | 'style';

export const SEVERITIES: Severity[] = ['error', 'warning', 'info', 'style'];

export interface RuleMeta {
  /** Stable id used by config, pragmas, SARIF and docs. */
  id: string;
  /** One line: what the rule asks for. Used by `dockrepro rules`, SARIF and the docs index. */
  summary: string;
  severity: Severity;
  /** hadolint codes this rule replaces; `# hadolint ignore=` with these codes suppresses it. */
  hadolint?: string[];
}

/**
 * A request for a fixer (src/fixers/, a later issue): what should be made explicit, never the edit itself.
 * `kind` selects the fixer; the rest is the data it needs.
 */
export interface FixRequest {
  kind: string;
  [key: string]: unknown;
}

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  span: Span;
  fix?: FixRequest;
}

export interface Report {
  message: string;
  span: Span;
  fix?: FixRequest;
}

export interface RuleContext {
  model: DockerfileModel;
  /** The build context on disk, when linting a file (not stdin without --context). */
  buildContext?: BuildContext;
  /** The lock file to check pinned digests against (`lint --verify-lock`); undefined otherwise. */
  lock?: LockFile;
  report(r: Report): void;
  /** Every simple command of every RUN whose program (basename) is one of `names` or matches a RegExp, in source order. */
  commands(...names: (string | RegExp)[]): Iterable<{ cmd: SimpleCommand; run: RunBlock }>;
}

export interface Rule {
  meta: RuleMeta;
  /** Synchronous and offline: reads the model (and build-context files), reports findings. */
  check(ctx: RuleContext): void;
}

export function defineRule(rule: Rule): Rule {
  return rule;
}
