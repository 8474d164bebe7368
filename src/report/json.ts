/**
 * Machine-readable output with a stable, versioned schema (documented in docs/formats.md). Adding an optional
 * field keeps `version: 1`; renaming, removing or changing the meaning of a field bumps it.
 */
import type { FixRequest, Severity } from '../rules/types';
import type { FileResult, StreamingReporter } from './types';
import { countFile, emptyTotals, JsonArrayWriter, locate, wholeReport, type Totals } from './shared';

export interface JsonFinding {
  rule: string;
  severity: Severity;
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  fix?: FixRequest;
}

export interface JsonFile {
  path: string;
  error?: string;
  notice?: string;
  findings: JsonFinding[];
}

export interface JsonReport {
  version: 1;
  tool: { name: 'dockrepro'; version: string };
  files: JsonFile[];
  summary: Totals;
}

export function jsonFile(file: FileResult): JsonFile {
  return {
    path: file.path,
    ...(file.error !== undefined && { error: file.error }),
    ...(file.notice !== undefined && { notice: file.notice }),
    findings: file.findings.map((f) => ({
      rule: f.rule,
      severity: f.severity,
      message: f.message,
      ...locate(file, f),
      ...(f.fix && { fix: f.fix }),
    })),
  };
}

/** The document is written file by file: the summary, which comes last, is the only part that waits. */
export const streamJson: StreamingReporter = ({ version }) => {
  const summary = emptyTotals();
  const writer = new JsonArrayWriter((files): JsonReport => ({
    version: 1,
    tool: { name: 'dockrepro', version },
    files: files as JsonFile[],
    summary,
  }));
  return {
    start: () => writer.start(),
    file(file) {
      countFile(summary, file);
      return writer.item(jsonFile(file));
    },
    end: () => `${writer.end()}\n`,
  };
};

export const formatJson = wholeReport(streamJson);
