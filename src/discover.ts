/**
 * Finds Dockerfiles under folders: the names src/dockerfileName.ts takes, plus `--glob` patterns and the
 * nearest config's `include:` (src/include.ts), honouring `.gitignore` files (each applies to its own
 * subtree) and skipping `.git` and `node_modules`. A file named explicitly is linted whatever its name.
 * A folder that yields nothing is an error that says what was looked at; files left out whose names and
 * first bytes look like Dockerfiles get a note.
 */
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { Ignore } from 'ignore';
import { DOCKERFILE_LIMIT, IGNORE_FILE_LIMIT, readRegularFile, RealFolders, type Boundary, type ReadFile } from './util/safeRead';
import { DOCKERFILE_NAME_FORMS, isDockerfileName, isNearMissName, SNIFF_BYTES, startsLikeDockerfile } from './dockerfileName';
import { includeMatcher, type IncludeMatcher } from './include';
import { CONFIG_NAMES } from './config';

export { isDockerfileName } from './dockerfileName';

const SKIP_DIRS = new Set(['.git', 'node_modules', '.hg', '.svn']);
/** Near-miss files whose first bytes are read per run: enough for a useful note, bounded on any tree. */
const MAX_SNIFFED = 32;

export interface DiscoverOptions {
  /** `--glob`: more names, relative to each folder the user named. */
  globs?: readonly string[];
  /** The config that applies to files in a folder: its `include` adds names there (the nearest config wins). */
  configFor?: (dir: string) => { isIncluded: IncludeMatcher };
}

export interface Discovery {
  files: string[];
  /** Paths that could not be read (message per path). */
  errors: { path: string; message: string }[];
  /** Said about a named folder without failing (files that look like Dockerfiles but were not taken). */
  notes: { path: string; message: string }[];
  /** The tree each file must resolve into: the folder the user named, or a named file's own folder. */
  boundaries: Map<string, Boundary>;
  /** The files' folders, resolved once each (for discovery's boundaries and readDockerfile). */
  folders: RealFolders;
}

interface IgnoreLayer {
  base: string;
  matcher: Ignore;
}

/** One named folder's walk: what it matches, and what it saw (for the messages). */
interface Walk {
  /** The folder the user named. */
  root: string;
  out: Discovery;
  boundary: Boundary;
  glob: IncludeMatcher;
  configFor?: DiscoverOptions['configFor'];
  filesSeen: number;
  ignoredEntries: number;
  /** Files not taken whose names and first bytes look like Dockerfiles. */
  lookAlikes: string[];
  sniffs: { left: number };
}

/** Expands the given paths into Dockerfiles, in a stable order. */
export function discover(paths: string[], options: DiscoverOptions = {}): Discovery {
  // Files named one by one (`lint a/*`) mostly share folders: each folder is resolved once per run.
  const out: Discovery = { files: [], errors: [], notes: [], boundaries: new Map(), folders: new RealFolders() };
  const sniffs = { left: MAX_SNIFFED };
  for (const p of paths) {
    let st;
    let boundary: Boundary;
    try {
      st = statSync(p);
      boundary = st.isDirectory()
        ? { realDir: realpathSync.native(p), what: 'the folder you named' }
        : { realDir: out.folders.of(dirname(p)), what: 'its folder (name the target itself, or a folder that holds both)' };
    } catch (e) {
      out.errors.push({ path: p, message: describeFsError(e) });
      continue;
    }
    const before = out.files.length;
    if (st.isDirectory()) {
      const w: Walk = {
        root: p, out, boundary, configFor: options.configFor, filesSeen: 0, ignoredEntries: 0, lookAlikes: [], sniffs,
        glob: includeMatcher(options.globs ?? [], p),
      };
      walk(p, [], options.configFor?.(p).isIncluded, w);
      const found = out.files.length - before;
      if (found === 0) out.errors.push({ path: p, message: nothingFound(w, !!options.globs?.length) });
      else if (w.lookAlikes.length) out.notes.push({ path: p, message: lookAlikeNote(w) });
    } else out.files.push(p);
    for (const f of out.files.slice(before)) out.boundaries.set(f, boundary);
  }
  return out;
}

const HOW_TO_ADD = "add --glob PATTERN or 'include:' in .dockrepro.yaml for other names, or name the files";

