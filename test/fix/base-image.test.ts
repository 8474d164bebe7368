/**
 * `dockrepro fix` reads the base image itself, end to end through the CLI: real images pushed to the test
 * registry with real config blobs and layer tarballs holding Debian's own account files (from Debian's
 * packages), a Python library folder and `PYTHON_VERSION`; the PyPI fixture index. The fixers' answers are
 * compared with what the real tools compute: shadow's `useradd` on the same files, pip's Requires-Python rule
 * through the index. An offline re-run from the lock gives the same bytes.
 */
import { cpSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePasswd } from '../../src/accounts/image';
import { runShadow, shadowAvailable } from '../helpers/accountTools';
import { runCli } from '../helpers/cli';
import { debianAccountFiles, type DebianAccountFiles } from '../helpers/debianFiles';
import { pushFixtureImage } from '../helpers/imageFixtures';
import { startPypiServer, type PypiServer } from '../helpers/pypiServer';
import { describeWithRegistries } from '../helpers/registryFixtures';
import { inCI } from '../helpers/ci';

const EXAMPLES = join(__dirname, '../../examples');
const STRETCH_OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 9 (stretch)"\nNAME="Debian GNU/Linux"\nVERSION_ID="9"\nID=debian\n';
const XENIAL_OS_RELEASE = 'NAME="Ubuntu"\nVERSION="16.04.7 LTS (Xenial Xerus)"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="16.04"\n';

/** The source-date-epoch fix (pip and useradd write the build time): `ARG SOURCE_DATE_EPOCH` after the first FROM line. */
const EPOCH_ARG = 'ARG SOURCE_DATE_EPOCH\n';
const withEpoch = (text: string) => text.replace('\n', `\n${EPOCH_ARG}`);

function needs(): { files: DebianAccountFiles } | { skipped: string } {
  const files = debianAccountFiles();
  if ('skipped' in files) return files;
  const shadow = shadowAvailable();
  return shadow ? { skipped: shadow } : { files };
}

