/**
 * The real rpm tools of Debian's `rpm` and `createrepo-c` packages (and dnf), for tests that compare with
 * them: availability checks that say what is missing, and `rpm.vercmp` over many pairs in one process.
 */
import { spawnSync } from 'node:child_process';

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** undefined when rpm is there; else why not. */
export function rpmAvailable(): string | undefined {
  return has('rpm') ? undefined : "rpm is not installed (Debian package 'rpm'; scripts/ensure-test-tools.sh installs it)";
}

/** undefined when rpmbuild, createrepo_c and dnf are there; else what is missing. */
export function rpmRepoToolsAvailable(): string | undefined {
  const missing = ['rpmbuild', 'createrepo_c', 'dnf'].filter((t) => !has(t));
  return missing.length ? `${missing.join(', ')} not installed (Debian packages rpm, createrepo-c, dnf; scripts/ensure-test-tools.sh installs them)` : undefined;
}

/** `rpm.vercmp(a, b)` for each pair, by the real rpm (one process for all; EVR strings are parsed as rpm does). */
export function rpmVercmp(pairs: readonly (readonly [string, string])[]): number[] {
  for (const [a, b] of pairs) if (!/^[A-Za-z0-9._+~^:-]+$/.test(a + b)) throw new Error(`not a version rpm's Lua call may quote: ${a} ${b}`);
  const lua = `local r = {} ${pairs.map(([a, b]) => `r[#r+1] = rpm.vercmp("${a}", "${b}")`).join(' ')} print(table.concat(r, ","))`;
  const out = spawnSync('rpm', ['--eval', `%{lua: ${lua}}`], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`rpm --eval failed: ${out.stderr}`);
  return out.stdout.trim().split(',').map(Number);
}

export interface RpmFixture {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  /** Default noarch. */
  arch?: 'noarch' | 'x86_64' | 'aarch64';
}

/**
 * Real rpm-md repositories: each package built by the real `rpmbuild` from a minimal spec (no files, no
 * dependencies), each repository made by the real `createrepo_c` (gzip metadata, as EL8/EL9 ship it).
 * `repos` maps a folder under `root` (`alma/9/BaseOS/x86_64/os`) to its packages.
 */
export function buildRpmRepos(root: string, repos: Record<string, RpmFixture[]>): void {
  const { join } = require('node:path') as typeof import('node:path');
  for (const [dir, pkgs] of Object.entries(repos)) {
    const out = join(root, dir);
    buildRpms(root, join(out, 'Packages'), pkgs);
    const c = spawnSync('createrepo_c', ['--general-compress-type=gz', '--no-database', out], { encoding: 'utf8' });
    if (c.status !== 0) throw new Error(`createrepo_c ${dir} failed: ${c.stderr}`);
  }
}

/** Each package built by the real `rpmbuild` (under `root`/.rpmbuild) into `out`; the files' paths. */
export function buildRpms(root: string, out: string, pkgs: RpmFixture[]): string[] {
  const { mkdirSync, writeFileSync, readdirSync, copyFileSync } = require('node:fs') as typeof import('node:fs');
  const { join } = require('node:path') as typeof import('node:path');
  const top = join(root, '.rpmbuild');
  mkdirSync(out, { recursive: true });
  return pkgs.map((p) => {
    const arch = p.arch ?? 'noarch';
    const spec = [
      `Name: ${p.name}`, `Version: ${p.version}`, `Release: ${p.release}`, ...(p.epoch ? [`Epoch: ${p.epoch}`] : []),
      'Summary: dockrepro test package', 'License: MIT', ...(arch === 'noarch' ? ['BuildArch: noarch'] : []),
      '%description', 'A package of the rpm-version tests.', '%files', '',
    ].join('\n');
    const specFile = join(top, `${p.name}-${p.version}-${p.release}.${arch}.spec`);
    mkdirSync(top, { recursive: true });
    writeFileSync(specFile, spec);
    const r = spawnSync('rpmbuild', ['-bb', '--define', `_topdir ${top}`, '--define', '_build_id_links none', '--define', 'debug_package %{nil}', ...(arch === 'noarch' ? [] : ['--target', arch]), specFile], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`rpmbuild ${p.name} failed: ${r.stderr}`);
    const rpms = join(top, 'RPMS', arch);
    const file = readdirSync(rpms).find((f) => f === `${p.name}-${p.version}-${p.release}.${arch}.rpm`);
    if (!file) throw new Error(`rpmbuild made no ${p.name} rpm in ${rpms}`);
    copyFileSync(join(rpms, file), join(out, file));
    return join(out, file);
  });
}

/**
 * A HOME whose ~/.rpmmacros puts the rpm database where EL and Fedora keep it (/var/lib/rpm, under any
 * --root / --installroot): Debian's rpm keeps it in ~/.rpmdb. The real rpm and dnf both read it.
 */
export function rpmHome(work: string): string {
  const { mkdirSync, writeFileSync } = require('node:fs') as typeof import('node:fs');
  const { join } = require('node:path') as typeof import('node:path');
  const home = join(work, 'rpm-home');
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, '.rpmmacros'), '%_dbpath /var/lib/rpm\n');
  return home;
}

