/**
 * The default format, for terminals, editors and pre-commit: one line per finding, `path:line:col: severity
 * rule message` (the `file:line:col:` prefix that editors and terminals turn into links), then one summary line.
 */
import type { Severity } from '../rules/types';
import type { FileResult, StreamingReporter } from './types';
import { countFile, emptyTotals, locate, wholeReport, type Totals } from './shared';
import { printable } from '../util/escape';

/** Messages quote the Dockerfile and paths come from the tree: both may come from anyone (util/escape). */
export { printable };

const COLORS: Record<Severity | 'note', number> = { error: 31, warning: 33, info: 36, style: 35, note: 36 };

function paint(on: boolean, code: number, s: string): string {
  return on ? `\x1b[${code}m${s}\x1b[0m` : s;
}

/** The lines of one file, each ending with a newline. */
function fileLines(file: FileResult, color: boolean): string {
  const lines: string[] = [];
  const path = printable(file.path);
  if (file.error !== undefined) lines.push(`${path}: ${paint(color, COLORS.error, 'error')}: ${printable(file.error)}`);
  for (const f of file.findings) {
    const { line, column } = locate(file, f);
    const severity = paint(color, COLORS[f.severity], f.severity);
    const rule = paint(color, 2, f.rule);
    lines.push(`${path}:${line}:${column}: ${severity} ${rule} ${printable(f.message)}`);
  }
  if (file.notice !== undefined) lines.push(`${path}: ${paint(color, COLORS.note, 'note')}: ${printable(file.notice)}`);
  return lines.map((l) => `${l}\n`).join('');
}

export const streamText: StreamingReporter = ({ color }) => {
  const t = emptyTotals();
  return {
    start: () => '',
    file(file) {
      countFile(t, file);
      return fileLines(file, color);
    },
    end: () => `${summaryLine(t)}\n`,
  };
};

export const formatText = wholeReport(streamText);

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `3 findings (1 error, 2 warnings) in 2 files, 1 file could not be read`; severities from most severe down. */
export function summaryLine(t: Totals): string {
  if (t.files === 0) return 'No Dockerfiles found';
  const linted = t.files - t.filesWithErrors;
  const parts: string[] = [];
  if (linted > 0 || t.filesWithErrors === 0) {
    if (t.findings === 0) parts.push(`No findings in ${plural(linted, 'file')}`);
    else {
      const bySeverity = (Object.keys(t.severities) as Severity[])
        .filter((s) => t.severities[s] > 0)
        .map((s) => (s === 'error' || s === 'warning' ? plural(t.severities[s], s) : `${t.severities[s]} ${s}`));
      parts.push(`${plural(t.findings, 'finding')} (${bySeverity.join(', ')}) in ${plural(linted, 'file')}`);
    }
  }
  if (t.filesWithErrors > 0) parts.push(`${plural(t.filesWithErrors, 'file')} could not be read`);
  return parts.join(', ');
}
