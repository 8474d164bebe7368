/**
 * `dockrepro fix --write-context` through the CLI: unpinned lines of a requirements file that a Dockerfile
 * COPYs and installs with `pip install -r` are pinned in that file (only the specifier bytes change), against
 * the fixture package index served on loopback (PIP_INDEX_URL of the run).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli';
import { startPypiServer, type PypiServer } from '../helpers/pypiServer';
import { workspace } from '../helpers/workspace';

const DOCKERFILE = 'FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\n';
/** A BOM, CRLF, comments, extras, a marker, a pinned line, a `\` continuation, no newline at the end. */
const REQS = Buffer.from(
  '\uFEFF# app\r\nflask[async]  # web\r\nrequests==2.32.3\r\nrequests ; python_version >= "3.8"\r\nflask>=2,<3 \\\r\n    --config-settings k=v',
  'utf8',
);
const PINNED = Buffer.from(
  '\uFEFF# app\r\nflask[async]==3.1.0  # web\r\nrequests==2.32.3\r\nrequests==2.32.3 ; python_version >= "3.8"\r\nflask==2.3.3 \\\r\n    --config-settings k=v',
  'utf8',
);
const RULES = ['--rules', 'pip-pin'];

let pypi: PypiServer;
beforeAll(async () => {
  pypi = await startPypiServer(join(__dirname, '../fixtures/pypi'));
});
afterAll(() => pypi.close());
beforeEach(() => {
  pypi.log.length = 0;
  pypi.hooks.clear();
});

const env = () => ({ PIP_INDEX_URL: `${pypi.url}/main/simple/`, HOME: workspace({}) });

/** A repository (its lock goes to its root) with the given files. */
function repo(files: Record<string, string | Buffer>): string {
  const dir = workspace(files);
  mkdirSync(join(dir, '.git'));
  return dir;
}
const bytes = (dir: string, file: string) => readFileSync(join(dir, file));

