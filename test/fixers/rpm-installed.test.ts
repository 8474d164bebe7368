/**
 * rpm-version with packages the base image already has installed: the base images carry a real rpm database
 * (packages installed by the real rpm into a root; its rpmdb.sqlite pushed as a layer file), real repositories
 * (rpmbuild + createrepo_c) are served on 127.0.0.1 and mapped through `archives:`. The fixer's pins are
 * compared with what the real dnf installs in a root holding the same database, and the pinned command must
 * leave that root exactly as the unpinned one does.
 *
 * Installed in the images: hello-1.0 (the repository has up to 1.2), gone-0.5 (the repository: 0.7), newer-3.0
 * (the repository has only 2.0), local-1.0 (no repository has it). Not installed: fresh (1.0 in the repository).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { runCli } from '../helpers/cli';
import { pushFixtureImage } from '../helpers/imageFixtures';
import { describeWithRegistries } from '../helpers/registryFixtures';
import { buildRpmRepos, buildRpms, dnfInRoot, rpmInstallInto, rpmRepoToolsAvailable } from '../helpers/rpmTools';
import { inCI } from '../helpers/ci';

const OS_RELEASE = 'NAME="AlmaLinux"\nID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n';
const REPOS = '[baseos]\nname=AlmaLinux $releasever - BaseOS\nbaseurl=https://repo.almalinux.org/almalinux/$releasever/BaseOS/$basearch/os/\nenabled=1\ngpgcheck=1\n';
const SPECS = ['hello', 'gone', 'newer', 'local', 'fresh'];
const missing = rpmRepoToolsAvailable();

describeWithRegistries('rpm-version with packages installed in the base image (real rpm database)', (regs) => {
  if (missing) {
    it('needs rpmbuild, createrepo_c and dnf', () => {
      if (inCI()) throw new Error(`cannot run under CI: ${missing}`);
      process.stderr.write(`\nSKIPPED: rpm-version installed packages: ${missing}\n`);
    });
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'dockrepro-rpm-installed-'));
  const root = join(work, 'root');
  let url = '';
  let close: () => void = () => undefined;
  const images: Record<string, string> = {};

  beforeAll(async () => {
    buildRpmRepos(join(work, 'www'), {
      'alma/9/BaseOS/x86_64/os': [
        { name: 'hello', version: '1.0', release: '1.el9' }, { name: 'hello', version: '1.1', release: '1.el9' }, { name: 'hello', version: '1.2', release: '1.el9' },
        { name: 'gone', version: '0.7', release: '1.el9' }, { name: 'newer', version: '2.0', release: '1.el9' }, { name: 'fresh', version: '1.0', release: '1.el9' },
      ],
    });
    mkdirSync(root);
    rpmInstallInto(work, root, buildRpms(work, join(work, 'base'), [
      { name: 'hello', version: '1.0', release: '1.el9' }, { name: 'gone', version: '0.5', release: '1.el9' },
      { name: 'newer', version: '3.0', release: '1.el9' }, { name: 'local', version: '1.0', release: '1.el9' },
    ]));
    const rpmdb = readFileSync(join(root, 'var/lib/rpm/rpmdb.sqlite'));
    const server = createServer((req, res) => {
      const file = normalize(join(work, 'www', decodeURIComponent((req.url ?? '/').split('?')[0])));
      let body: Buffer | undefined;
      try {
        body = file.startsWith(join(work, 'www')) ? readFileSync(file) : undefined;
      } catch {
        body = undefined;
      }
      res.writeHead(body ? 200 : 404);
      res.end(body ?? 'not found');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
    const base = { '/etc/os-release': OS_RELEASE, '/etc/yum.repos.d/almalinux.repo': REPOS };
    const push = async (name: string, layers: Parameters<typeof pushFixtureImage>[2]['layers']) => {
      images[name] = (await pushFixtureImage(regs.open, `rpmdb/${name}`, { layers, tags: ['9'] })).digest;
    };
    // EL 9: best=True, the database in /var/lib/rpm (with the empty write-ahead log rpm leaves), in a layer of its own.
    await push('best', [
      { files: { ...base, '/etc/dnf/dnf.conf': '[main]\ngpgcheck=1\nbest=True\n' } },
      { files: { '/var/lib/rpm/rpmdb.sqlite': rpmdb, '/var/lib/rpm/rpmdb.sqlite-wal': '', '/var/lib/rpm/.rpm.lock': '' } },
    ]);
    // Fedora's layout: best=False, the database in /usr/lib/sysimage/rpm and /var/lib/rpm a link to it.
    await push('nobest', [{
      files: { ...base, '/etc/dnf/dnf.conf': '[main]\ngpgcheck=1\nbest=False\n', '/usr/lib/sysimage/rpm/rpmdb.sqlite': rpmdb },
      symlinks: { '/var/lib/rpm': '../../usr/lib/sysimage/rpm' },
    }]);
    // EL 8: a BerkeleyDB database (its content is not read).
    await push('bdb', [{ files: { ...base, '/etc/dnf/dnf.conf': '[main]\nbest=True\n', '/var/lib/rpm/Packages': 'berkeley db bytes', '/var/lib/rpm/Name': 'x' } }]);
  }, 180_000);
  afterAll(() => close());

  const project = (dockerfile: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'dockrepro-rpmdb-fix-'));
    writeFileSync(join(dir, 'Dockerfile'), dockerfile);
    writeFileSync(join(dir, '.dockrepro.yaml'), `archives:\n  https://repo.almalinux.org/almalinux: ${url}/alma\n`);
    return dir;
  };
  const fix = (dir: string, extra: string[] = []) => runCli(['fix', '--rules', 'dnf-pin', ...extra], { cwd: dir, env: { HOME: dir } });
  const read = (dir: string) => readFileSync(join(dir, 'Dockerfile'), 'utf8');
  const from = (image: string) => `FROM ${regs.open.host}/rpmdb/${image}:9@${images[image]}\n`;
  const reposdir = () => {
    const d = join(work, 'dnf-repos');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'alma.repo'), REPOS.replace('https://repo.almalinux.org/almalinux', `${url}/alma`).replace('gpgcheck=1', 'gpgcheck=0'));
    return d;
  };
  /** The `name-version-release` the real dnf leaves installed for each of SPECS. */
  const realChoice = async (main: string[], specs = SPECS) => {
    const r = await dnfInRoot(work, root, reposdir(), ['install', ...specs], main);
    expect(r.status).toBe(0);
    return SPECS.map((n) => r.installed.find((p) => p.startsWith(`${n}-`))!.replace(/\.noarch$/, ''));
  };

  it.each([
    ['best', ['best=True']],
    ['nobest', ['best=False']],
  ])('%s: pins what the real dnf leaves installed, and the pins leave the root exactly so; offline re-run from the lock', async (image, main) => {
    const text = `${from(image)}RUN dnf -y install ${SPECS.join(' ')} && dnf clean all\n`;
    const dir = project(text);
    const dry = await fix(dir, ['--dry-run']);
    const titles = dry.stdout + dry.stderr;
    const r = await fix(dir);
    if (process.env.RPM_DEBUG) process.stderr.write(titles + r.stdout + r.stderr);
    const real = await realChoice(main);
    // The fixtures make the two settings differ where dnf keeps or upgrades an installed build.
    expect(real).toEqual(image === 'best' ? ['hello-1.2-1.el9', 'gone-0.7-1.el9', 'newer-3.0-1.el9', 'local-1.0-1.el9', 'fresh-1.0-1.el9'] : ['hello-1.0-1.el9', 'gone-0.5-1.el9', 'newer-3.0-1.el9', 'local-1.0-1.el9', 'fresh-1.0-1.el9']);
    const written = read(dir);
    expect(written).toBe(`${from(image)}RUN dnf -y install ${real.join(' ')} && dnf clean all\n`);
    expect(titles).toContain(image === 'best' ? `'hello' → 'hello-1.2-1.el9' (installed in the base image at 1.0-1.el9; best=True moves it to the newest build` : `'hello' → 'hello-1.0-1.el9' (installed in the base image; dnf keeps the installed build (best=False))`);
    expect(titles).toContain(`'local' → 'local-1.0-1.el9' (installed in the base image; `);
    expect(r.code).toBe(0);
    expect(await realChoice(main, real)).toEqual(real);
    // The lock keeps what was learnt per package, not the database.
    const lock = readFileSync(join(dir, 'dockrepro.lock.json'), 'utf8');
    expect(lock.length).toBeLessThan(20_000);
    expect(lock).toContain('rpmdb:');
    writeFileSync(join(dir, 'Dockerfile'), text);
    const offline = await fix(dir, ['--offline']);
    if (process.env.RPM_DEBUG) process.stderr.write(offline.stdout + offline.stderr);
    expect(read(dir)).toBe(written);
  }, 180_000);

  it('an earlier `dnf upgrade` moves installed builds to the newest even with best=False', async () => {
    const dir = project(`${from('nobest')}RUN dnf -y upgrade && dnf -y install hello newer\n`);
    await fix(dir);
    expect(read(dir)).toBe(`${from('nobest')}RUN dnf -y upgrade && dnf -y install hello-1.2-1.el9 newer-3.0-1.el9\n`);
  }, 120_000);

  it('an upgrade in the stage a stage builds on counts too (the FROM chain)', async () => {
    const text = `${from('nobest').trim()} AS base\nRUN dnf -y upgrade\nFROM base\nRUN dnf -y install hello newer\n`;
    const dir = project(text);
    await fix(dir);
    expect(read(dir)).toBe(text.replace('install hello newer', 'install hello-1.2-1.el9 newer-3.0-1.el9'));
  }, 120_000);

  it('microdnf: an installed build is kept when nothing newer exists; an installed build with a newer one available is left', async () => {
    const dir = project(`${from('best')}RUN microdnf install -y hello newer fresh\n`);
    const r = await fix(dir);
    expect(read(dir)).toBe(`${from('best')}RUN microdnf install -y hello newer-3.0-1.el9 fresh-1.0-1.el9\n`);
    expect(r.stdout + r.stderr).toMatch(/'hello' is installed in the base image \(1\.0-1\.el9\) and the repositories have 1\.2-1\.el9: whether microdnf keeps or upgrades it was not checked/);
  }, 120_000);

  it('a BerkeleyDB database (EL 8): best=True gives an unsafe fix saying why; best=False and microdnf are left', async () => {
    const text = `${from('bdb')}RUN dnf -y install fresh\nRUN dnf -y --setopt=x=1 install hello\nRUN microdnf install -y fresh\n`;
    const dir = project(text);
    const r = await fix(dir);
    expect(read(dir)).toBe(text);
    expect(r.stdout + r.stderr).toMatch(/Dockerfile:2:\d+: dnf-pin left \(unsafe not enabled\): pin dnf package 'fresh' → 'fresh-1\.0-1\.el9' \(newest noarch build in baseos\); unsafe: the image's rpm database \(\/var\/lib\/rpm\/Packages\) is BerkeleyDB/);
    expect(r.stdout + r.stderr).toMatch(/BerkeleyDB \(EL 8 and older\), which dockrepro does not read: if the image has 'fresh' installed, microdnf keeps that build/);
    const u = await fix(dir, ['--unsafe']);
    if (process.env.RPM_DEBUG) process.stderr.write(u.stdout + u.stderr);
    expect(read(dir)).toBe(`${from('bdb')}RUN dnf -y install fresh-1.0-1.el9\nRUN dnf -y --setopt=x=1 install hello\nRUN microdnf install -y fresh\n`);
  }, 120_000);
});
