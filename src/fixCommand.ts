/**
 * `dockrepro fix`: rewrite Dockerfiles in place (atomically; unchanged files are not touched), or show the
 * change (`--dry-run`), or only tell whether anything would change (`--check`), or read stdin and write the
 * fixed text to stdout for an editor's save hook (nothing else on stdout). Loaded only for `fix`.
 */
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, resolve } from 'node:path';
import { describeFsError, discover, readDockerfile, type Discovery } from './discover';
import { fixText, type FixOptions, type FixOutcome } from './fix';
import { lintOptions, parseNotes, stdinTarget, type LintRun } from './run';
import { decodeDockerfile } from './util/decode';
import { writeFileAtomic } from './edit/write';
import { CONTEXT_FILE_LIMIT, RefusedFile } from './util/safeRead';
import { NotContainedError, readContained, writeContainedAtomic } from './edit/contained';
import { meetsThreshold, type Io } from './cliIo';
import type { Config, Threshold } from './config';
import type { ContextEdit, LeftReason, TextEdit } from './fixers/types';
import { applyEdits, overlaps } from './edit/apply';
import { Resolvers } from './resolve/resolvers';
import { printable } from './util/escape';
import { tooManyFindings } from './limits';

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

/** What the summary keeps of one file: short lines and counts, never its text or model. */
interface FileOutcome {
  path: string;
  changed: boolean;
  fixed: number;
  left: LeftLine[];
  /** Titles of the fixes made (what and why), shown by --dry-run. */
  applied: string[];
  /** Edits this file's fixes make to build-context files (--write-context). */
  contextEdits?: ContextEdit[];
  /** The build-context files of each of its fixes that edits them (counted in `fixed` until a write fails). */
  contextFixes?: string[][];
  /** True for a build-context file written by --write-context (not a Dockerfile scanned). */
  contextFile?: boolean;
  /** True when a finding left meets the failure threshold of the file's config. */
  failing?: boolean;
  error?: string;
  note?: string;
}

/** A finding left as it is, as the summary prints it: its position is 1-based, in the fixed text. */
interface LeftLine {
  line: number;
  column: number;
  rule: string;
  left: LeftReason;
  reason: string;
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
  const resolvers = new Resolvers(flags, io.env);
  const summary = new FixSummary(flags);
  run.lockSources?.push(resolvers.locks);
  run.userConfig = resolvers.userConfig?.path;
  if (paths[0] === '-') {
    const target = stdinTarget(io.cwd, flags.stdinFilename, run);
    const bytes = io.readStdin();
    // A formatter: editors' formatter plugins (conform.nvim, ALE, …) keep stdout only on exit 0, as with
    // prettier or `ruff check --fix --exit-zero`. So findings left fail only when -t asks for it; errors
    // (exit 2) and --check (exit 1) still fail.
    const stdinFlags = { ...flags, threshold: flags.threshold ?? 'none' };
    const r = await fixOne(target.abs, target.name, bytes, stdinFlags, target.run, true, resolvers);
    // The editor replaces its buffer with stdout: always the whole text, the original when nothing was fixed.
    io.stdout.write(r.output ?? bytes);
    const locks = flags.dryRun || flags.check ? { lines: [], failed: false } : saveLocks(resolvers, display);
    io.stderr.write(summary.file(r.outcome) + summary.end(locks.lines, resolvers.unreachableHosts()));
    return locks.failed ? 2 : summary.exitCode();
  }

