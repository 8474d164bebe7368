/**
 * `dockrepro fix`: rewrite Dockerfiles in place (atomically; unchanged files are not touched), or show the
 * change (`--dry-run`), or only tell whether anything would change (`--check`), or read stdin and write the
 * fixed text to stdout for an editor's save hook (nothing else on stdout). Loaded only for `fix`.
 */
import { dirname, resolve } from 'node:path';
import { describeFsError, discover, readDockerfile, type Discovery } from './discover';
import { fixText, type FixOutcome, type LeftFinding } from './fix';
import { lintOptions, stdinTarget, type LintRun } from './run';
import { decodeDockerfile } from './util/decode';
import { writeFileAtomic } from './edit/write';
import { CONTEXT_FILE_LIMIT, RefusedFile } from './util/safeRead';
import { NotContainedError, readContained, writeContainedAtomic } from './edit/contained';
import { meetsThreshold, type Io } from './cli';
import type { Threshold } from './config';
import type { ContextEdit, LeftReason, TextEdit } from './fixers/types';
import { applyEdits, overlaps } from './edit/apply';
import { Resolvers } from './resolve/resolvers';
import { printable } from './util/escape';

export interface FixFlags {
  dryRun: boolean;
  check: boolean;
  unsafe: boolean;
  offline: boolean;
  /** Re-resolve images even when the lock has them. */
  refresh: boolean;
  /** Use this lock file instead of the nearest `dockrepro.lock.json`. */
  lock?: string;
  /** Pin this platform's manifest instead of the multi-platform index. */
  platform?: string;
  /** Also pin requirement files copied from the build context, in place. */
  writeContext: boolean;
  /** Rewrite files that are read-only or have several hard links (the other names keep the old text). */
  force: boolean;
  threshold?: Threshold;
  stdinFilename?: string;
}

interface FileOutcome {
  path: string;
  changed: boolean;
  fixed: number;
  left: LeftFinding[];
  /** Titles of the fixes made (what and why), shown by --dry-run. */
  applied: string[];
  /** Edits this file's fixes make to build-context files (--write-context). */
  contextEdits?: ContextEdit[];
  /** The build-context files of each of its fixes that edits them (counted in `fixed` until a write fails). */
  contextFixes?: string[][];
  /** True for a build-context file written by --write-context (not a Dockerfile scanned). */
  contextFile?: boolean;
  /** 1-based positions of `left`, in the fixed text. */
  positions: { line: number; column: number }[];
  threshold: Threshold;
  error?: string;
  note?: string;
}

const LEFT_LABELS: Record<LeftReason, string> = {
  'no-fixer': 'no fixer',
  unsafe: 'unsafe not enabled',
  'needs-network': 'needs network',
  failed: 'failed',
};

/**
 * Files fixed at once: their registry lookups (each a chain: manifest, tag list, candidate HEADs) overlap, while
 * parsing and linting stay sequential (one thread). The HTTP limit (8 in flight) is the registry client's.
 */
const FILE_CONCURRENCY = 32;

export async function runFix(paths: string[], flags: FixFlags, io: Io, run: LintRun, display: (abs: string) => string): Promise<number> {
  const out: FileOutcome[] = [];
  const resolvers = new Resolvers(flags, io.env);
  run.lockSources?.push(resolvers.locks);
  run.userConfig = resolvers.userConfig?.path;
  if (paths[0] === '-') {
    const target = stdinTarget(io.cwd, flags.stdinFilename, run);
    const bytes = io.readStdin();
    const r = await fixOne(target.abs, target.name, bytes, flags, target.run, true, resolvers);
    // The editor replaces its buffer with stdout: always the whole text, the original when nothing was fixed.
    io.stdout.write(r.output ?? bytes);
    out.push(r.outcome);
    const locks = flags.dryRun || flags.check ? { lines: [], failed: false } : saveLocks(resolvers, display);
    io.stderr.write(summary(out, flags, locks.lines, resolvers.unreachableHosts()));
    return locks.failed ? 2 : exitCode(out, flags);
  }

  const found = discover(paths.map((p) => resolve(io.cwd, p)), run.discovery);
  for (const e of found.errors) out.push(emptyOutcome(display(e.path), { error: e.message }));
  for (const n of found.notes) io.stderr.write(`dockrepro: note: ${printable(display(n.path))}: ${printable(n.message)}\n`);
  const progress = progressLine(io, found.files.length, resolvers);
  const results = await mapLimit(found.files, FILE_CONCURRENCY, async (file) => {
    const r = await fixFile(found, file, display(file), flags, run, resolvers);
    progress.fileDone(display(file));
    return r;
  });
  progress.end();
  for (const r of results) {
    if (r.diff) io.stdout.write(r.diff);
    out.push(r.outcome);
  }
  for (const c of writeContextFiles(out, flags, display)) {
    if (c.diff) io.stdout.write(c.diff);
    out.push(c.outcome);
  }
  const locks = flags.dryRun || flags.check ? { lines: [], failed: false } : saveLocks(resolvers, display);
  (flags.dryRun ? io.stderr : io.stdout).write(summary(out, flags, locks.lines, resolvers.unreachableHosts()));
  return locks.failed ? 2 : exitCode(out, flags);
}

