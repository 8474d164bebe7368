/**
 * Finds Dockerfiles under folders: `Dockerfile`, `*.Dockerfile`, `Dockerfile.*`, `Containerfile`(`.*`),
 * honouring `.gitignore` files (each applies to its own subtree) and skipping `.git` and `node_modules`.
 * A file named explicitly is linted whatever its name.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Ignore } from 'ignore';

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
}

interface IgnoreLayer {
  base: string;
  matcher: Ignore;
}

/** Expands the given paths into Dockerfiles, in a stable order. */
export function discover(paths: string[]): Discovery {
  const out: Discovery = { files: [], errors: [] };
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      out.errors.push({ path: p, message: describeFsError(e) });
      continue;
    }
    if (st.isDirectory()) {
      const before = out.files.length;
      walk(p, [], out);
      if (out.files.length === before) out.errors.push({ path: p, message: 'no Dockerfiles found in this folder' });
    } else out.files.push(p);
  }
  return out;
}

function walk(dir: string, layers: IgnoreLayer[], out: Discovery): void {
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
      const ignore = require('ignore') as (opts?: object) => Ignore;
      layers = [...layers, { base: dir, matcher: ignore().add(readFileSync(join(dir, '.gitignore'), 'utf8')) }];
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
    if (isDir) walk(full, layers, out);
    else if ((e.isFile() || e.isSymbolicLink()) && isDockerfileName(e.name)) out.files.push(full);
  }
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