/** Installs `rpmFiles` into `root` with the real rpm (its database at `root`/var/lib/rpm, in rpm's default backend). */
export function rpmInstallInto(work: string, root: string, rpmFiles: string[]): void {
  const r = spawnSync('rpm', ['--root', root, '-i', '--nodeps', ...rpmFiles], { encoding: 'utf8', env: { ...process.env, HOME: rpmHome(work) } });
  if (r.status !== 0) throw new Error(`rpm -i failed: ${r.stderr}`);
}

/** `name-[epoch:]version-release.arch` of every package the rpm database of `root` holds, sorted (gpg-pubkey left out). */
export function rpmInstalled(work: string, root: string): string[] {
  const r = spawnSync('rpm', ['--root', root, '-qa', '--qf', '%{NAME}-%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}.%{ARCH}\\n'], { encoding: 'utf8', env: { ...process.env, HOME: rpmHome(work) } });
  if (r.status !== 0) throw new Error(`rpm -qa failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l && !l.startsWith('gpg-pubkey')).sort();
}

/**
 * Runs the real dnf for real (`dnf -y <args>`) in a copy of `root` (so `root` stays as it was) with the
 * repositories of `reposdir` and `[main]` settings `main` (`best=True`), and answers what is installed
 * afterwards. Run asynchronously: the repositories may be served by the test's own process.
 */
export async function dnfInRoot(work: string, root: string, reposdir: string, args: string[], main: string[] = []): Promise<{ installed: string[]; stderr: string; status: number | null }> {
  const { cpSync, rmSync, writeFileSync } = require('node:fs') as typeof import('node:fs');
  const { join } = require('node:path') as typeof import('node:path');
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  const copy = join(work, 'run-root');
  rmSync(copy, { recursive: true, force: true });
  cpSync(root, copy, { recursive: true });
  const conf = join(work, 'dnf-root.conf');
  writeFileSync(conf, ['[main]', `reposdir=${reposdir}`, `cachedir=${join(work, 'cache')}`, 'gpgcheck=0', 'install_weak_deps=False', ...main, ''].join('\n'));
  const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
    const child = spawn('dnf', ['-c', conf, '--installroot', copy, '--releasever', '9', '-y', '-q', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HOME: rpmHome(work) } });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('close', (status) => resolve({ status, stderr }));
  });
  return { installed: rpmInstalled(work, copy), stderr: r.stderr, status: r.status };
}

/**
 * What the real dnf installs for `specs` from the repositories in `reposdir` (its .repo files), into an empty
 * root: `install --downloadonly`, then the downloaded files' names (`hello-1.1-1.el9.x86_64.rpm`). Run
 * asynchronously: the repositories may be served by the test's own process.
 */
export async function dnfInstallChoice(work: string, reposdir: string, specs: string[], extra: string[] = []): Promise<{ files: string[]; stderr: string; status: number | null }> {
  const { mkdirSync, writeFileSync, readdirSync, rmSync } = require('node:fs') as typeof import('node:fs');
  const { join } = require('node:path') as typeof import('node:path');
  const root = join(work, 'root');
  const dl = join(work, 'dl');
  rmSync(dl, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  mkdirSync(dl, { recursive: true });
  const conf = join(work, 'dnf.conf');
  writeFileSync(conf, `[main]\nreposdir=${reposdir}\ncachedir=${join(work, 'cache')}\ngpgcheck=0\nbest=True\ninstall_weak_deps=False\n`);
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
    const child = spawn('dnf', ['-c', conf, '--installroot', root, '--releasever', '9', '--setopt', `cachedir=${join(work, 'cache')}`, '-y', '-q', 'install', '--downloadonly', '--downloaddir', dl, ...extra, ...specs], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('close', (status) => resolve({ status, stderr }));
  });
  return { files: r.status === 0 ? readdirSync(dl).filter((f) => f.endsWith('.rpm')).sort() : [], stderr: r.stderr, status: r.status };
}
