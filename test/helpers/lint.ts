/** Test helpers: lint a Dockerfile string with one rule and get findings with 1-based positions. */
import { workspace } from './workspace';
import { parseDockerfile } from '../../src/parse/dockerfile';
import { lintModel } from '../../src/lint';
import { BuildContext } from '../../src/context';
import type { Rule } from '../../src/rules/types';

export interface SimpleFinding {
  rule: string;
  line: number;
  column: number;
  /** The exact source text the finding points at. */
  text: string;
  message: string;
  fix?: unknown;
}

/** Lints `code` with `rule`; `files` become a build context on disk (path → content). */
export function lint(rule: Rule, code: string, files?: Record<string, string>): SimpleFinding[] {
  const model = parseDockerfile(code);
  let buildContext: BuildContext | undefined;
  if (files) {
    buildContext = new BuildContext(workspace(files, 'dockrepro-ctx-'));
  }
  return lintModel(model, { rules: [rule], buildContext }).map((f) => {
    const pos = model.lines.position(f.span.start);
    return { rule: f.rule, line: pos.line, column: pos.column, text: code.slice(f.span.start, f.span.end), message: f.message, fix: f.fix };
  });
}

/** The source texts a rule points at, in order: the most compact way to assert what was found. */
export function flagged(rule: Rule, code: string, files?: Record<string, string>): string[] {
  return lint(rule, code, files).map((f) => f.text);
}
