/**
 * What `fix` replaces (issue 10, trust boundary 7): a symlinked Dockerfile is edited at its target (or
 * refused when the target leaves the tree); another user's file keeps its owner (root) or is refused (anyone
 * else); read-only files and files with several hard links need --force. A refusal is an error for that file
 * (exit 2) and the other files are still fixed.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { workspace } from '../helpers/workspace';
import { runCli } from '../helpers/cli';
import { inCI } from '../helpers/ci';

// Declares ARG SOURCE_DATE_EPOCH (useradd writes the day into /etc/shadow), so the uid is the one fix these tests write.
const USERS = 'FROM debian:12.7@sha256:' + 'b'.repeat(64) + '\nARG SOURCE_DATE_EPOCH\nRUN useradd -m app\n';
const FIXED = USERS.replace('useradd -m app', 'useradd --uid 10001 -m app');
const NOBODY = 65534;

/** A tree with a second, ordinary Dockerfile that must be fixed whatever happens to the first. */
function tree(): string {
  return workspace({ 'ok/Dockerfile': USERS });
}

const read = (p: string) => readFileSync(p, 'utf8');

describe('fix and symlinked Dockerfiles', () => {
  it('edits the target of a link inside the tree and keeps the link', async () => {
    const dir = workspace({ 'shared/Dockerfile': USERS });
    mkdirSync(join(dir, 'app'));
    symlinkSync('../shared/Dockerfile', join(dir, 'app/Dockerfile'));
    // Named `app` alone, the target is outside the tree named: refused.
    const narrow = await runCli(['fix', '--unsafe', 'app'], { cwd: dir });
    expect(narrow.stdout).toContain('app/Dockerfile: error: is a symlink to a file outside the folder you named: not read');
    expect(read(join(dir, 'shared/Dockerfile'))).toBe(USERS);
    const r = await runCli(['fix', '--unsafe', '.'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(lstatSync(join(dir, 'app/Dockerfile')).isSymbolicLink()).toBe(true);
    expect(read(join(dir, 'shared/Dockerfile'))).toBe(FIXED);
  });

  it('refuses a link whose target is outside the tree, and leaves the target alone', async () => {
    const outside = workspace({ Dockerfile: USERS });
    const dir = tree();
    mkdirSync(join(dir, 'app'));
    symlinkSync(join(outside, 'Dockerfile'), join(dir, 'app/Dockerfile'));
    const r = await runCli(['fix', '--unsafe', '.'], { cwd: dir });
    expect(r.stdout).toContain('app/Dockerfile: error: is a symlink to a file outside the folder you named: not read');
    expect(r.code).toBe(2);
    expect(lstatSync(join(dir, 'app/Dockerfile')).isSymbolicLink()).toBe(true);
    expect(read(join(outside, 'Dockerfile'))).toBe(USERS);
    expect(read(join(dir, 'ok/Dockerfile'))).toBe(FIXED);
  });
});

describe('fix and read-only files', () => {
  it('leaves a 0444 file unless --force, then keeps its mode', async () => {
    const dir = tree();
    const file = join(dir, 'ro/Dockerfile');
    mkdirSync(join(dir, 'ro'));
    writeFileSync(file, USERS);
    chmodSync(file, 0o444);
    const r = await runCli(['fix', '--unsafe', '.'], { cwd: dir });
    expect(r.stdout).toContain('ro/Dockerfile: error: not written: is read-only (mode 0444): --force rewrites it (the file is unchanged)');
    expect(r.stdout).toContain('1 file scanned, 1 changed, 1 finding fixed');
    expect(r.code).toBe(2);
    expect(read(file)).toBe(USERS);
    expect(read(join(dir, 'ok/Dockerfile'))).toBe(FIXED);

    const forced = await runCli(['fix', '--unsafe', '--force', '.'], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(read(file)).toBe(FIXED);
    expect(statSync(file).mode & 0o7777).toBe(0o444);
  });
});

describe('fix and hard links', () => {
  // Replacing by rename gives this name a new file and leaves the other names with the old text, so a
  // hard-linked file is refused unless --force (writing in place instead would lose atomicity).
  it('refuses a file with two links unless --force, which rewrites this name only', async () => {
    const dir = tree();
    mkdirSync(join(dir, 'h'));
    writeFileSync(join(dir, 'h/Dockerfile'), USERS);
    linkSync(join(dir, 'h/Dockerfile'), join(dir, 'h/other-name'));
    const r = await runCli(['fix', '--unsafe', '.'], { cwd: dir });
    expect(r.stdout).toContain('h/Dockerfile: error: not written: has 2 hard links: a rewrite would leave the other names with the old text; --force rewrites this name only');
    expect(r.code).toBe(2);
    expect(read(join(dir, 'h/Dockerfile'))).toBe(USERS);
    expect(statSync(join(dir, 'h/Dockerfile')).nlink).toBe(2);
    expect(read(join(dir, 'ok/Dockerfile'))).toBe(FIXED);

    const forced = await runCli(['fix', '--unsafe', '--force', 'h'], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(read(join(dir, 'h/Dockerfile'))).toBe(FIXED);
    expect(read(join(dir, 'h/other-name'))).toBe(USERS);
  });
});

describe("fix and another user's file", () => {
  const isRoot = process.getuid?.() === 0;
  const skip = (what: string) => {
    const msg = `SKIPPED: ${what} needs root (to own files as, and run as, a second user)`;
    if (inCI()) throw new Error(msg);
    console.warn(msg);
  };

  it('as root, keeps the owner of a file it rewrites', async () => {
    if (!isRoot) return skip('keeping the owner as root');
    const dir = workspace({ Dockerfile: USERS });
    chownSync(join(dir, 'Dockerfile'), NOBODY, NOBODY);
    const r = await runCli(['fix', '--unsafe', '.'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(read(join(dir, 'Dockerfile'))).toBe(FIXED);
    const st = statSync(join(dir, 'Dockerfile'));
    expect([st.uid, st.gid]).toEqual([NOBODY, NOBODY]);
  });

  it('as another user, refuses a root-owned file in a folder it may write, instead of taking it over', () => {
    if (!isRoot) return skip('running fix as a second user');
    const dir = tree();
    mkdirSync(join(dir, 'r'));
    writeFileSync(join(dir, 'r/Dockerfile'), USERS);
    chmodSync(join(dir, 'r/Dockerfile'), 0o644);
    // World-writable folders (as /tmp is) let the other user rename over root's file.
    for (const d of [dir, join(dir, 'r'), join(dir, 'ok')]) chmodSync(d, 0o777);
    chownSync(join(dir, 'ok/Dockerfile'), NOBODY, NOBODY);
    const bin = resolve(__dirname, '../../bin/dockrepro');
    const r = spawnSync(process.execPath, [bin, 'fix', '--unsafe', '.'], { cwd: dir, uid: NOBODY, gid: NOBODY, encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH } });
    expect(r.stdout).toContain('r/Dockerfile: error: not written: belongs to another user (uid 0): a rewrite would make it yours; run fix as that user');
    expect(r.status).toBe(2);
    const st = statSync(join(dir, 'r/Dockerfile'));
    expect([st.uid, read(join(dir, 'r/Dockerfile'))]).toEqual([0, USERS]);
    expect(read(join(dir, 'ok/Dockerfile'))).toBe(FIXED);
  });
});
