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
}

/** A reporter turns results into the full text written to stdout. */
export type Reporter = (input: ReportInput) => string;
