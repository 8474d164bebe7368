/**
 * rpm-version end to end through the CLI: real rpm-md repositories (rpmbuild + createrepo_c) served on
 * 127.0.0.1 and mapped through `archives:` from the URLs the images' .repo files name, base images with a real
 * /etc/os-release and .repo files in the test registry. The fixer's choice is compared with what the real
 * dnf installs from the same repositories, and the pinned spec must make dnf install exactly that build.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { runCli } from '../helpers/cli';
import { pushFixtureImage } from '../helpers/imageFixtures';
import { describeWithRegistries } from '../helpers/registryFixtures';
import { buildRpmRepos, dnfInstallChoice, rpmRepoToolsAvailable } from '../helpers/rpmTools';
import { inCI } from '../helpers/ci';

const ALMA_OS_RELEASE = 'NAME="AlmaLinux"\nVERSION="9.4 (Seafoam Ocelot)"\nID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\nPLATFORM_ID="platform:el9"\n';
const ROCKY_OS_RELEASE = 'NAME="Rocky Linux"\nVERSION="9.3 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\n';
const FEDORA_OS_RELEASE = 'NAME="Fedora Linux"\nVERSION="39 (Container Image)"\nID=fedora\nVERSION_ID=39\n';
/** AlmaLinux's own almalinux-baseos.repo shape, with the baseurl lines enabled. */
const ALMA_REPOS = [
  '[baseos]', 'name=AlmaLinux $releasever - BaseOS', 'baseurl=https://repo.almalinux.org/almalinux/$releasever/BaseOS/$basearch/os/', 'enabled=1', 'gpgcheck=1', '',
  '[appstream]', 'name=AlmaLinux $releasever - AppStream', 'baseurl=https://repo.almalinux.org/almalinux/$releasever/AppStream/$basearch/os/', 'enabled=1', '',
  '[crb]', 'name=AlmaLinux $releasever - CRB', 'baseurl=https://repo.almalinux.org/almalinux/$releasever/CRB/$basearch/os/', 'enabled=0', '',
].join('\n');
const ROCKY_REPOS = '[baseos]\nname=Rocky Linux $releasever - BaseOS\nmirrorlist=https://mirrors.rockylinux.org/mirrorlist?arch=$basearch&repo=BaseOS-$releasever$rltype\n#baseurl=http://dl.rockylinux.org/$contentdir/$releasever/BaseOS/$basearch/os/\nenabled=1\n';
const FEDORA_REPOS = '[fedora]\nname=Fedora $releasever - $basearch\nmetalink=https://mirrors.fedoraproject.org/metalink?repo=fedora-$releasever&arch=$basearch\nenabled=1\n';

const missing = rpmRepoToolsAvailable();

