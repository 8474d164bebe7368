/**
 * ImageReader and StageBases against the real registries (test/setup/registries.ts): images pushed by
 * test/helpers/imageFixtures.ts with real config blobs and gzip/zstd/plain layer tarballs; faults (a
 * corrupted blob) from test/helpers/faultProxy.ts in front of the real registry; the lock in a temp folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DEFAULT_CONFIG } from '../../src/config';
import { fixText } from '../../src/fix';
import type { Fixer } from '../../src/fixers/types';
import { parseDockerfile } from '../../src/parse/dockerfile';
import { Resolvers } from '../../src/resolve/resolvers';
import { RULES } from '../../src/rules/index';
import type { StageBases } from '../../src/resolve/baseImage';
import { ImageReader } from '../../src/resolve/imageReader';
import { ImagePinner } from '../../src/resolve/images';
import { LockFile } from '../../src/resolve/lock';
import { NotFixed } from '../../src/util/notFixed';
import { RegistryClient, type RegistryClientOptions } from '../../src/resolve/registry';
import { stageBases } from '../../src/resolve/stageBases';
import { startFaultProxy, type FaultProxy } from '../helpers/faultProxy';
import { haveZstd, layerTar, pushFixtureImage, type FixtureLayer, type PushedFixtureImage } from '../helpers/imageFixtures';
import { fast, rejectsWith } from '../helpers/registryClient';
import { describeWithRegistries } from '../helpers/registryFixtures';
import { Lookups } from '../../src/resolve/shared';
import { inCI } from '../helpers/ci';
import { withFixer } from '../helpers/fixerTable';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n';
const LOGIN_DEFS = 'UID_MIN\t\t\t 1000\nUID_MAX\t\t\t60000\n';
if (!haveZstd() && inCI()) throw new Error('the zstd binary is not installed (scripts/ensure-test-tools.sh)');
const ZSTD = haveZstd() ? 'zstd' : 'gzip';

/** Bottom to top: a gzip base, a zstd layer that changes and deletes, a plain tar on top. */
const LAYERS: FixtureLayer[] = [
  {
    files: { '/etc/passwd': 'old\n', '/etc/login.defs': LOGIN_DEFS, '/etc/motd': 'hello\n', '/usr/lib/os-release': 'ID=debian\n', '/usr/lib/python3.9/os.py': '', '/opt/a/1': '' },
    symlinks: { '/etc/os-release': '../usr/lib/os-release', '/lib': 'usr/lib' },
    compression: 'gzip',
  },
  { files: { '/etc/passwd': PASSWD, '/usr/lib/python3.11/os.py': '', '/opt/a/2': '' }, whiteouts: ['/etc/motd', '/usr/lib/python3.9'], opaque: ['/opt/a'], compression: ZSTD },
  { files: { '/app/main.py': 'print()\n' }, compression: 'none', prefix: './' },
];

