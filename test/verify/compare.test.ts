/** The comparison behind `dockrepro verify`: reading layer blobs, and how two entries or configs differ. */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareConfigs, compareFiles } from '../../src/verify/compare';
import { readLayerFiles, type FileFacts } from '../../src/verify/layerFiles';
import { fileHint } from '../../src/verify/hints';
import { haveZstd, layerBlob, type FixtureLayer } from '../helpers/imageFixtures';
import { inCI } from '../helpers/ci';

const LAYER: FixtureLayer = {
  files: { '/etc/motd': 'hello\n' },
  dirs: ['/srv'],
  symlinks: { '/bin/sh': 'busybox' },
  whiteouts: ['/etc/issue'],
  entries: [{ path: 'bin/busybox', type: 'File', content: Buffer.alloc(300, 7), mode: 0o755 }],
};

describe('readLayerFiles', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'dockrepro-layerfiles-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const compressions = (['gzip', 'none', 'zstd'] as const).filter((c) => {
    if (c !== 'zstd' || haveZstd()) return true;
    if (inCI()) throw new Error('the zstd binary is not installed (scripts/ensure-test-tools.sh)');
    process.stderr.write('\nSKIPPED: readLayerFiles on a zstd layer: the zstd binary is not installed\n');
    return false;
  });

  it.each(compressions)('reads every entry of a %s layer with its facts', async (compression) => {
    const blob = layerBlob({ ...LAYER, compression });
    const path = join(dir, `layer-${compression}`);
    writeFileSync(path, blob.bytes);
    const files = await readLayerFiles(path);
    expect([...files.keys()].sort()).toEqual(['/bin/busybox', '/bin/sh', '/etc/.wh.issue', '/etc/motd', '/srv']);
    expect(files.get('/etc/motd')).toMatchObject({ type: 'file', size: 6, mode: 0o644, uid: 0, gid: 0, mtime: 0, sha256: createHash('sha256').update('hello\n').digest('hex') });
    expect(files.get('/etc/motd')!.excerpt?.toString()).toBe('hello\n');
    // Over the excerpt bound: hashed, not kept.
    expect(files.get('/bin/busybox')).toMatchObject({ type: 'file', size: 300, mode: 0o755, sha256: createHash('sha256').update(Buffer.alloc(300, 7)).digest('hex') });
    expect(files.get('/bin/busybox')!.excerpt).toBeUndefined();
    expect(files.get('/bin/sh')).toMatchObject({ type: 'symlink', link: 'busybox' });
    expect(files.get('/etc/.wh.issue')!.type).toBe('whiteout');
    expect(files.get('/srv')!.type).toBe('dir');
  });
});

function file(overrides: Partial<FileFacts> = {}): FileFacts {
  return { type: 'file', size: 6, sha256: 'a'.repeat(64), excerpt: Buffer.from('hello\n'), mtime: 0, mode: 0o644, uid: 0, gid: 0, ...overrides };
}

