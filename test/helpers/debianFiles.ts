/**
 * Debian's own account files, from Debian's packages (the ones a Debian base image is made of): base-passwd's
 * passwd.master and group.master (what a fresh Debian image's /etc/passwd and /etc/group hold), login's
 * /etc/login.defs and adduser's /etc/adduser.conf. Fetched with `apt-get download` and unpacked with
 * `dpkg-deb -x` once per machine (cached under the temp folder by package version).
 * Undefined, with the reason, when apt cannot fetch them: callers skip loudly, or fail under CI=true.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DebianAccountFiles {
  passwd: string;
  group: string;
  loginDefs: string;
  adduserConf: string;
  /** Where the packages were unpacked (etc/, usr/ as in the packages). */
  root: string;
}

const PACKAGES = ['base-passwd', 'login', 'adduser'];

let cached: DebianAccountFiles | { skipped: string } | undefined;

export function debianAccountFiles(): DebianAccountFiles | { skipped: string } {
  cached ??= load();
  return cached;
}

function load(): DebianAccountFiles | { skipped: string } {
  const versions = spawnSync('dpkg-query', ['-W', '-f', '${Version} ', ...PACKAGES], { encoding: 'utf8' });
  const key = versions.status === 0 ? versions.stdout.trim().replace(/[^A-Za-z0-9.+~-]+/g, '_') : 'unknown';
  const root = join(tmpdir(), `dockrepro-debian-accounts-${key}`);
  if (!existsSync(join(root, 'done'))) {
    const work = `${root}.${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(join(work, 'debs'), { recursive: true });
    const dl = spawnSync('apt-get', ['download', ...PACKAGES], { cwd: join(work, 'debs'), encoding: 'utf8' });
    if (dl.status !== 0) return { skipped: `apt-get download ${PACKAGES.join(' ')} failed: ${(dl.stderr || dl.error?.message || '').trim()}` };
    for (const deb of readdirSync(join(work, 'debs'))) {
      const x = spawnSync('dpkg-deb', ['-x', join(work, 'debs', deb), join(work, 'tree')], { encoding: 'utf8' });
      if (x.status !== 0) return { skipped: `dpkg-deb -x ${deb} failed: ${x.stderr}` };
    }
    mkdirSync(join(work, 'tree', 'done'));
    // Another test file may be doing the same: the first complete tree wins.
    try {
      renameSync(join(work, 'tree'), root);
    } catch {
      // already there
    }
    rmSync(work, { recursive: true, force: true });
  }
  const read = (p: string) => readFileSync(join(root, p), 'utf8');
  return {
    passwd: read('usr/share/base-passwd/passwd.master'),
    group: read('usr/share/base-passwd/group.master'),
    loginDefs: read('etc/login.defs'),
    adduserConf: read('etc/adduser.conf'),
    root,
  };
}
