/**
 * Two `dockrepro fix` runs in one repository at the same time (issue 10, trust boundaries item 5): each used
 * to write the lock it loaded plus its own keys, so the last writer dropped the other's. Now each re-reads and
 * merges under `dockrepro.lock.json.lock`. Real processes (the built binary) against the real test registry.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { LockFile } from '../../src/resolve/lock';
import { FileLockError, withFileLock } from '../../src/util/fileLock';
import { describeWithRegistries, pushImage, type Pushed } from '../helpers/registryFixtures';
import { workspace } from '../helpers/workspace';

const run = promisify(execFile);
const BIN = resolve(__dirname, '../../bin/dockrepro');
const IMAGES = 4;
const ROUNDS = 3;

describeWithRegistries('concurrent fix runs share one lock file', ({ open }) => {
  const pushed = new Map<string, Pushed>();

  beforeAll(async () => {
    for (const side of ['a', 'b']) {
      for (let i = 0; i < IMAGES; i++) {
        const repo = `lockrace/${side}${i}`;
        pushed.set(repo, await pushImage(open, repo, 'oci', { os: 'linux', architecture: 'amd64' }, `${side}${i}`, ['1']));
      }
    }
  });

  const dockerfile = (side: string) =>
    Array.from({ length: IMAGES }, (_, i) => `FROM ${open.host}/lockrace/${side}${i}:1 AS s${i}\n`).join('');

  it.each(Array.from({ length: ROUNDS }, (_, i) => i + 1))('round %i: both runs report the update and the lock keeps the keys of both', async () => {
    const repo = workspace({ '.git/HEAD': 'ref: refs/heads/main\n', 'a/Dockerfile': dockerfile('a'), 'b/Dockerfile': dockerfile('b') });
    const [a, b] = await Promise.all(['a', 'b'].map((side) => run(process.execPath, [BIN, 'fix', side], { cwd: repo, env: { ...process.env, NO_COLOR: '1' } })));
    expect(a.stdout).toContain('dockrepro.lock.json: lock file updated');
    expect(b.stdout).toContain('dockrepro.lock.json: lock file updated');
    const images = (JSON.parse(readFileSync(join(repo, 'dockrepro.lock.json'), 'utf8')) as { images: Record<string, { digest: string }> }).images;
    const expected = Object.fromEntries([...pushed].map(([name, p]) => [`${open.host}/${name}:1`, p.digest]));
    expect(Object.fromEntries(Object.entries(images).map(([k, v]) => [k, v.digest]))).toEqual(expected);
    expect(existsSync(join(repo, 'dockrepro.lock.json.lock'))).toBe(false);
  }, 60_000);
});

describe('the lock of the lock', () => {
  const digest = (c: string) => `sha256:${c.repeat(64)}`;
  const entry = (c: string) => ({ digest: digest(c), mediaType: 'm', resolvedAt: 't' });

  it("save merges: another run's entries are kept, this run's keys win", () => {
    const path = join(workspace({}), 'dockrepro.lock.json');
    const first = LockFile.load(path);
    const second = LockFile.load(path);
    first.set('x.io/one:1', entry('1'));
    first.set('x.io/both:1', entry('1'));
    second.set('x.io/two:1', entry('2'));
    second.set('x.io/both:1', entry('2'));
    expect(first.save()).toBe(true);
    expect(second.save()).toBe(true);
    const saved = LockFile.load(path);
    expect([saved.get('x.io/one:1')?.digest, saved.get('x.io/two:1')?.digest, saved.get('x.io/both:1')?.digest]).toEqual([digest('1'), digest('2'), digest('2')]);
    // The second run now sees the first run's entry too.
    expect(second.get('x.io/one:1')?.digest).toBe(digest('1'));
  });

  it('waits for a held lock and gives up with a message naming it', () => {
    const target = join(workspace({}), 'dockrepro.lock.json');
    writeFileSync(`${target}.lock`, '1\n');
    const started = Date.now();
    expect(() => withFileLock(target, () => 1, { waitMs: 300 })).toThrow(FileLockError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(() => withFileLock(target, () => 1, { waitMs: 100 })).toThrow(`${target}.lock is held by another dockrepro run`);
  });

  it('takes over a stale lock (left by a killed run) and removes its own when done', () => {
    const target = join(workspace({}), 'dockrepro.lock.json');
    writeFileSync(`${target}.lock`, '1\n');
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${target}.lock`, old, old);
    expect(withFileLock(target, () => readFileSync(`${target}.lock`, 'utf8'), { waitMs: 100 })).toBe(`${process.pid}\n`);
    expect(existsSync(`${target}.lock`)).toBe(false);
  });

  it('is removed when the guarded work throws', () => {
    const target = join(workspace({}), 'dockrepro.lock.json');
    expect(() => withFileLock(target, () => { throw new Error('boom'); })).toThrow('boom');
    expect(existsSync(`${target}.lock`)).toBe(false);
  });
});
