/**
 * A lock beside a file (`<file>.lock`, created with O_EXCL), so that two dockrepro runs updating one
 * `dockrepro.lock.json` take turns: each re-reads, merges and writes while it holds the lock. The section it
 * guards is synchronous and short (read, merge, atomic write), so waiting is a plain sleep-and-retry.
 *
 * A lock left by a process that died (kill -9; a normal exit removes it) is taken over once it is older than
 * `staleMs`. Two waiters may both judge it stale; the second then removes a fresh lock only if it removes the
 * very file it judged (same inode), which leaves a window of a few microseconds, not of a whole update.
 */
import { closeSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';

export interface FileLockOptions {
  /** A lock older than this is abandoned. Default 10 s (an update holds it for milliseconds). */
  staleMs?: number;
  /** Longest to wait for another run's lock. Default 30 s. */
  waitMs?: number;
}

export class FileLockError extends Error {}

const held = new Set<string>();
let exitHook = false;

/** Runs `fn` while holding `<target>.lock`; the lock is removed afterwards, and on exit if `fn` exits the process. */
export function withFileLock<T>(target: string, fn: () => T, options: FileLockOptions = {}): T {
  const lockPath = `${target}.lock`;
  acquire(lockPath, options.staleMs ?? 10_000, options.waitMs ?? 30_000);
  held.add(lockPath);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => held.forEach(removeQuietly));
  }
  try {
    return fn();
  } finally {
    held.delete(lockPath);
    removeQuietly(lockPath);
  }
}

function acquire(lockPath: string, staleMs: number, waitMs: number): void {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx', 0o644);
      // Who holds it, for a user who finds it left over.
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const st = statOrUndefined(lockPath);
    if (st && Date.now() - st.mtimeMs > staleMs) {
      if (statOrUndefined(lockPath)?.ino === st.ino) removeQuietly(lockPath);
      continue;
    }
    if (Date.now() > deadline) {
      throw new FileLockError(`${lockPath} is held by another dockrepro run (for over ${Math.round(waitMs / 1000)} s; remove it if none is running)`);
    }
    sleep(20 + Math.random() * 30);
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone (taken over as stale, or removed by hand).
  }
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
