/**
 * rpmDb against databases written by the real rpm (4.18, SQLite backend): packages built by rpmbuild and
 * installed with `rpm --root`; what installedPackages reads must be what `rpm -qa` says. Malformed input is
 * refused, never read as "nothing installed".
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installedPackages, parseRpmHeader, RpmDbError, rpmDbOf } from '../../src/resolve/rpmDb';
import { buildRpms, rpmHome, rpmInstallInto, rpmInstalled, rpmRepoToolsAvailable } from '../helpers/rpmTools';
import { inCI } from '../helpers/ci';

const missing = rpmRepoToolsAvailable();

describe('rpmDb', () => {
  it('rpmDbOf tells the database from the listings of /var/lib/rpm and /usr/lib/sysimage/rpm', () => {
    const of = (entries: Record<string, string[]>) => rpmDbOf(new Map(Object.entries(entries)));
    expect(of({ '/var/lib/rpm': ['.rpm.lock', 'rpmdb.sqlite', 'rpmdb.sqlite-shm', 'rpmdb.sqlite-wal'], '/usr/lib/sysimage/rpm': [] })).toEqual({ kind: 'sqlite', path: '/var/lib/rpm/rpmdb.sqlite', wal: '/var/lib/rpm/rpmdb.sqlite-wal' });
    expect(of({ '/var/lib/rpm': ['rpmdb.sqlite'], '/usr/lib/sysimage/rpm': ['rpmdb.sqlite'] })).toEqual({ kind: 'sqlite', path: '/var/lib/rpm/rpmdb.sqlite' });
    expect(of({ '/var/lib/rpm': [], '/usr/lib/sysimage/rpm': ['rpmdb.sqlite'] })).toEqual({ kind: 'sqlite', path: '/usr/lib/sysimage/rpm/rpmdb.sqlite' });
    expect(of({ '/var/lib/rpm': ['Basenames', 'Name', 'Packages'], '/usr/lib/sysimage/rpm': [] })).toEqual({ kind: 'unread', reason: expect.stringMatching(/BerkeleyDB \(EL 8 and older\), which dockrepro does not read/) });
    expect(of({ '/usr/lib/sysimage/rpm': ['Packages.db', 'Index.db'] })).toEqual({ kind: 'unread', reason: expect.stringMatching(/ndb format/) });
    expect(of({ '/var/lib/rpm': ['rpmdb.sqlite', 'x'], '/usr/lib/sysimage/rpm': ['rpmdb.sqlite'] }).kind).toBe('unread');
    expect(of({ '/var/lib/rpm': [], '/usr/lib/sysimage/rpm': [] })).toEqual({ kind: 'none' });
  });

  it('refuses what is not an rpm database or not an rpm header', async () => {
    await expect(installedPackages(Buffer.from('not sqlite at all, just text'))).rejects.toThrow(RpmDbError);
    expect(() => parseRpmHeader(Buffer.from([0, 0, 0, 1]))).toThrow(/shorter than its 8-byte preamble/);
    // One entry claiming 1 GiB of data.
    expect(() => parseRpmHeader(Buffer.from([0, 0, 0, 1, 0x40, 0, 0, 0, ...new Array(16).fill(0)]))).toThrow(/does not fit/);
    // A NAME entry pointing past the data.
    const h = Buffer.alloc(8 + 16 + 4);
    h.writeUInt32BE(1, 0);
    h.writeUInt32BE(4, 4);
    h.writeUInt32BE(1000, 8);
    h.writeUInt32BE(6, 12);
    h.writeUInt32BE(2, 16);
    h.writeUInt32BE(1, 20);
    h.write('abcd', 24);
    expect(() => parseRpmHeader(h)).toThrow(/not a terminated string/);
  });

  if (missing) {
    it('needs rpmbuild (and rpm)', () => {
      if (inCI()) throw new Error(`cannot run under CI: ${missing}`);
      process.stderr.write(`\nSKIPPED: rpmDb against the real rpm: ${missing}\n`);
    });
    return;
  }

  it('reads what the real rpm installed, as rpm -qa lists it (epochs, arches, two builds of one name)', async () => {
    expect(spawnSync('rpm', ['--eval', '%_db_backend'], { encoding: 'utf8', env: { ...process.env, HOME: rpmHome(mkdtempSync(join(tmpdir(), 'h-'))) } }).stdout.trim()).toBe('sqlite');
    const work = mkdtempSync(join(tmpdir(), 'dockrepro-rpmdb-'));
    const root = join(work, 'root');
    mkdirSync(root);
    const files = buildRpms(work, join(work, 'rpms'), [
      { name: 'hello', version: '1.0', release: '1.el9', arch: 'x86_64' },
      { name: 'epo', version: '2.0', release: '3.el9', epoch: 4 },
      { name: 'caret', version: '1.0^git1', release: '1.el9' },
      { name: 'multi', version: '1.0', release: '1.el9', arch: 'x86_64' },
      { name: 'multi', version: '1.0', release: '1.el9', arch: 'aarch64' },
    ]);
    rpmInstallInto(work, root, files.slice(0, 4));
    // A second build of `multi` alongside the first (another architecture), as multilib systems have.
    const r = spawnSync('rpm', ['--root', root, '-i', '--nodeps', '--ignorearch', files[4]], { encoding: 'utf8', env: { ...process.env, HOME: rpmHome(work) } });
    expect(r.stderr).not.toMatch(/error/);
    const got = await installedPackages(readFileSync(join(root, 'var/lib/rpm/rpmdb.sqlite')));
    const listed = [...got].flatMap(([name, builds]) => builds.map((b) => `${name}-${b.epoch ? `${b.epoch}:` : ''}${b.version}-${b.release}.${b.arch}`)).sort();
    expect(listed).toEqual(rpmInstalled(work, root));
    expect(listed).toHaveLength(5);
    expect(got.get('epo')).toEqual([{ epoch: 4, version: '2.0', release: '3.el9', arch: 'noarch' }]);
  }, 120_000);
});
