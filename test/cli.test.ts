/** The command line as users call it: options, exit codes, stdin, config errors and bad input. */
import { chmodSync, symlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { workspace } from './helpers/workspace';
import { runCli } from './helpers/cli';
import { RULES } from '../src/rules/index';

// Clean under every rule: pinned, and the ARG makes pip's .pyc the same on every build (source-date-epoch, pip-compile).
const PINNED = `FROM python:3.12.7@sha256:${'a'.repeat(64)}\nARG SOURCE_DATE_EPOCH\nRUN pip install flask==3.1.0\n`;
const UNPINNED = 'FROM python:3\nRUN pip install flask\n';


describe('exit codes and output', () => {
  it('exits 0 and says so for a clean file', async () => {
    const cwd = workspace({ Dockerfile: PINNED });
    const r = await runCli(['lint'], { cwd });
    expect(r).toEqual({ code: 0, stdout: 'No findings in 1 file\n', stderr: '' });
  });

  it('exits 1 with path:line:col: severity rule message lines', async () => {
    const cwd = workspace({ Dockerfile: UNPINNED });
    const r = await runCli(['lint', 'Dockerfile'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      "Dockerfile:1:6: warning image-digest base image 'python:3' has no digest: pin it as 'python:3@sha256:<digest>'",
      expect.stringMatching(/^Dockerfile:1:6: warning image-tag base image 'python:3' has a floating tag '3'/),
      expect.stringMatching(/^Dockerfile:2:5: info source-date-epoch pip install compiles \.pyc files stamped with the install time, so two builds differ; /),
      expect.stringMatching(/^Dockerfile:2:9: info pip-compile 'pip install' compiles the modules it installs: each \.pyc holds the install time/),
      "Dockerfile:2:17: warning pip-pin pip requirement 'flask' is not pinned: use 'flask==<version>'",
      '5 findings (3 warnings, 2 info) in 1 file',
      '',
    ]);
  });

  it('colours only on a TTY, and never with NO_COLOR', async () => {
    const cwd = workspace({ Dockerfile: UNPINNED });
    expect((await runCli(['lint'], { cwd, tty: true })).stdout).toContain('\x1b[');
    expect((await runCli(['lint'], { cwd, tty: true, env: { NO_COLOR: '1' } })).stdout).not.toContain('\x1b[');
    expect((await runCli(['lint'], { cwd, tty: false })).stdout).not.toContain('\x1b[');
  });

  it('--failure-threshold decides what fails', async () => {
    const cwd = workspace({ Dockerfile: UNPINNED });
    expect((await runCli(['lint', '-t', 'error'], { cwd })).code).toBe(0);
    expect((await runCli(['lint', '-t', 'warning'], { cwd })).code).toBe(1);
    expect((await runCli(['lint', '--failure-threshold', 'none'], { cwd })).code).toBe(0);
  });

  it('--rules and --disable select rules', async () => {
    const cwd = workspace({ Dockerfile: UNPINNED });
    const only = await runCli(['lint', '--rules', 'pip-pin', '-f', 'json'], { cwd });
    expect(JSON.parse(only.stdout).files[0].findings.map((f: { rule: string }) => f.rule)).toEqual(['pip-pin']);
    const without = await runCli(['lint', '--disable', 'image-digest,image-tag,source-date-epoch', '-f', 'json'], { cwd });
    expect(JSON.parse(without.stdout).files[0].findings.map((f: { rule: string }) => f.rule)).toEqual(['pip-compile', 'pip-pin']);
  });

  it.each([
    [['lint', '--bogus'], "unknown option '--bogus'"],
    [['lint', '--format', 'xml'], '--format must be one of'],
    [['lint', '-t', 'high'], '--failure-threshold must be one of'],
    [['lint', '--rules', 'apt-pinn'], "unknown rule 'apt-pinn' (did you mean 'apt-pin'?)"],
    [['frobnicate'], "unknown command 'frobnicate'"],
    [[], 'missing command'],
  ])('usage error %j exits 2', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('prints the version, help and the rule table', async () => {
    expect((await runCli(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const help = await runCli(['--help']);
    expect(help.stdout).toContain('dockrepro lint [options] [paths..]');
    expect(help.stdout).toContain('Examples:');
    const rules = await runCli(['rules']);
    expect(rules.code).toBe(0);
    expect(rules.stdout.split('\n')[0]).toMatch(/^rule\s+severity\s+hadolint\s+summary$/);
    expect(rules.stdout).toMatch(/\napt-pin\s+warning\s+DL3008\s+Pin versions/);
    expect(rules.stdout.trim().split('\n')).toHaveLength(RULES.length + 1);
  });
});

describe('stdin', () => {
  it('lints stdin and names it by --stdin-filename, reading the build context of that path', async () => {
    const cwd = workspace({ 'app/requirements.txt': 'flask\n' });
    const code = `FROM python:3.12.7@sha256:${'a'.repeat(64)}\nCOPY requirements.txt /r.txt\nRUN pip install -r /r.txt\n`;
    const r = await runCli(['lint', '-', '--stdin-filename', 'app/Dockerfile'], { cwd, stdin: code });
    expect(r.stdout.split('\n')).toEqual([
      expect.stringMatching(/^app\/Dockerfile:3:5: info source-date-epoch pip install /),
      expect.stringMatching(/^app\/Dockerfile:3:9: info pip-compile 'pip install' /),
      "app/Dockerfile:3:20: warning pip-pin requirements.txt:1: 'flask' is not pinned: use 'flask==<version>'",
      '3 findings (1 warning, 2 info) in 1 file',
      '',
    ]);
    expect(r.code).toBe(1);
  });

  it('calls stdin "-" without a name', async () => {
    const r = await runCli(['lint', '-'], { stdin: UNPINNED });
    expect(r.stdout).toMatch(/^-:2:17: warning pip-pin/m);
  });
});

describe('configuration', () => {
  it('applies the nearest .dockrepro.yaml', async () => {
    const cwd = workspace({
      '.dockrepro.yaml': 'rules:\n  image-tag: off\n  pip-pin: error\n',
      'svc/Dockerfile': UNPINNED,
      'svc/.dockrepro.yaml': 'failure-threshold: error\nrules:\n  image-digest: off\n  image-tag: off\n',
      'web/Dockerfile': UNPINNED,
    });
    const r = await runCli(['lint', '-f', 'json'], { cwd });
    const files = JSON.parse(r.stdout).files as { path: string; findings: { rule: string; severity: string }[] }[];
    const byPath = Object.fromEntries(files.map((f) => [f.path, f.findings.map((x) => `${x.rule}:${x.severity}`)]));
    expect(byPath).toEqual({
      'svc/Dockerfile': ['source-date-epoch:info', 'pip-compile:info', 'pip-pin:warning'],
      'web/Dockerfile': ['image-digest:warning', 'source-date-epoch:info', 'pip-compile:info', 'pip-pin:error'],
    });
    expect(r.code).toBe(1);
  });

  it('exits 2 naming a bad key, and lints nothing', async () => {
    const cwd = workspace({ '.dockrepro.yaml': 'rules:\n  pip-pin: loud\n', Dockerfile: UNPINNED });
    const r = await runCli(['lint'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('rules.pip-pin: expected one of off, on, error');
    expect(r.stdout).toBe('');
  });

  it('skips files under ignore-paths', async () => {
    const cwd = workspace({ '.dockrepro.yaml': 'ignore-paths: ["vendor/"]\n', 'vendor/x/Dockerfile': UNPINNED, Dockerfile: PINNED });
    expect(await runCli(['lint'], { cwd })).toMatchObject({ code: 0, stdout: 'No findings in 1 file\n' });
  });

  it('--config overrides the search', async () => {
    const cwd = workspace({ 'strict.yaml': 'rules:\n  pip-pin: off\n  image-tag: off\n  image-digest: off\n  source-date-epoch: off\n  pip-compile: off\n', Dockerfile: UNPINNED });
    expect((await runCli(['lint', '-c', 'strict.yaml'], { cwd })).code).toBe(0);
    const missing = await runCli(['lint', '-c', 'nope.yaml'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml: cannot read config: ENOENT');
  });
});

describe('bad input: a clear message per file, the others still linted', () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['binary', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]), /binary\.Dockerfile: error: binary file \(NUL byte at offset 4\)/],
    ['latin1', Buffer.from('FROM a\nRUN echo caf\xe9\n', 'latin1'), /latin1\.Dockerfile: error: invalid UTF-8 at byte 19 \(line 2\)/],
  ];
  it.each(cases)('%s file: error, exit 2, other files still reported', async (name, content, message) => {
    const cwd = workspace({ [`${name}.Dockerfile`]: content, 'ok/Dockerfile': UNPINNED });
    const r = await runCli(['lint', '.'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(message);
    expect(r.stdout).toContain('ok/Dockerfile:2:17: warning pip-pin');
    expect(r.stderr).toBe('');
  });

  it('an empty file is a syntax error, as in BuildKit', async () => {
    const cwd = workspace({ Dockerfile: '' });
    const r = await runCli(['lint'], { cwd });
    expect(r.stdout).toContain('Dockerfile:1:1: error syntax file with no instructions');
    expect(r.code).toBe(1);
  });

  it('BOM and CRLF: positions are those an editor shows', async () => {
    const cwd = workspace({ Dockerfile: '\uFEFFFROM python:3\r\nRUN pip install flask\r\n' });
    const r = await runCli(['lint', '--rules', 'pip-pin'], { cwd });
    expect(r.stdout).toContain("Dockerfile:2:17: warning pip-pin pip requirement 'flask' is not pinned");
  });

  it('unknown instructions and unterminated heredocs are syntax errors; the rest is linted', async () => {
    const cwd = workspace({ Dockerfile: 'FROM python:3\nFORM x\nRUN pip install flask && cat <<EOF\nnever closed\n' });
    const r = await runCli(['lint', '--rules', 'pip-pin,syntax'], { cwd });
    expect(r.stdout).toContain("Dockerfile:3:17: warning pip-pin pip requirement 'flask'");
    expect(r.stdout).toContain('Dockerfile:2:1: error syntax unknown instruction: FORM (did you mean FROM?)');
    expect(r.stdout).toContain('Dockerfile:3:1: error syntax unterminated heredoc');
    expect(r.stdout).not.toContain('note:');
  });

  it('an unterminated RUN or COPY here-document is a syntax error; the script is still linted', async () => {
    const cwd = workspace({
      'run/Dockerfile': 'FROM python:3\nRUN <<EOF\npip install flask\n',
      'copy/Dockerfile': 'FROM python:3\nCOPY <<EOT /etc/motd\nhello\n',
    });
    const r = await runCli(['lint', '--rules', 'pip-pin,syntax'], { cwd });
    expect(r.stdout).toContain("run/Dockerfile:3:13: warning pip-pin pip requirement 'flask'");
    expect(r.stdout).toContain('run/Dockerfile:2:1: error syntax unterminated heredoc');
    expect(r.stdout).toContain('copy/Dockerfile:2:1: error syntax unterminated heredoc');
    expect(r.stdout).not.toContain('note:');
  });

  it('a 10 MB Dockerfile is linted (no quadratic blow-up on many variables and RUNs)', async () => {
    const lines = [`FROM debian:12.7@sha256:${'a'.repeat(64)}`];
    for (let i = 0; lines.length < 200_000; i++) {
      lines.push(`# comment ${i} with enough text to make this file about ten megabytes in all, as a stress test`, `ENV VAR${i}=value${i}`);
      if (i % 100 === 0) lines.push(`RUN apt-get install -y pkg${i}=1.0 && pip install flask${i}`);
    }
    const text = `${lines.join('\n')}\n`;
    expect(text.length).toBeGreaterThan(10_000_000);
    const cwd = workspace({ Dockerfile: text });
    const r = await runCli(['lint', '-f', 'json'], { cwd });
    const findings = JSON.parse(r.stdout).files[0].findings as { rule: string; line: number }[];
    // Per RUN: the unpinned flask, its .pyc (pip-compile) and apt's logs and caches (apt-cleanup); the one stage lacks ARG SOURCE_DATE_EPOCH once.
    const runs = lines.filter((l) => l.startsWith('RUN')).length;
    const byRule: Record<string, number> = {};
    for (const f of findings) byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
    expect(byRule).toEqual({ 'pip-pin': runs, 'pip-compile': runs, 'apt-cleanup': runs, 'source-date-epoch': 1 });
    expect(r.code).toBe(1);
  }, 60_000);

  it('missing paths, unreadable paths and folders without Dockerfiles exit 2, the rest is linted', async () => {
    const cwd = workspace({ 'ok/Dockerfile': UNPINNED, 'empty/.keep': '' });
    symlinkSync(join(cwd, 'nowhere'), join(cwd, 'dangling.Dockerfile'));
    const r = await runCli(['lint', 'missing', 'empty', 'dangling.Dockerfile', 'ok'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('missing: error: no such file or folder');
    expect(r.stdout).toContain('empty: error: no Dockerfiles found in this folder');
    expect(r.stdout).toContain('dangling.Dockerfile: error: no such file or folder');
    expect(r.stdout).toContain('ok/Dockerfile:2:17: warning pip-pin');
  });

  it('a folder named like a Dockerfile is walked, not read as a file', async () => {
    const cwd = workspace({ 'Dockerfile/Dockerfile': UNPINNED });
    const r = await runCli(['lint'], { cwd });
    expect(r.stdout).toContain('Dockerfile/Dockerfile:2:17');
  });

  it('a permission error is reported per file (when not running as root)', async () => {
    const cwd = workspace({ 'a/Dockerfile': UNPINNED, 'b/Dockerfile': UNPINNED });
    chmodSync(join(cwd, 'a/Dockerfile'), 0o000);
    const r = await runCli(['lint'], { cwd });
    chmodSync(join(cwd, 'a/Dockerfile'), 0o644);
    if (process.getuid?.() === 0) {
      // root reads anything: the file is simply linted.
      expect(r.code).toBe(1);
    } else {
      expect(r.code).toBe(2);
      expect(r.stdout).toContain('a/Dockerfile: error: permission denied');
    }
    expect(r.stdout).toContain('b/Dockerfile:2:17');
  });
});

describe('which files a folder yields', () => {
  const paths = (stdout: string) => (JSON.parse(stdout).files as { path: string }[]).map((f) => f.path);

  it('takes flattened a__b__Dockerfile names and Dockerfile-<variant>, leaves docs and sources', async () => {
    const cwd = workspace({
      'dump/org__repo__src__api__Dockerfile': UNPINNED, 'dump/org__repo__Dockerfile-windows': PINNED, 'dump/org__repo__Dockerfile.md': '# notes\n',
      'dump/dockerfile.go': 'package dockerfile\n', 'dump/org__repo__Dockerfile.dockerignore': 'node_modules\n',
    });
    const r = await runCli(['lint', '-f', 'json', 'dump'], { cwd });
    expect(paths(r.stdout)).toEqual(['dump/org__repo__Dockerfile-windows', 'dump/org__repo__src__api__Dockerfile']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
  });

  it('a folder with no Dockerfile name says what it looked at and how to add names (exit 2), lint and fix alike', async () => {
    const cwd = workspace({ 'repo/services/web.docker': 'FROM a\n', 'repo/services/api-dockerfile': UNPINNED, 'repo/README.md': '# x\n' });
    for (const args of [['lint', 'repo'], ['fix', '--dry-run', '--offline', 'repo']]) {
      const r = await runCli(args, { cwd });
      expect(r.code).toBe(2);
      expect(r.stdout + r.stderr).toContain(
        "repo: error: no Dockerfiles found in this folder: 3 files looked at, none named like a Dockerfile (Dockerfile, Dockerfile.*, *.Dockerfile");
      expect(r.stdout + r.stderr).toContain("1 file looks like a Dockerfile by content (e.g. 'services/api-dockerfile'); add --glob PATTERN");
    }
  });

  it('--glob (repeatable) adds names for lint and fix; a named file is linted whatever its name', async () => {
    const cwd = workspace({ 'repo/services/web.docker': PINNED, 'repo/services/api-dockerfile': UNPINNED, 'repo/odd': UNPINNED, 'repo/Dockerfile': PINNED });
    const both = await runCli(['lint', '-f', 'json', '--glob', '*.docker', '--glob', 'services/*-dockerfile', 'repo'], { cwd });
    expect(paths(both.stdout)).toEqual(['repo/Dockerfile', 'repo/services/api-dockerfile', 'repo/services/web.docker']);
    expect(both.stderr).toBe('');
    // The pattern with a slash is relative to the folder named, not to the current folder.
    const rel = await runCli(['lint', '-f', 'json', '--glob', 'repo/services/*', 'repo'], { cwd });
    expect(paths(rel.stdout)).toEqual(['repo/Dockerfile']);
    expect(rel.stderr).toContain("dockrepro: note: repo: 1 file looks like a Dockerfile by content (e.g. 'services/api-dockerfile')");
    const named = await runCli(['lint', '-f', 'json', 'repo/odd'], { cwd });
    expect(paths(named.stdout)).toEqual(['repo/odd']);
    const fix = await runCli(['fix', '--dry-run', '--offline', '--glob', '*-dockerfile', 'repo'], { cwd });
    expect(fix.stderr).toContain('repo/services/api-dockerfile:1:6: image-digest left (needs network)');
    expect(fix.stderr).toContain('2 files scanned');
  });

  it.each([
    [['--glob', '!*.df'], "--glob '!*.df': negated patterns are not supported"],
    [['--glob', '/abs/*'], "--glob '/abs/*': patterns are relative"],
    [['--glob', ''], "--glob '': expected a non-empty glob pattern"],
  ])('refuses %j with exit 2', async (args, message) => {
    const r = await runCli(['lint', ...args], { cwd: workspace({ Dockerfile: PINNED }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it("the nearest .dockrepro.yaml's include: adds names under its folder; a bad one is exit 2 naming the key", async () => {
    const cwd = workspace({ '.dockrepro.yaml': 'include: ["*__Dockerfile", "images/*"]\n', 'a/b/x__Dockerfile': UNPINNED, 'images/base': PINNED, 'a/images/other': PINNED, '.git/HEAD': '' });
    const r = await runCli(['lint', '-f', 'json'], { cwd });
    expect(paths(r.stdout)).toEqual(['a/b/x__Dockerfile', 'images/base']);
    // From a subfolder the config (found upwards) still applies, relative to its own folder.
    const sub = await runCli(['lint', '-f', 'json', '.'], { cwd: join(cwd, 'a') });
    expect(paths(sub.stdout)).toEqual(['b/x__Dockerfile']);
    const bad = workspace({ '.dockrepro.yaml': 'include: "*__Dockerfile"\n', Dockerfile: PINNED, '.git/HEAD': '' });
    const r2 = await runCli(['lint'], { cwd: bad });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('.dockrepro.yaml: include: expected a list of glob patterns');
  });

  it('.gitignore still applies to --glob matches', async () => {
    const cwd = workspace({ '.gitignore': 'gen/\n', 'gen/a.df': UNPINNED, 'src/b.df': PINNED });
    const r = await runCli(['lint', '-f', 'json', '--glob', '*.df'], { cwd });
    expect(paths(r.stdout)).toEqual(['src/b.df']);
  });
});

describe('the installed binary', () => {
  it('runs, prints findings and exits 1, without a stack trace on bad input', () => {
    const bin = resolve(__dirname, '../bin/dockrepro');
    const cwd = workspace({ Dockerfile: UNPINNED, 'bad.Dockerfile': Buffer.from([0, 1, 2]) });
    const ok = spawnSync(process.execPath, [bin, 'lint', 'Dockerfile'], { cwd, encoding: 'utf8' });
    expect(ok.status).toBe(1);
    expect(ok.stdout).toContain('Dockerfile:2:17: warning pip-pin');
    const bad = spawnSync(process.execPath, [bin, 'lint', 'bad.Dockerfile', 'Dockerfile'], { cwd, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stdout + bad.stderr).not.toMatch(/\n\s+at /);
  });
});