/** Reads, fixes and (unless --dry-run/--check) writes one file. */
async function fixFile(found: Discovery, file: string, path: string, flags: FixFlags, run: LintRun, resolvers: Resolvers): Promise<{ outcome: FileOutcome; diff?: string }> {
  let bytes: Buffer;
  let realPath: string;
  try {
    ({ bytes, realPath } = readDockerfile(found, file));
  } catch (e) {
    return { outcome: emptyOutcome(path, { error: describeFsError(e) }) };
  }
  const r = await fixOne(file, path, bytes, flags, run, false, resolvers);
  if (r.output && !flags.dryRun && !flags.check) {
    try {
      // A symlinked Dockerfile (its target inside the tree, or it was not read) is edited at its target:
      // replacing the link by a regular file would fork the two names.
      writeFileAtomic(realPath, r.output, { force: flags.force });
    } catch (e) {
      r.outcome.error = `${e instanceof RefusedFile ? 'not written' : 'could not write'}: ${describeFsError(e)} (the file is unchanged)`;
      r.outcome.changed = false;
      // Its own fixes were not written; only its build-context fixes (written separately) still count.
      r.outcome.fixed = r.outcome.contextFixes?.length ?? 0;
    }
  }
  const diff = r.output && flags.dryRun ? unifiedDiff(path, bytes.toString('utf8'), r.output.toString('utf8')) : undefined;
  return { outcome: r.outcome, diff };
}

/** Runs `fn` over `items` with at most `limit` at a time; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Applies the build-context edits of every Dockerfile's fixes (two Dockerfiles copying one requirements file
 * make the same edits: each once), and writes each file atomically; a clash or a file changed since it was
 * read is an error for that file, which is then left as it is.
 */
function writeContextFiles(files: FileOutcome[], flags: FixFlags, display: (abs: string) => string): { outcome: FileOutcome; diff?: string }[] {
  const byPath = new Map<string, { edits: TextEdit[]; expected: Set<string>; roots: Set<string> }>();
  for (const e of files.flatMap((f) => f.contextEdits ?? [])) {
    const entry = byPath.get(e.path) ?? { edits: [], expected: new Set<string>(), roots: new Set<string>() };
    entry.roots.add(e.root);
    for (const edit of e.edits) if (!entry.edits.some((o) => o.start === edit.start && o.end === edit.end && o.text === edit.text)) entry.edits.push(edit);
    entry.expected.add(e.expected);
    byPath.set(e.path, entry);
  }
  const out: { outcome: FileOutcome; diff?: string }[] = [];
  for (const [path, { edits, expected, roots }] of byPath) {
    const shown = display(path);
    // A file left as it is takes back the fixes counted for it, and the Dockerfiles say so.
    const notWritten = (error: string) => {
      out.push({ outcome: emptyOutcome(shown, { error, contextFile: true }) });
      for (const f of files) {
        const n = (f.contextFixes ?? []).filter((paths) => paths.includes(path)).length;
        if (n === 0) continue;
        f.fixed -= n;
        f.note = [f.note, `${n} fix${n === 1 ? '' : 'es'} to ${shown} not written`].filter(Boolean).join('; ');
      }
    };
    if (edits.some((a, i) => edits.some((b, j) => i !== j && overlaps(a, b)))) {
      notWritten('the fixes of several Dockerfiles disagree about this build-context file; it is unchanged');
      continue;
    }
    let before: string;
    let after: string;
    // Read and written only where the fixer found it, inside its build context: checked again now, since a
    // folder may have been swapped for a link while the lookups ran (edit/contained).
    try {
      before = readContained([...roots], path, CONTEXT_FILE_LIMIT).toString('utf8');
      if (expected.size !== 1 || !expected.has(before)) {
        notWritten('the file changed while it was being fixed; it is unchanged');
        continue;
      }
      after = applyEdits(before, edits);
    } catch (e) {
      notWritten(e instanceof NotContainedError ? `${e.message} (the file is unchanged)` : `could not update: ${describeFsError(e)} (the file is unchanged)`);
      continue;
    }
    if (!flags.dryRun && !flags.check && after !== before) {
      try {
        writeContainedAtomic([...roots], path, Buffer.from(after, 'utf8'), { force: flags.force });
      } catch (e) {
        if (e instanceof NotContainedError) notWritten(`${e.message} (the file is unchanged)`);
        else notWritten(`${e instanceof RefusedFile ? 'not written' : 'could not write'}: ${describeFsError(e)} (the file is unchanged)`);
        continue;
      }
    }
    const outcome = emptyOutcome(shown, { changed: after !== before, contextFile: true, note: 'build-context file pinned (--write-context)' });
    out.push({ outcome, diff: flags.dryRun && after !== before ? unifiedDiff(shown, before, after) : undefined });
  }
  return out;
}

