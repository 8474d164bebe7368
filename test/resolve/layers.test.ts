/**
 * Layer tarballs (built by test/helpers/imageFixtures.ts with node-tar headers, gzip/zstd/plain) read by
 * layerSink, and LayeredFs over several of them. A single layer's view is compared with what GNU tar
 * extracts from the same bytes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileTooBig, LayeredFs, layerSink, normalizeEntryPath, type LayerIndex, type LayerLimits } from '../../src/resolve/layers';
import { haveZstd, layerBlob, type FixtureLayer } from '../helpers/imageFixtures';
import { inCI } from '../helpers/ci';

/** Streams a layer blob into layerSink in small chunks, as a network would. */
async function index(layer: FixtureLayer, capture: string[] = [], limits: LayerLimits = {}, chunk = 97): Promise<LayerIndex> {
  const { bytes } = layerBlob(layer);
  const sink = layerSink(new Set(capture), limits);
  for (let i = 0; i < bytes.length; i += chunk) await sink.write(bytes.subarray(i, i + chunk));
  return sink.end();
}

/** A LayeredFs over layers given top first, counting reads; a later content read captures only its path. */
function layered(layers: FixtureLayer[], capture: string[]) {
  const loads: number[] = [];
  const contentLoads: [number, string][] = [];
  const read = new Map<number, Promise<LayerIndex>>();
  const fs = new LayeredFs(
    layers.length,
    (i) => {
      // Shared per layer, as the run's lookups share them in ImageReader.
      if (!read.has(i)) {
        loads.push(i);
        read.set(i, index(layers[i], capture, { maxFileBytes: 64 }));
      }
      return read.get(i)!;
    },
    async (i, path) => {
      contentLoads.push([i, path]);
      return (await index(layers[i], [path], { maxFileBytes: 64 })).entries.get(path);
    },
    64,
  );
  return { fs, loads, contentLoads };
}

const text = (b: Buffer | undefined) => b?.toString('utf8');
/** Without the zstd binary zstd cases are skipped loudly (and fail under CI=true). */
function zstdMissing(): boolean {
  if (haveZstd()) return false;
  if (inCI()) throw new Error('the zstd binary is not installed (scripts/ensure-test-tools.sh)');
  process.stderr.write('\nSKIPPED: a zstd layer case: the zstd binary is not installed (scripts/ensure-test-tools.sh)\n');
  return true;
}

const SAMPLE: FixtureLayer = {
  files: { '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n', '/etc/os-release': 'ID=debian\n', '/usr/lib/python3.11/os.py': '#' },
  dirs: ['/var/empty'],
  symlinks: { '/bin': 'usr/bin' },
};

