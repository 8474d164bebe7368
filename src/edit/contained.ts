/**
 * Reading and atomically replacing a file that must stay inside a folder (the build context, for
 * `fix --write-context`). The file was found inside when a fixer read it, but a lookup can take seconds, and
 * in that time a folder on the way can be swapped for a link to somewhere else: a write by the old name would
 * land outside. So the check is made again at the moment of reading and of writing: the real path of the
 * file's folder must be the one it had and lie inside the real path of each root, the file must be a regular
 * file (not a link), the temporary file is created with O_EXCL|O_NOFOLLOW in that folder, and just before
 * the rename the folder, the file and the temporary file are checked once more to be the ones verified.
 * (Node has no openat/renameat, so a swap in the microseconds between that last check and the rename is not
 * excluded; everything slower is.)
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, realpathSync, renameSync, unlinkSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { isWithin, readRegularFile } from '../util/safeRead';
import { checkReplaceable, fillTemporary, temporaryName, type WriteOptions } from './write';

/** A refusal: the file is no longer where it was checked to be. */
export class NotContainedError extends Error {}

/** O_NOFOLLOW where the platform has it (not on Windows, which has no such links in the way). */
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * `path` (a real path, as found when it was read) re-checked now: its folder's real path is unchanged and
 * inside every root's real path, and the file itself is a regular file, not a link.
 */
function verify(roots: readonly string[], path: string): Stats {
  const dir = dirname(path);
  const realDir = realpathSync(dir);
  if (realDir !== dir) throw new NotContainedError(`a folder on the way to ${path} is now a link (to ${realDir}); not written`);
  for (const root of roots) {
    if (!isWithin(realpathSync(root), realDir)) throw new NotContainedError(`${path} is no longer inside the build context ${root}; not written`);
  }
  const stats = lstatSync(path);
  if (stats.isSymbolicLink()) throw new NotContainedError(`${path} is now a link; not written`);
  if (!stats.isFile()) throw new NotContainedError(`${path} is no longer a regular file; not written`);
  return stats;
}

/** The bytes of `path` (at most `limit`), checked to be a regular file inside `roots` (see verify), read without following a link. */
export function readContained(roots: readonly string[], path: string, limit: number): Buffer {
  verify(roots, path);
  return readRegularFile(path, limit).bytes;
}

/** Replaces the existing regular file `path` inside `roots` atomically (mode and owner kept), re-verified at write time. */
export function writeContainedAtomic(roots: readonly string[], path: string, data: Buffer, options: WriteOptions = {}): void {
  // The temporary file goes beside it, in the folder verify has just found to be the real one.
  const stats = verify(roots, path);
  checkReplaceable(stats, options);
  const tmp = temporaryName(path);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, stats.mode & 0o7777);
  let tmpStats: Stats;
  try {
    // checkReplaceable has refused another user's file unless this is root, so the owner can be kept.
    fillTemporary(fd, data, stats);
    tmpStats = fstatSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    // The last check: the same folder, the same file, and the temporary file is the one just written.
    const now = verify(roots, path);
    const tmpNow = lstatSync(tmp);
    if (!sameFile(now, stats) || !sameFile(tmpNow, tmpStats)) throw new NotContainedError(`${path} was replaced while it was being fixed; not written`);
    renameSync(tmp, path);
  } catch (e) {
    removeIfOurs(tmp, tmpStats);
    throw e;
  }
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** Removes the temporary file only if the name still leads to it (its folder may now be a link elsewhere). */
function removeIfOurs(tmp: string, ours: Stats): void {
  try {
    if (sameFile(lstatSync(tmp), ours)) unlinkSync(tmp);
  } catch {
    // Gone, or its folder moved away: nothing of ours is at that name.
  }
}
