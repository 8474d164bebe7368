/**
 * `dockrepro verify` end to end: real buildah builds (each in a fresh store) of Dockerfiles on a tiny base
 * image (Debian's static busybox) served by the test registry, compared by the CLI as a user runs it.
 * Without buildah or a static busybox the suite is skipped loudly (and fails under CI=true); the test
 * tools script installs both.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { textReport, type VerifyResult } from '../../src/verify/report';
import { runCli } from '../helpers/cli';
import { pushFixtureImage } from '../helpers/imageFixtures';
import { describeWithRegistries } from '../helpers/registryFixtures';
import { inCI } from '../helpers/ci';

const BUSYBOX = '/bin/busybox';

/** Why the suite cannot run here, or undefined. */
function missingTools(): string | undefined {
  if (spawnSync('buildah', ['--version'], { stdio: 'ignore' }).status !== 0) return 'buildah is not installed';
  // A dynamically linked busybox would need a libc in the image.
  const staticBusybox = spawnSync('dpkg-query', ['-W', '-f', '${Status}', 'busybox-static'], { encoding: 'utf8' });
  if (!/install ok installed/.test(staticBusybox.stdout ?? '')) return 'busybox-static is not installed';
  return undefined;
}

const missing = missingTools();
if (missing && inCI()) throw new Error(`verify tests cannot run under CI: ${missing} (scripts/ensure-test-tools.sh)`);
if (missing) process.stderr.write(`\nSKIPPED: dockrepro verify end to end: ${missing} (run scripts/ensure-test-tools.sh as root)\n`);
const describeIfTools = missing ? describe.skip : describe;

const APPLETS = ['sh', 'echo', 'date', 'head', 'cat', 'false'];

interface Report {
  reproducible: boolean;
  seconds: [number, number];
  sourceDateEpoch: number;
  comparison: {
    digests: [string, string];
    layers: { index: number; createdBy?: string; files: { path: string; differences: { aspect: string }[] }[] }[];
  };
}

