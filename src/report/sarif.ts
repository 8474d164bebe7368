/**
 * SARIF 2.1.0, for GitHub code scanning and other SARIF viewers: one run, every known rule in
 * `tool.driver.rules`, one result per finding, and files that could not be linted as tool notifications.
 */
import type { Severity } from '../rules/types';
import type { FileResult, ReportInput } from './types';
import { locate } from './index';
import { terminalSafeJson } from '../util/escape';

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

function notifications(files: readonly FileResult[]) {
  return files.flatMap((file) => {
    const notes: [Level, string][] = [];
    if (file.error !== undefined) notes.push(['error', file.error]);
    if (file.notice !== undefined) notes.push(['note', file.notice]);
    return notes.map(([level, text]) => ({
      level,
      message: { text },
      locations: [{ physicalLocation: { artifactLocation: artifactLocation(file.path) } }],
    }));
  });
}

export function formatSarif(input: ReportInput): string {
  const ruleIndex = new Map(input.rules.map((r, i) => [r.meta.id, i]));
  const results = input.files.flatMap((file) => {
    const location = artifactLocation(file.path);
    return file.findings.map((f) => {
      const at = locate(file, f);
      return {
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
      };
    });
  });
  const toolExecutionNotifications = notifications(input.files);
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'dockrepro',
            version: input.version,
            informationUri: INFORMATION_URI,
            rules: input.rules.map(({ meta }) => ({
              id: meta.id,
              shortDescription: { text: meta.summary },
              helpUri: `${HELP_URI}${meta.id}.md`,
              defaultConfiguration: { level: LEVELS[meta.severity] },
            })),
          },
        },
        invocations: [
          {
            executionSuccessful: !input.files.some((f) => f.error !== undefined),
            ...(toolExecutionNotifications.length > 0 && { toolExecutionNotifications }),
          },
        ],
        // Required with results (SARIF §3.14.27): our offsets, and so columns, count UTF-16 code units.
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
  // The values stay exact; only the bytes are made safe to print (util/escape).
  return terminalSafeJson(JSON.stringify(log, null, 2)) + '\n';
}