  // The summary is written file by file in the order of the files (to stderr with --dry-run, whose diffs go to
  // stdout), and a run keeps counts, not files: its memory does not grow with the tree.
  const report = flags.dryRun ? io.stderr : io.stdout;
  const found = discover(paths.map((p) => resolve(io.cwd, p)), run.discovery);
  for (const e of found.errors) report.write(summary.file(emptyOutcome(display(e.path), { error: e.message })));
  for (const n of found.notes) io.stderr.write(`dockrepro: note: ${printable(display(n.path))}: ${printable(n.message)}\n`);
  const progress = progressLine(io, found.files.length, resolvers);
  const context = new ContextEditsOfRun();
  await forEachInOrder(
    found.files,
    FILE_CONCURRENCY,
    async (file) => {
      const r = await fixFile(found, file, display(file), flags, run, resolvers);
      progress.fileDone(display(file));
      return r;
    },
    (r) => {
      progress.clear();
      if (r.diff) io.stdout.write(r.diff);
      context.add(r.outcome);
      report.write(summary.file(r.outcome));
    },
  );
  progress.clear();
  context.write(flags, display, {
    file(c) {
      if (c.diff) io.stdout.write(c.diff);
      report.write(summary.file(c.outcome));
    },
    takenBack(dockerfile, fixes, shown) {
      // The Dockerfile's fixes to a file left as it is are taken back, and the Dockerfile says so.
      report.write(summary.takeBack(dockerfile, fixes, shown));
    },
  });
  const locks = flags.dryRun || flags.check ? { lines: [], failed: false } : saveLocks(resolvers, display);
  report.write(summary.end(locks.lines, resolvers.unreachableHosts()));
  return locks.failed ? 2 : summary.exitCode();
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

/**
 * Runs `fn` over `items` with at most `limit` at a time and hands each result to `emit` in input order, as
 * soon as it and those before it are done: at most `limit` results wait at once, however many items.
 */
async function forEachInOrder<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>, emit: (result: R) => void): Promise<void> {
  const pending: Promise<R>[] = [];
  for (const item of items) {
    const p = fn(item);
    // Awaited in turn below; a rejection before its turn must not count as unhandled.
    p.catch(() => undefined);
    pending.push(p);
    if (pending.length >= limit) emit(await pending.shift()!);
  }
  while (pending.length) emit(await pending.shift()!);
}

/**
 * The build-context edits of every Dockerfile's fixes, gathered as the files are done: per build-context file,
 * its distinct edits (two Dockerfiles copying one requirements file make the same edits: each once), a hash of
 * the text they were made against, and per Dockerfile how many of its fixes rest on the file.
 */
class ContextEditsOfRun {
  private readonly byPath = new Map<string, { edits: Map<string, TextEdit>; expected: Set<string>; roots: Set<string>; fixesBy: Map<string, number> }>();

  add(outcome: FileOutcome): void {
    for (const e of outcome.contextEdits ?? []) {
      const entry = this.entry(e.path);
      entry.roots.add(e.root);
      for (const edit of e.edits) entry.edits.set(`${edit.start}\u0000${edit.end}\u0000${edit.text}`, edit);
      entry.expected.add(textHash(e.expected));
    }
    for (const paths of outcome.contextFixes ?? []) {
      for (const path of new Set(paths)) {
        const fixesBy = this.entry(path).fixesBy;
        fixesBy.set(outcome.path, (fixesBy.get(outcome.path) ?? 0) + 1);
      }
    }
  }

  /**
   * Applies the edits and writes each file atomically; a clash or a file changed since it was read is an error
   * for that file, which is then left as it is, and the fixes of the Dockerfiles resting on it are taken back.
   */
  write(flags: FixFlags, display: (abs: string) => string, on: { file(c: { outcome: FileOutcome; diff?: string }): void; takenBack(dockerfile: string, fixes: number, shown: string): void }): void {
    for (const [path, { edits: byKey, expected, roots, fixesBy }] of this.byPath) {
      if (byKey.size === 0) continue;
      const edits = [...byKey.values()];
      const shown = display(path);
      const notWritten = (error: string) => {
        on.file({ outcome: emptyOutcome(shown, { error, contextFile: true }) });
        for (const [dockerfile, n] of fixesBy) on.takenBack(dockerfile, n, shown);
      };
      if (anyOverlap(edits)) {
        notWritten('the fixes of several Dockerfiles disagree about this build-context file; it is unchanged');
        continue;
      }
      let before: string;
      let after: string;
      // Read and written only where the fixer found it, inside its build context: checked again now, since a
      // folder may have been swapped for a link while the lookups ran (edit/contained).
      try {
        before = readContained([...roots], path, CONTEXT_FILE_LIMIT).toString('utf8');
        if (expected.size !== 1 || !expected.has(textHash(before))) {
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
      on.file({ outcome, diff: flags.dryRun && after !== before ? unifiedDiff(shown, before, after) : undefined });
    }
  }

  private entry(path: string) {
    let entry = this.byPath.get(path);
    if (!entry) this.byPath.set(path, (entry = { edits: new Map(), expected: new Set(), roots: new Set(), fixesBy: new Map() }));
    return entry;
  }
}

/** Whether any two edits overlap (sorted by start, each is compared only with those starting inside it). */
function anyOverlap(edits: readonly TextEdit[]): boolean {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length && (sorted[j].start < sorted[i].end || sorted[j].start === sorted[i].start); j++) {
      if (overlaps(sorted[i], sorted[j])) return true;
    }
  }
  return false;
}

function textHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
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
  return { path, changed: false, fixed: 0, left: [], applied: [], ...extra };
}

/** The rules, resolvers and settings the fix engine uses for the file at `abs` (also the language server's). */
export function fixOptions(
  abs: string,
  config: Config,
  run: LintRun,
  fromStdin: boolean,
  flags: Pick<FixFlags, 'unsafe' | 'offline' | 'writeContext'>,
  resolvers: Resolvers,
): FixOptions {
  const images = resolvers.pinnerFor(config, dirname(abs));
  return {
    ...lintOptions(abs, config, run, fromStdin),
    unsafe: flags.unsafe,
    offline: flags.offline,
    baseId: config.baseId,
    pythonVersion: config.pythonVersion,
    apkPin: config.apkPin,
    apt: config.apt,
    nodeRuntime: config.nodeRuntime,
    lookups: resolvers.lookups,
    images,
    bases: resolvers.basesFor(config, dirname(abs), images),
    packages: resolvers.packagesFor(config, dirname(abs)),
    writeContext: flags.writeContext,
  };
}

/** Fixes one file's bytes; `output` is set only when the bytes change. */
export async function fixOne(
  abs: string,
  path: string,
  bytes: Buffer,
  flags: Pick<FixFlags, 'unsafe' | 'offline' | 'writeContext' | 'threshold'>,
  run: LintRun,
  fromStdin: boolean,
  resolvers: Resolvers,
): Promise<{ outcome: FileOutcome; output?: Buffer }> {
  const config = run.findConfig(dirname(abs));
  if (!fromStdin && config.isIgnored(abs)) return { outcome: emptyOutcome(path, { note: 'ignored by ignore-paths' }) };
  const decoded = decodeDockerfile(bytes);
  if (decoded.kind === 'empty') return { outcome: emptyOutcome(path, { note: 'empty file, nothing to fix' }) };
  if (decoded.kind === 'invalid') return { outcome: emptyOutcome(path, { error: decoded.reason }) };
  let result: FixOutcome;
  let options: FixOptions;
  try {
    options = fixOptions(abs, config, run, fromStdin, flags, resolvers);
    result = await fixText(decoded.text, options);
  } catch (e) {
    return { outcome: emptyOutcome(path, { error: `could not fix: ${(e as Error).message} (the file is unchanged)` }) };
  }
  // A build-context file that was refused (a link out of the context, a device) was taken as missing: the
  // fixes may rest on that, so the Dockerfile is left as it is.
  const refused = options.buildContext?.refused ?? [];
  if (refused.length) return { outcome: emptyOutcome(path, { error: `build context: ${refused.join('; ')} (the file is unchanged)` }) };
  const changed = result.text !== decoded.text;
  const threshold = flags.threshold ?? config.failureThreshold;
  // Problems BuildKit would stop at (CR-only lines, an invalid escape directive, …), as lint reports them.
  const notes = parseNotes(result.model);
  if (result.tooManyFindings) notes.unshift(tooManyFindings(true));
  const outcome: FileOutcome = {
    path,
    changed,
    fixed: result.applied.length,
    left: result.left.map((l) => ({ ...result.model.lines.position(l.finding.span.start), rule: l.finding.rule, left: l.left, reason: l.reason })),
    applied: [...new Set(result.applied.map((a) => a.title))],
    contextEdits: result.contextEdits,
    contextFixes: result.applied.flatMap((a) => (a.contextPaths ? [a.contextPaths] : [])),
    failing: result.left.some((l) => meetsThreshold(l.finding.severity, threshold)),
    ...(notes.length && { note: notes.join('; ') }),
  };
  // The BOM was removed for parsing; it goes back so that only the edited bytes differ.
  const output = changed ? Buffer.from((decoded.bom ? '\uFEFF' : '') + result.text, 'utf8') : undefined;
  return { outcome, output };
}

