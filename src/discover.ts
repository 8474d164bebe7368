/**
 * Finds Dockerfiles under folders: `Dockerfile`, `*.Dockerfile`, `Dockerfile.*`, `Containerfile`(`.*`),
 * honouring `.gitignore` files (each applies to its own subtree) and skipping `.git` and `node_modules`.
 * A file named explicitly is linted whatever its name.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { Ignore } from 'ignore';
import { DOCKERFILE_LIMIT, IGNORE_FILE_LIMIT, readRegularFile, type Boundary, type ReadFile } from './util/safeRead';

const SKIP_DIRS = new Set(['.git', 'node_modules', '.hg', '.svn']);
/** Template sources named like Dockerfiles that are not Dockerfiles themselves. */
const TEMPLATE_SUFFIX = /\.(template|tmpl|tpl|j2|jinja|jinja2|in|erb|mustache|hbs|orig|rej|bak|swp|md|txt|sh|yml|yaml|json)$/i;

export function isDockerfileName(name: string): boolean {
  const lower = name.toLowerCase();
  if (lower === 'dockerfile' || lower === 'containerfile') return true;
  if (TEMPLATE_SUFFIX.test(name)) return false;
  return lower.startsWith('dockerfile.') || lower.startsWith('containerfile.') || lower.endsWith('.dockerfile') || lower.endsWith('.containerfile');
}

export interface Discovery {
  files: string[];
  /** Paths that could not be read (message per path). */
  errors: { path: string; message: string }[];
  /** The tree each file must resolve into: the folder the user named, or a named file's own folder. */
  boundaries: Map<string, Boundary>;
}

interface IgnoreLayer {
  base: string;
  matcher: Ignore;
}

/** Expands the given paths into Dockerfiles, in a stable order. */
export function discover(paths: string[]): Discovery {
  const out: Discovery = { files: [], errors: [], boundaries: new Map() };
  for (const p of paths) {
    let st;
    let boundary: Boundary;
    try {
      st = statSync(p);
      boundary = st.isDirectory()
        ? { realDir: realpathSync.native(p), what: 'the folder you named' }
        : { realDir: realpathSync.native(dirname(p)), what: 'its folder (name the target itself, or a folder that holds both)' };
    } catch (e) {
      out.errors.push({ path: p, message: describeFsError(e) });
      continue;
    }
    const before = out.files.length;
    if (st.isDirectory()) {
      walk(p, [], out, boundary);
      if (out.files.length === before) out.errors.push({ path: p, message: 'no Dockerfiles found in this folder' });
    } else out.files.push(p);
    for (const f of out.files.slice(before)) out.boundaries.set(f, boundary);
  }
  return out;
}

/**
 * Reads a discovered Dockerfile: a regular file of at most DOCKERFILE_LIMIT bytes that, after resolving
 * symlinks, is inside the tree the user named. Throws RefusedFile or the file system error.
 */
export function readDockerfile(found: Discovery, file: string): ReadFile {
  return readRegularFile(file, DOCKERFILE_LIMIT, found.boundaries.get(file));
}

function walk(dir: string, layers: IgnoreLayer[], out: Discovery, boundary: Boundary): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    out.errors.push({ path: dir, message: describeFsError(e) });
    return;
  }
  const gitignore = entries.find((e) => e.name === '.gitignore' && e.isFile());
  if (gitignore) {
    try {
      const text = readRegularFile(join(dir, '.gitignore'), IGNORE_FILE_LIMIT, boundary).bytes.toString('utf8');
      layers = [...layers, { base: dir, matcher: gitignoreMatcher(text) }];
    } catch {
      // An unreadable .gitignore ignores nothing.
    }
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const full = join(dir, e.name);
    const isDir = e.isDirectory();
    if (isDir && SKIP_DIRS.has(e.name)) continue;
    if (isIgnored(full, isDir, layers)) continue;
    if (isDir) walk(full, layers, out, boundary);
    else if ((e.isFile() || e.isSymbolicLink()) && isDockerfileName(e.name)) out.files.push(full);
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
