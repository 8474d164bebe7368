/** Lints one file: read, decode, parse, run the enabled rules. Every failure becomes a message, never a throw. */
import { dirname, resolve } from 'node:path';
import { parseDockerfile, type DockerfileModel } from './parse/dockerfile';
import { lintModel, type LintOptions } from './lint';
import { BuildContext } from './context';
import { decodeDockerfile } from './util/decode';
import { describeFsError, type DiscoverOptions } from './discover';
import { MAX_FINDINGS_PER_FILE, tooManyFindings } from './limits';
import { RULES } from './rules/index';
import { pragmaNotes } from './suppress';
import type { Config } from './config';
import type { FileResult } from './report/types';
import type { LockFiles } from './resolve/lock';

export interface LintRun {
  /** `--rules`: only these rule ids. */
  only?: string[];
  /** `--disable`: these rule ids off. */
  disabled: Set<string>;
  /** `--context`: the build context folder for every file. */
  contextDir?: string;
  findConfig(dir: string): Config;
  /** `lint --verify-lock`: the lock files pinned digests are checked against (rule image-lock). */
  locks?: LockFiles;
  /** Every set of lock files this run consulted (verify-lock's, fix's), for notes and `--verbose`. */
  lockSources?: LockFiles[];
  /** The user's own config file, when `fix` read one (for `--verbose`). */
  userConfig?: string;
  /** How folder walks pick files besides the usual names (`--glob`, the config's `include`). */
  discovery?: DiscoverOptions;
}

/**
 * `abs` locates config and build context; `path` is what reports show. Returns undefined when the config's
 * `ignore-paths` excludes the file. ConfigError propagates (it is a usage error for the whole run).
 */
export function lintFile(abs: string, path: string, read: () => Buffer, run: LintRun, fromStdin = false): FileResult | undefined {
  const config = run.findConfig(dirname(abs));
  if (!fromStdin && config.isIgnored(abs)) return undefined;
  const result: FileResult = { path, findings: [], threshold: config.failureThreshold };
  let bytes: Buffer;
  try {
    bytes = read();
  } catch (e) {
    result.error = describeFsError(e);
    return result;
  }
  const decoded = decodeDockerfile(bytes);
  if (decoded.kind === 'invalid') {
    result.error = decoded.reason;
    return result;
  }
  let model: DockerfileModel;
  try {
    // An empty file is linted as one: BuildKit refuses it ('file with no instructions', rule syntax).
    model = parseDockerfile(decoded.kind === 'empty' ? '' : decoded.text);
  } catch (e) {
    result.error = `could not parse: ${(e as Error).message}`;
    return result;
  }
  result.lines = model.lines;
  const options = lintOptions(abs, config, run, fromStdin);
  if (run.locks) {
    try {
      options.lock = run.locks.forDir(dirname(abs));
    } catch (e) {
      result.error = (e as Error).message;
      return result;
    }
    if (options.lock.untrusted !== undefined) {
      result.error = `--verify-lock: not using ${options.lock.path}: ${options.lock.untrusted} (pass --lock to use it)`;
      return result;
    }
    if (!options.lock.found) {
      result.error = `--verify-lock: no lock file at ${options.lock.path} (it is written by 'dockrepro fix')`;
      return result;
    }
  }
  result.findings = lintModel(model, options);
  const refused = options.buildContext?.refused ?? [];
  if (refused.length) result.error = `build context: ${refused.join('; ')}`;
  const notes = [...parseNotes(model), ...pragmaNotes(model)];
  if (result.findings.length > MAX_FINDINGS_PER_FILE) {
    result.findings = result.findings.slice(0, MAX_FINDINGS_PER_FILE);
    notes.unshift(tooManyFindings(false));
  }
  if (notes.length) result.notice = notes.join('; ');
  return result;
}

/**
 * Where text read from stdin lives: an editor passes the real path with --stdin-filename, so its folder is
 * the build context and where config is searched. Without a name, config is searched from the cwd and there
 * is no build context.
 */
export function stdinTarget(cwd: string, stdinFilename: string | undefined, run: LintRun): { abs: string; name: string; run: LintRun } {
  const abs = resolve(cwd, stdinFilename ?? 'Dockerfile');
  return {
    abs,
    name: stdinFilename ?? '-',
    run: { ...run, contextDir: run.contextDir ?? (stdinFilename ? dirname(abs) : undefined) },
  };
}

/** The rules, severities and build context that apply to the file at `abs`. */
export function lintOptions(abs: string, config: Config, run: LintRun, fromStdin: boolean): LintOptions {
  const rules = RULES.filter(
    (r) => !config.disabled.has(r.meta.id) && !run.disabled.has(r.meta.id) && (!run.only || run.only.includes(r.meta.id)),
  );
  const contextDir = run.contextDir ?? (fromStdin ? undefined : dirname(abs));
  return { rules, severities: config.severities, buildContext: contextDir ? new BuildContext(contextDir) : undefined };
}

/**
 * Problems BuildKit's parser lets through but that break or change the build, reported as notes: line breaks
 * BuildKit does not see, unbalanced shell syntax. What BuildKit refuses outright
 * is rule `syntax` (src/rules/syntax.ts).
 */
export function parseNotes(model: DockerfileModel): string[] {
  const notes: string[] = [];
  const loneCr = model.text.includes('\r') ? /\r(?!\n)/.exec(model.text) : null;
  if (loneCr) {
    notes.push(
      model.text.includes('\n')
        ? `line ${model.lines.position(loneCr.index).line}: a carriage return without a line feed ends this line here, but not in BuildKit (it stays part of the instruction)`
        : 'CR-only line endings (classic Mac): BuildKit reads the whole file as one line and cannot build it; save it with LF line endings',
    );
  }
  for (const block of [...model.runs, ...model.copies]) {
    const line = model.lines.position(block.span.start).line;
    const keyword = 'keyword' in block ? block.keyword : 'RUN';
    // An unterminated here-document BuildKit sees is rule syntax's error; the shell's own view of it is not repeated.
    const reported = block.unterminatedHeredoc === undefined ? undefined : `unterminated here-document '${block.unterminatedHeredoc}'`;
    for (const p of new Set(block.problems)) if (p !== reported) notes.push(`line ${line}: ${keyword}: ${p}`);
  }
  return notes;
}