describeWithRegistries('fix reads the base image', (regs) => {
  const ready = needs();
  if ('skipped' in ready) {
    it('needs Debian account files and shadow useradd', () => {
      if (inCI()) throw new Error(`cannot run under CI: ${ready.skipped}`);
      process.stderr.write(`\nSKIPPED: fix reads the base image: ${ready.skipped}\n`);
    });
    return;
  }
  const debian = ready.files;
  let pypi: PypiServer;
  let stretch: string;
  let xenial: string;
  let bare: string;

  beforeAll(async () => {
    pypi = await startPypiServer(join(__dirname, '../fixtures/pypi'));
    const base = (osRelease: string, passwd = debian.passwd) => ({
      files: { '/etc/passwd': passwd, '/etc/group': debian.group, '/etc/login.defs': debian.loginDefs, '/etc/os-release': osRelease },
      dirs: ['/usr/lib', '/home'],
    });
    // python:3.7.3-stretch as the official image is made: Debian below, Python in /usr/local, PYTHON_VERSION set.
    stretch = (
      await pushFixtureImage(regs.open, 'e2e/python', {
        config: { Env: { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', PYTHON_VERSION: '3.7.3' } },
        layers: [base(STRETCH_OS_RELEASE), { dirs: ['/usr/local/lib/python3.7/site-packages'], files: { '/usr/local/bin/pip': '#!/usr/local/bin/python\n' }, compression: 'zstd' }],
        platforms: ['linux/amd64', 'linux/arm64/v8'],
        tags: ['3.7.3-stretch'],
      })
    ).digest;
    // ubuntu:16.04 with python3 installed: no PYTHON_VERSION, the interpreter's folder tells; a user 1000 exists.
    const withUser = `${debian.passwd}ubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n`;
    xenial = (
      await pushFixtureImage(regs.open, 'e2e/ubuntu-python', {
        config: { Env: { PATH: '/usr/bin:/bin' } },
        layers: [base(XENIAL_OS_RELEASE, withUser), { dirs: ['/usr/lib/python3.5', '/usr/lib/python3'], compression: 'gzip' }],
        tags: ['16.04'],
      })
    ).digest;
    // ubuntu:16.04 itself: no Python at all.
    bare = (await pushFixtureImage(regs.open, 'e2e/ubuntu', { config: { Env: { PATH: '/usr/bin:/bin' } }, layers: [base(XENIAL_OS_RELEASE)], tags: ['16.04'] })).digest;
  });
  afterAll(() => pypi?.close());

  const env = (home: string) => ({ HOME: home, PIP_INDEX_URL: `${pypi.url}/main/simple/` });
  const read = (dir: string, f: string) => readFileSync(join(dir, f), 'utf8');

  /** The uid shadow's useradd gives `name` on the image's files. */
  const realUseradd = (passwd: string, name: string) => {
    const [r] = runShadow({ passwd, group: debian.group }, debian.loginDefs, [{ tool: 'useradd', name, system: false }]);
    if (!r?.uid) throw new Error(`useradd ${name} failed on the image's files`);
    return r.uid;
  };

  it("the talk's seed-better: --uid from the image's passwd and login.defs (safe), flask for its Python 3.7.3, the digest", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dockrepro-e2e-'));
    cpSync(join(EXAMPLES, 'seed-better'), dir, { recursive: true });
    const original = read(dir, 'Dockerfile').replace('FROM python:3.7.3-stretch', `FROM ${regs.open.host}/e2e/python:3.7.3-stretch`);
    writeFileSync(join(dir, 'Dockerfile'), original);

    const dry = await runCli(['fix', '--write-context', '--dry-run'], { cwd: dir, env: env(dir) });
    expect(dry.stderr).toContain("would add --uid 1000 to useradd 'appuser' (the uid it gets today, from the base image's accounts; its group 'appuser' keeps gid 1000)");
    expect(dry.stderr).toContain("'flask' → 'flask==2.2.5' in requirements.txt line 1 (newest release for Python 3.7.3; 3.1.0 requires Python >=3.9)");
    const r = await runCli(['fix', '--write-context'], { cwd: dir, env: env(dir) });
    const uid = realUseradd(debian.passwd, 'appuser');
    expect(uid).toBe(1000); // Debian's base-passwd has no user in UID_MIN..UID_MAX
    expect(read(dir, 'Dockerfile')).toBe(
      original
        .replace('e2e/python:3.7.3-stretch\n', `e2e/python:3.7.3-stretch@${stretch}\n${EPOCH_ARG}`)
        .replace('RUN useradd --create-home appuser', `RUN useradd --uid ${uid} --create-home appuser`),
    );
    expect(read(dir, 'requirements.txt')).toBe('flask==2.2.5\n'); // 2.3.3 and later need Python >= 3.8
    expect(r.stdout).toContain('0 left');
    expect(r.code).toBe(0);

    // The facts are in the lock: an offline re-run from the original files gives the same bytes.
    const fixed = ['Dockerfile', 'requirements.txt', 'dockrepro.lock.json'].map((f) => read(dir, f));
    const lock = JSON.parse(fixed[2]);
    const facts = Object.values(lock.bases as Record<string, { env: Record<string, string>; files: Record<string, string | null> }>);
    expect(facts).toHaveLength(1);
    expect(facts[0].env.PYTHON_VERSION).toBe('3.7.3');
    expect(facts[0].files['/etc/passwd']).toBe(debian.passwd);
    const lockTime = statSync(join(dir, 'dockrepro.lock.json')).mtimeMs;
    writeFileSync(join(dir, 'Dockerfile'), original);
    writeFileSync(join(dir, 'requirements.txt'), 'flask\n');
    pypi.log.length = 0;
    const again = await runCli(['fix', '--write-context', '--offline'], { cwd: dir, env: env(dir) });
    expect(pypi.log).toEqual([]);
    expect(['Dockerfile', 'requirements.txt', 'dockrepro.lock.json'].map((f) => read(dir, f))).toEqual(fixed);
    expect(statSync(join(dir, 'dockrepro.lock.json')).mtimeMs).toBe(lockTime);
    expect(again.code).toBe(0);
  });

  it('ubuntu with python3.5 and a user 1000: flask for Python 3.5, and the uid useradd picks there (1001)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dockrepro-e2e-'));
    const text = `FROM ${regs.open.host}/e2e/ubuntu-python:16.04@${xenial}\nRUN pip3 install flask\nRUN useradd app\n`;
    writeFileSync(join(dir, 'Dockerfile'), text);
    const r = await runCli(['fix'], { cwd: dir, env: env(dir) });
    const passwd = `${debian.passwd}ubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n`;
    const uid = realUseradd(passwd, 'app');
    expect(uid).toBe(1001);
    expect(read(dir, 'Dockerfile')).toBe(withEpoch(text).replace('pip3 install flask', 'pip3 install flask==1.1.4').replace('useradd app', `useradd --uid ${uid} app`));
    expect(r.stdout).toContain('0 left');
  });

  it('an image without Python whose Dockerfile installs one: pip left with the reason; the uid is still read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dockrepro-e2e-'));
    const text = `FROM ${regs.open.host}/e2e/ubuntu:16.04@${bare}\nRUN useradd -m app\nRUN apt-get update && apt-get install -y python3-pip && pip3 install flask\n`;
    writeFileSync(join(dir, 'Dockerfile'), text);
    const r = await runCli(['fix', '--rules', 'pip-pin,useradd-uid'], { cwd: dir, env: env(dir) });
    expect(read(dir, 'Dockerfile')).toBe(text.replace('useradd -m app', `useradd --uid ${realUseradd(debian.passwd, 'app')} -m app`));
    expect(r.stdout).toMatch(/pip-pin left \(no fixer\): Python version of this stage unknown: .*ships no Python and the Dockerfile installs one \(apt-get … python3-pip\).*rules\.pip-pin\.python-version/);
    expect(r.code).toBe(1);
  });

  it('--offline without the lock: the image facts need the network, so pip and useradd stay as they were (useradd: the unsafe fix only)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dockrepro-e2e-'));
    const text = `FROM ${regs.open.host}/e2e/ubuntu-python:16.04@${xenial}\nRUN pip3 install flask && useradd app\n`;
    writeFileSync(join(dir, 'Dockerfile'), text);
    const r = await runCli(['fix', '--offline'], { cwd: dir, env: env(dir) });
    expect(read(dir, 'Dockerfile')).toBe(withEpoch(text)); // the ARG needs no network
    expect(r.stdout).toMatch(/pip-pin left \(needs network\): Python version of this stage unknown: the base image could not be read/);
    expect(r.stdout).toMatch(/useradd-uid left \(unsafe not enabled\)/);
  });

  it('the Dockerfile installs another interpreter (python3.8 over the image\'s 3.5): pip left, not pinned for 3.5', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dockrepro-e2e-'));
    const text = `FROM ${regs.open.host}/e2e/ubuntu-python:16.04@${xenial}\nRUN apt-get install -y python3-pip python3.8 && python3 -m pip install flask\n`;
    writeFileSync(join(dir, 'Dockerfile'), text);
    const r = await runCli(['fix', '--rules', 'pip-pin'], { cwd: dir, env: env(dir) });
    expect(read(dir, 'Dockerfile')).toBe(text);
    expect(r.stdout).toMatch(/ships Python 3\.5 and the Dockerfile installs another \(apt-get … python3\.8\)/);
    // Installing the image's own version (python3-pip for 3.5) keeps the pin.
    writeFileSync(join(dir, 'Dockerfile'), text.replace(' python3.8', ' python3.5'));
    await runCli(['fix', '--rules', 'pip-pin'], { cwd: dir, env: env(dir) });
    expect(read(dir, 'Dockerfile')).toContain('pip install flask==1.1.4');
  });

  it('a stage built FROM another stage asks the image at the root of the chain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dockrepro-e2e-'));
    const text = `FROM ${regs.open.host}/e2e/ubuntu-python:16.04@${xenial} AS base\nFROM base AS app\nRUN pip3 install flask\n`;
    writeFileSync(join(dir, 'Dockerfile'), text);
    await runCli(['fix'], { cwd: dir, env: env(dir) });
    // The ARG goes into the stage that runs pip: a stage does not inherit its base stage's ARGs.
    expect(read(dir, 'Dockerfile')).toBe(text.replace('FROM base AS app\n', `FROM base AS app\n${EPOCH_ARG}`).replace('pip3 install flask', 'pip3 install flask==1.1.4'));
  });

  it('an image that ships several Pythons: pip left, naming them', async () => {
    const two = await pushFixtureImage(regs.open, 'e2e/two-pythons', { layers: [{ dirs: ['/usr/lib/python3.9', '/usr/local/lib/python3.11'] }], tags: ['1'] });
    const dir = mkdtempSync(join(tmpdir(), 'dockrepro-e2e-'));
    const text = `FROM ${regs.open.host}/e2e/two-pythons:1@${two.digest}\nRUN pip install flask\n`;
    writeFileSync(join(dir, 'Dockerfile'), text);
    const r = await runCli(['fix'], { cwd: dir, env: env(dir) });
    expect(read(dir, 'Dockerfile')).toBe(withEpoch(text));
    expect(r.stdout).toMatch(/ships several Pythons \(\/usr\/local\/lib\/python3\.11, \/usr\/lib\/python3\.9\)/);
  });

  it('parsePasswd agrees with the files the fixture image holds', () => {
    // Guards the comparison above: Debian's passwd.master really has no user in the normal range.
    expect(parsePasswd(debian.passwd).filter((u) => u.uid >= 1000 && u.uid < 60000)).toEqual([]);
  });
});
