/**
 * Config and lock files come only from folders the user trusts (issue 10, trust boundaries item 3): a
 * `.dockrepro.yaml` or `dockrepro.lock.json` planted in a folder others can write is passed over with a note.
 */
import { chmodSync, chownSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigFinder } from '../src/config';
import { lockPathFor } from '../src/resolve/lock';
import { currentSearcher, trustedFolders } from '../src/trust';
import { runCli } from './helpers/cli';
import { workspace } from './helpers/workspace';

const PLANTED_DIGEST = `sha256:${'e'.repeat(64)}`;
const PLANTED_LOCK = JSON.stringify({
  version: 1,
  images: { 'docker.io/library/python:3': { tag: '3.12.7', digest: PLANTED_DIGEST, mediaType: 'application/vnd.oci.image.index.v1+json', resolvedAt: 't' } },
});
const SWITCH_OFF = 'rules:\n  image-digest: off\n  image-tag: off\n';

/** `outer/` (mode as given) holding planted files, and `outer/repo/Dockerfile`, with no .git anywhere between. */
function plantedTree(mode: number, planted: Record<string, string>): { outer: string; repo: string } {
  const outer = workspace({ ...planted, 'repo/Dockerfile': 'FROM python:3\n' });
  chmodSync(outer, mode);
  return { outer, repo: join(outer, 'repo') };
}

const isRoot = process.geteuid?.() === 0;
/** Making a folder or file someone else's needs chown, which only root may do. */
const asRoot = isRoot ? it : (name: string, fn: () => unknown) => {
  process.stderr.write(`\nSKIPPED: ${name}: needs root to give files to another user\n`);
  it.skip(name, fn as () => void);
};
const OTHER_UID = 54321;

describe('config from untrusted parents', () => {
  it('a .dockrepro.yaml in a world-writable parent does not switch rules off, and a note says so', async () => {
    const { outer, repo } = plantedTree(0o777, { '.dockrepro.yaml': SWITCH_OFF });
    const r = await runCli(['lint', '.'], { cwd: repo });
    expect(r.stdout).toMatch(/image-digest/);
    expect(r.stdout).toMatch(/image-tag/);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`dockrepro: note: not using ${join(outer, '.dockrepro.yaml')}: ${outer}: it is writable by others (mode 0777); pass --config to use it`);
  });

  it('the same file given with --config is used', async () => {
    const { outer, repo } = plantedTree(0o777, { '.dockrepro.yaml': SWITCH_OFF });
    const r = await runCli(['lint', '--config', join(outer, '.dockrepro.yaml'), '.'], { cwd: repo });
    expect(r.stdout).not.toMatch(/image-digest|image-tag/);
    expect(r.code).toBe(0);
  });

  it('a parent only its owner can write is still searched (mode 0755)', async () => {
    const { repo } = plantedTree(0o755, { '.dockrepro.yaml': SWITCH_OFF });
    const r = await runCli(['lint', '.'], { cwd: repo });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('the search stops at the repository root: a config above .git is not used (and is no surprise)', async () => {
    const { repo } = plantedTree(0o755, { '.dockrepro.yaml': SWITCH_OFF, 'repo/.git/HEAD': 'ref: refs/heads/main\n' });
    const r = await runCli(['lint', '.'], { cwd: repo });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
  });

  it('the search stops at the home folder', () => {
    const { outer, repo } = plantedTree(0o755, { '.dockrepro.yaml': SWITCH_OFF });
    const home = { ...currentSearcher(), home: repo };
    expect(new ConfigFinder(home).find(repo).path).toBeUndefined();
    expect(new ConfigFinder({ ...home, home: outer }).find(repo).path).toBe(join(outer, '.dockrepro.yaml'));
    expect(trustedFolders(repo, home).folders.map((f) => f.dir)).toEqual([repo]);
  });

  it('a parent writable by a group that is not the user\'s own is not searched', () => {
    const { outer, repo } = plantedTree(0o775, { '.dockrepro.yaml': SWITCH_OFF });
    const me = currentSearcher();
    expect(new ConfigFinder(me).find(repo).path).toBe(join(outer, '.dockrepro.yaml'));
    const finder = new ConfigFinder({ ...me, gid: me.gid + 1 });
    expect(finder.find(repo).path).toBeUndefined();
    expect([...finder.refused.values()]).toEqual([`${outer}: it is writable by others (mode 0775)`]);
  });

  asRoot('a parent owned by another user is not searched (git safe.directory reasoning)', async () => {
    const { outer, repo } = plantedTree(0o755, { '.dockrepro.yaml': SWITCH_OFF });
    chownSync(outer, OTHER_UID, OTHER_UID);
    const r = await runCli(['lint', '.'], { cwd: repo });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`not using ${join(outer, '.dockrepro.yaml')}: ${outer}: it is owned by uid ${OTHER_UID}, not by you`);
    // SUDO_UID is how git lets root (through sudo) trust the invoking user's folders.
    expect(new ConfigFinder({ ...currentSearcher(), sudoUid: OTHER_UID }).find(repo).path).toBe(join(outer, '.dockrepro.yaml'));
  });

  asRoot('in a sticky shared folder (/tmp-like), only files the user owns are read, and the search stops there', async () => {
    const { outer, repo } = plantedTree(0o1777, { '.dockrepro.yaml': SWITCH_OFF });
    const mine = await runCli(['lint', '.'], { cwd: repo });
    expect(mine.code).toBe(0);
    chownSync(join(outer, '.dockrepro.yaml'), OTHER_UID, OTHER_UID);
    const planted = await runCli(['lint', '.'], { cwd: repo });
    expect(planted.code).toBe(1);
    expect(planted.stderr).toContain(`not using ${join(outer, '.dockrepro.yaml')}: ${outer} is shared with others (sticky) and the file is not yours`);
  });

  it('--verbose says which config was used for how many files', async () => {
    const cwd = workspace({ '.git/HEAD': '', '.dockrepro.yaml': 'failure-threshold: error\n', 'a/Dockerfile': 'FROM python:3\n', 'b/Dockerfile': 'FROM python:3\n' });
    const r = await runCli(['lint', '--verbose', '.'], { cwd });
    expect(r.stderr).toBe('dockrepro: config .dockrepro.yaml for 2 files\n');
    const none = await runCli(['lint', '--verbose', '--config', '.dockrepro.yaml', 'a'], { cwd });
    expect(none.stderr).toBe('dockrepro: config .dockrepro.yaml (--config)\n');
  });
});

