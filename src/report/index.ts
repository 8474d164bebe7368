/**
 * The output formats of `dockrepro lint`. Each reporter lives in its own module and is `require`d only when
 * chosen: the editor and pre-commit hooks use `text`, and should not pay for loading SARIF or XML code.
 * This module itself holds only the registry and the few helpers every reporter shares.
 */
import type { Finding, Severity } from '../rules/types';
import type { FileResult, Reporter } from './types';

export type ReportFormat = 'text' | 'json' | 'sarif' | 'checkstyle' | 'github';

export const FORMATS: readonly ReportFormat[] = ['text', 'json', 'sarif', 'checkstyle', 'github'];

const LOADERS: Record<ReportFormat, () => Reporter> = {
  text: () => (require('./text') as typeof import('./text')).formatText,
  json: () => (require('./json') as typeof import('./json')).formatJson,
  sarif: () => (require('./sarif') as typeof import('./sarif')).formatSarif,
  checkstyle: () => (require('./checkstyle') as typeof import('./checkstyle')).formatCheckstyle,
  github: () => (require('./github') as typeof import('./github')).formatGithub,
};

/** The reporter for a format; loads its module on first use. */
export function loadReporter(format: ReportFormat): Reporter {
  return LOADERS[format]();
}

/** 1-based start and end of a finding; the end is exclusive (the column just after the last character). */
export interface Location {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** Columns count UTF-16 code units, as the offsets do (the unit of LSP, VS Code and ESLint). */
export function locate(file: FileResult, finding: Finding): Location {
  // Findings always come with the file's LineIndex; without one, point at the start rather than fail the report.
  if (!file.lines) return { line: 1, column: 1, endLine: 1, endColumn: 1 };
  const start = file.lines.position(finding.span.start);
  const end = file.lines.position(Math.max(finding.span.start, finding.span.end));
  return { line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
}

export interface Totals {
  files: number;
  filesWithFindings: number;
  filesWithErrors: number;
  findings: number;
  severities: Record<Severity, number>;
}

export function totals(files: readonly FileResult[]): Totals {
  const t: Totals = {
    files: files.length,
    filesWithFindings: 0,
    filesWithErrors: 0,
    findings: 0,
    severities: { error: 0, warning: 0, info: 0, style: 0 },
  };
  for (const f of files) {
    if (f.error !== undefined) t.filesWithErrors++;
    if (f.findings.length) t.filesWithFindings++;
    t.findings += f.findings.length;
    for (const finding of f.findings) t.severities[finding.severity]++;
  }
  return t;
}
