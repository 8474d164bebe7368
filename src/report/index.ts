/**
 * The output formats of `dockrepro lint`. Each reporter lives in its own module and is `require`d only when
 * chosen: the editor and pre-commit hooks use `text`, and should not pay for loading SARIF or XML code.
 * This module only picks a format; what every reporter shares is in ./shared, which they import.
 */
import type { Reporter, StreamingReporter } from './types';
import { wholeReport } from './shared';

export type ReportFormat = 'text' | 'json' | 'json-lines' | 'sarif' | 'checkstyle' | 'github';

export const FORMATS: readonly ReportFormat[] = ['text', 'json', 'json-lines', 'sarif', 'checkstyle', 'github'];

const LOADERS: Record<ReportFormat, () => StreamingReporter> = {
  text: () => (require('./text') as typeof import('./text')).streamText,
  json: () => (require('./json') as typeof import('./json')).streamJson,
  'json-lines': () => (require('./jsonLines') as typeof import('./jsonLines')).streamJsonLines,
  sarif: () => (require('./sarif') as typeof import('./sarif')).streamSarif,
  checkstyle: () => (require('./checkstyle') as typeof import('./checkstyle')).streamCheckstyle,
  github: () => (require('./github') as typeof import('./github')).streamGithub,
};

/** The streaming reporter for a format; loads its module on first use. */
export function loadStreamingReporter(format: ReportFormat): StreamingReporter {
  return LOADERS[format]();
}

/** The whole-report function for a format (the streaming one run over all files at once). */
export function loadReporter(format: ReportFormat): Reporter {
  return wholeReport(loadStreamingReporter(format));
}