describe('lock from untrusted parents', () => {
  it('fix --offline does not pin a digest from a lock planted in a world-writable parent', async () => {
    const { outer, repo } = plantedTree(0o777, { 'dockrepro.lock.json': PLANTED_LOCK });
    const r = await runCli(['fix', '--offline', '--verbose', '.'], { cwd: repo });
    expect(readFileSync(join(repo, 'Dockerfile'), 'utf8')).toBe('FROM python:3\n');
    expect(r.stdout).toMatch(/image-digest left \(needs network\)/);
    expect(r.stderr).toContain(`dockrepro: note: not using ${join(outer, 'dockrepro.lock.json')}: ${outer}: it is writable by others (mode 0777); pass --lock to use it`);
    // The repository's own folder is trusted: the lock lives there.
    expect(r.stderr).toContain(`dockrepro: lock dockrepro.lock.json (new)`);
  });

  it('the same lock given with --lock is used', async () => {
    const { outer, repo } = plantedTree(0o777, { 'dockrepro.lock.json': PLANTED_LOCK });
    const r = await runCli(['fix', '--offline', '--lock', join(outer, 'dockrepro.lock.json'), '.'], { cwd: repo });
    expect(r.stderr).toBe('');
    expect(readFileSync(join(repo, 'Dockerfile'), 'utf8')).toBe(`FROM python:3.12.7@${PLANTED_DIGEST}\n`);
  });

  it('a Dockerfile in a world-writable folder gets no lock at all; lint --verify-lock says why', async () => {
    const cwd = workspace({ 'Dockerfile': `FROM python:3@${PLANTED_DIGEST}\n`, 'dockrepro.lock.json': PLANTED_LOCK });
    chmodSync(cwd, 0o777);
    expect(lockPathFor(cwd)).toEqual({ path: join(cwd, 'dockrepro.lock.json'), refused: `${cwd}: it is writable by others (mode 0777)` });
    const r = await runCli(['lint', '--verify-lock', '.'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`--verify-lock: not using ${join(cwd, 'dockrepro.lock.json')}: ${cwd}: it is writable by others (mode 0777) (pass --lock to use it)`);
    const fix = await runCli(['fix', '--offline', '.'], { cwd });
    expect(fix.stdout).not.toContain('lock file updated');
  });

  it('a .dockrepro.yaml in a world-writable parent does not decide where the lock goes', () => {
    const { repo } = plantedTree(0o777, { '.dockrepro.yaml': '' });
    expect(lockPathFor(repo)).toEqual({ path: join(repo, 'dockrepro.lock.json') });
    writeFileSync(join(repo, '.dockrepro.yaml'), '');
    expect(lockPathFor(repo)).toEqual({ path: join(repo, 'dockrepro.lock.json') });
  });
});