describe('dockrepro fix --write-context (CLI)', () => {
  it('rewrites the requirements file: only the specifier bytes change (BOM, CRLF, comments, continuation kept)', async () => {
    const dir = repo({ Dockerfile: DOCKERFILE, 'requirements.txt': REQS });
    const r = await runCli(['fix', '--write-context', ...RULES], { cwd: dir, env: env() });
    expect(bytes(dir, 'requirements.txt').equals(PINNED)).toBe(true);
    expect(bytes(dir, 'requirements.txt').toString('utf8')).toBe(PINNED.toString('utf8'));
    expect(bytes(dir, 'Dockerfile').toString('utf8')).toBe(DOCKERFILE);
    expect(r.stdout).toBe(
      'requirements.txt: note: build-context file pinned (--write-context)\ndockrepro.lock.json: lock file updated\n1 file scanned, 1 changed, 3 findings fixed, 0 left\n',
    );
    expect(r.code).toBe(0);
    const lock = JSON.parse(readFileSync(join(dir, 'dockrepro.lock.json'), 'utf8'));
    expect(Object.keys(lock.packages).sort()).toEqual([
      expect.stringMatching(/^pypi:flask >=2,<3 py3\.12 /),
      expect.stringMatching(/^pypi:flask py3\.12 /),
      expect.stringMatching(/^pypi:requests py3\.12 /),
    ]);
  });

  it('--dry-run shows the diff of the file and the reason, and writes nothing', async () => {
    const dir = repo({ Dockerfile: DOCKERFILE, 'requirements.txt': 'flask\nrequests==2.32.3\n' });
    const r = await runCli(['fix', '--write-context', '--dry-run', ...RULES], { cwd: dir, env: env() });
    expect(bytes(dir, 'requirements.txt').toString('utf8')).toBe('flask\nrequests==2.32.3\n');
    expect(r.stdout).toContain('--- a/requirements.txt\n+++ b/requirements.txt\n');
    expect(r.stdout).toContain('@@ -1,2 +1,2 @@\n-flask\n+flask==3.1.0\n requests==2.32.3\n');
    expect(r.stdout).not.toContain('a/Dockerfile');
    expect(r.stderr).toContain("Dockerfile: would pin pip requirement 'flask' → 'flask==3.1.0' in requirements.txt line 1 (newest release for Python 3.12)");
    expect(r.stderr).toContain('1 file scanned, 1 would change, 1 finding fixed, 0 left');
    expect(() => statSync(join(dir, 'dockrepro.lock.json'))).toThrow();
  });

  it('a second run changes nothing and does not touch the file', async () => {
    const dir = repo({ Dockerfile: DOCKERFILE, 'requirements.txt': REQS });
    await runCli(['fix', '--write-context', ...RULES], { cwd: dir, env: env() });
    const old = new Date('2020-01-01T00:00:00Z');
    utimesSync(join(dir, 'requirements.txt'), old, old);
    pypi.log.length = 0;
    const again = await runCli(['fix', '--write-context', ...RULES], { cwd: dir, env: env() });
    expect(bytes(dir, 'requirements.txt').equals(PINNED)).toBe(true);
    expect(statSync(join(dir, 'requirements.txt')).mtime.getTime()).toBe(old.getTime());
    expect(again.stdout).toBe('1 file scanned, 0 changed, 0 findings fixed, 0 left\n');
    expect(again.code).toBe(0);
    expect(pypi.log).toEqual([]);
  });

  it('two Dockerfiles copying the same requirements.txt: it is edited once', async () => {
    const dev = 'FROM python:3.12\nCOPY requirements.txt /tmp/\nRUN pip install -r /tmp/requirements.txt pytest==8.3.3\n';
    const dir = repo({ Dockerfile: DOCKERFILE, 'Dockerfile.dev': dev, 'requirements.txt': '# deps\nflask\nrequests\n' });
    const r = await runCli(['fix', '--write-context', ...RULES], { cwd: dir, env: env() });
    expect(bytes(dir, 'requirements.txt').toString('utf8')).toBe('# deps\nflask==3.1.0\nrequests==2.32.3\n');
    expect(r.stdout.match(/requirements\.txt: note: build-context file pinned/g)).toHaveLength(1);
    expect(r.stdout).toContain('2 files scanned, 1 changed, 4 findings fixed, 0 left');
    expect(r.code).toBe(0);
    expect(pypi.count('/main/simple/flask/')).toBe(1);
  });

  it('two Dockerfiles that disagree (different Pythons) leave the file unchanged with an error', async () => {
    const old = 'FROM python:3.7.3-stretch\nWORKDIR /srv\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n';
    const dir = repo({ Dockerfile: DOCKERFILE, 'old.Dockerfile': old, 'requirements.txt': 'flask\n' });
    const r = await runCli(['fix', '--write-context', ...RULES], { cwd: dir, env: env() });
    expect(bytes(dir, 'requirements.txt').toString('utf8')).toBe('flask\n');
    expect(r.stdout).toContain('requirements.txt: error: the fixes of several Dockerfiles disagree about this build-context file; it is unchanged');
    // Neither Dockerfile's fix happened: they are not counted as fixed, and each says why.
    expect(r.stdout).toContain('Dockerfile: note: 1 fix to requirements.txt not written');
    expect(r.stdout).toContain('old.Dockerfile: note: 1 fix to requirements.txt not written');
    expect(r.stdout).toMatch(/2 files scanned, 0 changed, 0 findings fixed/);
    expect(r.code).toBe(2);
  });

  it('without --write-context nothing is written and the summary names the file and line', async () => {
    const dir = repo({ Dockerfile: DOCKERFILE, 'requirements.txt': 'requests==2.32.3\nflask\n' });
    const r = await runCli(['fix', ...RULES], { cwd: dir, env: env() });
    expect(bytes(dir, 'requirements.txt').toString('utf8')).toBe('requests==2.32.3\nflask\n');
    expect(r.stdout).toContain(
      "Dockerfile:4:35: pip-pin left (no fixer): the requirement is in requirements.txt (line 2), a build-context file: 'dockrepro fix --write-context' pins it there, or pin line 2 of requirements.txt as 'flask==<version>' by hand",
    );
    expect(r.stdout).toContain('1 file scanned, 0 changed, 0 findings fixed, 1 left (1 no fixer)');
    expect(r.code).toBe(1);
    expect(pypi.log).toEqual([]);
  });

  describe('a folder or file swapped for a link while the lookup runs (check-then-write race)', () => {
    const COPIES = 'FROM python:3.12-slim\nWORKDIR /app\nCOPY deps/requirements.txt .\nRUN pip install -r requirements.txt\n';
    /** A repository whose deps/ is read by the fixer, and a folder outside it with a file of the same text. */
    function setup() {
      const dir = repo({ Dockerfile: COPIES, 'deps/requirements.txt': 'flask\n' });
      const outside = workspace({ 'requirements.txt': 'flask\n' });
      return { dir, outside };
    }

    it('deps/ replaced by a link to a folder outside: nothing is written there, the file is left with the reason', async () => {
      const { dir, outside } = setup();
      // The fixer has read deps/requirements.txt (inside) when it asks the index; the answer comes after the swap.
      pypi.hooks.set('/main/simple/flask/', () => {
        renameSync(join(dir, 'deps'), join(dir, 'deps.moved'));
        symlinkSync(outside, join(dir, 'deps'));
      });
      const r = await runCli(['fix', '--write-context', ...RULES], { cwd: dir, env: env() });
      expect(pypi.count('/main/simple/flask/')).toBe(1);
      expect(bytes(outside, 'requirements.txt').toString('utf8')).toBe('flask\n');
      expect(readdirSync(outside)).toEqual(['requirements.txt']);
      expect(bytes(dir, 'deps.moved/requirements.txt').toString('utf8')).toBe('flask\n');
      expect(readdirSync(join(dir, 'deps.moved'))).toEqual(['requirements.txt']);
      expect(r.stdout).toMatch(/deps\/requirements\.txt: error: a folder on the way to .*deps\/requirements\.txt is now a link \(to .*\); not written \(the file is unchanged\)/);
      expect(r.stdout).toContain('Dockerfile: note: 1 fix to deps/requirements.txt not written');
      expect(r.stdout).toMatch(/1 file scanned, 0 changed, 0 findings fixed/);
      expect(r.code).toBe(2);
    });

    it('the file itself replaced by a link to a file outside: not written', async () => {
      const { dir, outside } = setup();
      pypi.hooks.set('/main/simple/flask/', () => {
        rmSync(join(dir, 'deps/requirements.txt'));
        symlinkSync(join(outside, 'requirements.txt'), join(dir, 'deps/requirements.txt'));
      });
      const r = await runCli(['fix', '--write-context', ...RULES], { cwd: dir, env: env() });
      expect(bytes(outside, 'requirements.txt').toString('utf8')).toBe('flask\n');
      expect(readdirSync(outside)).toEqual(['requirements.txt']);
      expect(readdirSync(join(dir, 'deps'))).toEqual(['requirements.txt']);
      expect(r.stdout).toMatch(/deps\/requirements\.txt: error: .*deps\/requirements\.txt is now a link; not written/);
      expect(r.code).toBe(2);
    });

    it('with no swap, the same tree is written as usual', async () => {
      const { dir, outside } = setup();
      const r = await runCli(['fix', '--write-context', ...RULES], { cwd: dir, env: env() });
      expect(bytes(dir, 'deps/requirements.txt').toString('utf8')).toBe('flask==3.1.0\n');
      expect(readdirSync(join(dir, 'deps'))).toEqual(['requirements.txt']);
      expect(bytes(outside, 'requirements.txt').toString('utf8')).toBe('flask\n');
      expect(r.code).toBe(0);
    });
  });
});
