import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { HttpClient, RegistryError } from '../../src/resolve/http';
import { NotFixed } from '../../src/util/notFixed';
import { LockError, LockFile } from '../../src/resolve/lock';
import { lookupPackage, type PackageContext } from '../../src/resolve/packages';
import { workspace } from '../helpers/workspace';
import { Lookups } from '../../src/resolve/shared';

const valid = (v: string) => /^\d+(\.\d+)*$/.test(v);

function context(over: Partial<PackageContext> = {}): PackageContext {
  return {
    http: new HttpClient({ retries: 0 }),
    lock: LockFile.load(join(workspace({}), 'dockrepro.lock.json')),
    offline: false,
    refresh: false,
    lookups: new Lookups(),
    env: {},
    dir: '/',
    archives: {},
    now: () => new Date('2026-11-25T12:00:00Z'),
    ...over,
  };
}

describe('lookupPackage', () => {
  it('resolves once per key per run, however many ask at once, and records the answer in the lock', async () => {
    const ctx = context();
    let calls = 0;
    const resolve = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 10));
      return { version: '3.1.0', explanation: 'newest release' };
    };
    const answers = await Promise.all([1, 2, 3].map(() => lookupPackage(ctx, 'pypi:flask', resolve, valid, "'flask'")));
    expect(answers).toEqual([1, 2, 3].map(() => ({ version: '3.1.0', explanation: 'newest release' })));
    expect(calls).toBe(1);
    expect(ctx.lock!.getPackage('pypi:flask')).toEqual({ version: '3.1.0', resolvedAt: '2026-11-25T12:00:00.000Z' });
  });

  it('the lock answers first (also offline); --refresh asks again; offline without an entry needs the network', async () => {
    const ctx = context();
    ctx.lock!.setPackage('npm:x@^1', { version: '1.2.0', resolvedAt: 't' });
    const never = async () => {
      throw new Error('must not be called');
    };
    expect(await lookupPackage({ ...ctx, offline: true }, 'npm:x@^1', never, valid, "'x@^1'")).toEqual({ version: '1.2.0', explanation: `from ${ctx.lock!.path}` });
    expect(await lookupPackage({ ...ctx, refresh: true }, 'npm:x@^1', async () => ({ version: '1.3.0', explanation: 'newer' }), valid, "'x@^1'")).toMatchObject({ version: '1.3.0' });
    expect(ctx.lock!.getPackage('npm:x@^1')?.version).toBe('1.3.0');
    // The message names what the user wrote and where it is looked up, not the lock key (issue 9).
    await expect(lookupPackage({ ...ctx, offline: true }, 'npm:y', never, valid, "'y' (registry https://r/)")).rejects.toMatchObject({
      left: 'needs-network',
      message: expect.stringMatching(/^'y' \(registry https:\/\/r\/\) is not in .* and --offline/),
    });
  });

  it('a malformed version is never accepted, from the index or from the lock', async () => {
    const ctx = context();
    await expect(lookupPackage(ctx, 'a', async () => ({ version: '1.0\nRUN evil', explanation: '' }), valid, "'a'")).rejects.toMatchObject({ left: 'failed', message: expect.stringContaining('malformed version') });
    expect(ctx.lock!.getPackage('a')).toBeUndefined();
    expect(() => ctx.lock!.setPackage('b', { version: '1 && rm -rf /', resolvedAt: 't' })).toThrow(LockError);
  });

  it('lookup failures become NotFixed errors with the reason', async () => {
    const ctx = context();
    const err = await lookupPackage(ctx, 'gone', async () => {
      throw new RegistryError('https://i/gone: not found (unknown package)', 'not-found', 404);
    }, valid, "'gone'").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFixed);
    expect(err).toMatchObject({ left: 'failed', message: 'lookup failed: https://i/gone: not found (unknown package)' });
  });
});

describe('lock file packages section', () => {
  it('is written sorted after images, only when a package was recorded, and read back', () => {
    const dir = workspace({});
    const path = join(dir, 'dockrepro.lock.json');
    const lock = LockFile.load(path);
    lock.set('docker.io/library/python:3', { digest: `sha256:${'a'.repeat(64)}`, mediaType: 'm', resolvedAt: 't' });
    lock.save();
    expect(JSON.parse(readFileSync(path, 'utf8'))).not.toHaveProperty('packages');
    lock.setPackage('pypi:z', { version: '1.0', resolvedAt: 't' });
    lock.setPackage('npm:a@^1', { version: '1.2.3', resolvedAt: 't' });
    lock.save();
    const json = JSON.parse(readFileSync(path, 'utf8'));
    expect(Object.keys(json)).toEqual(['version', 'images', 'packages']);
    expect(Object.keys(json.packages)).toEqual(['npm:a@^1', 'pypi:z']);
    expect(LockFile.load(path).getPackage('pypi:z')).toEqual({ version: '1.0', resolvedAt: 't' });
    // The same version again is not a change.
    const again = LockFile.load(path);
    again.setPackage('pypi:z', { version: '1.0', resolvedAt: 'later' });
    expect(again.dirty).toBe(false);
  });

  it('a malformed package entry is a LockError', () => {
    const text = JSON.stringify({ version: 1, images: {}, packages: { 'pypi:x': { version: '1.0; rm -rf /', resolvedAt: 't' } } });
    expect(() => LockFile.fromText(text, 'l.json')).toThrow(/packages\["pypi:x"\]: expected \{ version, resolvedAt \}/);
    expect(() => LockFile.fromText('{"version":1,"images":{},"packages":[]}', 'l.json')).toThrow(/'packages' must be an object/);
  });
});
