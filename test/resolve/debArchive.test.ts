/**
 * The Debian archive reader against a real archive (dpkg-deb, apt-ftparchive, gpg --clearsign) on loopback,
 * reached through `archives:` mirrors: versions per suite/component/arch, one download per index per run,
 * and faults with clear reasons.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clearsignedBody, parseDeb822, readPackages, readRelease } from '../../src/resolve/debArchive';
import type { ResolveContext } from '../../src/resolve/context';
import { HttpClient } from '../../src/resolve/http';
import { NotFixed } from '../../src/util/notFixed';
import { debToolsMissing, mirrorsFor, startDebArchives, type DebArchiveServer } from '../helpers/debArchive';
import { Lookups } from '../../src/resolve/shared';
import { inCI } from '../helpers/ci';

const missing = debToolsMissing();
const describeWithTools = missing && !inCI() ? describe.skip : describe;
if (missing) process.stderr.write(`\nSKIPPED (Debian archive reader): ${missing}\n`);

const LIVE = 'http://deb.debian.org/debian';
/** The index as name → versions in a stable order (the file's order is apt-ftparchive's). */
const sorted = (m: ReadonlyMap<string, readonly string[]>) => Object.fromEntries([...m].map(([k, v]) => [k, [...v].sort()]));

describeWithTools('Debian archive reader', () => {
  let server: DebArchiveServer;
  beforeAll(async () => {
    server = await startDebArchives([
      {
        archive: 'debian',
        snapshots: {
          '20240101T000000Z': { bookworm: { main: [{ name: 'hello', version: '1.0-1' }, { name: 'tool', version: '2.0-1', arch: 'amd64' }] } },
          '20240301T000000Z': {
            bookworm: {
              main: [{ name: 'hello', version: '1.0-2' }, { name: 'hello', version: '1:0.9-1' }, { name: 'tool', version: '2.1~rc1-1', arch: 'amd64' }, { name: 'tool', version: '2.1-1', arch: 'arm64' }],
              contrib: [{ name: 'extra', version: '3-1' }],
            },
          },
        },
      },
    ]);
  }, 120_000);
  afterAll(() => server?.close());
  beforeEach(() => {
    server.requests.length = 0;
    server.override.clear();
  });
  const access = (): ResolveContext => ({ http: new HttpClient({ retries: 0 }), archives: mirrorsFor(server), lookups: new Lookups(), offline: false, refresh: false, env: {}, dir: '/' });

  it('reads InRelease (clearsigned) and the Packages index of each component and architecture', async () => {
    const a = access();
    const release = await readRelease(a, { uri: LIVE, suite: 'bookworm' });
    expect(release.components).toEqual(['main', 'contrib']);
    expect(release.fields.Suite).toBe('bookworm');
    expect(release.url).toBe(`${server.url}/deb.debian.org/debian/dists/bookworm/InRelease`);
    const amd64 = await readPackages(a, { uri: LIVE, suite: 'bookworm', component: 'main', arch: 'amd64' });
    expect(sorted(amd64)).toEqual({ hello: ['1.0-2', '1:0.9-1'].sort(), tool: ['2.1~rc1-1'] });
    expect(sorted(await readPackages(a, { uri: LIVE, suite: 'bookworm', component: 'main', arch: 'arm64' }))).toEqual({ hello: ['1.0-2', '1:0.9-1'].sort(), tool: ['2.1-1'] });
    expect(sorted(await readPackages(a, { uri: 'http://snapshot.debian.org/archive/debian/20240201T120000Z', suite: 'bookworm', component: 'main', arch: 'amd64' }))).toEqual({ hello: ['1.0-1'], tool: ['2.0-1'] });
  });

  it('the clearsigned body is exactly the Release file apt-ftparchive wrote', () => {
    const root = server.roots.get('debian 20240301T000000Z')!;
    const inRelease = readFileSync(join(root, 'dists/bookworm/InRelease'), 'utf8');
    expect(clearsignedBody(inRelease)).toBe(readFileSync(join(root, 'dists/bookworm/Release'), 'utf8'));
    expect(parseDeb822(clearsignedBody(inRelease))[0].Codename).toBe('bookworm');
  });

  it('one download of each Release and index per run, however many ask', async () => {
    const a = access();
    await Promise.all([1, 2, 3].map(() => readPackages(a, { uri: LIVE, suite: 'bookworm', component: 'main', arch: 'amd64' })));
    await readPackages(a, { uri: LIVE, suite: 'bookworm', component: 'contrib', arch: 'amd64' });
    expect(server.requests).toEqual([
      '/deb.debian.org/debian/dists/bookworm/InRelease',
      '/deb.debian.org/debian/dists/bookworm/main/binary-amd64/Packages.gz',
      '/deb.debian.org/debian/dists/bookworm/contrib/binary-amd64/Packages.gz',
    ]);
  });

  it('falls back to Release when there is no InRelease', async () => {
    server.override.set('/deb.debian.org/debian/dists/bookworm/InRelease', { status: 404, body: 'gone' });
    const release = await readRelease(access(), { uri: LIVE, suite: 'bookworm' });
    expect(release.url).toMatch(/\/dists\/bookworm\/Release$/);
  });

  const failure = async (p: Promise<unknown>) => {
    const e = await p.then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(NotFixed);
    return (e as NotFixed).message;
  };

  it('an unknown suite, component or architecture is named', async () => {
    expect(await failure(readPackages(access(), { uri: LIVE, suite: 'nosuch', component: 'main', arch: 'amd64' }))).toBe(
      `the archive ${LIVE} has no suite 'nosuch' (${server.url}/deb.debian.org/debian/dists/nosuch/InRelease and Release: not found)`,
    );
    expect(await failure(readPackages(access(), { uri: LIVE, suite: 'bookworm', component: 'non-free', arch: 'amd64' }))).toBe(`${LIVE} bookworm has no component 'non-free' (it has: main, contrib)`);
    expect(await failure(readPackages(access(), { uri: LIVE, suite: 'bookworm', component: 'main', arch: 's390x' }))).toBe(`${LIVE} bookworm has no architecture 's390x' (it has: amd64, arm64)`);
  });

  it('a missing index and an index whose hash does not match the Release file are refused', async () => {
    const gz = '/deb.debian.org/debian/dists/bookworm/main/binary-amd64/Packages.gz';
    server.override.set(gz, { status: 404, body: 'gone' });
    expect(await failure(readPackages(access(), { uri: LIVE, suite: 'bookworm', component: 'main', arch: 'amd64' }))).toMatch(/Packages\.gz: not found, though the Release file lists it$/);
    // A Release file whose SHA256 for the index is wrong (as when the archive changes mid-read).
    server.override.clear();
    const root = server.roots.get('debian 20240301T000000Z')!;
    const release = readFileSync(join(root, 'dists/bookworm/Release'), 'utf8');
    const real = createHash('sha256').update(readFileSync(join(root, 'dists/bookworm/main/binary-amd64/Packages.gz'))).digest('hex');
    server.override.set('/deb.debian.org/debian/dists/bookworm/InRelease', { status: 200, body: release.replace(real, 'f'.repeat(64)) });
    expect(await failure(readPackages(access(), { uri: LIVE, suite: 'bookworm', component: 'main', arch: 'amd64' }))).toMatch(/Packages\.gz: size \d+ and sha256 [0-9a-f]{64} do not match the Release file/);
  });

  it('an index offered only as Packages.xz is refused with the reason', async () => {
    const root = server.roots.get('debian 20240301T000000Z')!;
    const release = readFileSync(join(root, 'dists/bookworm/Release'), 'utf8').replace(/(main\/binary-amd64\/Packages)(\.gz)?$/gm, '$1.xz');
    server.override.set('/deb.debian.org/debian/dists/bookworm/InRelease', { status: 200, body: release });
    expect(await failure(readPackages(access(), { uri: LIVE, suite: 'bookworm', component: 'main', arch: 'amd64' }))).toMatch(/offers main\/binary-amd64\/Packages only xz-compressed/);
  });
});
