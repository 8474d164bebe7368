import type { DockerfileModel, RunBlock } from '../parse/dockerfile';
import type { SimpleCommand } from '../parse/shell';
import type { Span } from '../util/text';
import type { BuildContext } from '../context';
import type { LockFile } from '../resolve/lock';
import type { FixKind, FixRequest, FixRequestOf } from '../findings/fixRequests';

export type { FixKind, FixRequest, FixRequestOf } from '../findings/fixRequests';

export type Severity = 'error' | 'warning' | 'info' | 'style';

export const SEVERITIES: Severity[] = ['error', 'warning', 'info', 'style'];

export interface RuleMeta<K extends FixKind = FixKind> {
  /** Stable id used by config, pragmas, SARIF and docs. */
  id: string;
  /** One line: what the rule asks for. Used by `dockrepro rules`, SARIF and the docs index. */
  summary: string;
  severity: Severity;
  /** hadolint codes this rule replaces; `# hadolint ignore=` with these codes suppresses it. */
  hadolint?: string[];
  /** The fix request kinds its findings can carry (none: nothing it reports has an automatic fix). */
  fixable: readonly K[];
}

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  span: Span;
  fix?: FixRequest;
}

/** A finding a rule reports; `fix` can only be one of the kinds the rule declares (`meta.fixable`). */
export interface Report<K extends FixKind = FixKind> {
  message: string;
  span: Span;
  fix?: FixRequestOf<K>;
}

export interface RuleContext<K extends FixKind = FixKind> {
  model: DockerfileModel;
  /** The build context on disk, when linting a file (not stdin without --context). */
  buildContext?: BuildContext;
  /** The lock file to check pinned digests against (`lint --verify-lock`); undefined otherwise. */
  lock?: LockFile;
  report(r: Report<K>): void;
  /** Every simple command of every RUN whose program (basename) is one of `names` or matches a RegExp, in source order. */
  commands(...names: (string | RegExp)[]): Iterable<{ cmd: SimpleCommand; run: RunBlock }>;
}

export interface Rule<K extends FixKind = FixKind> {
  meta: RuleMeta<K>;
  /** Synchronous and offline: reads the model (and build-context files), reports findings. */
  check(ctx: RuleContext<K>): void;
}

/** A rule whose reports may carry only the fix kinds its meta declares (checked by the compiler). */
export function defineRule<K extends FixKind = never>(rule: Rule<K>): Rule {
  return rule;
}
