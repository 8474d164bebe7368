/**
 * `lint --jobs 2` (worker threads, src/parallel.ts) gives byte for byte the output, the stderr and the exit
 * code of `lint --jobs 1` (one thread) on real files: a copy of the corpus with bad files among them, a
 * config found halfway that fails, lock files, a worker that runs out of memory. Workers run the built
 * bundle, so these tests run bin/dockrepro (`npm run build` first).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { corpusFiles, describeWithCorpus } from './helpers/corpus';

const bin = join(__dirname, '../bin/dockrepro');

interface Run {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

function lint(cwd: string, args: string[]): Run {
  const r = spawnSync(process.execPath, [bin, 'lint', ...args], { cwd, maxBuffer: 1 << 30, env: { ...process.env, DOCKREPRO_JOBS: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

/** Runs the same lint in one thread and on two workers; both must agree on every byte. */
function sameBothWays(cwd: string, args: string[]): Run {
  const one = lint(cwd, ['-j', '1', ...args]);
  const two = lint(cwd, ['-j', '2', ...args]);
  expect(two.stderr).toBe(one.stderr);
  expect(two.status).toBe(one.status);
  expect(two.stdout.equals(one.stdout)).toBe(true);
  return one;
}

const corpus = corpusFiles();
describeWithCorpus('lint on worker threads', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dockrepro-parallel-'));
    // The corpus spread over folders, so that several batches and configs are involved.
    corpus.forEach((f, i) => {
      const sub = join(dir, 'tree', `d${i % 7}`);
      mkdirSync(sub, { recursive: true });
      copyFileSync(f, join(sub, `${basename(f)}.Dockerfile`));
    });
    writeFileSync(join(dir, 'tree/d1/binary.Dockerfile'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]));
    writeFileSync(join(dir, 'tree/d1/empty.Dockerfile'), '');
    symlinkSync('/dev/zero', join(dir, 'tree/d2/zero.Dockerfile'));
    symlinkSync(join(dir, 'gone'), join(dir, 'tree/d3/dangling.Dockerfile'));
    writeFileSync(join(dir, 'outside.Dockerfile'), 'FROM debian:12\n');
    symlinkSync(join(dir, 'outside.Dockerfile'), join(dir, 'tree/d3/out.Dockerfile'));
    // Per-folder configs: a rule off, a threshold, ignored paths.
    writeFileSync(join(dir, 'tree/d4/.dockrepro.yaml'), 'rules:\n  image-digest: off\nfailure-threshold: error\n');
    writeFileSync(join(dir, 'tree/d5/.dockrepro.yaml'), 'ignore-paths: ["*1*.Dockerfile"]\n');
    mkdirSync(join(dir, '.git')); // the repository root: config is searched no higher
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['json', 'text', 'sarif', 'github', 'checkstyle'])('writes the same %s report as one thread', (format) => {
    const r = sameBothWays(dir, ['--format', format, '--verbose', 'tree', 'missing']);
    expect(r.status).toBe(2); // the binary, the device and the missing path
    expect(r.stdout.length).toBeGreaterThan(100_000);
    expect(r.stderr).toMatch(/config tree\/d4\/\.dockrepro\.yaml for \d+ files/);
  });

  it('stops where one thread stops at a config error in a folder halfway', () => {
    const broken = join(dir, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'a.Dockerfile'), 'FROM debian:12\n');
    // Enough findings before the error that a report would have been partly written (it goes out in 64 KiB chunks).
    const packages = Array.from({ length: 20 }, (_, i) => `pkg${i}`).join(' ');
    for (const sub of ['m1', 'm2', 'm3']) {
      mkdirSync(join(broken, sub));
      for (let i = 0; i < 100; i++) writeFileSync(join(broken, sub, `f${i}.Dockerfile`), `FROM debian:12\nRUN apt-get install -y ${packages}\n`);
    }
    writeFileSync(join(broken, 'm2/.dockrepro.yaml'), 'rules:\n  no-such-rule: off\n');
    const r = sameBothWays(broken, ['--format', 'text', '--verbose', '.']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("m2/.dockrepro.yaml: rules.no-such-rule: unknown rule");
    // The folder walk reads each folder's config (for its include: patterns), so the error is met before any
    // file is linted, in one thread as on several: nothing is reported.
    expect(r.stdout.toString('utf8')).not.toContain('m3/');
    expect(r.stdout.toString('utf8')).not.toContain('m1/f1.Dockerfile');
  });

  it('checks pinned digests against the lock files as one thread does (--verify-lock)', () => {
    const repo = join(dir, 'locked');
    const digest = `sha256:${'a'.repeat(64)}`;
    for (const [sub, lock] of [['with', true], ['without', false]] as const) {
      mkdirSync(join(repo, sub, 'app'), { recursive: true });
      writeFileSync(join(repo, sub, '.dockrepro.yaml'), '');
      if (lock) writeFileSync(join(repo, sub, 'dockrepro.lock.json'), JSON.stringify({ version: 1, images: {} }));
      for (let i = 0; i < 30; i++) writeFileSync(join(repo, sub, 'app', `f${i}.Dockerfile`), `FROM debian:12@${digest}\n`);
    }
    const r = sameBothWays(repo, ['--format', 'json', '--verify-lock', '--verbose', '.']);
    expect(r.status).toBe(2); // `without` has no lock file
    expect(r.stderr).toContain('dockrepro: lock with/dockrepro.lock.json');
  });

  it('lints in the main thread the files of a worker that ran out of memory, and says so', () => {
    const big = join(dir, 'big');
    mkdirSync(big);
    for (let i = 0; i < 20; i++) writeFileSync(join(big, `f${i}.Dockerfile`), 'FROM debian:12\nRUN apt-get install -y curl\n');
    // Over a worker's heap limit (src/parallel.ts WORKER_HEAP), well within the main thread's.
    // First in order, so in the first batch, which always goes to the worker (the main thread lints others).
    writeFileSync(join(big, 'a-big.Dockerfile'), `FROM debian:12\n${'RUN apt-get install -y a b c d e f g h\n'.repeat(15_000)}`);
    const one = lint(big, ['-j', '1', '--format', 'json', '.']);
    const two = lint(big, ['-j', '2', '--format', 'json', '.']);
    expect(two.stderr).toMatch(/^dockrepro: note: a lint worker stopped \(.*\); its files are linted in the main thread\n$/);
    expect(one.stderr).toBe('');
    expect(two.status).toBe(one.status);
    expect(two.stdout.equals(one.stdout)).toBe(true);
  });
});

describe('--jobs', () => {
  it('takes a whole number, also from DOCKREPRO_JOBS, for lint only', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'dockrepro-jobs-'));
    try {
      writeFileSync(join(cwd, 'Dockerfile'), 'FROM debian:12\n');
      expect(lint(cwd, ['-j', '0']).stderr).toContain("--jobs must be a whole number from 1 to 256, got '0'");
      const env = spawnSync(process.execPath, [bin, 'lint'], { cwd, env: { ...process.env, DOCKREPRO_JOBS: 'many' }, encoding: 'utf8' });
      expect(env.stderr).toContain("DOCKREPRO_JOBS must be a whole number from 1 to 256, got 'many'");
      expect(env.status).toBe(2);
      const fix = spawnSync(process.execPath, [bin, 'fix', '-j', '2', '--offline'], { cwd, encoding: 'utf8' });
      expect(fix.stderr).toContain("--jobs is an option of 'dockrepro lint'");
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
