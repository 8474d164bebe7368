import type { Finding, Rule, Severity } from '../rules/types';
import type { LineIndex } from '../util/text';

/** The outcome for one linted file. */
export interface FileResult {
  /** Path as the user gave it (or the --stdin-filename, or `-`). */
  path: string;
  findings: Finding[];
  /** For turning finding offsets into line/column. Absent when the file could not be read or decoded. */
  lines?: LineIndex;
  /** Set when the file could not be linted (IO error, binary, invalid UTF-8): counts as an error (exit 2). */
  error?: string;
  /** A note that is not an error (e.g. an empty file). */
  notice?: string;
  /** The failure threshold of the config that applies to this file (default: style, i.e. any finding fails). */
  threshold?: Severity | 'none';
}

export interface ReportInput {
  files: FileResult[];
  /** All known rules (for SARIF rule metadata). */
  rules: readonly Rule[];
  /** Colour output (text only): true only on a TTY without NO_COLOR. */
  color: boolean;
  version: string;
  /** The folder relative paths are relative to (SARIF: default process.cwd()). */
  cwd?: string;
}

/** What a report needs besides the files: known before the first file is linted. */
export type ReportHeader = Omit<ReportInput, 'files'>;

/**
 * A report written as the files come: `file` returns the text for one file (written at once, so the
 * results of a 200k-file run are never held together), `end` the closing text (totals, summary).
 * The output is byte for byte what the whole-report function gives for the same files.
 */
export interface ReportStream {
  start(): string;
  file(result: FileResult): string;
  end(): string;
}

export type StreamingReporter = (header: ReportHeader) => ReportStream;

/** A reporter turns results into the full text written to stdout. */
export type Reporter = (input: ReportInput) => string;