function nothingFound(w: Walk, withGlobs: boolean): string {
  const ignored = w.ignoredEntries ? ` (besides ${w.ignoredEntries} entr${w.ignoredEntries === 1 ? 'y' : 'ies'} .gitignore excludes)` : '';
  if (w.filesSeen === 0) return `no Dockerfiles found in this folder: it holds no files${ignored}`;
  const seen = `${w.filesSeen} file${w.filesSeen === 1 ? '' : 's'} looked at${ignored}`;
  const named = `none named like a Dockerfile (${DOCKERFILE_NAME_FORMS})${withGlobs ? ' or matching --glob' : ''}`;
  const alike = w.lookAlikes.length ? `; ${lookAlikes(w)}` : '';
  return `no Dockerfiles found in this folder: ${seen}, ${named}${alike}; ${HOW_TO_ADD}`;
}

function lookAlikeNote(w: Walk): string {
  const one = w.lookAlikes.length === 1 && w.sniffs.left > 0;
  return `${lookAlikes(w)} but ${one ? 'its name is' : 'their names are'} not a Dockerfile's: not linted; ${HOW_TO_ADD}`;
}

/** "2 files look like Dockerfiles by content (e.g. 'a/b')", counting only the files read. */
function lookAlikes(w: Walk): string {
  const n = w.lookAlikes.length;
  const more = w.sniffs.left === 0 ? ' or more' : '';
  const what = n === 1 && !more ? '1 file looks like a Dockerfile' : `${n}${more} files look like Dockerfiles`;
  return `${what} by content (e.g. '${w.lookAlikes[0]}')`;
}

/**
 * Reads a discovered Dockerfile: a regular file of at most DOCKERFILE_LIMIT bytes that, after resolving
 * symlinks, is inside the tree the user named. Throws RefusedFile or the file system error.
 */
export function readDockerfile(found: Discovery, file: string): ReadFile {
  return readRegularFile(file, DOCKERFILE_LIMIT, found.boundaries.get(file), found.folders);
}

function walk(dir: string, layers: IgnoreLayer[], include: IncludeMatcher | undefined, w: Walk): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    w.out.errors.push({ path: dir, message: describeFsError(e) });
    return;
  }
  const gitignore = entries.find((e) => e.name === '.gitignore' && e.isFile());
  if (gitignore) {
    try {
      const text = readRegularFile(join(dir, '.gitignore'), IGNORE_FILE_LIMIT, w.boundary).bytes.toString('utf8');
      layers = [...layers, { base: dir, matcher: gitignoreMatcher(text) }];
    } catch {
      // An unreadable .gitignore ignores nothing.
    }
  }
  // A config in a subfolder is the nearest one for the files below it: its `include` replaces the outer one's.
  if (w.configFor && entries.some((e) => CONFIG_NAMES.includes(e.name))) include = w.configFor(dir).isIncluded;
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const full = join(dir, e.name);
    const isDir = e.isDirectory();
    if (isDir && SKIP_DIRS.has(e.name)) continue;
    if (isIgnored(full, isDir, layers)) {
      w.ignoredEntries++;
      continue;
    }
    if (isDir) walk(full, layers, include, w);
    else if (e.isFile() || e.isSymbolicLink()) {
      w.filesSeen++;
      if (isDockerfileName(e.name) || w.glob(full) || include?.(full)) w.out.files.push(full);
      else if (e.isFile() && w.sniffs.left > 0 && isNearMissName(e.name) && sniff(full, w)) {
        w.lookAlikes.push(relative(w.root, full).split(sep).join('/'));
      }
    }
  }
}

/** Whether a near-miss file's first bytes look like a Dockerfile (a regular file only, never waiting on a FIFO). */
function sniff(path: string, w: Walk): boolean {
  w.sniffs.left--;
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    if (!fstatSync(fd).isFile()) return false;
    const head = Buffer.alloc(SNIFF_BYTES);
    return startsLikeDockerfile(head.subarray(0, readSync(fd, head, 0, SNIFF_BYTES, 0)));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * A .gitignore's rules. A line whose pattern cannot be compiled (a 100k-character pattern is a regular
 * expression too large for V8, which `ignore` throws at the first match) is left out, as an unreadable file is.
 */
function gitignoreMatcher(text: string): Ignore {
  const ignore = require('ignore') as (opts?: object) => Ignore;
  const compiles = (line: string) => {
    try {
      ignore().add(line).ignores('x');
      return true;
    } catch {
      return false;
    }
  };
  // Real patterns are short: only a long line is worth the check.
  return ignore().add(text.split(/\r?\n/).filter((line) => line.length < 1000 || compiles(line)));
}

function isIgnored(full: string, isDir: boolean, layers: IgnoreLayer[]): boolean {
  for (const layer of layers) {
    const rel = relative(layer.base, full).split(sep).join('/');
    if (rel && layer.matcher.ignores(isDir ? `${rel}/` : rel)) return true;
  }
  return false;
}

export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT':
      return 'no such file or folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a folder';
    default:
      return err.message ?? String(e);
  }
}