/** Writes the lock files this run changed; returns a line per lock written, or the error (exit 2). */
function saveLocks(resolvers: Resolvers, display: (abs: string) => string): { lines: string[]; failed: boolean } {
  try {
    return { lines: resolvers.locks.saveAll().map((p) => `${display(p)}: lock file updated`), failed: false };
  } catch (e) {
    return { lines: [`error: could not write the lock file: ${describeFsError(e)} (the fixed Dockerfiles are written)`], failed: true };
  }
}

function emptyOutcome(path: string, extra: Partial<FileOutcome>): FileOutcome {
  return { path, changed: false, fixed: 0, left: [], applied: [], positions: [], threshold: 'style', ...extra };
}

/** Fixes one file's bytes; `output` is set only when the bytes change. */
async function fixOne(
  abs: string,
  path: string,
  bytes: Buffer,
  flags: FixFlags,
  run: LintRun,
  fromStdin: boolean,
  resolvers: Resolvers,
) {
  const config = run.findConfig(dirname(abs));
  if (!fromStdin && config.isIgnored(abs)) return { outcome: emptyOutcome(path, { note: 'ignored by ignore-paths' }) };
  const decoded = decodeDockerfile(bytes);
  if (decoded.kind === 'empty') return { outcome: emptyOutcome(path, { note: 'empty file, nothing to fix' }) };
  if (decoded.kind === 'invalid') return { outcome: emptyOutcome(path, { error: decoded.reason }) };
  let result: FixOutcome;
  const options = lintOptions(abs, config, run, fromStdin);
  try {
    const images = resolvers.pinnerFor(config, dirname(abs));
    result = await fixText(decoded.text, {
      ...options,
      unsafe: flags.unsafe,
      offline: flags.offline,
      baseId: config.baseId,
      pythonVersion: config.pythonVersion,
      nodeRuntime: config.nodeRuntime,
      lookups: resolvers.lookups,
      images,
      bases: resolvers.basesFor(config, dirname(abs), images),
      packages: resolvers.packagesFor(config, dirname(abs)),
      writeContext: flags.writeContext,
    });
  } catch (e) {
    return { outcome: emptyOutcome(path, { error: `could not fix: ${(e as Error).message} (the file is unchanged)` }) };
  }
  // A build-context file that was refused (a link out of the context, a device) was taken as missing: the
  // fixes may rest on that, so the Dockerfile is left as it is.
  const refused = options.buildContext?.refused ?? [];
  if (refused.length) return { outcome: emptyOutcome(path, { error: `build context: ${refused.join('; ')} (the file is unchanged)` }) };
  const changed = result.text !== decoded.text;
  const outcome: FileOutcome = {
    path,
    changed,
    fixed: result.applied.length,
    left: result.left,
    applied: result.applied.map((a) => a.title),
    contextEdits: result.contextEdits,
    contextFixes: result.applied.flatMap((a) => (a.contextPaths ? [a.contextPaths] : [])),
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
  return createTwoFilesPatch(`a/${printable(path)}`, `b/${printable(path)}`, before, after, undefined, undefined, { context: 3 });
}

/**
 * A one-line progress indicator on a terminal, for runs long enough to want one; silent otherwise. Redrawn
 * when a file is done and every half second, so a run waiting on the network shows the lookups in flight.
 */
function progressLine(io: Io, total: number, resolvers: Resolvers): { fileDone(path: string): void; end(): void } {
  if (!io.stderr.isTTY || total < 20) return { fileDone: () => undefined, end: () => undefined };
  let done = 0;
  let last = '';
  const draw = () => {
    const inFlight = resolvers.requestsInFlight();
    const down = resolvers.unreachableHosts().length;
    const parts = [`[${done}/${total}]`, inFlight ? `${inFlight} lookup${inFlight === 1 ? '' : 's'} in flight` : '', down ? `${down} host${down === 1 ? '' : 's'} unreachable` : '', printable(last).slice(-50)];
    io.stderr.write(`\r\x1b[K${parts.filter(Boolean).join('  ')}`);
  };
  const timer = setInterval(draw, 500);
  timer.unref();
  return {
    fileDone(path) {
      done++;
      last = path;
      draw();
    },
    end() {
      clearInterval(timer);
      io.stderr.write('\r\x1b[K');
    },
  };
}

/** What to do about a host that could not be reached, by what it serves and why it failed. */
function unreachableAdvice(serves: 'images' | 'packages', reason: string): string {
  const mirror = serves === 'images' ? 'set a mirror (registries: in .dockrepro.yaml)' : "point the package manager's index setting at a reachable mirror";
  const slow = reason.startsWith('no answer') ? '; if it is only slow, DOCKREPRO_CONNECT_TIMEOUT=<seconds> gives it longer' : '';
  return `use --offline to fix only what the lock file knows, or ${mirror}${slow}`;
}

/**
 * The `left` lines: one per finding, except that findings left for the same reason (one failed lookup: the
 * image-digest and image-tag findings of every file naming the image) share one line, at the first of them.
 */
function leftLines(files: FileOutcome[]): string[] {
  interface Group {
    at: string;
    rules: string[];
    label: string;
    reason: string;
    more: number;
    files: Set<string>;
  }
  const groups: Group[] = [];
  const failed = new Map<string, Group>();
  for (const f of files) {
    f.left.forEach((l, i) => {
      const { line, column } = f.positions[i];
      const at = `${f.path}:${line}:${column}`;
      const shared = l.left === 'failed' ? failed.get(l.reason) : undefined;
      if (!shared) {
        const g: Group = { at, rules: [l.finding.rule], label: LEFT_LABELS[l.left], reason: l.reason, more: 0, files: new Set([f.path]) };
        groups.push(g);
        if (l.left === 'failed') failed.set(l.reason, g);
      } else if (shared.at === at && !shared.rules.includes(l.finding.rule)) shared.rules.push(l.finding.rule);
      else {
        shared.more++;
        shared.files.add(f.path);
      }
    });
  }
  return groups.map((g) => {
    const others = g.files.size - 1;
    const also = g.more ? `; also ${g.more} more finding${g.more === 1 ? '' : 's'}${others ? ` in ${others} more file${others === 1 ? '' : 's'}` : ''}` : '';
    return `${g.at}: ${g.rules.join(', ')} left (${g.label}): ${g.reason}${also}`;
  });
}

function summary(files: FileOutcome[], flags: FixFlags, lockLines: string[], unreachable: { host: string; reason: string; serves: 'images' | 'packages' }[]): string {
  const lines: string[] = [];
  for (const f of files) {
    if (f.error) lines.push(`${f.path}: error: ${f.error}`);
    if (f.note) lines.push(`${f.path}: note: ${f.note}`);
    // --dry-run explains each change (which tag was chosen and why); a real run just does it.
    if (flags.dryRun) for (const title of new Set(f.applied)) lines.push(`${f.path}: would ${title}`);
  }
  // One push per line: a spread of 150k lines would overflow the call stack.
  for (const line of leftLines(files)) lines.push(line);
  // A host is named only when a finding was left because of it (an optional API such as Docker Hub's tag
  // list may be down while the registry itself answers).
  const reasons = files.flatMap((f) => f.left.map((l) => l.reason));
  for (const u of [...unreachable].sort((a, b) => a.host.localeCompare(b.host))) {
    if (reasons.some((r) => r.includes(`//${u.host}/`))) lines.push(`${u.host} unreachable (${u.reason}): ${unreachableAdvice(u.serves, u.reason)}`);
  }
  lines.push(...lockLines);
  const scanned = files.filter((f) => !f.error && !f.contextFile).length;
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
  // Paths, reasons and errors quote file names, files and registry answers: one line each, controls escaped.
  return `${lines.map(printable).join('\n')}\n`;
}

function exitCode(files: FileOutcome[], flags: FixFlags): number {
  if (files.some((f) => f.error)) return 2;
  if (flags.check && files.some((f) => f.changed)) return 1;
  return files.some((f) => f.left.some((l) => meetsThreshold(l.finding.severity, f.threshold))) ? 1 : 0;
}