describe('compareFiles', () => {
  it('names each way two entries differ, with both values', () => {
    const a = new Map([
      ['/same', file()],
      ['/built-at', file({ excerpt: Buffer.from('Mon\n'), sha256: 'b'.repeat(64), size: 4 })],
      ['/meta', file({ mtime: 1, mode: 0o755, uid: 1000, gid: 1000 })],
      ['/link', { ...file({ type: 'symlink', link: 'a', size: 0 }), sha256: undefined, excerpt: undefined }],
      ['/only-first', file()],
    ]);
    const b = new Map([
      ['/same', file()],
      ['/built-at', file({ excerpt: Buffer.from('Tue\n'), sha256: 'c'.repeat(64), size: 4 })],
      ['/meta', file({ mtime: 2, mode: 0o700, uid: 0, gid: 0 })],
      ['/link', { ...file({ type: 'symlink', link: 'b', size: 0 }), sha256: undefined, excerpt: undefined }],
      ['/random', file({ excerpt: undefined, sha256: 'd'.repeat(64), size: 16 })],
    ]);
    expect(compareFiles(a, b)).toEqual([
      { path: '/built-at', differences: [{ aspect: 'content', first: '"Mon\\n"', second: '"Tue\\n"' }] },
      { path: '/link', differences: [{ aspect: 'link', first: 'a', second: 'b' }] },
      {
        path: '/meta',
        differences: [
          { aspect: 'mtime', first: '1970-01-01T00:00:01Z', second: '1970-01-01T00:00:02Z' },
          { aspect: 'mode', first: '0755', second: '0700' },
          { aspect: 'owner', first: '1000:1000', second: '0:0' },
        ],
      },
      { path: '/only-first', differences: [{ aspect: 'only-in-one', first: 'present', second: 'absent' }] },
      { path: '/random', differences: [{ aspect: 'only-in-one', first: 'absent', second: 'present' }] },
    ]);
  });

  it('shows binary or large content by the start of its hash', () => {
    const a = new Map([['/r', file({ excerpt: Buffer.from([0, 1, 2]), sha256: '1'.repeat(64) })]]);
    const b = new Map([['/r', file({ excerpt: undefined, sha256: '2'.repeat(64) })]]);
    expect(compareFiles(a, b)[0].differences[0]).toEqual({ aspect: 'content', first: 'sha256:111111111111…', second: 'sha256:222222222222…' });
  });

  it('gives the known cause of a differing file', () => {
    const a = new Map([['/etc/shadow', file()], ['/var/lib/apt/lists/deb.debian.org_InRelease', file()]]);
    const b = new Map([['/etc/shadow', file({ sha256: 'f'.repeat(64) })]]);
    const [shadow, lists] = compareFiles(a, b);
    expect(shadow.hint).toMatch(/ARG SOURCE_DATE_EPOCH/);
    expect(lists.hint).toMatch(/apt-get update/);
  });
});

describe('fileHint', () => {
  it.each([
    ['/etc/shadow', /SOURCE_DATE_EPOCH/],
    ['/etc/gshadow-', /SOURCE_DATE_EPOCH/],
    ['/var/log/dpkg.log', /rm -f \/var\/log\/dpkg.log/],
    ['/var/log/alternatives.log', /logs/],
    ['/var/log/apt/term.log', /logs/],
    ['/var/cache/apt/pkgcache.bin', /apt-get clean/],
    ['/var/cache/ldconfig/aux-cache', /aux-cache/],
    ['/var/lib/apt/lists/partial/x', /snapshot/],
    ['/usr/lib/python3/dist-packages/x/__pycache__/y.cpython-311.pyc', /--no-compile/],
  ])('%s: %s', (path, hint) => expect(fileHint(path)).toMatch(hint));

  it.each(['/etc/passwd', '/var/cache/apt/archives/x.deb', '/srv/app.py', '/var/log/other.log'])('%s: none', (path) => expect(fileHint(path)).toBeUndefined());
});

describe('compareConfigs', () => {
  it('lists differing fields with hints, leaving the layer digests to the layer comparison', () => {
    const a = { created: '2024-01-01T00:00:00Z', config: { Env: ['A=1'] }, rootfs: { diff_ids: ['sha256:1'] }, history: [{ created: 'x', comment: 'FROM 1' }] };
    const b = { created: '2024-01-02T00:00:00Z', config: { Env: ['A=2'] }, rootfs: { diff_ids: ['sha256:2'] }, history: [{ created: 'x', comment: 'FROM 2' }] };
    const diffs = compareConfigs(a, b);
    expect(diffs.map((d) => d.field)).toEqual(['created', 'config.Env[0]', 'history[0].comment']);
    expect(diffs[0]).toMatchObject({ first: '2024-01-01T00:00:00Z', second: '2024-01-02T00:00:00Z', hint: expect.stringMatching(/--timestamp/) });
    expect(diffs[1].hint).toBeUndefined();
    expect(diffs[2].hint).toMatch(/earlier layer/);
  });
});
