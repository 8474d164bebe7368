/**
 * Atomic file replacement: the new bytes go to a temporary file in the same folder, are flushed to disk,
 * get the original's mode and owner, and replace the original by rename. A reader (or a crash, or SIGKILL)
 * sees the old file or the new one, never a half-written one.
 *
 * What a rename cannot keep is refused rather than changed silently (RefusedFile): a symlink (callers pass
 * the resolved path), another user's file when the owner cannot be kept (only root may give a file away), a
 * read-only file and a file with several hard links (the rename gives this name a new file and the other
 * names keep the old text) unless `force`.
 */
import { closeSync, fchmodSync, fchownSync, fsyncSync, lstatSync, openSync, renameSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RefusedFile } from '../util/safeRead';

let counter = 0;

export interface WriteOptions {
  /** Also replace a read-only file, or one with several hard links. */
  force?: boolean;
}

/** Replaces `path` (or creates it, mode 0666 less the umask, when it does not exist yet). */
export function writeFileAtomic(path: string, data: Buffer, options: WriteOptions = {}): void {
  const old = existing(path);
  if (old) checkReplaceable(old, options);
  const st = old ?? { mode: 0o666 & ~process.umask(), uid: -1, gid: -1 };
  const tmp = temporaryName(path);
  const fd = openSync(tmp, 'wx', st.mode & 0o7777);
  try {
    fillTemporary(fd, data, st);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    unlinkSync(tmp);
    throw e;
  }
}

/** Refuses (RefusedFile) what an atomic rename cannot replace faithfully; see the module comment. */
export function checkReplaceable(st: Stats, options: WriteOptions): void {
  if (st.isSymbolicLink()) throw new RefusedFile('is a symlink: dockrepro rewrites only the file it points to');
  if (!st.isFile()) throw new RefusedFile('is not a regular file');
  const uid = process.getuid?.();
  if (uid !== undefined && uid !== 0 && st.uid !== uid) {
    throw new RefusedFile(`belongs to another user (uid ${st.uid}): a rewrite would make it yours; run fix as that user`);
  }
  if (options.force) return;
  if ((st.mode & 0o200) === 0) {
    throw new RefusedFile(`is read-only (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}): --force rewrites it`);
  }
  if (st.nlink > 1) {
    throw new RefusedFile(`has ${st.nlink} hard links: a rewrite would leave the other names with the old text; --force rewrites this name only`);
  }
}

function existing(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** A temporary file's name beside `path`: hidden, and unique to this process and call. */
export function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.dockrepro-${process.pid}-${++counter}.tmp`);
}

/**
 * Writes `data` to the open temporary file, gives it the original's owner (when `uid` >= 0) and mode, and
 * flushes it to disk. Owner first: chown clears the set-id bits, which the chmod then restores.
 */
export function fillTemporary(fd: number, data: Buffer, original: { mode: number; uid: number; gid: number }): void {
  let written = 0;
  while (written < data.length) written += writeSync(fd, data, written, data.length - written);
  if (original.uid >= 0) {
    try {
      fchownSync(fd, original.uid, original.gid);
    } catch {
      throw new RefusedFile(`its owner or group (${original.uid}:${original.gid}) could not be kept by this user`);
    }
  }
  fchmodSync(fd, original.mode & 0o7777);
  fsyncSync(fd);
}
