/**
 * Atomic file replacement: the new bytes go to a temporary file in the same folder, are flushed to disk,
 * get the original's mode and owner, and replace the original by rename. A reader (or a crash, or SIGKILL)
 * sees the old file or the new one, never a half-written one.
 */
import { closeSync, fchmodSync, fchownSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let counter = 0;

/** Replaces `path` (or creates it, mode 0666 less the umask, when it does not exist yet). */
export function writeFileAtomic(path: string, data: Buffer): void {
  const st = existing(path) ?? { mode: 0o666 & ~process.umask(), uid: -1, gid: -1 };
  const tmp = join(dirname(path), `.${basename(path)}.dockrepro-${process.pid}-${++counter}.tmp`);
  const fd = openSync(tmp, 'wx', st.mode & 0o7777);
  let open = true;
  try {
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
    fchmodSync(fd, st.mode & 0o7777);
    try {
      if (st.uid >= 0) fchownSync(fd, st.uid, st.gid);
    } catch {
      // Only root may give a file away; a user's own file already has the user's ids.
    }
    fsyncSync(fd);
    open = false;
    closeSync(fd);
  } catch (e) {
    if (open) closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    unlinkSync(tmp);
    throw e;
  }
}

function existing(path: string): { mode: number; uid: number; gid: number } | undefined {
  try {
    return statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