function unifiedDiff(path: string, before: string, after: string): string {
  // Loaded only for --dry-run.
  const { createTwoFilesPatch } = require('diff') as typeof import('diff');
  // git's a/ b/ prefixes for a path relative to where the user is (patch -p1 applies it); a path outside
  // (shown absolute) is named as it is, as diff -u does, rather than as `a//tmp/…`.
  const shown = printable(path);
  const [from, to] = isAbsolute(path) ? [shown, shown] : [`a/${shown}`, `b/${shown}`];
  return createTwoFilesPatch(from, to, before, after, undefined, undefined, { context: 3 });
}

/**
 * A one-line progress indicator on a terminal, for runs long enough to want one; silent otherwise. Redrawn
 * when a file is done and every half second, so a run waiting on the network shows the lookups in flight.
 */
function progressLine(io: Io, total: number, resolvers: Resolvers): { fileDone(path: string): void; clear(): void } {
  if (!io.stderr.isTTY || total < 20) return { fileDone: () => undefined, clear: () => undefined };
  let done = 0;
  let last = '';
  let shown = false;
  const draw = () => {
    const inFlight = resolvers.requestsInFlight();
    const down = resolvers.unreachableHosts().length;
    const parts = [`[${done}/${total}]`, inFlight ? `${inFlight} lookup${inFlight === 1 ? '' : 's'} in flight` : '', down ? `${down} host${down === 1 ? '' : 's'} unreachable` : '', printable(last).slice(-50)];
    io.stderr.write(`\r\x1b[K${parts.filter(Boolean).join('  ')}`);
    shown = true;
  };
  const timer = setInterval(draw, 500);
  timer.unref();
  return {
    fileDone(path) {
      done++;
      last = path;
      draw();
    },
    // Before a summary line is written (it may go to the same terminal), the line is wiped; the timer
    // draws it again while files remain.
    clear() {
      if (done >= total) clearInterval(timer);
      if (shown) io.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

/**
 * The summary of a run, written as it goes: `file` gives one file's lines, `end` the lock lines and totals.
 * It keeps the counts, not the files.
 */
class FixSummary {
  private scanned = 0;
  private changed = 0;
  private fixed = 0;
  private readonly leftBy: Record<LeftReason, number> = { 'no-fixer': 0, unsafe: 0, 'needs-network': 0, failed: 0 };
  private errors = 0;
  private failing = 0;
  /**
   * Findings left by one failed lookup (the image-digest and image-tag findings of every file naming an
   * unreachable image) share one line, written at the end: one entry per failed lookup, not per finding.
   */
  private readonly failed = new Map<string, { at: string; path: string; rules: string[]; more: number; otherFiles: number; lastPath: string }>();

  constructor(private readonly flags: FixFlags) {}

  file(f: FileOutcome): string {
    if (f.error) this.errors++;
    else if (!f.contextFile) this.scanned++;
    if (f.changed) this.changed++;
    if (f.failing) this.failing++;
    this.fixed += f.fixed;
    const lines: string[] = [];
    if (f.error) lines.push(`${f.path}: error: ${f.error}`);
    if (f.note) lines.push(`${f.path}: note: ${f.note}`);
    // --dry-run explains each change (which tag was chosen and why); a real run just does it.
    if (this.flags.dryRun) for (const title of f.applied) lines.push(`${f.path}: would ${title}`);
    for (const l of f.left) {
      this.leftBy[l.left]++;
      const at = `${f.path}:${l.line}:${l.column}`;
      if (l.left !== 'failed') {
        lines.push(`${at}: ${l.rule} left (${LEFT_LABELS[l.left]}): ${l.reason}`);
        continue;
      }
      const group = this.failed.get(l.reason);
      if (!group) this.failed.set(l.reason, { at, path: f.path, rules: [l.rule], more: 0, otherFiles: 0, lastPath: f.path });
      else if (group.at === at && !group.rules.includes(l.rule)) group.rules.push(l.rule);
      else {
        group.more++;
        if (f.path !== group.lastPath && f.path !== group.path) group.otherFiles++;
        group.lastPath = f.path;
      }
    }
    return printLines(lines);
  }

  /** `fixes` of `dockerfile` rest on a build-context file that was left as it is: they are not counted. */
  takeBack(dockerfile: string, fixes: number, contextFile: string): string {
    this.fixed -= fixes;
    return printLines([`${dockerfile}: note: ${fixes} fix${fixes === 1 ? '' : 'es'} to ${contextFile} not written`]);
  }

  end(lockLines: string[], unreachable: { host: string; reason: string; serves: 'images' | 'packages' }[] = []): string {
    const lines: string[] = [];
    for (const [reason, g] of this.failed) {
      const also = g.more ? `; also ${g.more} more finding${g.more === 1 ? '' : 's'}${g.otherFiles ? ` in ${g.otherFiles} more file${g.otherFiles === 1 ? '' : 's'}` : ''}` : '';
      lines.push(`${g.at}: ${g.rules.join(', ')} left (${LEFT_LABELS.failed}): ${reason}${also}`);
    }
    // A host is named only when a finding was left because of it (an optional API such as Docker Hub's tag
    // list may be down while the registry itself answers).
    for (const u of [...unreachable].sort((a, b) => a.host.localeCompare(b.host))) {
      if ([...this.failed.keys()].some((r) => r.includes(`//${u.host}/`))) lines.push(`${u.host} unreachable (${u.reason}): ${unreachableAdvice(u.serves, u.reason)}`);
    }
    const left = Object.values(this.leftBy).reduce((a, b) => a + b, 0);
    const byReason = (Object.keys(LEFT_LABELS) as LeftReason[]).filter((r) => this.leftBy[r] > 0).map((r) => `${this.leftBy[r]} ${LEFT_LABELS[r]}`);
    const verb = this.flags.check || this.flags.dryRun ? 'would change' : 'changed';
    const { scanned, changed, fixed } = this;
    return printLines([
      ...lines,
      ...lockLines,
      `${scanned} file${scanned === 1 ? '' : 's'} scanned, ${changed} ${verb}, ${fixed} finding${fixed === 1 ? '' : 's'} fixed, ` +
        `${left} left${byReason.length ? ` (${byReason.join(', ')})` : ''}`,
    ]);
  }

  exitCode(): number {
    if (this.errors) return 2;
    if (this.flags.check && this.changed) return 1;
    return this.failing ? 1 : 0;
  }
}

/** What to do about a host that could not be reached, by what it serves and why it failed. */
function unreachableAdvice(serves: 'images' | 'packages', reason: string): string {
  const mirror = serves === 'images' ? 'set a mirror (registries: in .dockrepro.yaml)' : "point the package manager's index setting at a reachable mirror";
  const slow = reason.startsWith('no answer') ? '; if it is only slow, DOCKREPRO_CONNECT_TIMEOUT=<seconds> gives it longer' : '';
  return `use --offline to fix only what the lock file knows, or ${mirror}${slow}`;
}

/** Paths, reasons and errors quote file names, files and registry answers: one line each, controls escaped. */
function printLines(lines: string[]): string {
  return lines.map((l) => `${printable(l)}\n`).join('');
}
