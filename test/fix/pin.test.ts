/**
 * `dockrepro fix` pinning images end to end, through the CLI, against the real registries started for the
 * tests: the talk's two example Dockerfiles (Docker Hub `python` images, looked up at the local registry
 * mapped by `.dockrepro.yaml`), the lock file and an offline re-run, `lint --verify-lock`, and credentials
 * from a docker config.json.
 */
import { cpSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli';
import { describeWithRegistries, pushImage, pushIndex, type PushedIndex, type Pushed } from '../helpers/registryFixtures';
import { workspace } from '../helpers/workspace';
import { startPypiServer, type PypiServer } from '../helpers/pypiServer';

const EXAMPLES = join(__dirname, '../../examples');

describeWithRegistries('dockrepro fix pins images (CLI, real registry)', ({ open, auth }) => {
  let py3: PushedIndex;
  let stretch: PushedIndex;
  let privateApp: Pushed;
  let py37: PushedIndex;
  let pypi: PypiServer;

  beforeAll(async () => {
    py3 = await pushIndex(open, 'library/python', 'oci', 'python-3.12.7', ['3', '3.12', '3.12.7', 'latest']);
    await pushIndex(open, 'library/python', 'oci', 'python-3.12.6', ['3.12.6']);
    stretch = await pushIndex(open, 'library/python', 'docker', 'python-3.7.3-stretch', ['3.7.3-stretch', '3.7-stretch', '3-stretch']);
    privateApp = await pushImage(auth, 'cred/app', 'oci', { os: 'linux', architecture: 'amd64' }, 'private', ['1', '1.4.2']);
    py37 = await pushIndex(open, 'library/python', 'oci', 'python-3.7.17', ['3.7', '3.7.17']);
    pypi = await startPypiServer(join(__dirname, '../fixtures/pypi'));
  }, 60_000);
  afterAll(() => pypi?.close());

  /** The shipped examples in a repository whose config looks Docker Hub images up at the test registry. */
  function repo(): string {
    const dir = workspace({ '.dockrepro.yaml': `registries:\n  docker.io: { mirror: "${open.host}" }\n` });
    mkdirSync(join(dir, '.git'));
    for (const name of ['seed-broken', 'seed-better']) cpSync(join(EXAMPLES, name), join(dir, name), { recursive: true });
    return dir;
  }
  const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');
  const RULES = ['--rules', 'image-digest,image-tag'];

  it('fixes both examples: python:3 → the most precise tag with its digest; 3.7.3-stretch gets its digest', async () => {
    const dir = repo();
    const r = await runCli(['fix', ...RULES], { cwd: dir });
    expect(read(dir, 'seed-broken/Dockerfile')).toBe(read(EXAMPLES, 'seed-broken/Dockerfile').replace('FROM python:3\n', `FROM python:3.12.7@${py3.digest}\n`));
    expect(read(dir, 'seed-better/Dockerfile')).toBe(
      read(EXAMPLES, 'seed-better/Dockerfile').replace('FROM python:3.7.3-stretch\n', `FROM python:3.7.3-stretch@${stretch.digest}\n`),
    );
    expect(r.stdout).toContain('2 files scanned, 2 changed, 3 findings fixed, 0 left');
    expect(r.code).toBe(0);
    const lock = JSON.parse(read(dir, 'dockrepro.lock.json'));
    expect(Object.keys(lock.images)).toEqual([
      'docker.io/library/python:3',
      'docker.io/library/python:3.12.7',
      'docker.io/library/python:3.7.3-stretch',
    ]);
    expect(lock.images['docker.io/library/python:3']).toMatchObject({ tag: '3.12.7', digest: py3.digest, mediaType: 'application/vnd.oci.image.index.v1+json' });
    expect(lock.images['docker.io/library/python:3.7.3-stretch']).toMatchObject({ digest: stretch.digest });
  });

  it("keeps the user's spelling of registry and name (the lock keys them by the full name)", async () => {
    const dir = repo();
    writeFileSync(join(dir, 'Dockerfile'), 'FROM docker.io/library/python:3 AS a\nFROM index.docker.io/library/python:3.7-stretch\n');
    await runCli(['fix', ...RULES, 'Dockerfile'], { cwd: dir });
    expect(read(dir, 'Dockerfile')).toBe(`FROM docker.io/library/python:3.12.7@${py3.digest} AS a\nFROM index.docker.io/library/python:3.7.3-stretch@${stretch.digest}\n`);
    expect(Object.keys(JSON.parse(read(dir, 'dockrepro.lock.json')).images)).toContain('docker.io/library/python:3.7-stretch');
  });

  it('a re-run from the original files with the lock is offline and gives the same bytes; the lock is untouched', async () => {
    const dir = repo();
    await runCli(['fix', ...RULES], { cwd: dir });
    const first = ['seed-broken/Dockerfile', 'seed-better/Dockerfile', 'dockrepro.lock.json'].map((f) => read(dir, f));
    const lockMtime = statSync(join(dir, 'dockrepro.lock.json')).mtimeMs;
    for (const name of ['seed-broken', 'seed-better']) cpSync(join(EXAMPLES, name), join(dir, name), { recursive: true });
    // The mirror now points nowhere: any request would fail.
    writeFileSync(join(dir, '.dockrepro.yaml'), 'registries:\n  docker.io: { mirror: "127.0.0.1:9" }\n');
    const r = await runCli(['fix', '--offline', ...RULES], { cwd: dir });
    expect(r.code).toBe(0);
    expect(['seed-broken/Dockerfile', 'seed-better/Dockerfile', 'dockrepro.lock.json'].map((f) => read(dir, f))).toEqual(first);
    expect(statSync(join(dir, 'dockrepro.lock.json')).mtimeMs).toBe(lockMtime);
    // Running fix on the fixed files changes nothing either.
    const again = await runCli(['fix', '--offline', ...RULES], { cwd: dir });
    expect(again.stdout).toContain('2 files scanned, 0 changed');
  });

  it('--offline without the lock leaves the images as needing the network and writes nothing', async () => {
    const dir = repo();
    const r = await runCli(['fix', '--offline', ...RULES], { cwd: dir });
    expect(read(dir, 'seed-broken/Dockerfile')).toBe(read(EXAMPLES, 'seed-broken/Dockerfile'));
    expect(r.stdout).toMatch(/seed-broken\/Dockerfile:\d+:\d+: image-digest left \(needs network\): 'python:3' is not in .*dockrepro.lock.json and --offline/);
    expect(r.code).toBe(1);
  });

  it('--dry-run shows the diff and explains the chosen tag, and writes neither Dockerfiles nor the lock', async () => {
    const dir = repo();
    const r = await runCli(['fix', '--dry-run', ...RULES, 'seed-broken'], { cwd: dir });
    expect(r.stdout).toContain(`-FROM python:3\n+FROM python:3.12.7@${py3.digest}\n`);
    expect(r.stderr).toContain(
      `seed-broken/Dockerfile: would pin base image 'python:3' → 'python:3.12.7@${py3.digest}' ('3.12.7' is the most precise tag with the same digest as '3')`,
    );
    expect(read(dir, 'seed-broken/Dockerfile')).toBe(read(EXAMPLES, 'seed-broken/Dockerfile'));
    expect(() => statSync(join(dir, 'dockrepro.lock.json'))).toThrow();
    // One explanation per reference, though image-digest and image-tag both fixed it.
    expect(r.stderr.match(/would pin/g)).toHaveLength(1);
    // Nor from stdin.
    const stdin = await runCli(['fix', '--dry-run', ...RULES, '-', '--stdin-filename', 'seed-broken/Dockerfile'], { cwd: dir, stdin: read(dir, 'seed-broken/Dockerfile') });
    expect(stdin.stderr).toContain('would pin');
    expect(() => statSync(join(dir, 'dockrepro.lock.json'))).toThrow();
  });

  it('lint --verify-lock passes on what fix wrote and fails on a hand-edited digest', async () => {
    const dir = repo();
    const noLock = await runCli(['lint', '--verify-lock', '--rules', 'image-lock'], { cwd: dir });
    expect(noLock.code).toBe(2);
    expect(noLock.stdout).toMatch(/--verify-lock: no lock file at .*dockrepro.lock.json/);
    await runCli(['fix', ...RULES], { cwd: dir });
    const ok = await runCli(['lint', '--verify-lock', '--rules', 'image-lock'], { cwd: dir });
    expect(ok.code).toBe(0);
    const file = join(dir, 'seed-better/Dockerfile');
    writeFileSync(file, readFileSync(file, 'utf8').replace(stretch.digest, py3.digest));
    const bad = await runCli(['lint', '--verify-lock', '--rules', 'image-lock'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`has a digest the lock does not record for it (the lock has ${stretch.digest})`);
  });

  it('credentials come from the docker config ($DOCKER_CONFIG/config.json auths)', async () => {
    const dir = workspace({ Dockerfile: `FROM ${auth.host}/cred/app:1\n` });
    const dockerConfig = workspace({
      'config.json': JSON.stringify({ auths: { [auth.host]: { auth: Buffer.from(`${auth.credentials!.username}:${auth.credentials!.password}`).toString('base64') } } }),
    });
    const without = await runCli(['fix', ...RULES], { cwd: dir, env: { HOME: workspace({}) } });
    expect(without.stdout).toMatch(/image-digest, image-tag left \(failed\): registry lookup failed: .*no credentials are configured/);
    const r = await runCli(['fix', ...RULES], { cwd: dir, env: { DOCKER_CONFIG: dockerConfig } });
    expect(read(dir, 'Dockerfile')).toBe(`FROM ${auth.host}/cred/app:1.4.2@${privateApp.digest}\n`);
    expect(r.code).toBe(0);
  });

  it('a lock file that is not valid is an error for the files that use it; nothing is written', async () => {
    const dir = repo();
    writeFileSync(join(dir, 'dockrepro.lock.json'), '{"version": 1, "images": {"x:1": {"digest": "sha256:short"}}}');
    const r = await runCli(['fix', ...RULES], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/seed-broken\/Dockerfile: error: could not fix: .*dockrepro.lock.json: images\["x:1"\]: 'digest' must be/);
    expect(read(dir, 'seed-broken/Dockerfile')).toBe(read(EXAMPLES, 'seed-broken/Dockerfile'));
  });

  describe('precise tags behind a mirror (no Docker Hub API), issue 9', () => {
    let alpine: PushedIndex;
    let bookworm: PushedIndex;

    beforeAll(async () => {
      alpine = await pushIndex(open, 'library/alpine', 'oci', 'alpine-3.20.3', ['3.20.3', '3.20', '3', 'latest']);
      // Edge snapshots, more of them than the 20 candidates compared one by one.
      const snapshots = Array.from({ length: 24 }, (_, i) => `2024${String(1 + (i % 12)).padStart(2, '0')}${String(1 + i).padStart(2, '0')}`);
      await pushIndex(open, 'library/alpine', 'oci', 'alpine-snapshots', [...snapshots, 'edge']);
      bookworm = await pushIndex(open, 'library/debian', 'oci', 'debian-bookworm', ['bookworm', 'bookworm-20260803', '12.12', '12']);
    }, 60_000);

    it('FROM alpine → the release, debian:12 → bookworm-<date>, and a literal FROM --platform wins over --platform', async () => {
      const dir = repo();
      writeFileSync(join(dir, 'Dockerfile'), 'FROM alpine AS a\nFROM --platform=linux/amd64 debian:12\nCOPY --from=a /x /y\n');
      const r = await runCli(['fix', ...RULES, '--platform', 'linux/arm64', 'Dockerfile'], { cwd: dir });
      const arm = alpine.platforms.find((p) => p.platform.architecture === 'arm64')!.manifest.digest;
      const amd = bookworm.platforms.find((p) => p.platform.architecture === 'amd64')!.manifest.digest;
      expect(read(dir, 'Dockerfile')).toBe(`FROM alpine:3.20.3@${arm} AS a\nFROM --platform=linux/amd64 debian:bookworm-20260803@${amd}\nCOPY --from=a /x /y\n`);
      expect(r.code).toBe(0);
      const lock = JSON.parse(read(dir, 'dockrepro.lock.json'));
      expect(lock.images['docker.io/library/debian:12 linux/amd64']).toMatchObject({ tag: 'bookworm-20260803', digest: amd, platform: 'linux/amd64' });
      // The fixed file passes both rules, and the lock verifies it.
      expect((await runCli(['lint', '--verify-lock', '--rules', 'image-digest,image-tag,image-lock', 'Dockerfile'], { cwd: dir })).code).toBe(0);
    });
  });

  describe('images and packages together', () => {
    const env = () => ({ PIP_INDEX_URL: `${pypi.url}/main/simple/`, HOME: workspace({}) });

    it('seed-broken: python:3 is pinned and flask gets the newest release for that Python, recorded in the lock', async () => {
      const dir = repo();
      const r = await runCli(['fix', '--rules', 'image-digest,image-tag,pip-pin', 'seed-broken'], { cwd: dir, env: env() });
      expect(read(dir, 'seed-broken/Dockerfile')).toBe(
        read(EXAMPLES, 'seed-broken/Dockerfile')
          .replace('FROM python:3\n', `FROM python:3.12.7@${py3.digest}\n`)
          .replace('RUN pip install flask\n', 'RUN pip install flask==3.1.0\n'),
      );
      expect(r).toMatchObject({ code: 0, stdout: expect.stringContaining('1 changed, 3 findings fixed, 0 left') });
      const lock = JSON.parse(read(dir, 'dockrepro.lock.json'));
      expect(Object.entries(lock.packages)).toEqual([[expect.stringMatching(/^pypi:flask py3\.12\.7 /), { version: '3.1.0', resolvedAt: expect.any(String) }]]);
      // Again from the original, offline: the same bytes from the lock.
      const fixed = read(dir, 'seed-broken/Dockerfile');
      cpSync(join(EXAMPLES, 'seed-broken'), join(dir, 'seed-broken'), { recursive: true });
      // (The same index setting: the lock key includes the index, which decides the answer.)
      const again = await runCli(['fix', '--offline', '--rules', 'image-digest,image-tag,pip-pin', 'seed-broken'], { cwd: dir, env: env() });
      expect(again).toMatchObject({ code: 0 });
      expect(read(dir, 'seed-broken/Dockerfile')).toBe(fixed);
    });

    it("the image's Python decides: python:3.7 → flask 2.2.5, the newest release that still supports 3.7", async () => {
      const dir = repo();
      writeFileSync(join(dir, 'Dockerfile'), 'FROM python:3.7\nRUN pip install --no-cache-dir flask\n');
      const r = await runCli(['fix', '--dry-run', '--rules', 'image-digest,image-tag,pip-pin', 'Dockerfile'], { cwd: dir, env: env() });
      expect(r.stdout).toContain(`+FROM python:3.7.17@${py37.digest}\n+RUN pip install --no-cache-dir flask==2.2.5\n`);
      expect(r.stderr).toContain("would pin pip requirement 'flask' → 'flask==2.2.5' (newest release for Python 3.7; 3.1.0 requires Python >=3.9)");
    });
  });
});