describe('layerSink', () => {
  it.each(['gzip', 'zstd', 'none'] as const)('reads a %s layer: entries, implied parents, captured content only', async (compression) => {
    if (compression === 'zstd' && zstdMissing()) return;
    const idx = await index({ ...SAMPLE, compression }, ['/etc/passwd']);
    expect(text(idx.entries.get('/etc/passwd')?.content)).toBe('root:x:0:0:root:/root:/bin/sh\n');
    expect(idx.entries.get('/etc/os-release')).toEqual({ type: 'file', size: 10 });
    expect(idx.entries.get('/usr/lib')).toEqual({ type: 'dir', size: 0 }); // no entry in the tar: implied
    expect(idx.entries.get('/bin')).toEqual({ type: 'symlink', link: 'usr/bin', size: 0 });
    expect(idx.entries.get('/var/empty')?.type).toBe('dir');
  });

  it('sniffs the compression from the bytes, not the media type (a gzip layer read in 1-byte chunks too)', async () => {
    const idx = await index({ ...SAMPLE, compression: 'gzip' }, ['/etc/os-release'], {}, 1);
    expect(text(idx.entries.get('/etc/os-release')?.content)).toBe('ID=debian\n');
  });

  it.each([['./'], ['/'], ['']] as const)("normalises entry paths written with prefix '%s'", async (prefix) => {
    const idx = await index({ files: { '/etc/passwd': 'x' }, prefix }, ['/etc/passwd']);
    expect([...idx.entries.keys()].sort()).toEqual(['/etc', '/etc/passwd']);
  });

  it('drops entries that leave the root, and keeps `..` that stays inside', async () => {
    const idx = await index({
      entries: [
        { path: '../escape', type: 'File', content: 'x' },
        { path: 'a/../../b', type: 'File', content: 'x' },
        { path: 'etc/../etc/hosts', type: 'File', content: 'h' },
      ],
    }, ['/etc/hosts']);
    expect(idx.escaped).toBe(2);
    expect(text(idx.entries.get('/etc/hosts')?.content)).toBe('h');
    expect([...idx.entries.keys()].some((p) => p.includes('escape') || p === '/b')).toBe(false);
  });

  it('ignores a PAX header larger than the meta bound instead of holding it', async () => {
    const long = `${'d/'.repeat(40_000)}f`; // an 80 KB path: over the 64 KiB meta bound
    const fits = `${'e/'.repeat(200)}f`; // a 401-byte path in a PAX header is read
    const kept = await index({ entries: [{ path: fits, type: 'File', content: 'y' }] }, [`/${fits}`]);
    expect(text(kept.entries.get(`/${fits}`)?.content)).toBe('y');
    const idx = await index({ entries: [{ path: long, type: 'File', content: 'x' }], files: { '/ok': 'fine' } }, ['/ok']);
    expect(text(idx.entries.get('/ok')?.content)).toBe('fine');
    // The ignored header's entry falls back to its ustar name; nothing of the long path is kept.
    expect([...idx.entries.keys()].sort()).toEqual(['/ok', '/pax-path']);
  });

  it('marks a captured file over the size bound instead of keeping it', async () => {
    const idx = await index({ files: { '/big': 'x'.repeat(100), '/small': 'y' } }, ['/big', '/small'], { maxFileBytes: 64 });
    expect(idx.entries.get('/big')).toEqual({ type: 'file', size: 100, tooBig: true });
    expect(text(idx.entries.get('/small')?.content)).toBe('y');
  });

  it('refuses a layer with more entries than the bound', async () => {
    const files = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`/f${i}`, '']));
    await expect(index({ files }, [], { maxEntries: 10 })).rejects.toThrow(/more than 10 entries/);
  });

  it('refuses bytes that are not a tar, and a gzip stream that breaks off', async () => {
    const sink = layerSink(new Set());
    await sink.write(Buffer.from('this is not a tar archive at all, only text'.repeat(20)));
    await expect(sink.end()).rejects.toThrow();
    const { bytes } = layerBlob({ ...SAMPLE, compression: 'gzip' });
    const cut = layerSink(new Set());
    await cut.write(bytes.subarray(0, bytes.length - 20));
    await expect(cut.end()).rejects.toThrow();
  });

  it('agrees with GNU tar on what a single layer holds', async () => {
    const layer: FixtureLayer = { ...SAMPLE, prefix: './', compression: 'none', hardlinks: { '/etc/passwd-': '/etc/passwd' } };
    const dir = mkdtempSync(join(tmpdir(), 'dockrepro-layer-'));
    try {
      const { tar } = layerBlob(layer);
      const x = spawnSync('tar', ['-x', '-C', dir], { input: tar });
      expect(x.status).toBe(0);
      const fs = layered([layer], ['/etc/passwd', '/etc/os-release', '/etc/passwd-']).fs;
      for (const f of ['etc/passwd', 'etc/os-release', 'etc/passwd-']) expect(text(await fs.readFile(`/${f}`))).toBe(readFileSync(join(dir, f), 'utf8'));
      for (const d of ['etc', 'usr/lib', '']) expect(await fs.listDir(`/${d}`)).toEqual(readdirSync(join(dir, d)).sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('normalizeEntryPath', () => {
  it.each([
    ['./etc/passwd', '/etc/passwd'],
    ['etc/passwd', '/etc/passwd'],
    ['/etc//passwd/', '/etc/passwd'],
    ['./', '/'],
    ['../x', undefined],
    ['a/../../x', undefined],
  ])('%s → %s', (input, expected) => expect(normalizeEntryPath(input)).toBe(expected));
});

describe('LayeredFs (top layer first)', () => {
  const bottom: FixtureLayer = {
    files: {
      '/etc/passwd': 'bottom\n',
      '/etc/group': 'g\n',
      '/etc/motd': 'm\n',
      '/usr/lib/os-release': 'ID=debian\n',
      '/usr/lib/python3.9/a.py': '',
      '/usr/lib/x86_64-linux-gnu/libc.so': '',
      '/opt/tool/one': '1',
      '/opt/tool/two': '2',
      '/big': 'x'.repeat(100),
    },
    symlinks: { '/lib': 'usr/lib', '/etc/os-release': '../usr/lib/os-release', '/escape': '../../../../etc/group' },
  };
  const middle: FixtureLayer = {
    files: { '/etc/passwd': 'middle\n', '/usr/lib/python3.11/a.py': '', '/opt/tool/three': '3' },
    whiteouts: ['/etc/motd', '/usr/lib/python3.9'],
    opaque: ['/opt/tool'],
    compression: 'zstd',
  };
  const top: FixtureLayer = { files: { '/app/main.py': 'print()' }, compression: 'none' };
  const stack = () => (zstdMissing() ? [top, { ...middle, compression: 'gzip' as const }, bottom] : [top, middle, bottom]);

  it('later layers win; whiteouts delete; an opaque folder hides lower content; links resolve inside the image', async () => {
    const { fs } = layered(stack(), ['/etc/passwd', '/etc/motd', '/etc/os-release']);
    expect(text(await fs.readFile('/etc/passwd'))).toBe('middle\n');
    expect(await fs.readFile('/etc/motd')).toBeUndefined();
    expect(text(await fs.readFile('/etc/os-release'))).toBe('ID=debian\n');
    // An absolute or climbing target stays inside the image root.
    expect(text(await fs.readFile('/escape'))).toBe('g\n');
    expect(await fs.listDir('/usr/lib')).toEqual(['os-release', 'python3.11', 'x86_64-linux-gnu']);
    expect(await fs.listDir('/lib')).toEqual(['os-release', 'python3.11', 'x86_64-linux-gnu']); // /lib -> usr/lib
    expect(await fs.listDir('/opt/tool')).toEqual(['three']);
    expect(await fs.listDir('/nonexistent')).toEqual([]);
    expect(await fs.readFile('/etc')).toBeUndefined(); // a folder is not a file
  });

  it('stops at the first layer that decides: a file in the top layers never downloads the bottom one', async () => {
    const { fs, loads } = layered(stack(), ['/etc/passwd']);
    expect(text(await fs.readFile('/etc/passwd'))).toBe('middle\n');
    expect(loads).toEqual([0, 1]);
  });

  it('reads a layer again only for a file whose content was not asked for the first time', async () => {
    const { fs, contentLoads } = layered(stack(), []);
    expect(text(await fs.readFile('/etc/group'))).toBe('g\n');
    expect(contentLoads).toEqual([[2, '/etc/group']]);
  });

  it('a file over the bound is an error saying so', async () => {
    const { fs } = layered(stack(), ['/big']);
    await expect(fs.readFile('/big')).rejects.toThrow(FileTooBig);
    await expect(fs.readFile('/big')).rejects.toThrow(/\/big in the image is 100 bytes, more than the 64 bytes/);
  });

  it('a symlink loop is no file', async () => {
    const { fs } = layered([{ symlinks: { '/a': 'b', '/b': 'a' } }], ['/a']);
    expect(await fs.readFile('/a')).toBeUndefined();
  });

  it('a file replacing a folder hides what lower layers had below it', async () => {
    const { fs } = layered([{ files: { '/opt/tool': 'now a file' } }, bottom], ['/opt/tool/one']);
    expect(await fs.readFile('/opt/tool/one')).toBeUndefined();
    expect(await fs.listDir('/opt/tool')).toEqual([]);
  });
});