describeWithRegistries('dockrepro verify (buildah)', (regs) => {
  describeIfTools('builds twice and compares', () => {
    let dir: string;
    let base: string;
    let env: NodeJS.ProcessEnv;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'dockrepro-verify-test-'));
      const image = await pushFixtureImage(regs.open, 'verify/busybox', {
        config: { history: ['busybox and its applets'] },
        layers: [
          {
            dirs: ['/bin', '/tmp'],
            entries: [
              { path: 'bin/busybox', type: 'File', content: readFileSync(BUSYBOX), mode: 0o755 },
              ...APPLETS.map((a) => ({ path: `bin/${a}`, type: 'SymbolicLink' as const, linkpath: 'busybox' })),
            ],
          },
        ],
      });
      base = image.ref;
      // The test registry speaks plain HTTP: say so in a registries.conf of our own, as a user would.
      const conf = join(dir, 'registries.conf');
      writeFileSync(conf, `[[registry]]\nlocation = "${regs.open.host}"\ninsecure = true\n`);
      env = { ...process.env, CONTAINERS_REGISTRIES_CONF: conf, SOURCE_DATE_EPOCH: '1700000000' };
    }, 60_000);

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    function project(name: string, dockerfile: string): string {
      const p = join(dir, name);
      mkdirSync(p, { recursive: true });
      writeFileSync(join(p, 'Dockerfile'), dockerfile);
      writeFileSync(join(p, 'hello.txt'), 'hello\n');
      return p;
    }

    const leftovers = () => readdirSync(tmpdir()).filter((n) => /^dockrepro-verify-(?!test-)/.test(n));

    it('says a deterministic Dockerfile is reproducible: the same digest twice, exit 0', async () => {
      const before = leftovers();
      const cwd = project('same', `FROM ${base}\nARG SOURCE_DATE_EPOCH\nCOPY hello.txt /srv/hello.txt\nRUN echo made > /srv/made\n`);
      // A git work tree and no SOURCE_DATE_EPOCH: the time is the newest commit's.
      const git = (...args: string[]) => spawnSync('git', args, { cwd, env: { ...process.env, GIT_COMMITTER_DATE: '@1600000000 +0000', GIT_AUTHOR_DATE: '@1600000000 +0000' } });
      git('init', '-q');
      git('add', '.');
      git('-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '-qm', 'x');
      const { SOURCE_DATE_EPOCH: _, ...withoutEpoch } = env;
      const started = Date.now();
      const r = await runCli(['verify', '--format', 'json', 'Dockerfile'], { cwd, env: withoutEpoch });
      process.stderr.write(`verify of a 3-step Dockerfile (2 buildah builds, compare): ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout) as Report;
      expect(report.reproducible).toBe(true);
      expect(report.comparison.digests[0]).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(report.comparison.digests[1]).toBe(report.comparison.digests[0]);
      expect(report.sourceDateEpoch).toBe(1600000000);
      // Both builds' stores and layouts are gone.
      expect(leftovers()).toEqual(before);
    }, 180_000);

    it('says a Dockerfile that writes the time and random bytes is not, and names the files: exit 1', async () => {
      const cwd = project('different', `FROM ${base}\nCOPY hello.txt /srv/hello.txt\nRUN date > /built-at && head -c 16 /dev/urandom > /r\n`);
      const json = await runCli(['verify', '-f', 'json'], { cwd, env });
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout) as Report;
      expect(report.reproducible).toBe(false);
      expect(report.comparison.digests[0]).not.toBe(report.comparison.digests[1]);
      // Only the RUN layer differs (the base and the COPY are the same bytes), and in it exactly these files.
      expect(report.comparison.layers.map((l) => l.index)).toEqual([3]);
      const [layer] = report.comparison.layers;
      expect(layer.createdBy).toContain('date > /built-at');
      expect(layer.files.map((f) => [f.path, f.differences.map((d) => d.aspect)])).toEqual([
        ['/built-at', ['content']],
        ['/r', ['content']],
      ]);

      // The text report of the same comparison (one more verify would take two more builds).
      const text = textReport(JSON.parse(json.stdout) as VerifyResult);
      expect(text).toMatch(/NOT reproducible/);
      expect(text).toMatch(/^ {2}layer 3: RUN date > \/built-at && head -c 16 \/dev\/urandom > \/r$/m);
      expect(text).toMatch(/^ {4}\/built-at: content ".+\\n" vs ".+\\n"$/m);
    }, 240_000);

    it('exits 2 with the builder error when the build fails', async () => {
      const cwd = project('failing', `FROM ${base}\nRUN echo about to fail && false\n`);
      const before = leftovers();
      const r = await runCli(['verify'], { cwd, env, stderrTty: true });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(leftovers()).toEqual(before);
      // On a terminal: the step being built, then the outcome, on one rewritten line.
      expect(r.stderr).toContain('\r\x1b[Kdockrepro verify: build 1 of 2 (buildah): STEP 2/2: RUN echo about to fail && false');
      expect(r.stderr).toContain('\r\x1b[Kdockrepro verify: build 1 of 2 (buildah): failed\n');
      expect(r.stderr).toMatch(/build 1 of 2 failed: buildah failed to build \(exit status 1\)/);
      expect(r.stderr).toContain('| about to fail');
      expect(r.stderr).toMatch(/\| Error: building at STEP "RUN echo about to fail && false"/);
    }, 120_000);
  });
});

describe('dockrepro verify without a build', () => {
  it('says how to get a builder when buildah is not on the PATH: exit 2', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'dockrepro-verify-test-'));
    try {
      writeFileSync(join(cwd, 'Dockerfile'), 'FROM scratch\n');
      const r = await runCli(['verify'], { cwd, env: { PATH: cwd } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/needs buildah on the PATH \(Debian\/Ubuntu: apt-get install buildah/);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it.each([
    [['verify', 'a', 'b'], /takes one Dockerfile, got 2/],
    [['verify', '--format', 'sarif'], /--format must be text or json, got 'sarif'/],
    [['verify', '--builder', 'docker'], /--builder docker is not supported yet .*; use buildah/],
    [['verify', '--builder', 'kaniko'], /--builder must be one of buildah, got 'kaniko'/],
    [['verify', '--build-arg', 'no-equals'], /--build-arg must be NAME=value, got 'no-equals'/],
    [['verify', '--source-date-epoch', 'yesterday'], /--source-date-epoch must be whole seconds since 1970, got 'yesterday'/],
    [['verify', '--platform', 'amd64'], /--platform must be os\/arch/],
    [['verify', 'missing/Dockerfile'], /no Dockerfile at 'missing\/Dockerfile'/],
  ])('refuses %j with exit 2', async (args, message) => {
    const r = await runCli(args, { cwd: __dirname, env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('has its own --help, and the main help names it', async () => {
    const own = await runCli(['verify', '--help']);
    expect(own.code).toBe(0);
    expect(own.stdout).toMatch(/^Usage:\n {2}dockrepro verify \[options\] \[Dockerfile\]/);
    expect(own.stdout).toContain('--source-date-epoch');
    const main = await runCli(['--help']);
    expect(main.stdout).toMatch(/dockrepro verify \[options\] \[file\]/);
  });
});
