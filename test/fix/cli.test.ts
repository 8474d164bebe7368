/** `dockrepro fix` as users run it: in place, --dry-run, --check, stdin for editors, summary, exit codes. */
import { readFileSync, statSync, utimesSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { workspace } from '../helpers/workspace';
import { runCli } from '../helpers/cli';

const LOCK = JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'app', version: '1.0.0' } } });
const PKG = JSON.stringify({ name: 'app', version: '1.0.0' });
/** npm's version set by hand (node:20.18.1 ships npm 10.8.2): these runs have no registry to read the image from. */
const NPM_BY_HAND = 'rules:\n  npm-pin: { npm-version: 10.8.2 }\n';
const NODE_APP = 'FROM node:20.18.1@sha256:' + 'a'.repeat(64) + '\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm install --production\n';
// The stage declares ARG SOURCE_DATE_EPOCH (useradd writes the day into /etc/shadow): the uid is the one fix, and it is unsafe.
const USERS = 'FROM debian:12.7@sha256:' + 'b'.repeat(64) + '\nARG SOURCE_DATE_EPOCH\nRUN useradd -m app\n';


describe('dockrepro fix', () => {
  it('rewrites in place with safe fixes, says what it did, and exits 0 when nothing is left', async () => {
    const cwd = workspace({ '.dockrepro.yaml': NPM_BY_HAND, Dockerfile: NODE_APP, 'package.json': PKG, 'package-lock.json': LOCK });
    const r = await runCli(['fix'], { cwd });
    expect(readFileSync(join(cwd, 'Dockerfile'), 'utf8')).toBe(NODE_APP.replace('npm install --production', 'npm ci --omit=dev'));
    expect(r.stdout).toBe('1 file scanned, 1 changed, 1 finding fixed, 0 left\n');
    expect(r.code).toBe(0);
  });

  it('keeps unsafe fixes for --unsafe and counts them as left otherwise', async () => {
    const cwd = workspace({ Dockerfile: USERS });
    const safe = await runCli(['fix'], { cwd });
    expect(readFileSync(join(cwd, 'Dockerfile'), 'utf8')).toBe(USERS);
    expect(safe.stdout).toContain('Dockerfile:3:16: useradd-uid left (unsafe not enabled)');
    expect(safe.stdout).toContain('1 file scanned, 0 changed, 0 findings fixed, 1 left (1 unsafe not enabled)');
    expect(safe.code).toBe(1);
    const unsafe = await runCli(['fix', '--unsafe'], { cwd });
    expect(readFileSync(join(cwd, 'Dockerfile'), 'utf8')).toBe(USERS.replace('useradd -m app', 'useradd --uid 10001 -m app'));
    expect(unsafe.code).toBe(0);
  });

  it('does not write unchanged files (mtime kept) and keeps the mode of changed ones', async () => {
    const cwd = workspace({ 'a/Dockerfile': USERS, 'b/Dockerfile': 'FROM scratch\n' });
    const old = new Date('2020-01-01T00:00:00Z');
    utimesSync(join(cwd, 'b/Dockerfile'), old, old);
    const { chmodSync } = require('node:fs') as typeof import('node:fs');
    chmodSync(join(cwd, 'a/Dockerfile'), 0o640);
    await runCli(['fix', '--unsafe'], { cwd });
    expect(statSync(join(cwd, 'b/Dockerfile')).mtime.getTime()).toBe(old.getTime());
    expect(statSync(join(cwd, 'a/Dockerfile')).mode & 0o777).toBe(0o640);
    expect(readdirSync(join(cwd, 'a'))).toEqual(['Dockerfile']); // no temporary file left behind
  });

  it('does not count the fixes of a file whose write failed', async () => {
    // The temporary file's name (the file's name plus a suffix) is too long for the folder: the write fails, even for root.
    const name = `${'x'.repeat(235)}.Dockerfile`;
    const cwd = workspace({ [name]: USERS, Dockerfile: USERS });
    const r = await runCli(['fix', '--unsafe', name, 'Dockerfile'], { cwd });
    expect(readFileSync(join(cwd, name), 'utf8')).toBe(USERS);
    expect(r.stdout).toContain(`${name}: error: could not write: `);
    expect(r.stdout).toContain('1 file scanned, 1 changed, 1 finding fixed, 0 left');
    expect(r.code).toBe(2);
  });

  it('--dry-run prints a unified diff and writes nothing', async () => {
    const cwd = workspace({ Dockerfile: USERS });
    const r = await runCli(['fix', '--dry-run', '--unsafe'], { cwd });
    expect(r.stdout).toContain('--- a/Dockerfile\n+++ b/Dockerfile\n');
    expect(r.stdout).toContain('-RUN useradd -m app\n+RUN useradd --uid 10001 -m app\n');
    expect(r.stderr).toContain('1 file scanned, 1 would change, 1 finding fixed, 0 left');
    expect(readFileSync(join(cwd, 'Dockerfile'), 'utf8')).toBe(USERS);
  });

  it('--check exits 1 when anything would change and writes nothing', async () => {
    const cwd = workspace({ Dockerfile: USERS });
    expect((await runCli(['fix', '--check', '--unsafe'], { cwd })).code).toBe(1);
    expect(readFileSync(join(cwd, 'Dockerfile'), 'utf8')).toBe(USERS);
    await runCli(['fix', '--unsafe'], { cwd });
    expect((await runCli(['fix', '--check', '--unsafe'], { cwd })).code).toBe(0);
  });

  it('reads stdin and writes only the fixed text to stdout, messages to stderr (editor save hook)', async () => {
    const cwd = workspace({ '.dockrepro.yaml': NPM_BY_HAND, 'app/package.json': PKG, 'app/package-lock.json': LOCK });
    const r = await runCli(['fix', '-', '--stdin-filename', 'app/Dockerfile'], { cwd, stdin: NODE_APP });
    expect(r.stdout).toBe(NODE_APP.replace('npm install --production', 'npm ci --omit=dev'));
    expect(r.stderr).toBe('1 file scanned, 1 changed, 1 finding fixed, 0 left\n');
  });

  it('stdin with nothing to fix echoes the text unchanged', async () => {
    const text = 'FROM python:3\nARG SOURCE_DATE_EPOCH\nRUN pip install flask\n';
    const r = await runCli(['fix', '--offline', '-'], { stdin: text, cwd: workspace({}) });
    expect(r.stdout).toBe(text);
    expect(r.stderr).toContain('pip-pin left (needs network)');
    // A formatter plugin keeps stdout only on exit 0: findings left do not fail '-' unless -t asks.
    expect(r.code).toBe(0);
  });

  it("'-' exit codes: 0 with findings left (the config's threshold too), 1 with an explicit -t or --check, 2 on an error", async () => {
    const text = 'FROM python:3\nARG SOURCE_DATE_EPOCH\nRUN pip install flask\n';
    const cwd = workspace({ '.dockrepro.yaml': 'failure-threshold: warning\n' });
    expect((await runCli(['fix', '--offline', '-'], { stdin: text, cwd })).code).toBe(0);
    const strict = await runCli(['fix', '--offline', '-t', 'warning', '-'], { stdin: text, cwd });
    expect([strict.code, strict.stdout]).toEqual([1, text]);
    const check = await runCli(['fix', '--offline', '--unsafe', '--check', '-'], { stdin: 'FROM scratch\nRUN useradd app\n', cwd });
    expect(check.code).toBe(1);
    const invalid = await runCli(['fix', '--offline', '-'], { stdin: Buffer.from([0x46, 0xff, 0x0a]), cwd });
    expect(invalid.code).toBe(2);
  });

  it('keeps a BOM and CRLF line endings byte for byte', async () => {
    const text = '\uFEFF' + USERS.replace(/\n/g, '\r\n');
    const cwd = workspace({ Dockerfile: text });
    await runCli(['fix', '--unsafe'], { cwd });
    expect(readFileSync(join(cwd, 'Dockerfile'), 'utf8')).toBe(text.replace('useradd -m app', 'useradd --uid 10001 -m app'));
  });

  it('--offline counts findings that need the network', async () => {
    const cwd = workspace({ Dockerfile: 'FROM python:3.12\nRUN pip install flask\n' });
    const r = await runCli(['fix', '--offline'], { cwd });
    // The ARG SOURCE_DATE_EPOCH fix needs no network: it is made, and the pin moves down a line.
    expect(r.stdout).toMatch(/Dockerfile:3:17: pip-pin left \(needs network\): 'flask' \(Python 3\.12, index https:\/\/pypi\.org\/simple\) is not in .*dockrepro.lock.json and --offline forbids a lookup/);
    expect(r.stdout).toContain('1 finding fixed, 3 left (3 needs network)');
  });

  it('findings no fixer handles are counted as "no fixer", not "needs network", with or without --offline (issue 9)', async () => {
    const cwd = workspace({ Dockerfile: `FROM alpine:3.20@sha256:${'a'.repeat(64)}\nRUN git clone git@github.com:o/r.git\n` });
    for (const args of [['fix'], ['fix', '--offline']]) {
      const r = await runCli(args, { cwd });
      expect(r.stdout).toContain('Dockerfile:2:15: git-clone-pin left (no fixer): git@github.com:o/r.git is not an http(s) URL: dockrepro asks repositories for refs over http(s) only; check out the commit by hand');
      expect(r.stdout).toContain('0 findings fixed, 1 left (1 no fixer)');
    }
  });

  it('an unreadable or invalid file is an error; the others are still fixed', async () => {
    const cwd = workspace({ 'bad/Dockerfile': Buffer.from([0, 1, 2]), 'ok/Dockerfile': USERS });
    const r = await runCli(['fix', '--unsafe', 'bad', 'ok', 'missing'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('bad/Dockerfile: error: binary file');
    expect(r.stdout).toContain('missing: error: no such file or folder');
    expect(readFileSync(join(cwd, 'ok/Dockerfile'), 'utf8')).toContain('--uid 10001');
  });

  it('uses the base id from .dockrepro.yaml', async () => {
    const cwd = workspace({ '.dockrepro.yaml': 'rules:\n  useradd-uid: { base-id: 20000 }\n', Dockerfile: USERS });
    await runCli(['fix', '--unsafe'], { cwd });
    expect(readFileSync(join(cwd, 'Dockerfile'), 'utf8')).toContain('useradd --uid 20000 -m app');
  });

  it('says what lint says about a file BuildKit would stop at (CR-only lines, an invalid escape directive)', async () => {
    const cwd = workspace({ 'cr/Dockerfile': USERS.replace(/\n/g, '\r'), 'esc/Dockerfile': `# escape=x\n${USERS}` });
    const r = await runCli(['fix', '--unsafe'], { cwd });
    expect(r.stdout).toContain('cr/Dockerfile: note: CR-only line endings (classic Mac): BuildKit reads the whole file as one line and cannot build it; save it with LF line endings\n');
    // An invalid escape directive is an error BuildKit stops at (rule syntax): left, with no fixer.
    expect(r.stdout).toContain('esc/Dockerfile:1:10: syntax left (no fixer)');
    // The same notes as lint's, and the fixes are still made.
    const lint = await runCli(['lint', '--format', 'json', '.'], { cwd });
    const notices = (JSON.parse(lint.stdout) as { files: { path: string; notice?: string }[] }).files.filter((f) => f.notice).map((f) => `${f.path}: note: ${f.notice}`);
    expect(notices).toHaveLength(1);
    for (const n of notices) expect(r.stdout).toContain(n);
    expect(readFileSync(join(cwd, 'cr/Dockerfile'), 'utf8')).toContain('useradd --uid 10001 -m app');
    expect(r.stdout).toContain('2 files scanned, 2 changed, 2 findings fixed, 1 left (1 no fixer)');
  });

  it('rejects lint-only and fix-only options in the wrong command', async () => {
    expect((await runCli(['lint', '--dry-run'])).stderr).toContain("--dry-run is an option of 'dockrepro fix'");
    expect((await runCli(['fix', '-f', 'json'])).stderr).toContain("--format is an option of 'dockrepro lint'");
  });
});

describe('progress', () => {
  it('shows progress on a terminal for long runs, and clears it', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 25; i++) files[`s${i}/Dockerfile`] = USERS;
    const cwd = workspace(files);
    let stderr = '';
    const { main } = require('../../src/cli') as typeof import('../../src/cli');
    await main(['fix', '--unsafe'], {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr += s), isTTY: true },
      readStdin: () => Buffer.alloc(0),
      env: {},
      cwd,
    });
    expect(stderr).toMatch(/\r\x1b\[K\[1\/25\] {2}(.* {2})?s0\/Dockerfile/);
    expect(stderr).toContain('[25/25]');
    expect(stderr.endsWith('\r\x1b[K')).toBe(true);
  });

  it('wipes the progress line before a summary line goes to the same terminal', async () => {
    const cwd = workspace(Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`s${i}/Dockerfile`, USERS])));
    let terminal = '';
    const { main } = require('../../src/cli') as typeof import('../../src/cli');
    await main(['fix'], {
      stdout: { write: (s: string) => ((terminal += s), true), isTTY: true },
      stderr: { write: (s: string) => ((terminal += s), true), isTTY: true },
      readStdin: () => Buffer.alloc(0),
      env: {},
      cwd,
    });
    const left = terminal.match(/(^|\n|\r\x1b\[K|\] [^\r\n]*)s\d+\/Dockerfile:3:16: useradd-uid left/g) ?? [];
    expect(left).toHaveLength(25);
    // Each starts a wiped line (or follows another line), never the tail of a progress line.
    for (const l of left) expect(l).toMatch(/^(\n|\r\x1b\[K|)s/);
  });

  it('is silent when stderr is not a terminal', async () => {
    const cwd = workspace(Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`s${i}/Dockerfile`, USERS])));
    const r = await runCli(['fix', '--unsafe'], { cwd });
    expect(r.stderr).toBe('');
  });
});

describe('as an editor runs it', () => {
  it('pipes a file through the real binary: stdout is exactly the fixed file', () => {
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const cwd = workspace({ '.dockrepro.yaml': NPM_BY_HAND, 'app/package.json': PKG, 'app/package-lock.json': LOCK, 'app/Dockerfile': NODE_APP });
    const bin = join(__dirname, '../../bin/dockrepro');
    const r = spawnSync(process.execPath, [bin, 'fix', '-', '--stdin-filename', 'app/Dockerfile'], {
      cwd,
      input: readFileSync(join(cwd, 'app/Dockerfile')),
    });
    expect(r.stdout.toString('utf8')).toBe(NODE_APP.replace('npm install --production', 'npm ci --omit=dev'));
    expect(r.stderr.toString('utf8')).toBe('1 file scanned, 1 changed, 1 finding fixed, 0 left\n');
    expect(r.status).toBe(0);
    expect(readFileSync(join(cwd, 'app/Dockerfile'), 'utf8')).toBe(NODE_APP); // stdin mode never writes files
  });
});