describeWithRegistries('ImageReader and StageBases', ({ open, token }) => {
  let dir: string;
  let image: PushedFixtureImage;
  let proxy: FaultProxy;

  beforeAll(async () => {
    image = await pushFixtureImage(open, 'reader/debian', {
      config: { Env: ['PATH=/usr/bin', 'PYTHON_VERSION=3.11.9', 'PATH=/usr/local/bin:/usr/bin'], User: 'app', Labels: { 'org.opencontainers.image.version': '12' } },
      layers: LAYERS,
      tags: ['12'],
    });
    proxy = await startFaultProxy(open.url);
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dockrepro-reader-'));
    proxy.reset();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  afterAll(() => proxy.close());

  interface Run {
    client: RegistryClient;
    lock: LockFile;
    bases: (text: string) => StageBases;
  }

  /** One run: a client, the lock in `dir`, and the lookups every Dockerfile of the run shares. */
  function run(o: { offline?: boolean; refresh?: boolean; platform?: string; lock?: LockFile; client?: RegistryClientOptions; keep?: string[] } = {}): Run {
    const client = new RegistryClient({ ...fast, ...o.client });
    const lock = o.lock ?? new LockFile(join(dir, 'dockrepro.lock.json'));
    const lookups = new Lookups();
    const common = { client, lock, offline: o.offline ?? false, refresh: o.refresh ?? false, lookups };
    const images = new ImagePinner({ ...common, platform: o.platform });
    const reader = new ImageReader({ ...common, keep: o.keep });
    return { client, lock, bases: (text) => stageBases(parseDockerfile(text), { images, reader, platform: o.platform }) };
  }

  const viaProxy = (ref: string) => ref.replace(open.host, proxy.host);
  const blobGets = () => proxy.seen.filter((s) => s.method === 'GET' && /\/blobs\//.test(s.path)).map((s) => s.path.replace(/^.*\/blobs\//, ''));

  it('reads the config: Env as a map (the last definition wins), User, Labels, platform', async () => {
    const facts = await run().bases(`FROM ${image.ref}\n`).config(0);
    expect(facts).toEqual({
      image: image.ref,
      manifestDigest: image.manifests[0].digest,
      platform: 'linux/amd64',
      env: { PATH: '/usr/local/bin:/usr/bin', PYTHON_VERSION: '3.11.9' },
      user: 'app',
      labels: { 'org.opencontainers.image.version': '12' },
      source: 'registry',
    });
  });

  it('reads files over gzip, zstd and plain layers: later layers win, whiteouts and opaque folders, symlinks inside the image', async () => {
    const files = await run().bases(`FROM ${image.ref}\n`).files(0, {
      files: ['/etc/passwd', '/etc/login.defs', '/etc/motd', '/etc/os-release', '/nope'],
      dirs: ['/usr/lib', '/lib', '/opt/a', '/missing'],
    });
    expect(Object.fromEntries(files.files)).toEqual({ '/etc/passwd': PASSWD, '/etc/login.defs': LOGIN_DEFS, '/etc/os-release': 'ID=debian\n' });
    expect(Object.fromEntries(files.dirs)).toEqual({
      '/usr/lib': ['os-release', 'python3.11'],
      '/lib': ['os-release', 'python3.11'],
      '/opt/a': ['2'],
      '/missing': [],
    });
  });

  it('stops at the layer that decides: /etc/passwd in the middle layer never downloads the bottom one', async () => {
    const r = run();
    const files = await r.bases(`FROM ${viaProxy(image.ref)}\n`).files(0, { files: ['/etc/passwd'] });
    expect(files.files.get('/etc/passwd')).toBe(PASSWD);
    const [bottom, middle, top] = image.manifests[0].layers.map((l) => l.digest);
    expect(blobGets()).toEqual(expect.arrayContaining([top, middle]));
    expect(blobGets()).not.toContain(bottom);
  });

  it('N Dockerfiles on one image in one run download each needed layer once', async () => {
    const r = run();
    const texts = Array.from({ length: 5 }, (_, i) => `FROM ${viaProxy(image.ref)} AS s${i}\nRUN true\n`);
    const answers = await Promise.all(texts.map((t) => r.bases(t).files(0, { files: ['/etc/passwd', '/etc/login.defs'], dirs: ['/usr/lib'] })));
    for (const a of answers) expect(a.files.get('/etc/login.defs')).toBe(LOGIN_DEFS);
    const gets = blobGets();
    const layerDigests = image.manifests[0].layers.map((l) => l.digest);
    for (const d of layerDigests) expect(gets.filter((g) => g === d)).toHaveLength(1);
    expect(gets.filter((g) => g === image.manifests[0].configDigest)).toHaveLength(1);
  });

  it('a second question after the layers were read (a folder listing, then /etc/passwd) downloads nothing again when the reader keeps that file', async () => {
    const ask = async (keep: string[] | undefined) => {
      proxy.reset();
      const bases = run({ keep }).bases(`FROM ${viaProxy(image.ref)}\n`);
      await bases.files(0, { dirs: ['/usr/lib'] });
      expect((await bases.files(0, { files: ['/etc/passwd'] })).files.get('/etc/passwd')).toBe(PASSWD);
      return image.manifests[0].layers.map((l) => blobGets().filter((g) => g === l.digest).length);
    };
    // Without `keep`, the listing read every layer and kept no content: /etc/passwd downloads its layers again.
    expect(Math.max(...(await ask(undefined)))).toBe(2);
    expect(await ask(['/etc/passwd'])).toEqual([1, 1, 1]);
  });

  it('answers an offline re-run from the lock with zero requests; --offline without the entry needs the network', async () => {
    const first = run();
    const query = { files: ['/etc/passwd'], dirs: ['/usr/lib'] };
    const online = await first.bases(`FROM ${image.ref}\n`).files(0, query);
    const config = await first.bases(`FROM ${image.ref}\n`).config(0);
    expect(first.lock.save()).toBe(true);
    expect(first.lock.save()).toBe(false); // written only when changed

    const lock = LockFile.load(first.lock.path);
    const again = run({ offline: true, lock });
    const offline = await again.bases(`FROM ${image.ref}\n`).files(0, query);
    expect(offline.files).toEqual(online.files);
    expect(offline.dirs).toEqual(online.dirs);
    expect(offline.source).toBe(lock.path);
    expect(await again.bases(`FROM ${image.ref}\n`).config(0)).toEqual({ ...config, source: lock.path });
    expect(again.client.requests).toBe(0);
    expect(lock.dirty).toBe(false);

    const missing = await rejectsWith(again.bases(`FROM ${image.ref}\n`).files(0, { files: ['/etc/shadow'] }), NotFixed);
    expect(missing).toMatchObject({ left: 'needs-network', message: expect.stringMatching(/\/etc\/shadow of .* is not in .*dockrepro\.lock\.json and --offline/) });
    expect(again.client.requests).toBe(0);
  });

  it('--refresh reads the registry again though the lock has the answer', async () => {
    const first = run();
    await first.bases(`FROM ${image.ref}\n`).config(0);
    const refreshed = run({ refresh: true, lock: first.lock });
    expect((await refreshed.bases(`FROM ${image.ref}\n`).config(0)).source).toBe('registry');
    expect(refreshed.client.requests).toBeGreaterThan(0);
  });

  it('refuses a blob whose bytes do not hash to its digest, and records nothing from it', async () => {
    // A valid gzip tar with a different /etc/passwd: only the digest check can tell.
    const forged = gzipSync(layerTar({ files: { '/etc/passwd': 'evil:x:0:0::/:/bin/sh\n' } }));
    const middle = image.manifests[0].layers[1].digest;
    proxy.inject({ path: new RegExp(`/blobs/${middle}$`), times: Infinity, body: () => forged });
    const r = run();
    const err = await rejectsWith(r.bases(`FROM ${viaProxy(image.ref)}\n`).files(0, { files: ['/etc/passwd'] }), NotFixed);
    expect(err.left).toBe('failed');
    expect(err.message).toMatch(new RegExp(`content hashes to sha256:[0-9a-f]{64}, not to the digest it was asked by`));
    expect(r.lock.getBase(`${image.digest} linux/amd64`)?.files ?? {}).toEqual({});
  });

  it('a file over the size bound is an error saying so', async () => {
    const big = await pushFixtureImage(open, 'reader/big', { layers: [{ files: { '/etc/passwd': 'x'.repeat(1024 * 1024 + 1) } }] });
    const err = await rejectsWith(run().bases(`FROM ${big.ref}\n`).files(0, { files: ['/etc/passwd'] }), NotFixed);
    expect(err).toMatchObject({ left: 'failed', message: expect.stringMatching(/\/etc\/passwd in the image is 1048577 bytes, more than the 1048576 bytes/) });
  });

  it('picks the platform from an index: --platform, else linux/amd64; a platform the image lacks is an error', async () => {
    const multi = await pushFixtureImage(open, 'reader/multi', {
      platforms: [
        { platform: 'linux/amd64', config: { Env: { ARCH: 'amd64' } }, layers: [{ files: { '/etc/passwd': 'amd64\n' } }] },
        { platform: 'linux/arm64/v8', config: { Env: { ARCH: 'arm64' } }, layers: [{ files: { '/etc/passwd': 'arm64\n' }, compression: ZSTD }] },
      ],
    });
    const text = `FROM ${multi.ref}\n`;
    expect((await run().bases(text).files(0, { files: ['/etc/passwd'] })).files.get('/etc/passwd')).toBe('amd64\n');
    const arm = await run({ platform: 'linux/arm64' }).bases(text).config(0);
    expect(arm).toMatchObject({ platform: 'linux/arm64/v8', env: { ARCH: 'arm64' }, manifestDigest: multi.manifests[1].digest });
    const none = await rejectsWith(run({ platform: 'linux/s390x' }).bases(text).config(0), NotFixed);
    expect(none).toMatchObject({ left: 'failed', message: expect.stringMatching(/has no linux\/s390x manifest/) });
  });

  it('reads a Docker v2 image, and refuses a single-platform image of another platform', async () => {
    const docker = await pushFixtureImage(open, 'reader/docker', { format: 'docker', platforms: ['linux/arm64'], config: { User: '1000' }, layers: [{ files: { '/etc/passwd': 'd\n' } }] });
    expect(await run({ platform: 'linux/arm64' }).bases(`FROM ${docker.ref}\n`).config(0)).toMatchObject({ user: '1000', platform: 'linux/arm64' });
    const err = await rejectsWith(run().bases(`FROM ${docker.ref}\n`).config(0), NotFixed);
    expect(err.message).toMatch(/is for linux\/arm64, not linux\/amd64/);
  });

  it('a tag is read at the digest the image pinner pins (and the lock gets both)', async () => {
    const r = run();
    const facts = await r.bases(`FROM ${open.host}/reader/debian:12\n`).config(0);
    expect(facts.manifestDigest).toBe(image.manifests[0].digest);
    expect(r.lock.get(`${open.host}/reader/debian:12`)?.digest).toBe(image.digest);
    expect(r.lock.getBase(`${image.digest} linux/amd64`)?.env.PYTHON_VERSION).toBe('3.11.9');
  });

  it('follows FROM <stage> chains to the root image; FROM scratch has an empty config and no files', async () => {
    const b = run().bases(`FROM scratch AS empty\nFROM ${image.ref} AS base\nFROM base AS mid\nFROM mid\n`);
    const root = await b.config(1);
    // The second answer comes from the lock entry the first one made: only `source` says so.
    expect(await b.config(3)).toEqual({ ...root, source: expect.any(String) });
    expect(root.manifestDigest).toBe(image.manifests[0].digest);
    expect(await b.config(0)).toMatchObject({ image: 'scratch', env: {}, labels: {} });
    const none = await b.files(0, { files: ['/etc/passwd'], dirs: ['/usr/lib'] });
    expect(none.files.size).toBe(0);
    expect(Object.fromEntries(none.dirs)).toEqual({ '/usr/lib': [] });
  });

  it('a reference chosen by a build argument without a default is refused with a reason', async () => {
    const err = await rejectsWith(run().bases(`ARG BASE\nFROM \${BASE}\n`).config(0), NotFixed);
    expect(err).toMatchObject({ left: 'failed', message: expect.stringMatching(/chosen by build argument BASE, which has no default/) });
    // With a default, the default is what today's build uses.
    const withDefault = await run().bases(`ARG BASE=${image.ref}\nFROM \${BASE}\n`).config(0);
    expect(withDefault.manifestDigest).toBe(image.manifests[0].digest);
  });

  it('reads through a token-auth registry with credentials', async () => {
    const priv = await pushFixtureImage(token, 'reader/private', { config: { Env: { SECRET: 'no' } }, layers: [{ files: { '/etc/passwd': 'tok\n' }, compression: ZSTD }] });
    const creds = token.credentials;
    const b = run({ client: { credentials: (h) => (h === token.host ? creds : undefined) } }).bases(`FROM ${priv.ref}\n`);
    expect((await b.config(0)).env).toEqual({ SECRET: 'no' });
    expect((await b.files(0, { files: ['/etc/passwd'] })).files.get('/etc/passwd')).toBe('tok\n');
    const anonymous = await rejectsWith(run().bases(`FROM ${priv.ref}\n`).config(0), NotFixed);
    expect(anonymous.message).toMatch(/requires authentication/);
  });

  it('a fix run gives fixers ctx.bases beside ctx.images (Resolvers.basesFor), for the model of each pass', async () => {
    const resolvers = new Resolvers({ offline: false, refresh: false, lock: join(dir, 'dockrepro.lock.json') }, { HOME: dir });
    const images = resolvers.pinnerFor(DEFAULT_CONFIG, dir);
    const seen: string[] = [];
    const probe: Fixer<'pip-version'> = {
      kind: 'pip-version',
      fix: async (findings, ctx) => {
        const facts = await ctx.bases!.config(0);
        const passwd = (await ctx.bases!.files(0, { files: ['/etc/passwd'] })).files.get('/etc/passwd');
        seen.push(`${facts.env.PYTHON_VERSION} ${passwd?.split(':')[0]}`);
        return findings.map(() => new NotFixed('probe', 'no-fixer'));
      },
    };
    await fixText(`FROM ${open.host}/reader/debian:12\nRUN pip install flask\n`, {
      rules: RULES.filter((r) => r.meta.id === 'pip-pin'),
      unsafe: false,
      offline: false,
      baseId: 10001,
      fixers: withFixer(probe),
      lookups: resolvers.lookups,
      images,
      bases: resolvers.basesFor(DEFAULT_CONFIG, dir, images),
    });
    expect(seen).toEqual(['3.11.9 root']);
  });
});
