/**
 * A real busybox with Alpine's `adduser`/`addgroup`, for comparing the simulation in src/accounts with it.
 * Debian's busybox packages are built without those applets, so we build one from the upstream source that
 * Debian's archive serves, once per machine: the binary is cached under os.tmpdir() by version and config,
 * and a lock directory keeps two jest workers from building at the same time.
 *
 * The config is `make allnoconfig` plus the applets and the settings of Alpine's busyboxconfig
 * (alpinelinux/aports main/busybox/busyboxconfig, the same in every version we could read, 1.27–1.31):
 *   CONFIG_LAST_ID=256000 (not upstream's 60000), CONFIG_FIRST_SYSTEM_ID=100, CONFIG_LAST_SYSTEM_ID=999,
 *   CONFIG_FEATURE_ADDUSER_TO_GROUP=y (`adduser -G grp` adds to grp instead of creating a group),
 *   CONFIG_FEATURE_CHECK_NAMES=y (names are checked), CONFIG_FEATURE_SHADOWPASSWDS=y.
 * Alpine leaves CONFIG_USE_BB_PWD_GRP off because musl reads /etc/passwd and /etc/group itself; a static
 * glibc would need NSS modules in the chroot, so we turn it on: busybox then reads the same files itself.
 * Alpine's patches to adduser (shell of system users, a copied shell string) do not touch id choice.
 * The id rules of adduser.c/addgroup.c are the same from 1.27 to upstream's tree of July 2024 (1.36, 1.37),
 * so 1.35 stands for the busybox of every Alpine release we know of.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BUSYBOX_VERSION = '1.35.0';
const URL = `http://deb.debian.org/debian/pool/main/b/busybox/busybox_${BUSYBOX_VERSION}.orig.tar.bz2`;
/** sha256 of that tarball, measured when this helper was written (it is upstream's busybox-1.35.0.tar.bz2). */
const SHA256 = 'faeeb244c35a348a334f4a59e44626ee870fb07b6884d68c10ae8bc19f83a694';

/** Options set on top of allnoconfig (see above for where the values come from). */
const CONFIG: Record<string, string> = {
  CONFIG_STATIC: 'y',
  CONFIG_BUSYBOX: 'y',
  CONFIG_LONG_OPTS: 'y',
  CONFIG_FEATURE_SHADOWPASSWDS: 'y',
  CONFIG_USE_BB_PWD_GRP: 'y',
  CONFIG_USE_BB_SHADOW: 'y',
  CONFIG_ADDGROUP: 'y',
  CONFIG_FEATURE_ADDUSER_TO_GROUP: 'y',
  CONFIG_ADDUSER: 'y',
  CONFIG_FEATURE_CHECK_NAMES: 'y',
  CONFIG_LAST_ID: '256000',
  CONFIG_FIRST_SYSTEM_ID: '100',
  CONFIG_LAST_SYSTEM_ID: '999',
};

export type BusyboxBuild = { path: string } | { skipped: string };

const configKey = createHash('sha256').update(JSON.stringify(CONFIG)).digest('hex').slice(0, 12);
const cacheDir = join(tmpdir(), `dockrepro-busybox-${BUSYBOX_VERSION}-${configKey}`);
const LOCK_STALE_MS = 5 * 60_000;
const WAIT_MS = 4 * 60_000;

let memo: BusyboxBuild | undefined;

/** The path of the built binary, or why there is none. Builds it on first use (about 20 s on 2 cores). */
export function alpineBusybox(): BusyboxBuild {
  memo ??= ensure();
  return memo;
}

function ensure(): BusyboxBuild {
  const binary = join(cacheDir, 'busybox');
  try {
    mkdirSync(cacheDir, { recursive: true });
    const lock = join(cacheDir, 'lock');
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      if (hasApplets(binary)) return { path: binary };
      try {
        mkdirSync(lock);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        // Another worker is building; a lock left by a killed one goes stale.
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
        else if (Date.now() > deadline) return { skipped: `gave up waiting for another build of busybox (lock ${lock})` };
        else sleep(500);
      }
    }
    try {
      if (hasApplets(binary)) return { path: binary };
      const started = Date.now();
      build(binary);
      process.stderr.write(`\nbusybox ${BUSYBOX_VERSION} built in ${((Date.now() - started) / 1000).toFixed(1)} s (cached in ${cacheDir})\n`);
      return hasApplets(binary) ? { path: binary } : { skipped: 'the built busybox lacks adduser/addgroup' };
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  } catch (e) {
    return { skipped: `cannot build busybox ${BUSYBOX_VERSION}: ${(e as Error).message}` };
  }
}

function hasApplets(binary: string): boolean {
  if (!existsSync(binary)) return false;
  const list = spawnSync(binary, ['--list']).stdout?.toString().split('\n') ?? [];
  return list.includes('adduser') && list.includes('addgroup');
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs a program; throws with the end of its output when it fails. */
function run(cmd: string, args: string[], cwd: string, timeoutMs: number): void {
  const r = spawnSync(cmd, args, { cwd, timeout: timeoutMs, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' }, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    const out = `${r.stdout?.toString() ?? ''}${r.stderr?.toString() ?? ''}`.trim().split('\n').slice(-5).join(' | ');
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${out}`);
  }
}

function build(binary: string): void {
  for (const tool of ['make', 'gcc', 'bzip2', 'tar']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is not installed (scripts/ensure-test-tools.sh installs it)`);
  }
  const work = join(cacheDir, `work-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  try {
    const tarball = join(work, 'busybox.tar.bz2');
    download(tarball);
    const got = createHash('sha256').update(readFileSync(tarball)).digest('hex');
    if (got !== SHA256) throw new Error(`${URL} has sha256 ${got}, expected ${SHA256}`);
    run('tar', ['xjf', tarball], work, 60_000);
    const src = join(work, `busybox-${BUSYBOX_VERSION}`);
    run('make', ['allnoconfig'], src, 60_000);
    // Replace each option's line, then let oldconfig settle what depends on them.
    const config = join(src, '.config');
    const kept = readFileSync(config, 'utf8').split('\n').filter((l) => !Object.keys(CONFIG).some((k) => l === `# ${k} is not set` || l.startsWith(`${k}=`)));
    writeFileSync(config, kept.join('\n'));
    appendFileSync(config, Object.entries(CONFIG).map(([k, v]) => `${k}=${v}\n`).join(''));
    run('sh', ['-c', 'yes "" | make oldconfig'], src, 60_000);
    const set = readFileSync(config, 'utf8');
    for (const [k, v] of Object.entries(CONFIG)) if (!set.includes(`\n${k}=${v}\n`)) throw new Error(`${k}=${v} did not stick in .config`);
    run('make', ['-j2'], src, 5 * 60_000);
    renameSync(join(src, 'busybox'), binary);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Node's fetch in a child process (this helper runs while jest collects tests, so it must be synchronous). */
function download(to: string): void {
  const script = 'fetch(process.argv[1]).then(async (r) => { if (!r.ok) throw new Error(`HTTP ${r.status}`); require("fs").writeFileSync(process.argv[2], Buffer.from(await r.arrayBuffer())); })';
  run(process.execPath, ['-e', script, URL, to], cacheDir, 120_000);
}
