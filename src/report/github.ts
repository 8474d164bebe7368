/**
 * GitHub Actions workflow commands: each finding becomes an annotation on the pull request's diff
 * (`::warning file=…,line=…::message`), followed by the plain summary line for the job log.
 */
import type { Severity } from '../rules/types';
import type { FileResult, StreamingReporter } from './types';
import { countFile, emptyTotals, locate, wholeReport } from './shared';
import { summaryLine } from './text';
import { printableKeepingWhitespace } from '../util/escape';

/** Annotations come in three kinds; info and style are below a warning. */
const COMMANDS: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice', style: 'notice' };

/**
 * A message: `%`, CR and LF are what the runner decodes (and a raw newline would end the command, so that a
 * file name or message could start a `::error::` or `::stop-commands::` line of its own). Other controls
 * (an ESC recolours the log) are shown as escapes.
 */
export function escapeData(s: string): string {
  return printableKeepingWhitespace(s).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value: also `,` (separates properties) and `:` (the `::` that ends them). */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function command(name: string, properties: [string, string | number][], message: string): string {
  const props = properties.map(([k, v]) => `${k}=${escapeProperty(String(v))}`).join(',');
  return `::${name} ${props}::${escapeData(message)}`;
}

function fileCommands(file: FileResult): string {
  const lines: string[] = [];
  // GitHub resolves `file` against the workspace and wants forward slashes.
  const path = file.path.replace(/\\/g, '/');
  if (file.error !== undefined) lines.push(command('error', [['file', path], ['title', 'dockrepro']], file.error));
  for (const f of file.findings) {
    const at = locate(file, f);
    lines.push(
      command(
        COMMANDS[f.severity],
        [
          ['file', path],
          ['line', at.line],
          ['col', at.column],
          ['endLine', at.endLine],
          ['endColumn', at.endColumn],
          ['title', f.rule],
        ],
        f.message,
      ),
    );
  }
  if (file.notice !== undefined) lines.push(command('notice', [['file', path], ['title', 'dockrepro']], file.notice));
  return lines.map((l) => `${l}\n`).join('');
}

export const streamGithub: StreamingReporter = () => {
  const t = emptyTotals();
  return {
    start: () => '',
    file(file) {
      countFile(t, file);
      return fileCommands(file);
    },
    end: () => `${summaryLine(t)}\n`,
  };
};

export const formatGithub = wholeReport(streamGithub);
