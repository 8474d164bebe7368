/**
 * Reading an untrusted repository (issue 10, trust boundaries 1 and 2): symlinks to devices, FIFOs and files
 * outside the tree are refused with a reason (exit 2 for that file), never read; the other files are still
 * linted. Devices and FIFOs run the built binary with a timeout, since reading them would hang or grow without
 * bound in this process.
 */
import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { workspace } from '../helpers/workspace';
import { runCli } from '../helpers/cli';
import { readRegularFile, RealFolders, RefusedFile } from '../../src/util/safeRead';

const BIN = resolve(__dirname, '../../bin/dockrepro');
const IMAGE = 'FROM python:3.12@sha256:' + 'a'.repeat(64) + '\n';
const PIP = `${IMAGE}COPY requirements.txt /app/requirements.txt\nRUN pip install -r /app/requirements.txt\n`;
/** An unpinned line that pip-pin reports: the second Dockerfile of each tree, which must still be linted. */
const OTHER = `${IMAGE}RUN pip install flask\n`;
/** What a docker credentials file looks like; none of it may appear in any report. */
const SECRET = 'c2VjcmV0LXVzZXI6aHVudGVyMg==';
const DOCKER_CONFIG = `{\n  "auths": {\n    "registry.example": { "auth": "${SECRET}" }\n  }\n}\n`;

