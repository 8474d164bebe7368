/**
 * The build context on disk, read by context-aware checks (a copied requirements.txt, package-lock.json).
 * Reads are lazy and cached; only files the Dockerfile COPYs are ever looked at.
 */
import { realpathSync } from 'node:fs';
import { posix, resolve, relative, isAbsolute, sep } from 'node:path';
import type { DockerfileModel, RunBlock } from './parse/dockerfile';
import { isExcluded, parseDockerignore } from './dockerignore';
import { CONTEXT_FILE_LIMIT, readRegularFile, RefusedFile } from './util/safeRead';

export class BuildContext {
  private readonly cache = new Map<string, string | undefined>();

  constructor(readonly dir: string) {}

  /** Files refused (a link out of the context, a device or FIFO, too big), with the reason: errors for the Dockerfile. */
  readonly refused: string[] = [];
  private realDir?: string;

  /**
   * Text of a context-relative file, or undefined when missing, unreadable or outside the context. The path
   * is resolved (symlinks followed) before the containment check, and only a regular file of bounded size is
   * read: a link to a secret or to /dev/zero is refused and recorded in `refused`.
   */
  read(rel: string): string | undefined {
    if (this.cache.has(rel)) return this.cache.get(rel);
    const abs = resolve(this.dir, rel);
    const inside = relative(this.dir, abs);
    let text: string | undefined;
    if (!inside.startsWith('..') && !isAbsolute(inside)) {
      try {
        this.realDir ??= realpathSync.native(this.dir);
        text = readRegularFile(abs, CONTEXT_FILE_LIMIT, { realDir: this.realDir, what: 'the build context' }).bytes.toString('utf8');
      } catch (e) {
        if (e instanceof RefusedFile) this.refused.push(`${rel} ${e.message}`);
        text = undefined;
      }
    }
    this.cache.set(rel, text);
    return text;
  }

  private dockerignore?: ReturnType<typeof parseDockerignore>;

  /** Whether the context's `.dockerignore` leaves `rel` out of what the builder sends: no COPY can bring it in. */
  excluded(rel: string): boolean {
    this.dockerignore ??= parseDockerignore(this.read('.dockerignore') ?? '');
    return this.dockerignore.length > 0 && isExcluded(this.dockerignore, rel);
  }

  absolute(rel: string): string {
    return resolve(this.dir, rel.split('/').join(sep));
  }
}

/**
 * The context-relative path of the file that a path inside the image (as a RUN in `run` sees it) was
 * copied from by an earlier `COPY`/`ADD` of the same stage, if any.
 */
export function copiedFrom(model: DockerfileModel, run: RunBlock, imagePath: string): string | undefined {
  const target = imagePath.startsWith('/') ? posix.normalize(imagePath) : run.workdir ? posix.join(run.workdir, imagePath) : undefined;
  if (target === undefined) return undefined;
  let found: string | undefined;
  for (const copy of model.copies) {
    if (copy.stage !== run.stage || copy.span.start > run.span.start || (copy.onbuild && !run.onbuild)) continue;
    if (copy.heredoc || !copy.destination?.value) continue;
    // A copy from another stage or image, or an ONBUILD copy (from the child image's context), may replace
    // the file with content we cannot read: a later match of such a copy makes the file unknown.
    const foreign = copy.flags.has('from') || copy.onbuild;
    let dest = copy.destination.value;
    const destIsDir = dest.endsWith('/') || dest === '.' || copy.sources.length > 1;
    if (!dest.startsWith('/')) {
      if (!copy.workdir) continue;
      dest = posix.join(copy.workdir, dest);
    }
    dest = posix.normalize(dest).replace(/\/$/, '') || '/';
    // What paths inside `dest` start with: `/app/` for /app, just `/` for the root (`COPY . /`).
    const destPrefix = dest === '/' ? '/' : `${dest}/`;
    // Within one COPY an exact file match beats a folder that might contain the file.
    let exact: string | undefined;
    let inFolder: string | undefined;
    for (const src of copy.sources) {
      if (!src.value || /^[a-z]+:\/\//i.test(src.value)) continue;
      const srcPath = posix.normalize(src.value).replace(/^\/+/, '').replace(/\/$/, '') || '.';
      if (/[*?[]/.test(srcPath)) {
        // `COPY package*.json ./`: a glob copies matching files into the destination folder.
        const name = posix.basename(target);
        if (posix.dirname(target) === dest && isGlobMatch(name, posix.basename(srcPath))) {
          exact = posix.join(posix.dirname(srcPath), name);
        }
        continue;
      }
      if ((!destIsDir && target === dest) || target === posix.join(dest, posix.basename(srcPath))) exact = srcPath;
      else if (target.startsWith(destPrefix)) {
        // Copying a folder: `COPY . /app` puts ./req.txt at /app/req.txt (the caller checks the file exists).
        const rest = target.slice(destPrefix.length);
        inFolder = srcPath === '.' ? rest : posix.join(srcPath, rest);
      }
    }
    // Later COPYs overwrite earlier ones, so the last COPY that matches wins.
    const match = exact ?? inFolder;
    if (match !== undefined) found = foreign ? undefined : match;
  }
  return found;
}


/**
 * Glob match of one path component; picomatch is loaded only when a COPY source is a glob. A glob picomatch
 * refuses (longer than 64 KiB, a regular expression too large for V8) matches nothing here, as a missing
 * file would: the rules then do not read the file, rather than the run failing on one hostile line.
 */
function isGlobMatch(name: string, glob: string): boolean {
  const picomatch = require('picomatch') as typeof import('picomatch');
  try {
    return picomatch.isMatch(name, glob, { dot: true });
  } catch {
    return false;
  }
}
