/**
 * Which folders a repository's `.dockrepro.yaml` and `dockrepro.lock.json` may come from. A file found by
 * walking up from a Dockerfile decides what gets pinned and which rules run, so it must come from someone the
 * user trusts: the walk follows git's reasoning for `safe.directory` (since 2.35.2, git refuses a repository
 * whose top-level folder is not owned by the current user, and takes exceptions only from the user's own
 * config, never from the repository's).
 *
 * The rule implemented, per folder from the Dockerfile's (real) folder upwards:
 * - a folder not owned by the user (the effective uid; for root, also the `SUDO_UID` that ran sudo, as git
 *   does) is not read, and the walk stops: anyone owning it could have planted the file;
 * - a folder writable by others (mode o+w), or by a group that is not the user's own, is not read and the walk
 *   stops, unless it has the sticky bit (`/tmp`-like): there others can add files but not replace the user's,
 *   so only files the user owns are read in it, and the walk stops after it;
 * - the walk stops after a repository root (a folder holding `.git`, a folder or a worktree's file) and after
 *   the user's home; nothing above them belongs to the repository.
 * A folder that does not exist (a --stdin-filename that names a new file) is skipped.
 */
import { realpathSync, statSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export interface Searcher {
  uid: number;
  /** For root run through sudo: the user who ran sudo, whose folders are trusted too. */
  sudoUid?: number;
  gid: number;
  home: string;
}

/** The running user. */
export function currentSearcher(): Searcher {
  const uid = process.geteuid?.() ?? -1;
  const sudo = Number(process.env.SUDO_UID);
  return {
    uid,
    sudoUid: uid === 0 && Number.isInteger(sudo) ? sudo : undefined,
    gid: process.getegid?.() ?? -1,
    home: realFolder(homedir()),
  };
}

export interface TrustedFolder {
  dir: string;
  /** Writable by others but sticky: only files the user owns may be read from it. */
  ownFilesOnly: boolean;
}

export interface Refusal {
  dir: string;
  /** Why the walk stopped there: `owned by uid 1001, not by you`. */
  reason: string;
}

export interface Walk {
  /** Folders that may be read, nearest first. */
  folders: TrustedFolder[];
  /** The folder the walk refused, if it stopped at one. */
  refused?: Refusal;
}

/** The folders, from `start` upwards, whose config and lock files may be used. */
export function trustedFolders(start: string, who: Searcher = currentSearcher()): Walk {
  const walk: Walk = { folders: [] };
  for (let d = realFolder(start); ; d = dirname(d)) {
    const st = statOrUndefined(d);
    if (st) {
      const problem = untrusted(st, who);
      if (problem) {
        walk.refused = { dir: d, reason: problem };
        break;
      }
      const sticky = (st.mode & 0o1000) !== 0 && writableByOthers(st, who);
      walk.folders.push({ dir: d, ownFilesOnly: sticky });
      if (sticky || d === who.home || statOrUndefined(join(d, '.git'))) break;
    }
    if (dirname(d) === d) break;
  }
  return walk;
}

/** True when a file in `folder` may be read: it exists, and in a sticky shared folder, the user owns it. */
export function usableFile(folder: TrustedFolder, path: string, who: Searcher = currentSearcher()): boolean {
  const st = statOrUndefined(path);
  return st !== undefined && (!folder.ownFilesOnly || ownedBy(st, who));
}

/** Why a file in a folder like this could come from someone else, or undefined. */
function untrusted(st: Stats, who: Searcher): string | undefined {
  if (!ownedBy(st, who)) return `it is owned by uid ${st.uid}, not by you`;
  if (writableByOthers(st, who) && (st.mode & 0o1000) === 0) {
    return `it is writable by others (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`;
  }
  return undefined;
}

function ownedBy(st: Stats, who: Searcher): boolean {
  return st.uid === who.uid || (who.sudoUid !== undefined && st.uid === who.sudoUid);
}

/** World-writable, or group-writable for a group other than the user's own (umask 002 makes g+w common). */
function writableByOthers(st: Stats, who: Searcher): boolean {
  return (st.mode & 0o002) !== 0 || ((st.mode & 0o020) !== 0 && st.gid !== who.gid);
}

function realFolder(dir: string): string {
  const abs = resolve(dir);
  try {
    return realpathSync(abs);
  } catch {
    // A folder that does not exist yet: its existing ancestors are judged as they are.
    return abs;
  }
}

function statOrUndefined(p: string): Stats | undefined {
  try {
    // A missing file is the common answer (no `.git` here): without an exception, which costs more than the stat.
    return statSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
