/**
 * `dockrepro fix`: rewrite Dockerfiles in place (atomically; unchanged files are not touched), or show the
 * change (`--dry-run`), or only tell whether anything would change (`--check`), or read stdin and write the
 * fixed text to stdout for an editor's save hook (nothing else on stdout). Loaded only for `fix`.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describeFsError, discover } from './discover';
import { fixText, type FixOutcome, type LeftFinding } from './fix';
import { lintOptions, stdinTarget, type LintRun } from './run';
import { decodeDockerfile } from './util/decode';
import { writeFileAtomic } from './edit/write';
import { meetsThreshold, type Io } from './cli';
import type { Threshold } from './config';
import type { LeftReason } from './fixers/types';

export interface FixFlags {
  dryRun: boolean;
  check: boolean;
  unsafe: boolean;
  offline: boolean;
  threshold?: Threshold;
  stdinFilename?: string;
}

interface FileOutcome {
  path: string;
  changed: boolean;
  fixed: number;
  left: LeftFinding[];
  /** 1-based positions of `left`, in the fixed text. */
  positions: { line: number; column: number }[];
  threshold: Threshold;
  error?: string;
  note?: string;
}

const LEFT_LABELS: Record<LeftReason, string> = {
  'no-fixer': 'no fix',
  unsafe: 'unsafe not enabled',
  'needs-network': 'needs network',
  failed: 'failed',
};

export async function runFix(paths: string[], flags: FixFlags, io: Io, run: LintRun, display: (abs: string) => string): Promise<number> {
  const out: FileOutcome[] = [];
  const lookups = new Map<string, Promise<unknown>>();
  if (paths[0] === '-') {
    const target = stdinTarget(io.cwd, flags.stdinFilename, run);
    const bytes = io.readStdin();
    const r = await fixOne(target.abs, target.name, bytes, flags, target.run, true, lookups);
    // The editor replaces its buffer with stdout: always the whole text, the original when nothing was fixed.
    io.stdout.write(r.output ?? bytes);
    out.push(r.outcome);
    io.stderr.write(summary(out, flags));
    return exitCode(out, flags);
  }

  const found = discover(paths.map((p) => resolve(io.cwd, p)));
  for (const e of found.errors) out.push(emptyOutcome(display(e.path), { error: e.message }));
  const progress = progressBar(io, found.files.length);
  for (const [i, file] of found.files.entries()) {
    progress(i, display(file));
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      out.push(emptyOutcome(display(file), { error: describeFsError(e) }));
      continue;
    }
    const r = await fixOne(file, display(file), bytes, flags, run, false, lookups);
    if (r.output && !flags.dryRun && !flags.check) {
      try {
        writeFileAtomic(file, r.output);
      } catch (e) {
        r.outcome.error = `could not write: ${describeFsError(e)} (the file is unchanged)`;
        r.outcome.changed = false;
      }
    }
    if (r.output && flags.dryRun) io.stdout.write(unifiedDiff(display(file), bytes.toString('utf8'), r.output.toString('utf8')));
    out.push(r.outcome);
  }
  progress(found.files.length, '');
  (flags.dryRun ? io.stderr : io.stdout).write(summary(out, flags));
  return exitCode(out, flags);
}

function emptyOutcome(path: string, extra: Partial<FileOutcome>): FileOutcome {
  return { path, changed: false, fixed: 0, left: [], positions: [], threshold: 'style', ...extra };
}

/** Fixes one file's bytes; `output` is set only when the bytes change. */
async function fixOne(
  abs: string,
  path: string,
  bytes: Buffer,
  flags: FixFlags,
  run: LintRun,
  fromStdin: boolean,
  lookups: Map<string, Promise<unknown>>,
) {
  const config = run.findConfig(dirname(abs));
  if (!fromStdin && config.isIgnored(abs)) return { outcome: emptyOutcome(path, { note: 'ignored by ignore-paths' }) };
  const decoded = decodeDockerfile(bytes);
  if (decoded.kind === 'empty') return { outcome: emptyOutcome(path, { note: 'empty file, nothing to fix' }) };
  if (decoded.kind === 'invalid') return { outcome: emptyOutcome(path, { error: decoded.reason }) };
  let result: FixOutcome;
  try {
    result = await fixText(decoded.text, {
      ...lintOptions(abs, config, run, fromStdin),
      unsafe: flags.unsafe,
      offline: flags.offline,
      baseId: config.baseId,
      lookups,
    });
  } catch (e) {
    return { outcome: emptyOutcome(path, { error: `could not fix: ${(e as Error).message} (the file is unchanged)` }) };
  }
  const changed = result.text !== decoded.text;
  const outcome: FileOutcome = {
    path,
    changed,
    fixed: result.applied.length,
    left: result.left,
    positions: result.left.map((l) => result.model.lines.position(l.finding.span.start)),
    threshold: flags.threshold ?? config.failureThreshold,
  };
  // The BOM was removed for parsing; it goes back so that only the edited bytes differ.
  const output = changed ? Buffer.from((decoded.bom ? '\uFEFF' : '') + result.text, 'utf8') : undefined;
  return { outcome, output };
}

function unifiedDiff(path: string, before: string, after: string): string {
  // Loaded only for --dry-run.
  const { createTwoFilesPatch } = require('diff') as typeof import('diff');
  return createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, undefined, undefined, { context: 3 });
}

/** A one-line progress indicator on a terminal, for runs long enough to want one; silent otherwise. */
function progressBar(io: Io, total: number): (done: number, current: string) => void {
  if (!io.stderr.isTTY || total < 20) return () => undefined;
  return (done, current) => {
    if (done >= total) io.stderr.write('\r\x1b[K');
    else io.stderr.write(`\r\x1b[K[${done + 1}/${total}] ${current.slice(-60)}`);
  };
}

function summary(files: FileOutcome[], flags: FixFlags): string {
  const lines: string[] = [];
  for (const f of files) {
    if (f.error) lines.push(`${f.path}: error: ${f.error}`);
    if (f.note) lines.push(`${f.path}: note: ${f.note}`);
    f.left.forEach((l, i) => {
      const { line, column } = f.positions[i];
      lines.push(`${f.path}:${line}:${column}: ${l.finding.rule} left (${LEFT_LABELS[l.left]}): ${l.reason}`);
    });
  }
  const scanned = files.filter((f) => !f.error).length;
  const changed = files.filter((f) => f.changed).length;
  const fixed = files.reduce((n, f) => n + f.fixed, 0);
  const left = files.flatMap((f) => f.left);
  const byReason = (Object.keys(LEFT_LABELS) as LeftReason[])
    .map((r) => [r, left.filter((l) => l.left === r).length] as const)
    .filter(([, n]) => n > 0)
    .map(([r, n]) => `${n} ${LEFT_LABELS[r]}`);
  const verb = flags.check || flags.dryRun ? 'would change' : 'changed';
  lines.push(
    `${scanned} file${scanned === 1 ? '' : 's'} scanned, ${changed} ${verb}, ${fixed} finding${fixed === 1 ? '' : 's'} fixed, ` +
      `${left.length} left${byReason.length ? ` (${byReason.join(', ')})` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

function exitCode(files: FileOutcome[], flags: FixFlags): number {
  if (files.some((f) => f.error)) return 2;
  if (flags.check && files.some((f) => f.changed)) return 1;
  return files.some((f) => f.left.some((l) => meetsThreshold(l.finding.severity, f.threshold))) ? 1 : 0;
}
