/**
 * A folder seen through Debian's disorderfs: the same files, but each directory listing in a random order
 * (and reversed), so a build that depends on the order of directory entries shows it. Needs FUSE.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { BuildFailed, onPath } from './builder';

export interface ShuffledMount {
  mountpoint: string;
  /** Unmounts; safe to call twice. Returns false when the folder is still mounted. */
  unmount(): boolean;
}

/** Mounts `source` at `mountpoint` (made if missing) through disorderfs; a BuildFailed with disorderfs's message when it cannot. */
export function mountShuffled(source: string, mountpoint: string, env: NodeJS.ProcessEnv): ShuffledMount {
  mkdirSync(mountpoint, { recursive: true });
  // --multi-user: RUN steps with a USER other than root read the file system through the mount too.
  const r = spawnSync('disorderfs', ['--shuffle-dirents=yes', '--multi-user=yes', source, mountpoint], { env, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new BuildFailed(`disorderfs could not mount ${source}`, (r.stderr || r.error?.message || `exit status ${r.status}`).trim());
  let mounted = true;
  return {
    mountpoint,
    unmount() {
      if (!mounted) return true;
      const tool = onPath('fusermount3', env) ? ['fusermount3', '-u'] : onPath('fusermount', env) ? ['fusermount', '-u'] : ['umount'];
      mounted = spawnSync(tool[0], [...tool.slice(1), mountpoint], { env, stdio: 'ignore', timeout: 30_000 }).status !== 0;
      return !mounted;
    },
  };
}
