/**
 * SARIF 2.1.0, for GitHub code scanning and other SARIF viewers: one run, every known rule in
 * `tool.driver.rules`, one result per finding, and files that could not be linted as tool notifications.
 */
import type { Severity } from '../rules/types';
import type { FileResult, StreamingReporter } from './types';
import { JsonArrayWriter, locate, wholeReport } from './index';

export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
const INFORMATION_URI = 'https://github.com/dockrepro/dockrepro';
const HELP_URI = 'https://github.com/dockrepro/dockrepro/blob/main/docs/rules/';

type Level = 'error' | 'warning' | 'note';

/** SARIF has no levels below `note`. */
const LEVELS: Record<Severity, Level> = { error: 'error', warning: 'warning', info: 'note', style: 'note' };

interface ArtifactLocation {
  uri: string;
  uriBaseId?: string;
}

/**
 * Relative paths are relative to the checkout (`%SRCROOT%`), which is how code scanning finds the file;
 * absolute ones become `file:` URIs. Segments are percent-encoded so a space or `#` stays a valid URI.
 */
export function artifactLocation(path: string): ArtifactLocation {
  const p = path.replace(/\\/g, '/');
  const encode = (segments: string) => segments.split('/').map(encodeURIComponent).join('/');
  const drive = /^([A-Za-z]:)\//.exec(p);
  if (drive) return { uri: `file:///${drive[1]}${encode(p.slice(2))}` };
  if (p.startsWith('/')) return { uri: `file://${encode(p)}` };
  return { uri: encode(p.replace(/^(\.\/)+/, '')), uriBaseId: '%SRCROOT%' };
}

/** The tool notifications of one file: its error and its note, if any. */
function notifications(file: FileResult) {
  const notes: [Level, string][] = [];
  if (file.error !== undefined) notes.push(['error', file.error]);
  if (file.notice !== undefined) notes.push(['note', file.notice]);
  return notes.map(([level, text]) => ({
    level,
    message: { text },
    locations: [{ physicalLocation: { artifactLocation: artifactLocation(file.path) } }],
  }));
}

/**
 * Results are written file by file; `invocations` (whether every file could be linted, and the notes) comes
 * after them, since only the end of the run knows it. Only the notifications are kept until then.
 */
export const streamSarif: StreamingReporter = ({ rules, version }) => {
  const ruleIndex = new Map(rules.map((r, i) => [r.meta.id, i]));
  const toolExecutionNotifications: ReturnType<typeof notifications> = [];
  let executionSuccessful = true;
  const writer = new JsonArrayWriter((results) => ({
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'dockrepro',
            version,
            informationUri: INFORMATION_URI,
            rules: rules.map(({ meta }) => ({
              id: meta.id,
              shortDescription: { text: meta.summary },
              helpUri: `${HELP_URI}${meta.id}.md`,
              defaultConfiguration: { level: LEVELS[meta.severity] },
            })),
          },
        },
        // Required with results (SARIF §3.14.27): our offsets, and so columns, count UTF-16 code units.
        columnKind: 'utf16CodeUnits',
        results,
        invocations: [
          {
            executionSuccessful,
            ...(toolExecutionNotifications.length > 0 && { toolExecutionNotifications }),
          },
        ],
      },
    ],
  }));
  return {
    start: () => writer.start(),
    file(file) {
      if (file.error !== undefined) executionSuccessful = false;
      toolExecutionNotifications.push(...notifications(file));
      const location = artifactLocation(file.path);
      return file.findings
        .map((f) => {
          const at = locate(file, f);
          return writer.item({
            ruleId: f.rule,
            ...(ruleIndex.has(f.rule) && { ruleIndex: ruleIndex.get(f.rule) }),
            level: LEVELS[f.severity],
            message: { text: f.message },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: location,
                  region: { startLine: at.line, startColumn: at.column, endLine: at.endLine, endColumn: at.endColumn },
                },
              },
            ],
          });
        })
        .join('');
    },
    end: () => `${writer.end()}\n`,
  };
};

export const formatSarif = wholeReport(streamSarif);
