/**
 * Runs the real account tools of this machine on account files of our own, so tests can compare the
 * simulation in src/accounts with what the programs do:
 *
 * - shadow `useradd`/`groupadd` in prefix mode (`-P DIR` reads DIR/etc/login.defs, writes DIR/etc/passwd…);
 * - Debian's perl `adduser`/`addgroup` in a private mount namespace, with an overlay on /etc whose upper
 *   layer holds our passwd/group/shadow/gshadow/adduser.conf (the host's /etc is never written);
 * - busybox `adduser`/`addgroup` in a chroot holding a static busybox built with Alpine's settings
 *   (test/helpers/busybox.ts: Debian's busybox packages are built without those applets).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccountCommand, Created } from '../../src/accounts/tools';
import { parseGroup, parsePasswd } from '../../src/accounts/image';
import { alpineBusybox } from './busybox';

export interface Accounts {
  passwd: string;
  group: string;
}

/** `null` when the tool refused (non-zero exit). */
export type RealResult = Created | null;

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const isRoot = process.getuid?.() === 0;

export function shadowAvailable(): string | undefined {
  if (!isRoot) return 'not root';
  return which('useradd') && which('groupadd') ? undefined : 'useradd/groupadd not installed (apt-get install passwd)';
}

export function debianAdduserAvailable(): string | undefined {
  if (!isRoot) return 'not root';
  if (!existsSync('/usr/sbin/adduser') || !/^#!.*perl/.test(readFileSync('/usr/sbin/adduser', 'utf8').slice(0, 100))) return 'Debian adduser not installed (apt-get install adduser)';
  if (!which('unshare')) return 'unshare not installed';
  const probe = mkdtempSync(join(tmpdir(), 'dockrepro-ovl-'));
  try {
    mkdirSync(join(probe, 'upper'));
    mkdirSync(join(probe, 'work'));
    const r = spawnSync('unshare', ['-m', 'sh', '-c', `mount -t overlay overlay -o lowerdir=/etc,upperdir=${probe}/upper,workdir=${probe}/work /etc`]);
    return r.status === 0 ? undefined : `cannot mount an overlay on /etc in a mount namespace: ${r.stderr.toString().trim()}`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

export function busyboxAvailable(): string | undefined {
  if (!isRoot) return 'not root';
  if (!existsSync('/usr/sbin/chroot')) return 'chroot not installed (coreutils)';
  const built = alpineBusybox();
  return 'skipped' in built ? built.skipped : undefined;
}

function shadowFiles(accounts: Accounts) {
  const names = (text: string) => text.split('\n').filter(Boolean).map((l) => l.split(':')[0]);
  return {
    shadow: names(accounts.passwd).map((n) => `${n}:*:19000:0:99999:7:::\n`).join(''),
    gshadow: names(accounts.group).map((n) => `${n}:*::\n`).join(''),
  };
}

/** What the command created, read back from the files it wrote. */
function created(before: Accounts, after: Accounts, name: string, isUser: boolean): Created {
  const out: Created = {};
  if (isUser) out.uid = parsePasswd(after.passwd).find((u) => u.name === name)?.uid;
  const hadGroup = parseGroup(before.group).some((g) => g.name === name);
  const g = parseGroup(after.group).find((e) => e.name === name);
  if (g && !hadGroup) out.gid = g.gid;
  if (out.uid === undefined) delete out.uid;
  return out;
}

const isUserCommand = (c: AccountCommand) => c.tool === 'useradd' || c.tool === 'debian-adduser' || c.tool === 'busybox-adduser';

/** Runs the commands one after another; the result of each (null when it failed; later ones still run). */
export function runShadow(accounts: Accounts, loginDefs: string, commands: AccountCommand[]): RealResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'dockrepro-shadow-'));
  try {
    mkdirSync(join(dir, 'etc'));
    const f = shadowFiles(accounts);
    writeFileSync(join(dir, 'etc/passwd'), accounts.passwd);
    writeFileSync(join(dir, 'etc/group'), accounts.group);
    writeFileSync(join(dir, 'etc/shadow'), f.shadow, { mode: 0o640 });
    writeFileSync(join(dir, 'etc/gshadow'), f.gshadow, { mode: 0o640 });
    writeFileSync(join(dir, 'etc/login.defs'), loginDefs);
    return commands.map((c) => {
      const argv: string[] = ['-P', dir];
      if (c.tool === 'useradd') {
        if (c.system) argv.push('-r');
        if (c.uid !== undefined) argv.push('-u', String(c.uid));
        if (c.userGroup === true) argv.push('-U');
        if (c.userGroup === false) argv.push('-N');
        if (c.group !== undefined) argv.push('-g', c.group);
      } else if (c.tool === 'groupadd') {
        if (c.system) argv.push('-r');
        if (c.force) argv.push('-f');
        if (c.gid !== undefined) argv.push('-g', String(c.gid));
      } else {
        throw new Error(`not a shadow command: ${c.tool}`);
      }
      const before = read(dir);
      const r = spawnSync(c.tool, [...argv, c.name]);
      return r.status === 0 ? created(before, read(dir), c.name, isUserCommand(c)) : null;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function read(dir: string): Accounts {
  return { passwd: readFileSync(join(dir, 'etc/passwd'), 'utf8'), group: readFileSync(join(dir, 'etc/group'), 'utf8') };
}

export function runDebian(accounts: Accounts, adduserConf: string | undefined, commands: AccountCommand[]): RealResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'dockrepro-adduser-'));
  try {
    const upper = join(dir, 'upper');
    mkdirSync(upper);
    mkdirSync(join(dir, 'work'));
    const f = shadowFiles(accounts);
    writeFileSync(join(upper, 'passwd'), accounts.passwd);
    writeFileSync(join(upper, 'group'), accounts.group);
    writeFileSync(join(upper, 'shadow'), f.shadow, { mode: 0o640 });
    writeFileSync(join(upper, 'gshadow'), f.gshadow, { mode: 0o640 });
    // Our adduser.conf, or none at all (adduser then uses its defaults).
    if (adduserConf !== undefined) writeFileSync(join(upper, 'adduser.conf'), adduserConf);
    const mount = `mount -t overlay overlay -o lowerdir=/etc,upperdir=${upper},workdir=${dir}/work /etc` +
      (adduserConf === undefined ? ' && rm -f /etc/adduser.conf' : '');
    return commands.map((c) => {
      const argv: string[] = [];
      if (c.tool === 'debian-adduser') {
        argv.push('adduser', '--disabled-password', '--no-create-home', '--gecos', '');
        if (c.system) argv.push('--system');
        if (c.group) argv.push('--group');
        if (c.uid !== undefined) argv.push('--uid', String(c.uid));
        if (c.gid !== undefined) argv.push('--gid', String(c.gid));
        if (c.ingroup !== undefined) argv.push('--ingroup', c.ingroup);
      } else if (c.tool === 'debian-addgroup') {
        argv.push('addgroup');
        if (c.system) argv.push('--system');
        if (c.gid !== undefined) argv.push('--gid', String(c.gid));
      } else {
        throw new Error(`not a Debian adduser command: ${c.tool}`);
      }
      const range = c.range;
      for (const [opt, v] of [['--firstuid', range.firstUid], ['--lastuid', range.lastUid], ['--firstgid', range.firstGid], ['--lastgid', range.lastGid]] as const) {
        if (v !== undefined) argv.push(opt, String(v));
      }
      const before = readUpper(upper);
      const r = spawnSync('unshare', ['-m', 'sh', '-c', `${mount} && exec "$@"`, 'sh', ...argv, c.name], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } });
      return r.status === 0 ? created(before, readUpper(upper), c.name, isUserCommand(c)) : null;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readUpper(upper: string): Accounts {
  return { passwd: readFileSync(join(upper, 'passwd'), 'utf8'), group: readFileSync(join(upper, 'group'), 'utf8') };
}

export function runBusybox(accounts: Accounts, commands: AccountCommand[]): RealResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'dockrepro-busybox-'));
  try {
    mkdirSync(join(dir, 'etc'));
    mkdirSync(join(dir, 'bin'));
    const built = alpineBusybox();
    if ('skipped' in built) throw new Error(built.skipped);
    copyFileSync(built.path, join(dir, 'bin/busybox'));
    for (const applet of ['sh', 'adduser', 'addgroup', 'passwd']) symlinkSync('busybox', join(dir, 'bin', applet));
    writeFileSync(join(dir, 'etc/passwd'), accounts.passwd);
    writeFileSync(join(dir, 'etc/group'), accounts.group);
    writeFileSync(join(dir, 'etc/shadow'), shadowFiles(accounts).shadow);
    return commands.map((c) => {
      const argv: string[] = [];
      if (c.tool === 'busybox-adduser') {
        argv.push('adduser', '-D', '-H');
        if (c.system) argv.push('-S');
        if (c.uid !== undefined) argv.push('-u', String(c.uid));
        if (c.group !== undefined) argv.push('-G', c.group);
      } else if (c.tool === 'busybox-addgroup') {
        argv.push('addgroup');
        if (c.system) argv.push('-S');
        if (c.gid !== undefined) argv.push('-g', String(c.gid));
      } else {
        throw new Error(`not a busybox command: ${c.tool}`);
      }
      const before = read(dir);
      const r = spawnSync('/usr/sbin/chroot', [dir, '/bin/busybox', ...argv, c.name], { env: { PATH: '/bin' } });
      return r.status === 0 ? created(before, read(dir), c.name, isUserCommand(c)) : null;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
