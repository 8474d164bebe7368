/**
 * SARIF 2.1.0, for GitHub code scanning and other SARIF viewers: one run, every known rule in
 * `tool.driver.rules`, one result per finding, and files that could not be linted as tool notifications.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Finding, Severity } from '../rules/types';
import type { FileResult, StreamingReporter } from './types';
import { JsonArrayWriter, locate, wholeReport } from './shared';
import { ruleDescriptor } from './sarifRules';

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

const encode = (segments: string) => segments.split('/').map(encodeURIComponent).join('/');

/** A `file:` URI for an absolute path (POSIX or Windows). */
function fileUri(p: string): string {
  const drive = /^([A-Za-z]:)\//.exec(p);
  if (drive) return `file:///${drive[1]}${encode(p.slice(2))}`;
  return `file://${encode(p)}`;
}

/**
 * The checkout that `%SRCROOT%` stands for: the nearest folder above `cwd` with a `.git` (code scanning maps
 * paths from the repository root), else `cwd` itself.
 */
export function sourceRoot(cwd: string): string {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return resolve(cwd);
  }
}

/**
 * Paths are relative to the checkout (`%SRCROOT%`), which is how code scanning finds the file: a path as the
 * user gave it is resolved against `cwd` and made relative to `root`; one outside `root` (or any absolute one
 * when there is no root) becomes a `file:` URI. Segments are percent-encoded so a space or `#` stays a valid URI.
 */
export function artifactLocation(path: string, where?: { root: string; cwd: string }): ArtifactLocation {
  let p = path.replace(/\\/g, '/');
  if (where && p !== '-' && sep === '/') {
    const rel = relative(where.root, resolve(where.cwd, p));
    if (!isAbsolute(rel) && rel !== '..' && !rel.startsWith('../')) p = rel || '.';
    else p = resolve(where.cwd, p);
  }
  if (/^[A-Za-z]:\//.test(p) || p.startsWith('/')) return { uri: fileUri(p) };
  return { uri: encode(p.replace(/^(\.\/)+/, '')), uriBaseId: '%SRCROOT%' };
}

/**
 * A fingerprint that survives lines moving: the rule, the finding's message (which names the image, package
 * or command, not the line) and which occurrence of that pair in the file it is.
 */
function fingerprints(findings: readonly Finding[]): string[] {
  const seen = new Map<string, number>();
  return findings.map((f) => {
    const key = `${f.rule}\u0000${f.message.replace(/\s+/g, ' ').trim()}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return `${createHash('sha256').update(key).digest('hex').slice(0, 32)}:${n + 1}`;
  });
}

/** The tool notifications of one file: its error and its note, if any. */
function notifications(file: FileResult, where: { root: string; cwd: string }) {
  const notes: [Level, string][] = [];
  if (file.error !== undefined) notes.push(['error', file.error]);
  if (file.notice !== undefined) notes.push(['note', file.notice]);
  return notes.map(([level, text]) => ({
    level,
    message: { text },
    locations: [{ physicalLocation: { artifactLocation: artifactLocation(file.path, where) } }],
  }));
}

/**
 * Results are written file by file; `invocations` (whether every file could be linted, and the notes) comes
 * after them, since only the end of the run knows it. Only the notifications are kept until then.
 */
export const streamSarif: StreamingReporter = ({ rules, version, cwd = process.cwd() }) => {
  const where = { cwd, root: sourceRoot(cwd) };
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
            rules: rules.map(({ meta }) => ruleDescriptor(meta, LEVELS[meta.severity], HELP_URI)),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: `${fileUri(where.root.replace(/\\/g, '/')).replace(/\/?$/, '/')}` } },
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
      toolExecutionNotifications.push(...notifications(file, where));
      const location = artifactLocation(file.path, where);
      const prints = fingerprints(file.findings);
      return file.findings
        .map((f, i) => {
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
            partialFingerprints: { 'dockrepro/v1': prints[i] },
          });
        })
        .join('');
    },
    end: () => `${writer.end()}\n`,
  };
};

export const formatSarif = wholeReport(streamSarif);
