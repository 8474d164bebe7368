/** Loose ends of the command line (issue 11, point 7): each a usage error or an answer a user would expect. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { workspace } from './helpers/workspace';
import { runCli } from './helpers/cli';
import { RULES } from '../src/rules/index';

const USERS = 'FROM debian:12\nRUN useradd -m app\n';

describe('command line loose ends', () => {
  it('refuses an empty --rules or --disable list instead of running no rule and passing', async () => {
    const cwd = workspace({ Dockerfile: USERS });
    for (const args of [['lint', '--rules=', '.'], ['lint', '--disable', ' , ', '.']]) {
      const r = await runCli(args, { cwd });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--(rules|disable): an empty list/);
    }
  });

  it('refuses a --context that is not a folder', async () => {
    const cwd = workspace({ Dockerfile: USERS });
    const r = await runCli(['lint', '--context', join(cwd, 'nonexistent'), '.'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a folder');
    expect(r.stdout).toBe('');
    expect((await runCli(['lint', '--context', 'Dockerfile', '.'], { cwd })).code).toBe(2);
  });

  it('refuses --stdin-filename without -, which would lint the folder and ignore stdin', async () => {
    const cwd = workspace({ Dockerfile: USERS });
    const r = await runCli(['lint', '--stdin-filename', 'Dockerfile'], { cwd, stdin: 'FROM scratch\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("add '-' to read stdin");
  });

  it('prints the rules as JSON with --format json, and refuses other formats', async () => {
    const r = await runCli(['rules', '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { version: number; rules: { id: string; severity: string; hadolint: string[]; docs: string }[] };
    expect(doc.rules.map((x) => x.id)).toEqual(RULES.map((x) => x.meta.id));
    for (const rule of doc.rules) expect(rule.docs).toMatch(new RegExp(`/docs/rules/${rule.id}\\.md$`));
    expect((await runCli(['rules', '-f', 'sarif'])).code).toBe(2);
    expect((await runCli(['rules'])).stdout).toMatch(/^rule\s+severity\s+hadolint\s+summary/);
  });

  it('prints the command help for lint --help and fix --help', async () => {
    const lint = await runCli(['lint', '--help']);
    expect(lint.code).toBe(0);
    expect(lint.stdout).toContain('dockrepro lint [options]');
    expect(lint.stdout).toContain('--format');
    expect(lint.stdout).not.toContain('--dry-run');
    const fix = await runCli(['fix', '--help']);
    expect(fix.stdout).toContain('dockrepro fix [options]');
    expect(fix.stdout).toContain('--dry-run');
    expect(fix.stdout).not.toContain('dockrepro lint -');
    expect((await runCli(['--help'])).stdout).toContain('dockrepro rules');
  });

  it('suggests the option or command meant', async () => {
    const flag = await runCli(['fix', '--dry-rn', '.']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option '--dry-rn' (did you mean '--dry-run'?)");
    expect((await runCli(['lnt'])).stderr).toContain("unknown command 'lnt' (did you mean 'lint'?)");
    expect((await runCli(['lint', '--disable', 'apt-pinn'])).stderr).toContain('apt-pin');
    // Far from anything: no guess.
    expect((await runCli(['lint', '--zzzzzzzz'])).stderr).not.toContain('did you mean');
  });

  it('names a file outside the working folder in diff headers as it is, not as a//tmp/…', async () => {
    const repo = workspace({ 'app/Dockerfile': USERS });
    const elsewhere = workspace({ 'x.txt': '' });
    const r = await runCli(['fix', '--dry-run', '--unsafe', join(repo, 'app/Dockerfile')], { cwd: elsewhere });
    expect(r.stdout).toContain(`--- ${join(repo, 'app/Dockerfile')}`);
    expect(r.stdout).not.toContain('a//');
    const inside = await runCli(['fix', '--dry-run', '--unsafe', 'app/Dockerfile'], { cwd: repo });
    expect(inside.stdout).toContain('--- a/app/Dockerfile');
    expect(readFileSync(join(repo, 'app/Dockerfile'), 'utf8')).toBe(USERS);
  });
});