describeWithRegistries('rpm-version against real rpm repositories', (regs) => {
  if (missing) {
    it('needs rpmbuild, createrepo_c and dnf', () => {
      if (inCI()) throw new Error(`cannot run under CI: ${missing}`);
      process.stderr.write(`\nSKIPPED: rpm-version: ${missing}\n`);
    });
    return;
  }
  const root = mkdtempSync(join(tmpdir(), 'dockrepro-rpm-'));
  const requests: string[] = [];
  const broken = new Map<string, Buffer>();
  let url = '';
  let close: () => void = () => undefined;
  const images: Record<string, string> = {};

  beforeAll(async () => {
    buildRpmRepos(join(root, 'www'), {
      'alma/9/BaseOS/x86_64/os': [
        { name: 'hello', version: '1.0', release: '1.el9', arch: 'x86_64' }, { name: 'hello', version: '1.0', release: '2.el9', arch: 'x86_64' },
        { name: 'tool', version: '2.0', release: '1.el9' }, { name: 'epo', version: '1.0', release: '1.el9', epoch: 1 }, { name: 'epo', version: '9.0', release: '1.el9' },
        { name: 'armonly', version: '1.0', release: '1.el9', arch: 'aarch64' }, { name: 'caret', version: '1.0^git1', release: '1.el9' }, { name: 'caret', version: '1.0.1~rc1', release: '1.el9' },
      ],
      // AppStream carries a newer hello and an older tool (the newest across enabled repositories wins).
      'alma/9/AppStream/x86_64/os': [{ name: 'hello', version: '1.1', release: '1.el9', arch: 'x86_64' }, { name: 'tool', version: '1.9', release: '5.el9' }],
      'alma/9/CRB/x86_64/os': [{ name: 'hello', version: '9.0', release: '1.el9', arch: 'x86_64' }],
      'fedora/39/Everything/x86_64/os': [{ name: 'hello', version: '2.0', release: '1.fc39', arch: 'x86_64' }],
    });
    const fedoraRepomd = readFileSync(join(root, 'www/fedora/39/Everything/x86_64/os/repodata/repomd.xml'));
    const metalink = `<?xml version="1.0" encoding="utf-8"?>\n<metalink version="3.0" xmlns="http://www.metalinker.org/" xmlns:mm0="http://fedorahosted.org/mirrormanager">\n <files>\n  <file name="repomd.xml">\n   <size>${fedoraRepomd.length}</size>\n   <verification>\n    <hash type="md5">0</hash>\n    <hash type="sha256">${createHash('sha256').update(fedoraRepomd).digest('hex')}</hash>\n   </verification>\n   <resources maxconnections="1">\n    <url protocol="https" type="https" location="US" preference="90">https://stale.example.org/fedora/39/x86_64/os/repodata/repomd.xml</url>\n    <url protocol="https" type="https" location="US" preference="100">https://dl.fedoraproject.org/pub/fedora/linux/releases/39/Everything/x86_64/os/repodata/repomd.xml</url>\n   </resources>\n  </file>\n </files>\n</metalink>\n`;
    writeFileSync(join(root, 'www/metalink'), metalink);
    const server = createServer((req, res) => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
      requests.push(path);
      const file = normalize(join(root, 'www', path));
      const body = broken.get(path) ?? (() => { try { return file.startsWith(join(root, 'www')) ? readFileSync(file) : undefined; } catch { return undefined; } })();
      if (!body || body.length === 0) { res.writeHead(404); res.end('not found'); return; }
      res.writeHead(200);
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
    const push = async (repo: string, files: Record<string, string>) => (await pushFixtureImage(regs.open, repo, { layers: [{ files }], tags: ['9'] })).digest;
    images.alma = await push('rpm/alma', { '/etc/os-release': ALMA_OS_RELEASE, '/etc/yum.repos.d/almalinux.repo': ALMA_REPOS, '/etc/dnf/dnf.conf': '[main]\ngpgcheck=1\nbest=True\n' });
    images.rocky = await push('rpm/rocky', { '/etc/os-release': ROCKY_OS_RELEASE, '/etc/yum.repos.d/rocky.repo': ROCKY_REPOS, '/etc/dnf/vars/rltype': '\n', '/etc/dnf/vars/contentdir': 'pub/rocky\n' });
    images.fedora = await push('rpm/fedora', { '/etc/os-release': FEDORA_OS_RELEASE, '/etc/yum.repos.d/fedora.repo': FEDORA_REPOS });
  }, 120_000);
  afterAll(() => close());
  beforeEach(() => {
    requests.length = 0;
    broken.clear();
  });

  const archives = () => [
    'archives:',
    `  https://repo.almalinux.org/almalinux: ${url}/alma`,
    `  https://mirrors.fedoraproject.org/metalink: ${url}/metalink`,
    `  https://dl.fedoraproject.org/pub/fedora/linux/releases: ${url}/fedora`,
    `  https://stale.example.org/fedora: ${url}/fedora-stale`,
    '',
  ].join('\n');
  const project = (dockerfile: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'dockrepro-rpm-fix-'));
    writeFileSync(join(dir, 'Dockerfile'), dockerfile);
    writeFileSync(join(dir, '.dockrepro.yaml'), archives());
    return dir;
  };
  const fix = (dir: string, extra: string[] = []) => runCli(['fix', '--rules', 'dnf-pin', ...extra], { cwd: dir, env: { HOME: dir } });
  const read = (dir: string) => readFileSync(join(dir, 'Dockerfile'), 'utf8');
  const from = (image: string) => `FROM ${regs.open.host}/rpm/${image}:9@${images[image]}\n`;

  /** The loopback .repo files dnf reads: the image's repositories with their URLs mapped as `archives:` maps them. */
  const dnfRepos = () => {
    const d = join(root, 'dnf-repos');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'alma.repo'), ALMA_REPOS.replaceAll('https://repo.almalinux.org/almalinux', `${url}/alma`).replaceAll('gpgcheck=1', 'gpgcheck=0'));
    return d;
  };

  it('pins each package to the build the real dnf installs today, across BaseOS and AppStream; dnf installs the pins', async () => {
    const dir = project(`${from('alma')}RUN dnf -y install hello tool epo caret && dnf clean all\nRUN microdnf install -y hello.x86_64\n`);
    const r = await fix(dir);
    if (process.env.RPM_DEBUG) process.stderr.write(r.stdout + r.stderr);
    // Each repository's metadata once per run (before dnf, which reads the same server, is asked).
    const ours = [...requests];
    expect(ours.filter((p) => p.endsWith('repomd.xml')).sort()).toEqual(['/alma/9/AppStream/x86_64/os/repodata/repomd.xml', '/alma/9/BaseOS/x86_64/os/repodata/repomd.xml']);
    expect(ours.filter((p) => p.includes('primary'))).toHaveLength(2);
    const real = await dnfInstallChoice(join(root, 'dnf-work'), dnfRepos(), ['hello', 'tool', 'epo', 'caret']);
    expect(real.stderr).toBe('');
    // The real choice: hello from AppStream, tool from BaseOS, epo's epoch 1 over 9.0, 1.0.1~rc1 over 1.0^git1.
    expect(real.files).toEqual(['caret-1.0.1~rc1-1.el9.noarch.rpm', 'epo-1.0-1.el9.noarch.rpm', 'hello-1.1-1.el9.x86_64.rpm', 'tool-2.0-1.el9.noarch.rpm']);
    const written = read(dir);
    expect(written).toBe(`${from('alma')}RUN dnf -y install hello-1.1-1.el9 tool-2.0-1.el9 epo-1:1.0-1.el9 caret-1.0.1~rc1-1.el9 && dnf clean all\nRUN microdnf install -y hello-1.1-1.el9.x86_64\n`);
    expect(r.code).toBe(0);
    // The pins name exactly those builds for the real dnf.
    const pinned = await dnfInstallChoice(join(root, 'dnf-work'), dnfRepos(), ['hello-1.1-1.el9', 'tool-2.0-1.el9', 'epo-1:1.0-1.el9', 'caret-1.0.1~rc1-1.el9']);
    expect(pinned.files).toEqual(real.files);

    // Fix twice = fix once; an offline re-run from the lock is byte-identical and asks nobody.
    const lock = readFileSync(join(dir, 'dockrepro.lock.json'), 'utf8');
    requests.length = 0;
    expect((await fix(dir)).stdout).toContain('0 left');
    expect(read(dir)).toBe(written);
    writeFileSync(join(dir, 'Dockerfile'), `${from('alma')}RUN dnf -y install hello tool epo caret && dnf clean all\nRUN microdnf install -y hello.x86_64\n`);
    await fix(dir, ['--offline']);
    expect(requests).toEqual([]);
    expect(read(dir)).toBe(written);
    expect(readFileSync(join(dir, 'dockrepro.lock.json'), 'utf8')).toBe(lock);
  }, 60_000);

  it('--enablerepo and --disablerepo are honoured as dnf honours them', async () => {
    const dir = project(`${from('alma')}RUN dnf --enablerepo=crb install -y hello\nRUN dnf install --disablerepo=appstream -y hello\n`);
    await fix(dir);
    const withCrb = await dnfInstallChoice(join(root, 'dnf-work'), dnfRepos(), ['hello'], ['--enablerepo=crb']);
    const noApp = await dnfInstallChoice(join(root, 'dnf-work'), dnfRepos(), ['hello'], ['--disablerepo=appstream']);
    expect([withCrb.files, noApp.files]).toEqual([['hello-9.0-1.el9.x86_64.rpm'], ['hello-1.0-2.el9.x86_64.rpm']]);
    expect(read(dir)).toBe(`${from('alma')}RUN dnf --enablerepo=crb install -y hello-9.0-1.el9\nRUN dnf install --disablerepo=appstream -y hello-1.0-2.el9\n`);
  }, 60_000);

  it('a metalink repository: read from the mirror whose repomd.xml has the metalink hash', async () => {
    const dir = project(`${from('fedora')}RUN dnf install -y hello\n`);
    const r = await fix(dir);
    if (process.env.RPM_DEBUG) process.stderr.write(r.stdout + r.stderr);
    expect(read(dir)).toBe(`${from('fedora')}RUN dnf install -y hello-2.0-1.fc39\n`);
    expect(r.code).toBe(0);
    expect(requests).toContain('/metalink');
    // The preferred mirror answered with the hashed repomd; the stale one was never needed.
    expect(requests.some((p) => p.startsWith('/fedora-stale'))).toBe(false);
  }, 60_000);

  it('a metalink whose mirrors serve another repomd.xml: left, nothing written', async () => {
    broken.set('/fedora/39/Everything/x86_64/os/repodata/repomd.xml', Buffer.from('<repomd>changed</repomd>'));
    const text = `${from('fedora')}RUN dnf install -y hello\n`;
    const dir = project(text);
    const r = await fix(dir);
    if (process.env.RPM_DEBUG) process.stderr.write(r.stdout + r.stderr);
    expect(read(dir)).toBe(text);
    expect(r.stdout + r.stderr).toMatch(/no mirror of the metalink https:\/\/mirrors\.fedoraproject\.org\/metalink\?repo=fedora-39&arch=x86_64 served the current repomd\.xml/);
  }, 60_000);

  it.each([
    ['a mirrorlist-only repository', 'rocky', 'RUN dnf install -y hello', /repository 'baseos' \(Rocky Linux 9 - BaseOS\) in \/etc\/yum\.repos\.d\/rocky\.repo is given only by mirrorlist=https:\/\/mirrors\.rockylinux\.org\/mirrorlist\?arch=x86_64&repo=BaseOS-9: .*map that URL in 'archives:'/],
    ['an unknown package', 'alma', 'RUN dnf install -y nosuch', /no package 'nosuch' for x86_64\/noarch in the enabled repositories \(baseos, appstream\)/],
    ['a package of another architecture', 'alma', 'RUN dnf install -y armonly', /no package 'armonly' for x86_64\/noarch/],
    ['an earlier repository change', 'alma', 'RUN dnf config-manager --set-enabled crb && dnf install -y hello', /line 2: 'dnf config-manager' changes the repositories/],
    ['a release package installed first', 'alma', 'RUN dnf install -y epel-release && dnf install -y hello', /installs epel-release, which may add repositories/],
    ['a .repo file copied in', 'alma', 'COPY my.repo /etc/yum.repos.d/\nRUN dnf install -y hello', /COPY into \/etc\/yum\.repos\.d\/ may change the repositories/],
  ])('%s: left with a clear reason, nothing written', async (_, image, body, reason) => {
    const text = `${from(image)}${body}\n`;
    const dir = project(text);
    const r = await fix(dir);
    if (process.env.RPM_DEBUG) process.stderr.write(r.stdout + r.stderr);
    expect(read(dir)).toBe(text);
    expect(r.stdout + r.stderr).toMatch(reason);
  }, 60_000);

  it.each([
    ['a missing repomd.xml', '/alma/9/AppStream/x86_64/os/repodata/repomd.xml', Buffer.alloc(0), /AppStream\/x86_64\/os\/repodata\/repomd\.xml: not found/],
    ['a primary file that does not match its checksum', 'primary', Buffer.from('tampered'), /does not match its sha256 checksum in repomd\.xml|repomd\.xml says/],
  ])('%s: left with the reason, nothing written', async (_, path, body, reason) => {
    if (path === 'primary') {
      const repomd = readFileSync(join(root, 'www/alma/9/BaseOS/x86_64/os/repodata/repomd.xml'), 'utf8');
      path = `/alma/9/BaseOS/x86_64/os/${/href="([^"]*primary\.xml\.gz)"/.exec(repomd)![1]}`;
      broken.set(path, body);
    } else {
      broken.set(path, body);
    }
    const text = `${from('alma')}RUN dnf install -y hello\n`;
    const dir = project(text);
    const r = await fix(dir);
    if (process.env.RPM_DEBUG) process.stderr.write(r.stdout + r.stderr);
    expect(read(dir)).toBe(text);
    expect(r.stdout + r.stderr).toMatch(reason);
  }, 60_000);
});