/** The built CLI, killed after 20 s: a read that hangs or grows fails the test instead of the suite. */
function cli(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string; timedOut: boolean } {
  const r = spawnSync(process.execPath, ['--max-old-space-size=512', BIN, ...args], { cwd, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, timedOut: r.signal !== null };
}

describe('Dockerfiles that are not regular files of the tree', () => {
  it('refuses a Dockerfile symlinked to /dev/zero and lints the other files', () => {
    const dir = workspace({ 'ok/Dockerfile': OTHER });
    mkdirSync(join(dir, 'x'));
    symlinkSync('/dev/zero', join(dir, 'x/Dockerfile'));
    const r = cli(['lint', '.'], dir);
    expect(r.timedOut).toBe(false);
    expect(r.stdout).toContain('x/Dockerfile: error: is a symlink to a file outside the folder you named: not read');
    expect(r.stdout).toContain('ok/Dockerfile:2:');
    expect(r.code).toBe(2);
  });

  it('refuses a device named on the command line (not a regular file)', () => {
    const r = cli(['lint', '/dev/zero'], workspace({}));
    expect(r.timedOut).toBe(false);
    expect(r.stdout).toContain('/dev/zero: error: is not a regular file (a character device): not read');
    expect(r.code).toBe(2);
  });

  it('does not block on a FIFO a Dockerfile links to inside the tree', () => {
    const dir = workspace({ 'ok/Dockerfile': OTHER });
    mkdirSync(join(dir, 'f'));
    execFileSync('mkfifo', [join(dir, 'f/pipe')]);
    symlinkSync('pipe', join(dir, 'f/Dockerfile'));
    for (const command of ['lint', 'fix']) {
      const r = cli([command, '.'], dir);
      expect(r.timedOut).toBe(false);
      expect(r.stdout).toContain('f/Dockerfile: error: is not a regular file (a FIFO): not read');
      expect(r.code).toBe(2);
    }
  });

  it('refuses a Dockerfile above the size limit, saying the limit', () => {
    const dir = workspace({ 'big/Dockerfile': IMAGE + '#'.repeat(17 * 1024 * 1024) + '\n', 'ok/Dockerfile': OTHER });
    return runCli(['lint', '.'], { cwd: dir }).then((r) => {
      expect(r.stdout).toContain('big/Dockerfile: error: is larger than 16 MiB, the most dockrepro reads: not read');
      expect(r.stdout).toContain('ok/Dockerfile:2:');
      expect(r.code).toBe(2);
    });
  });

  it('follows a symlinked Dockerfile whose target is inside the named tree', async () => {
    const dir = workspace({ 'shared/Dockerfile': OTHER });
    mkdirSync(join(dir, 'app'));
    symlinkSync('../shared/Dockerfile', join(dir, 'app/Dockerfile'));
    const r = await runCli(['lint', '.'], { cwd: dir });
    expect(r.stdout).toContain('app/Dockerfile:2:');
    expect(r.stdout).not.toContain('error:');
    expect(r.code).toBe(1);
  });

  it('does not print lines of a file outside the tree through an "unknown instruction" note', async () => {
    const secrets = workspace({ 'config.json': DOCKER_CONFIG });
    const repo = workspace({});
    symlinkSync(join(secrets, 'config.json'), join(repo, 'Dockerfile'));
    for (const args of [['lint', '.'], ['lint', 'Dockerfile'], ['lint', '-f', 'json', '.'], ['lint', '-f', 'sarif', '.'], ['fix', '.']]) {
      const r = await runCli(args, { cwd: repo });
      expect(r.stdout + r.stderr).not.toContain('auths');
      expect(r.stdout + r.stderr).not.toContain(SECRET);
      expect(r.stdout + r.stderr).toContain('is a symlink to a file outside');
      expect(r.code).toBe(2);
    }
  });
});

describe('build-context files that are not regular files of the context', () => {
  it('never prints a credentials file a requirements.txt links to (text, JSON, SARIF, fix)', async () => {
    const secrets = workspace({ 'config.json': DOCKER_CONFIG });
    const repo = workspace({ 'app/Dockerfile': PIP, 'ok/Dockerfile': OTHER });
    symlinkSync(join(secrets, 'config.json'), join(repo, 'app/requirements.txt'));
    for (const format of ['text', 'json', 'sarif']) {
      const r = await runCli(['lint', '-f', format, '.'], { cwd: repo });
      expect(r.stdout).not.toContain(SECRET);
      expect(r.stdout).not.toContain('auths');
      expect(r.stdout).toContain('requirements.txt is a symlink to a file outside the build context: not read');
      expect(r.stdout).toContain('flask');
      expect(r.code).toBe(2);
    }
    const fix = await runCli(['fix', '--offline', '--write-context', '.'], { cwd: repo });
    expect(fix.stdout + fix.stderr).not.toContain(SECRET);
    expect(fix.stdout).toContain('app/Dockerfile: error: build context: requirements.txt is a symlink to a file outside the build context');
    expect(fix.code).toBe(2);
    expect(readFileSync(join(secrets, 'config.json'), 'utf8')).toBe(DOCKER_CONFIG);
  });

  it('refuses a requirements.txt linked to /dev/zero or to a FIFO, without hanging', () => {
    const repo = workspace({ 'zero/Dockerfile': PIP, 'fifo/Dockerfile': PIP, 'ok/Dockerfile': OTHER });
    symlinkSync('/dev/zero', join(repo, 'zero/requirements.txt'));
    execFileSync('mkfifo', [join(repo, 'fifo/pipe')]);
    symlinkSync('pipe', join(repo, 'fifo/requirements.txt'));
    for (const args of [['lint', '.'], ['fix', '--offline', '--write-context', '.']]) {
      const r = cli(args, repo);
      expect(r.timedOut).toBe(false);
      expect(r.stdout).toContain('zero/Dockerfile: error: build context: requirements.txt is a symlink to a file outside the build context');
      expect(r.stdout).toContain('fifo/Dockerfile: error: build context: requirements.txt is not a regular file (a FIFO): not read');
      expect(r.code).toBe(2);
    }
    // The other file was fixed by the run above (ARG SOURCE_DATE_EPOCH after its FROM: safe, offline) and is still linted.
    expect(readFileSync(join(repo, 'ok/Dockerfile'), 'utf8')).toBe(OTHER.replace('\n', '\nARG SOURCE_DATE_EPOCH\n'));
    expect(cli(['lint', '.'], repo).stdout).toContain("ok/Dockerfile:3:17: warning pip-pin pip requirement 'flask'");
  });

  it('reads a requirements.txt linked to another file inside the context', async () => {
    const repo = workspace({ 'app/Dockerfile': PIP, 'app/reqs/base.txt': 'requests\n' });
    symlinkSync('reqs/base.txt', join(repo, 'app/requirements.txt'));
    const r = await runCli(['lint', '.'], { cwd: repo });
    expect(r.stdout).toContain('requirements.txt:1:');
    expect(r.stdout).toContain('requests');
    expect(r.stdout).not.toContain('error:');
  });
});

describe('readRegularFile', () => {
  it('reads at most the limit, whatever the file', () => {
    const dir = workspace({ small: 'abc', big: 'x'.repeat(1001) });
    expect(readRegularFile(join(dir, 'small'), 3).bytes.toString()).toBe('abc');
    expect(() => readRegularFile(join(dir, 'big'), 1000)).toThrow(RefusedFile);
    writeFileSync(join(dir, 'exact'), 'y'.repeat(1000));
    expect(readRegularFile(join(dir, 'exact'), 1000).bytes.length).toBe(1000);
  });

  it('reads through resolved folders (RealFolders) exactly as it reads with a realpath per file', () => {
    const secrets = workspace({ 'config.json': DOCKER_CONFIG });
    const dir = workspace({ 'tree/a/Dockerfile': OTHER, 'tree/shared/Dockerfile': IMAGE });
    const tree = join(dir, 'tree');
    symlinkSync('../shared/Dockerfile', join(tree, 'a/inside'));
    symlinkSync(join(secrets, 'config.json'), join(tree, 'a/outside'));
    symlinkSync('a', join(tree, 'alias'));
    symlinkSync(secrets, join(tree, 'away'));
    const boundary = { realDir: realpathSync(tree), what: 'the tree' };
    const folders = new RealFolders();
    const outcome = (path: string, withFolders?: RealFolders) => {
      try {
        const r = readRegularFile(path, 1000, boundary, withFolders);
        return { text: r.bytes.toString(), realPath: r.realPath };
      } catch (e) {
        // A file system error is compared by its code (what describeFsError shows), not its message (which names the call).
        const code = (e as NodeJS.ErrnoException).code;
        return { error: code ?? `${(e as Error).constructor.name}: ${(e as Error).message}` };
      }
    };
    const cases = ['a/Dockerfile', 'a/inside', 'a/outside', 'alias/Dockerfile', 'alias/outside', 'away/config.json', 'a/missing'];
    for (const rel of cases) expect([rel, outcome(join(tree, rel), folders)]).toEqual([rel, outcome(join(tree, rel))]);
    // The cases above cover each way: a plain file, a link inside, a link outside, a linked folder, one outside.
    expect(outcome(join(tree, 'a/inside'), folders)).toEqual({ text: IMAGE, realPath: join(realpathSync(tree), 'shared/Dockerfile') });
    expect(outcome(join(tree, 'alias/Dockerfile'), folders)).toEqual({ text: OTHER, realPath: join(realpathSync(tree), 'a/Dockerfile') });
    expect(outcome(join(tree, 'a/outside'), folders).error).toContain('RefusedFile: is a symlink to a file outside the tree');
    expect(outcome(join(tree, 'away/config.json'), folders).error).toContain('RefusedFile: is a symlink to a file outside the tree');
    expect(outcome(join(tree, 'a/missing'), folders).error).toBe('ENOENT');
  });
});
