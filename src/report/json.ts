/**
 * Machine-readable output with a stable, versioned schema (documented in docs/formats.md). Adding an optional
 * field keeps `version: 1`; renaming, removing or changing the meaning of a field bumps it.
 */
import type { FixRequest, Severity } from '../rules/types';
import type { ReportInput } from './types';
import { locate, totals, type Totals } from './index';
import { terminalSafeJson } from '../util/escape';

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

export function formatJson(input: ReportInput): string {
  const report: JsonReport = {
    version: 1,
    tool: { name: 'dockrepro', version: input.version },
    files: input.files.map((file) => ({
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
    })),
    summary: totals(input.files),
  };
  // The values stay exact; only the bytes are made safe to print (util/escape).
  return terminalSafeJson(JSON.stringify(report, null, 2)) + '\n';
}
