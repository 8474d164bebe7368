import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseLockKey, LockError, LockFile, LockFiles, lockKey, lockPathFor, type BaseLockEntry } from '../../src/resolve/lock';
import { workspace } from '../helpers/workspace';

const tempDir = () => workspace({});

const DIGEST = `sha256:${'a'.repeat(64)}`;
const entry = { tag: '3.12.7', digest: DIGEST, mediaType: 'application/vnd.oci.image.index.v1+json', resolvedAt: '2026-11-25T00:00:00.000Z' };

describe('lock file', () => {
  describe('bases', () => {
    const base: BaseLockEntry = {
      manifest: `sha256:${'b'.repeat(64)}`,
      platform: 'linux/amd64',
      env: { Z: '1', A: '2' },
      labels: {},
      files: { '/etc/passwd': 'root:x:0:0::/root:/bin/sh\n', '/etc/login.defs': null },
      dirs: { '/usr/lib': ['python3.11'] },
      resolvedAt: '2026-11-25T00:00:00.000Z',
    };
    const key = baseLockKey(DIGEST, 'linux/amd64');

    it('round-trips sorted, appears only when used, and a new resolvedAt alone is no change', () => {
      const lock = new LockFile('/x/dockrepro.lock.json');
      expect(lock.text()).not.toContain('bases');
      lock.setBase(key, base);
      const text = lock.text();
      expect(Object.keys(JSON.parse(text).bases[key].env)).toEqual(['A', 'Z']);
      const again = LockFile.fromText(text, '/x/dockrepro.lock.json');
      expect(again.getBase(key)).toEqual(base);
      again.setBase(key, { ...base, resolvedAt: '2027-01-01T00:00:00.000Z' });
      expect(again.dirty).toBe(false);
      again.setBase(key, { ...base, files: { ...base.files, '/etc/group': 'root:x:0:\n' } });
      expect(again.dirty).toBe(true);
    });

    it.each([
      ['a key without a platform', { [DIGEST]: base }, /the key must be/],
      ['a malformed manifest digest', { [key]: { ...base, manifest: 'sha256:xyz' } }, /'manifest' must be/],
      ['a non-string env value', { [key]: { ...base, env: { A: 1 } } }, /'env' must map/],
      ['a relative file path', { [key]: { ...base, files: { 'etc/passwd': 'x' } } }, /'files' must map absolute paths/],
      ['a folder listing that is not a list of names', { [key]: { ...base, dirs: { '/usr/lib': [1] } } }, /'dirs' must map/],
    ])('refuses %s', (_, bases, message) => {
      expect(() => LockFile.fromText(JSON.stringify({ version: 1, images: {}, bases }), '/x/l.json')).toThrow(message);
      expect(() => LockFile.fromText(JSON.stringify({ version: 1, images: {}, bases }), '/x/l.json')).toThrow(LockError);
    });
  });

  it('keys: name, tag (latest when absent) and the platform when asked', () => {
    expect(lockKey('docker.io/library/python', '3')).toBe('docker.io/library/python:3');
    expect(lockKey('docker.io/library/python', undefined)).toBe('docker.io/library/python:latest');
    expect(lockKey('ghcr.io/a/b', '1', 'linux/arm64')).toBe('ghcr.io/a/b:1 linux/arm64');
  });

  it('round-trips, sorted, and is written only when an entry changes', () => {
    const dir = tempDir();
    const path = join(dir, 'dockrepro.lock.json');
    const lock = LockFile.load(path);
    lock.set('z.io/b:1', { ...entry, tag: undefined });
    lock.set('docker.io/library/python:3', entry);
    expect(lock.save()).toBe(true);
    const text = readFileSync(path, 'utf8');
    expect(Object.keys(JSON.parse(text).images)).toEqual(['docker.io/library/python:3', 'z.io/b:1']);
    expect(text.endsWith('}\n')).toBe(true);
    const again = LockFile.load(path);
    expect(again.get('docker.io/library/python:3')).toEqual(entry);
    // Same content with a newer time is not a change: a re-run leaves the file byte-identical.
    again.set('docker.io/library/python:3', { ...entry, resolvedAt: '2027-01-01T00:00:00.000Z' });
    expect(again.dirty).toBe(false);
    expect(again.save()).toBe(false);
    again.set('docker.io/library/python:3', { ...entry, digest: `sha256:${'b'.repeat(64)}` });
    expect(again.save()).toBe(true);
    expect(LockFile.load(path).get('docker.io/library/python:3')!.digest).toBe(`sha256:${'b'.repeat(64)}`);
  });

  it('a missing file is an empty lock', () => {
    expect([...LockFile.load(join(tempDir(), 'none.json')).all()]).toEqual([]);
  });

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['wrong version', '{"version": 2, "images": {}}', /not a version 1/],
    ['images not an object', '{"version": 1, "images": []}', /'images' must be an object/],
    ['short digest', JSON.stringify({ version: 1, images: { 'a:1': { ...entry, digest: 'sha256:abc' } } }), /images\["a:1"\]: 'digest'/],
    ['uppercase digest', JSON.stringify({ version: 1, images: { 'a:1': { ...entry, digest: `sha256:${'A'.repeat(64)}` } } }), /'digest'/],
    ['tag with a newline', JSON.stringify({ version: 1, images: { 'a:1': { ...entry, tag: '1\nRUN evil' } } }), /'tag' is not a valid tag/],
    ['bad platform', JSON.stringify({ version: 1, images: { 'a:1': { ...entry, platform: 'linux' } } }), /'platform'/],
  ])('a malformed lock is a LockError: %s', (_name, text, message) => {
    const path = join(tempDir(), 'dockrepro.lock.json');
    writeFileSync(path, text);
    expect(() => LockFile.load(path)).toThrow(LockError);
    expect(() => LockFile.load(path)).toThrow(message);
  });

  it('lives in the nearest folder with a lock, a .dockrepro.yaml or .git; else beside the Dockerfile', () => {
    const root = tempDir();
    mkdirSync(join(root, 'repo/.git'), { recursive: true });
    mkdirSync(join(root, 'repo/svc/api'), { recursive: true });
    expect(lockPathFor(join(root, 'repo/svc/api')).path).toBe(join(root, 'repo/dockrepro.lock.json'));
    writeFileSync(join(root, 'repo/svc/.dockrepro.yaml'), '');
    expect(lockPathFor(join(root, 'repo/svc/api')).path).toBe(join(root, 'repo/svc/dockrepro.lock.json'));
    mkdirSync(join(root, 'loose'));
    // tempDir() is under the OS temp folder: nothing above marks a repository.
    expect(lockPathFor(join(root, 'loose')).path).toBe(join(root, 'loose/dockrepro.lock.json'));
  });

  it('LockFiles loads each lock once and saves only changed ones', () => {
    const dir = tempDir();
    mkdirSync(join(dir, '.git'));
    mkdirSync(join(dir, 'a'));
    const locks = new LockFiles();
    const a = locks.forDir(join(dir, 'a'));
    expect(locks.forDir(dir)).toBe(a);
    expect(locks.saveAll()).toEqual([]);
    a.set('x:1', entry);
    expect(locks.saveAll()).toEqual([join(dir, 'dockrepro.lock.json')]);
  });
});
