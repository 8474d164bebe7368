/**
 * apt pins end to end through the CLI: base images pushed to the test registry with real os-release and apt
 * sources files (Debian 12 deb822, Debian 11 one-line, Ubuntu 22.04), a real archive built with dpkg-deb,
 * apt-ftparchive and gpg in a snapshot layout with two timestamps whose versions differ, reached through
 * `archives:` mirrors. The Dockerfile fix writes is then run for real: its RUN, with the inserted snapshot
 * command, under `unshare -m` with a copy of the image's /etc/apt bound over /etc/apt, and the real apt-get
 * (download only, through the archive server as its HTTP proxy) must fetch exactly the pinned versions.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { snapshotIdFor } from '../../src/fixers/apt-version';
import { runCli } from '../helpers/cli';
import { debToolsMissing, mirrorsFor, startDebArchives, type DebArchiveServer } from '../helpers/debArchive';
import { pushFixtureImage } from '../helpers/imageFixtures';
import { describeWithRegistries } from '../helpers/registryFixtures';
import { inCI } from '../helpers/ci';

const DEBIAN12_SOURCES = 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n';
const OS = {
  debian12: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n',
  debian11: 'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nVERSION_ID="11"\nVERSION_CODENAME=bullseye\nID=debian\n',
  ubuntu: 'NAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\nUBUNTU_CODENAME=jammy\n',
  alpine: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\n',
};
const OLD = '20240101T000000Z';
const NEW = '20240301T000000Z';

const missing = debToolsMissing() ?? (spawnSync('unshare', ['-m', 'true']).status === 0 ? undefined : 'unshare -m does not work here (needs root)');
if (missing) process.stderr.write(`\nSKIPPED (apt pins against a real archive): ${missing}\n`);

describeWithRegistries('apt pins from the image\'s sources and a real archive', (regs) => {
  if (missing) {
    it('needs dpkg-deb, apt-ftparchive, gpg, apt-get and unshare', () => {
      if (inCI()) throw new Error(`cannot run under CI: ${missing}`);
    });
    return;
  }
  let server: DebArchiveServer;
  const images: Record<string, string> = {};
  beforeAll(async () => {
    server = await startDebArchives([
      {
        archive: 'debian',
        snapshots: {
          [OLD]: {
            bookworm: { main: [{ name: 'hello', version: '1.0-1', depends: 'libgreet (>= 1.0)' }, { name: 'libgreet', version: '1.0-1' }] },
            'bookworm-updates': { main: [] },
            bullseye: { main: [{ name: 'hello', version: '0.9-1', depends: 'libgreet' }, { name: 'libgreet', version: '0.9-1' }] },
          },
          [NEW]: {
            bookworm: { main: [{ name: 'hello', version: '1.0-2', depends: 'libgreet (>= 1.1)' }, { name: 'libgreet', version: '1.1-1' }, { name: 'gone', version: '1-1' }] },
            'bookworm-updates': { main: [{ name: 'libgreet', version: '1.1-1+deb12u1' }] },
            bullseye: { main: [{ name: 'hello', version: '0.9-2', depends: 'libgreet' }, { name: 'libgreet', version: '0.9-1' }] },
          },
        },
      },
      { archive: 'ubuntu', snapshots: { [NEW]: { jammy: { main: [{ name: 'hello', version: '2.10-2ubuntu4' }] } } } },
    ]);
    const push = async (name: string, files: Record<string, string>, dirs: string[] = []) => {
      images[name] = `${regs.open.host}/e2e-apt/${name}@${(await pushFixtureImage(regs.open, `e2e-apt/${name}`, { layers: [{ files, dirs: ['/etc/apt/sources.list.d', ...dirs] }], tags: ['1'] })).digest}`;
    };
    await push('debian12', { '/etc/os-release': OS.debian12, '/etc/apt/sources.list.d/debian.sources': DEBIAN12_SOURCES });
    await push('debian11', { '/etc/os-release': OS.debian11, '/etc/apt/sources.list': '# bullseye\ndeb http://deb.debian.org/debian bullseye main\n' });
    await push('ubuntu', { '/etc/os-release': OS.ubuntu, '/etc/apt/sources.list': 'deb http://archive.ubuntu.com/ubuntu/ jammy main\n', '/etc/ssl/certs/ca-certificates.crt': 'certs\n' });
    await push('preferences', { '/etc/os-release': OS.debian12, '/etc/apt/sources.list.d/debian.sources': DEBIAN12_SOURCES, '/etc/apt/preferences.d/pin': 'Package: *\nPin: release a=bookworm\nPin-Priority: 1001\n' });
    await push('unknown', { '/etc/os-release': OS.debian12, '/etc/apt/sources.list': 'deb http://apt.example.com/debian bookworm main\n' });
    await push('alpine', { '/etc/os-release': OS.alpine });
    // dpkg's database: libgreet newer than any archive build, hello older, an old removal left as config-files.
    const status = [
      'Package: libgreet\nStatus: install ok installed\nArchitecture: all\nVersion: 2.0-1\n',
      'Package: hello\nStatus: install ok installed\nArchitecture: amd64\nVersion: 0.5-1\n',
      'Package: gone\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 9-1\n',
    ].join('\n');
    await push('installed', { '/etc/os-release': OS.debian12, '/etc/apt/sources.list.d/debian.sources': DEBIAN12_SOURCES, '/var/lib/dpkg/status': status });
  }, 180_000);
  afterAll(() => server?.close());
  beforeEach(() => {
    server.requests.length = 0;
    server.override.clear();
  });

  /** A project folder with the Dockerfile and a config sending the public archive hosts to the server. */
  const project = (dockerfile: string, strategy?: 'snapshot' | 'versions', lock?: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'dockrepro-apt-'));
    const archives = Object.entries(mirrorsFor(server)).map(([k, v]) => `  ${k}: ${v}\n`).join('');
    writeFileSync(join(dir, '.dockrepro.yaml'), `archives:\n${archives}${strategy ? `apt: { strategy: ${strategy} }\n` : ''}`);
    writeFileSync(join(dir, 'Dockerfile'), dockerfile);
    if (lock) writeFileSync(join(dir, 'dockrepro.lock.json'), lock);
    return dir;
  };
  const fix = async (dir: string, args: string[] = []) => {
    const r = await runCli(['fix', '--rules', 'apt-pin', ...args], { cwd: dir, env: { HOME: dir } });
    return { ...r, text: readFileSync(join(dir, 'Dockerfile'), 'utf8') };
  };
  const indexDownloads = () => server.requests.filter((p) => /\/(InRelease|Release|Packages(\.gz)?)$/.test(p));

  /** Runs the RUN body for real: the image's /etc/apt in a private mount, apt-get downloading only; the .debs fetched. */
  async function runApt(body: string, etcApt: Record<string, string>): Promise<{ debs: string[]; log: string }> {
    const root = mkdtempSync(join(tmpdir(), 'dockrepro-apt-root-'));
    for (const [path, text] of Object.entries(etcApt)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    for (const d of ['etc/apt/apt.conf.d', 'etc/apt/preferences.d', 'etc/apt/trusted.gpg.d', 'etc/apt/sources.list.d', 'state/lists/partial', 'cache/archives/partial', 'log']) mkdirSync(join(root, d), { recursive: true });
    copyFileSync(server.keyring, join(root, 'etc/apt/trusted.gpg.d/test.gpg'));
    writeFileSync(join(root, 'status'), '');
    writeFileSync(join(root, 'apt.conf'), [
      `Dir::State "${root}/state";`, `Dir::State::status "${root}/status";`, `Dir::Cache "${root}/cache";`, `Dir::Log "${root}/log";`,
      `Acquire::http::Proxy "${server.url}";`, 'APT::Architecture "amd64";', 'APT::Architectures { "amd64"; };', 'APT::Get::Download-Only "true";', 'Debug::NoLocking "true";', '',
    ].join('\n'));
    const script = `mount --bind '${root}/etc/apt' /etc/apt && mount --bind '${server.keyring}' /usr/share/keyrings/debian-archive-keyring.gpg && exec sh -c "$BODY"`;
    // Not spawnSync: the archive server answering apt-get runs in this process.
    const child = spawn('unshare', ['-m', 'sh', '-c', script], { env: { ...process.env, APT_CONFIG: join(root, 'apt.conf'), BODY: body, DEBIAN_FRONTEND: 'noninteractive' } });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const status = await new Promise<number | null>((r) => child.on('close', r));
    if (status !== 0) throw new Error(`the RUN failed under real apt-get:\n${log}`);
    return { debs: readdirSync(join(root, 'cache/archives')).filter((f) => f.endsWith('.deb')).sort(), log };
  }
  const runBody = (text: string) => /^RUN (.*)$/m.exec(text)![1];

  it('Debian 12 (deb822), strategy snapshot from the lock: the sources rewrite and pins to that snapshot; the real apt-get fetches exactly them', async () => {
    const lock = JSON.stringify({ version: 1, images: {} });
    const dir = project(`FROM ${images.debian12}\nRUN apt-get update && apt-get install -y --no-install-recommends hello libgreet\n`, 'snapshot', lock);
    // The snapshot id comes from the lock when it has one: an earlier fix chose it.
    const seeded = await fix(dir, ['--offline']);
    expect(seeded.text).toContain('apt-get install -y --no-install-recommends hello libgreet');
    const lockFile = join(dir, 'dockrepro.lock.json');
    const digest = images.debian12.split('@')[1];
    const snapshotAt = '20240201T120000Z';
    writeFileSync(lockFile, JSON.stringify({ version: 1, images: {}, packages: { [`apt-snapshot:${digest} linux/amd64`]: { version: snapshotAt, resolvedAt: '2024-02-02T00:00:00Z' } } }));
    const r = await fix(dir);
    const snap = `http://snapshot.debian.org/archive/debian/${snapshotAt}`;
    const sources = ['Types: deb', `URIs: ${snap}`, 'Suites: bookworm', 'Components: main', 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg', 'Check-Valid-Until: no', '', 'Types: deb', `URIs: ${snap}`, 'Suites: bookworm-updates', 'Components: main', 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg', 'Check-Valid-Until: no'];
    const command = `printf '%s\\n' ${sources.map((l) => `'${l}'`).join(' ')} > /etc/apt/sources.list.d/debian.sources`;
    expect(r.text).toBe(`FROM ${images.debian12}\nRUN ${command} && apt-get update && apt-get install -y --no-install-recommends hello=1.0-1 libgreet=1.0-1\n`);
    expect(r.stdout).toContain('0 left');
    // One download of each Release and index: two suites, one component, one architecture.
    expect(indexDownloads().sort()).toEqual([
      `/snapshot.debian.org/archive/debian/${snapshotAt}/dists/bookworm-updates/InRelease`,
      `/snapshot.debian.org/archive/debian/${snapshotAt}/dists/bookworm-updates/main/binary-amd64/Packages.gz`,
      `/snapshot.debian.org/archive/debian/${snapshotAt}/dists/bookworm/InRelease`,
      `/snapshot.debian.org/archive/debian/${snapshotAt}/dists/bookworm/main/binary-amd64/Packages.gz`,
    ]);
    // The real apt-get, reading the sources the inserted command writes: exactly the pinned versions, and the
    // same ones when the pins are taken away (the snapshot alone decides).
    expect((await runApt(runBody(r.text), { 'etc/apt/sources.list.d/debian.sources': DEBIAN12_SOURCES })).debs).toEqual(['hello_1.0-1_all.deb', 'libgreet_1.0-1_all.deb']);
    expect((await runApt(runBody(r.text).replace(/=1\.0-1/g, ''), { 'etc/apt/sources.list.d/debian.sources': DEBIAN12_SOURCES })).debs).toEqual(['hello_1.0-1_all.deb', 'libgreet_1.0-1_all.deb']);
    // Fix twice = fix once; and an offline fix of the original text from the lock gives the same bytes, no request.
    server.requests.length = 0;
    expect((await fix(dir)).text).toBe(r.text);
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${images.debian12}\nRUN apt-get update && apt-get install -y --no-install-recommends hello libgreet\n`);
    expect((await fix(dir, ['--offline'])).text).toBe(r.text);
    expect(indexDownloads()).toEqual([]);
  }, 120_000);

  it('Debian 11 (one-line sources), the default strategy: an unsafe fix, applied with --unsafe; the snapshot chosen now is recorded in the lock', async () => {
    const dir = project(`FROM ${images.debian11}\nRUN apt-get update \\\n && apt-get install -y hello\n`);
    const safeOnly = await fix(dir);
    expect(safeOnly.stdout).toMatch(/unsafe/);
    expect(safeOnly.text).toContain('install -y hello\n');
    const r = await fix(dir, ['--unsafe']);
    const ts = snapshotIdFor(new Date());
    const command = `printf '%s\\n' 'deb [check-valid-until=no] http://snapshot.debian.org/archive/debian/${ts} bullseye main' > /etc/apt/sources.list`;
    expect(r.text).toBe(`FROM ${images.debian11}\nRUN ${command} && apt-get update \\\n && apt-get install -y hello=0.9-2\n`);
    const lock = JSON.parse(readFileSync(join(dir, 'dockrepro.lock.json'), 'utf8'));
    expect(lock.packages[`apt-snapshot:${images.debian11.split('@')[1]} linux/amd64`].version).toBe(ts);
    expect((await runApt(runBody(r.text.replace(' \\\n', ' ')), { 'etc/apt/sources.list': '# bullseye\ndeb http://deb.debian.org/debian bullseye main\n' })).debs).toEqual(['hello_0.9-2_all.deb', 'libgreet_0.9-1_all.deb']);
  }, 120_000);

  it('strategy versions: the highest version across the image\'s suites today, safe; the real apt-get picks the same', async () => {
    const dir = project(`FROM ${images.debian12}\nRUN apt-get update && apt-get install -y libgreet hello\n`, 'versions');
    const r = await fix(dir);
    expect(r.text).toBe(`FROM ${images.debian12}\nRUN apt-get update && apt-get install -y libgreet=1.1-1+deb12u1 hello=1.0-2\n`);
    expect(r.stdout).toContain('0 left');
    expect((await runApt(runBody(r.text), { 'etc/apt/sources.list.d/debian.sources': DEBIAN12_SOURCES })).debs).toEqual(['hello_1.0-2_all.deb', 'libgreet_1.1-1+deb12u1_all.deb']);
    // What the real apt picks without pins is the same.
    expect((await runApt(runBody(r.text).replace(/=[^ ]+/g, ''), { 'etc/apt/sources.list.d/debian.sources': DEBIAN12_SOURCES })).debs).toEqual(['hello_1.0-2_all.deb', 'libgreet_1.1-1+deb12u1_all.deb']);
  }, 120_000);

  it("a package the image has installed: apt never downgrades it (the installed build is pinned when newer), --no-upgrade keeps it", async () => {
    const r = await fix(project(`FROM ${images.installed}\nRUN apt-get update && apt-get install -y libgreet hello\nRUN apt-get install -y --no-upgrade hello\n`, 'versions'));
    expect(r.text).toBe(`FROM ${images.installed}\nRUN apt-get update && apt-get install -y libgreet=2.0-1 hello=1.0-2\nRUN apt-get install -y --no-upgrade hello=0.5-1\n`);
  }, 120_000);

  it('Ubuntu 22.04: snapshot.ubuntu.com over https (the image has CA certificates)', async () => {
    const dir = project(`FROM ${images.ubuntu}\nRUN apt-get update && apt-get install -y hello\n`, 'snapshot');
    const r = await fix(dir);
    const ts = snapshotIdFor(new Date());
    expect(r.text).toBe(`FROM ${images.ubuntu}\nRUN printf '%s\\n' 'deb [check-valid-until=no] https://snapshot.ubuntu.com/ubuntu/${ts} jammy main' > /etc/apt/sources.list && apt-get update && apt-get install -y hello=2.10-2ubuntu4\n`);
  }, 60_000);

  it.each([
    ['an unknown package', 'debian12', 'RUN apt-get update && apt-get install -y nosuchpkg', /package 'nosuchpkg' is not in http:\/\/snapshot\.debian\.org\/archive\/debian\/\d{8}T000000Z bookworm/],
    ['apt preferences in the image', 'preferences', 'RUN apt-get update && apt-get install -y hello', /apt preferences \(\/etc\/apt\/preferences\.d\/pin\)/],
    ['a source without a snapshot service', 'unknown', 'RUN apt-get update && apt-get install -y hello', /apt source http:\/\/apt\.example\.com\/debian \(\/etc\/apt\/sources\.list\) has no known snapshot archive/],
    ['not Debian', 'alpine', 'RUN apt-get update && apt-get install -y hello', /the base image is Alpine Linux, not Debian or Ubuntu/],
    ['sources changed by the Dockerfile', 'debian12', "RUN echo 'deb http://x/ y main' > /etc/apt/sources.list.d/x.list && apt-get update && apt-get install -y hello", /line 2: the RUN writes or names \/etc\/apt \(apt's sources or preferences\) before the install/],
    ['a COPY into /etc/apt', 'debian12', 'COPY x.list /etc/apt/sources.list.d/\nRUN apt-get update && apt-get install -y hello', /COPY may write into \/etc\/apt/],
    ['-t', 'debian12', 'RUN apt-get update && apt-get install -y -t bookworm-backports hello', /'-t' changes which version apt picks/],
    ['no apt-get update', 'debian12', 'RUN apt-get install -y hello', /no 'apt-get update' before the install/],
  ])('%s → left with the reason, nothing written', async (_, image, body, reason) => {
    const text = `FROM ${images[image]}\n${body}\n`;
    const dir = project(text, 'snapshot');
    const r = await fix(dir);
    expect(r.text).toBe(text);
    expect(r.stdout).toMatch(reason);
  }, 60_000);

  it('a bad hash in Release and a missing index → left with the reason, nothing written', async () => {
    const text = `FROM ${images.debian12}\nRUN apt-get update && apt-get install -y hello\n`;
    const root = server.roots.get(`debian ${NEW}`)!;
    const release = readFileSync(join(root, 'dists/bookworm/Release'), 'utf8').replace(/^ [0-9a-f]{64}( +\d+ main\/binary-amd64\/Packages\.gz)$/m, ` ${'0'.repeat(64)}$1`);
    server.override.set('/deb.debian.org/debian/dists/bookworm/InRelease', { status: 200, body: release });
    const bad = await fix(project(text, 'versions'));
    expect(bad.text).toBe(text);
    expect(bad.stdout).toMatch(/Packages\.gz: size \d+ and sha256 [0-9a-f]{64} do not match the Release file/);
    server.override.clear();
    server.override.set('/deb.debian.org/debian/dists/bookworm/main/binary-amd64/Packages.gz', { status: 404, body: 'gone' });
    const gone = await fix(project(text, 'versions'));
    expect(gone.text).toBe(text);
    expect(gone.stdout).toMatch(/Packages\.gz: not found, though the Release file lists it/);
  }, 60_000);

  it('a version no longer in the index: the lock\'s pin is not trusted blindly for a re-run that reads again (--refresh)', async () => {
    // `gone=1-1` is only in the newest snapshot: reading the older one leaves the package with the reason.
    const dir = project(`FROM ${images.debian12}\nRUN apt-get update && apt-get install -y gone\n`, 'snapshot');
    writeFileSync(join(dir, 'dockrepro.lock.json'), JSON.stringify({ version: 1, images: {}, packages: { [`apt-snapshot:${images.debian12.split('@')[1]} linux/amd64`]: { version: OLD, resolvedAt: '2024-01-02T00:00:00Z' } } }));
    const r = await fix(dir);
    expect(r.text).toContain('install -y gone\n');
    expect(r.stdout).toMatch(/package 'gone' is not in http:\/\/snapshot\.debian\.org\/archive\/debian\/20240101T000000Z bookworm/);
  }, 60_000);
});
