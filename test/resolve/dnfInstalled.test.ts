/**
 * What the real dnf (4.14) does when the package named is already installed: the facts rpm-version relies on
 * for a package the base image ships. A root with a real rpm database (packages installed by the real rpm)
 * and a real repository (rpmbuild + createrepo_c, read over file://); dnf runs for real in a copy of the root
 * and the rpm database is read afterwards.
 *
 * Installed: hello-1.0 (the repository has 1.0, 1.1, 1.2), gone-0.5 (the repository has only 0.7), newer-3.0
 * (the repository has only an older 2.0), local-1.0 (no repository has it).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRpmRepos, buildRpms, dnfInRoot, rpmInstallInto, rpmInstalled, rpmRepoToolsAvailable } from '../helpers/rpmTools';
import { inCI } from '../helpers/ci';

const missing = rpmRepoToolsAvailable();
const BASE = ['gone-0.5-1.el9.noarch', 'hello-1.0-1.el9.noarch', 'local-1.0-1.el9.noarch', 'newer-3.0-1.el9.noarch'];

describe('the real dnf with a package that is already installed', () => {
  if (missing) {
    it('needs rpmbuild, createrepo_c and dnf', () => {
      if (inCI()) throw new Error(`cannot run under CI: ${missing}`);
      process.stderr.write(`\nSKIPPED: dnf installed-package behaviour: ${missing}\n`);
    });
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'dockrepro-dnf-installed-'));
  const root = join(work, 'root');
  const reposdir = join(work, 'repos');

  beforeAll(() => {
    buildRpmRepos(join(work, 'www'), {
      repo: [
        { name: 'hello', version: '1.0', release: '1.el9' }, { name: 'hello', version: '1.1', release: '1.el9' }, { name: 'hello', version: '1.2', release: '1.el9' },
        { name: 'gone', version: '0.7', release: '1.el9' }, { name: 'newer', version: '2.0', release: '1.el9' },
      ],
    });
    const base = buildRpms(work, join(work, 'base'), [
      { name: 'hello', version: '1.0', release: '1.el9' }, { name: 'gone', version: '0.5', release: '1.el9' },
      { name: 'newer', version: '3.0', release: '1.el9' }, { name: 'local', version: '1.0', release: '1.el9' },
    ]);
    mkdirSync(root, { recursive: true });
    rpmInstallInto(work, root, base);
    mkdirSync(reposdir, { recursive: true });
    writeFileSync(join(reposdir, 't.repo'), `[t]\nname=t\nbaseurl=file://${join(work, 'www/repo')}\nenabled=1\n`);
  }, 120_000);

  const run = (args: string[], main: string[] = []) => dnfInRoot(work, root, reposdir, args, main);

  it('the root holds what rpm installed', () => {
    expect(rpmInstalled(work, root)).toEqual(BASE);
  });

  it('best=True (RHEL, UBI, Alma, Rocky dnf.conf): `install name` upgrades to the newest build the repositories have, never downgrades', async () => {
    const r = await run(['install', 'hello', 'gone', 'newer', 'local'], ['best=True']);
    expect(r.status).toBe(0);
    expect(r.installed).toEqual(['gone-0.7-1.el9.noarch', 'hello-1.2-1.el9.noarch', 'local-1.0-1.el9.noarch', 'newer-3.0-1.el9.noarch']);
  }, 120_000);

  it('best=False (Fedora dnf.conf) and best unset (dnf 4 default): `install name` keeps the installed build', async () => {
    for (const main of [['best=False'], []]) {
      const r = await run(['install', 'hello', 'gone', 'newer', 'local'], main);
      expect(r.status).toBe(0);
      expect(r.installed).toEqual(BASE);
    }
  }, 120_000);

  it('--best on the command line wins over best=False', async () => {
    const r = await run(['install', '--best', 'hello'], ['best=False']);
    expect(r.installed).toContain('hello-1.2-1.el9.noarch');
  }, 120_000);

  it('`install name-V-R` moves to exactly that build: up, and also down (so a pin older than the installed build changes the image)', async () => {
    const up = await run(['install', 'hello-1.1-1.el9'], ['best=True']);
    expect(up.installed).toContain('hello-1.1-1.el9.noarch');
    const down = await run(['install', 'newer-2.0-1.el9'], ['best=True']);
    expect(down.status).toBe(0);
    expect(down.installed).toContain('newer-2.0-1.el9.noarch');
  }, 120_000);

  it('`install name-V-R` of the installed build changes nothing, even when no repository has it', async () => {
    for (const main of [['best=True'], ['best=False']]) {
      const r = await run(['install', 'hello-1.0-1.el9', 'newer-3.0-1.el9', 'local-1.0-1.el9'], main);
      expect(r.status).toBe(0);
      expect(r.installed).toEqual(BASE);
    }
  }, 120_000);

  it('`upgrade name` goes to the newest build whatever best says', async () => {
    const r = await run(['upgrade', 'hello'], ['best=False']);
    expect(r.installed).toContain('hello-1.2-1.el9.noarch');
  }, 120_000);
});
