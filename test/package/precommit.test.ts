/**
 * The hooks of .pre-commit-hooks.yaml run by the real pre-commit (Debian package) in a new git repository
 * whose config uses this checkout as its hook repository: pre-commit clones it, `npm install`s it, takes the
 * tarball's name from `npm pack` and installs that into its own environment (PRE_COMMIT_HOME is a scratch
 * folder, so that install happens here). The hooks run offline (no image or package lookup).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cleanScratch, root, run } from './scratch';
import { inCI } from '../helpers/ci';

jest.setTimeout(1_200_000);

const havePreCommit = spawnSync('pre-commit', ['--version']).status === 0;
const missing = 'pre-commit is not installed (scripts/ensure-test-tools.sh installs it): the hooks are not tested';
if (!havePreCommit && inCI()) throw new Error(missing);
if (!havePreCommit) console.warn(`SKIPPED: ${missing}`);

const digest = `sha256:${'a'.repeat(64)}`;
let scratch: string;
let work: string;
const env = () => ({ PRE_COMMIT_HOME: join(scratch, 'cache'), GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' });
const git = (args: string[], cwd = work) => {
  const r = run('git', args, cwd, env());
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
/** A commit attempt: its exit status and what the hooks printed (git hands their output to stderr). */
const commit = (message: string) => {
  const r = run('git', ['commit', '-m', message], work, env());
  return { status: r.status, output: r.stdout + r.stderr };
};

/** The working tree as it is (committed or not, without ignored files) as a repository of its own. */
function hookRepository(dest: string): string {
  mkdirSync(dest);
  const files = git(['ls-files', '-z', '--cached', '--others', '--exclude-standard'], root).split('\0').filter(Boolean);
  for (const f of files) {
    try {
      cpSync(join(root, f), join(dest, f));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // deleted but not yet committed
    }
  }
  git(['init', '-q'], dest);
  git(['add', '-A'], dest);
  git(['commit', '-q', '-m', 'hooks under test'], dest);
  return git(['rev-parse', 'HEAD'], dest).trim();
}

(havePreCommit ? describe : describe.skip)('pre-commit hooks from this checkout', () => {
  beforeAll(() => {
    scratch = cleanScratch('dockrepro-pre-commit-');
    const rev = hookRepository(join(scratch, 'hooks'));
    work = join(scratch, 'work');
    mkdirSync(work);
    git(['init', '-q']);
    writeFileSync(join(work, '.pre-commit-config.yaml'), [
      'repos:',
      `  - repo: ${join(scratch, 'hooks')}`,
      `    rev: ${rev}`,
      '    hooks:',
      '      - id: dockrepro-lint',
      '      - id: dockrepro-fix',
      '        args: [--offline, --unsafe]',
      '',
    ].join('\n'));
    const install = run('pre-commit', ['install', '--install-hooks'], work, env());
    if (install.status !== 0) throw new Error(`pre-commit install failed:\n${install.stdout}\n${install.stderr}`);
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('fails a commit of a bad Dockerfile with readable findings, fixes it, then the commit passes', () => {
    // A spelling pre-commit's `dockerfile` type misses; the digest is pinned so the fix needs no lookup.
    const file = join(work, 'deploy', 'Containerfile.prod');
    mkdirSync(dirname(file));
    writeFileSync(file, `FROM debian:12@${digest}\nRUN groupadd app && useradd -g app app\n`);
    git(['add', '-A']);
    const first = commit('first');
    expect(first.status).toBe(1);
    expect(first.output).toMatch(/dockrepro lint\.+Failed/);
    expect(first.output).toContain("deploy/Containerfile.prod:2:36: warning useradd-uid useradd creates user 'app' with an implicit uid");
    expect(first.output).toMatch(/dockrepro fix\.+Failed\n- hook id: dockrepro-fix\n- files were modified by this hook/);
    // useradd writes today's date into /etc/shadow: the source-date-epoch fix declares the ARG too.
    expect(readFileSync(file, 'utf8')).toBe(`FROM debian:12@${digest}\nARG SOURCE_DATE_EPOCH\nRUN groupadd --gid 10001 app && useradd --uid 10001 -g app app\n`);

    git(['add', '-A']);
    const second = commit('second');
    expect(second.output).toMatch(/dockrepro lint\.+Passed/);
    expect(second.output).toMatch(/dockrepro fix\.+Passed/);
    expect(second.status).toBe(0);
  });

  it('fails, with the reason, while a finding no fix removes is left; a pragma lets it pass', () => {
    const file = join(work, 'Dockerfile');
    writeFileSync(file, `FROM debian:12@${digest}\nRUN apt-get install -y curl\n`);
    git(['add', '-A']);
    const r = commit('apt');
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/dockrepro fix\.+Failed\n- hook id: dockrepro-fix\n- exit code: 1/);
    expect(r.output).toMatch(/Dockerfile:2:\d+: apt-pin left/);
    // The hook runs with --unsafe: apt-cleanup's fix is applied, apt-pin's finding (it needs the network) is left.
    const cleanup = ' && rm -rf /var/log/dpkg.log /var/log/apt/* /var/log/alternatives.log /var/cache/apt/*.bin /var/cache/ldconfig/aux-cache';
    expect(readFileSync(file, 'utf8')).toBe(`FROM debian:12@${digest}\nRUN apt-get install -y curl${cleanup}\n`);

    writeFileSync(file, `FROM debian:12@${digest}\n# dockrepro ignore=apt-pin\nRUN apt-get install -y curl${cleanup}\n`);
    git(['add', '-A']);
    const ignored = commit('apt, on purpose');
    expect(ignored.output).toMatch(/dockrepro fix\.+Passed/);
    expect(ignored.status).toBe(0);
  });
});
