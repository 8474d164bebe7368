/**
 * Checkstyle XML, read by Jenkins (warnings-ng), reviewdog, GitLab and many CI dashboards. Every linted file
 * gets a `<file>` element, so consumers can tell "checked, clean" from "not checked".
 */
import type { Severity } from '../rules/types';
import type { StreamingReporter } from './types';
import { locate, wholeReport } from './shared';
import { printableKeepingWhitespace } from '../util/escape';

/** Checkstyle severities are error, warning, info and ignore. */
const SEVERITIES: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'info', style: 'info' };

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // Written as references so that attribute-value normalisation does not turn them into spaces.
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/**
 * Escapes an attribute value. XML 1.0 cannot carry the other C0 controls, U+FFFE/U+FFFF or lone surrogates,
 * not even as character references, so those (and C1 and bidi controls, which viewers would show raw) are
 * written as visible `\xNN` / `\uNNNN` text instead (util/escape).
 */
export function xmlAttribute(s: string): string {
  return printableKeepingWhitespace(s).replace(/[&<>"'\t\n\r]/g, (c) => ENTITIES[c]);
}

function element(attributes: [string, string | number][]): string {
  return `    <error ${attributes.map(([k, v]) => `${k}="${xmlAttribute(String(v))}"`).join(' ')}/>`;
}

export const streamCheckstyle: StreamingReporter = () => ({
  start: () => '<?xml version="1.0" encoding="UTF-8"?>\n<checkstyle version="4.3">\n',
  file(file) {
    const errors: string[] = [];
    // A file that could not be linted has no position to point at; notices are not problems and are left out.
    if (file.error !== undefined) errors.push(element([['severity', 'error'], ['message', file.error], ['source', 'dockrepro']]));
    for (const f of file.findings) {
      const { line, column } = locate(file, f);
      errors.push(
        element([
          ['line', line],
          ['column', column],
          ['severity', SEVERITIES[f.severity]],
          ['message', f.message],
          ['source', `dockrepro.${f.rule}`],
        ]),
      );
    }
    const name = `name="${xmlAttribute(file.path)}"`;
    return errors.length ? `  <file ${name}>\n${errors.join('\n')}\n  </file>\n` : `  <file ${name}/>\n`;
  },
  end: () => '</checkstyle>\n',
});

export const formatCheckstyle = wholeReport(streamCheckstyle);
