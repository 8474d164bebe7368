/**
 * Reading files of an untrusted repository: only regular files, only inside the folder they must stay in
 * (after resolving symlinks), and never more than a size limit. A link to /dev/zero, a FIFO or a file
 * outside the tree is refused with a reason instead of being read (which would hang, exhaust memory, or
 * print someone's secrets in findings).
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';

const MiB = 1024 * 1024;
/** Largest Dockerfile read: real ones are a few kB; generated ones of 10 MB are still linted (test/cli.test.ts). */
export const DOCKERFILE_LIMIT = 16 * MiB;
/** Largest build-context file read (requirements files, package.json, package-lock.json of a big monorepo). */
export const CONTEXT_FILE_LIMIT = 32 * MiB;
/** Largest `.gitignore` or `.dockerignore` read. */
export const IGNORE_FILE_LIMIT = 1 * MiB;

/** A file dockrepro will not read or write; the message says why, for the user. */
export class RefusedFile extends Error {}

export interface ReadFile {
  bytes: Buffer;
  /** The path after resolving symlinks: where the bytes were read, and where a rewrite must go. */
  realPath: string;
}

/** The folder a file must resolve into: `realDir` is already resolved (realpath); `what` names it in messages. */
export interface Boundary {
  realDir: string;
  what: string;
}

/**
 * Reads `path` if, after resolving symlinks, it is a regular file inside `root` (when given) and at most
 * `limit` bytes. With `folders`, `path`'s folder is resolved through that cache instead of per call.
 * Throws RefusedFile for a refusal, or the file system error (ENOENT, EACCES…) when it cannot be read.
 */
export function readRegularFile(path: string, limit: number, root?: Boundary, folders?: RealFolders): ReadFile {
  let realPath: string | undefined;
  let fd: number | undefined;
  if (folders) {
    // The folder resolved once for all its files; the file's own name, opened with O_NOFOLLOW, is then either
    // not a link (this is its real path) or a link (ELOOP), resolved below as any path is.
    const candidate = join(folders.of(dirname(path)), basename(path));
    if (!root || isWithin(root.realDir, candidate)) {
      try {
        fd = openSync(candidate, OPEN_FLAGS);
        realPath = candidate;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ELOOP') throw e;
      }
    }
  }
  if (fd === undefined || realPath === undefined) {
    realPath = realpathSync.native(path);
    if (root && !isWithin(root.realDir, realPath)) {
      throw new RefusedFile(`is a symlink to a file outside ${root.what}: not read`);
    }
    fd = openSync(realPath, OPEN_FLAGS);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new RefusedFile(`is not a regular file (${kind(st)}): not read`);
    if (st.size > limit) throw new RefusedFile(tooBig(limit));
    // Read at most limit + 1 bytes whatever the size said: a file that grows while read is still bounded.
    const chunks: Buffer[] = [];
    let total = 0;
    let want = Math.min(st.size, limit) + 1;
    for (;;) {
      const chunk = Buffer.allocUnsafe(want);
      const got = readSync(fd, chunk, 0, want, null);
      if (got === 0) break;
      chunks.push(chunk.subarray(0, got));
      total += got;
      if (total > limit) throw new RefusedFile(tooBig(limit));
      // A short read of a regular file is its end (as it is now): no second call to be told so.
      if (got < want) break;
      want = Math.min(64 * 1024, limit + 1 - total);
    }
    // One read (the usual case) is returned as it is, not copied.
    return { bytes: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total), realPath };
  } finally {
    closeSync(fd);
  }
}

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. O_NOFOLLOW: the
// resolved path has no link left; one appearing now is a swap, refused.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;

/**
 * Real paths of folders, each resolved once: a tree of 20,000 Dockerfiles has a few dozen folders, and a
 * realpath per file was 3% of a lint's CPU. A file that is or becomes a link is still resolved (O_NOFOLLOW
 * makes its open fail), and a folder that vanishes makes the open fail. A folder swapped for a link during
 * the run is not seen: the tree is read as it was when the run started (a per-file realpath had the same
 * gap, only shorter, between resolving and opening).
 */
export class RealFolders {
  private readonly known = new Map<string, string>();

  of(dir: string): string {
    let real = this.known.get(dir);
    if (real === undefined) this.known.set(dir, (real = realpathSync.native(dir)));
    return real;
  }
}

/** Whether `path` is `dir` itself or below it (both already resolved). */
export function isWithin(dir: string, path: string): boolean {
  const r = relative(dir, path);
  return r === '' || (r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r));
}

function tooBig(limit: number): string {
  return `is larger than ${limit / MiB} MiB, the most dockrepro reads: not read`;
}

function kind(st: import('node:fs').Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a folder';
  return 'not a file';
}
