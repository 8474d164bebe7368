/**
 * `dockrepro verify --vary` end to end: real buildah builds under real variations (libfaketime, a UTS
 * namespace, /etc/localtime, --env, disorderfs) of tiny Dockerfiles on a base image served by the test
 * registry: Debian's static busybox, plus this machine's dynamically linked `date` and the glibc it needs
 * (libfaketime reaches dynamically linked programs only). Without buildah, busybox-static, faketime,
 * disorderfs or root the suite is skipped loudly (and fails under CI=true); scripts/ensure-test-tools.sh
 * installs them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { textReport, type VerifyResult } from '../../src/verify/report';
import { availability } from '../../src/verify/variations';
import { runCli } from '../helpers/cli';
import { pushFixtureImage, type FixtureEntry } from '../helpers/imageFixtures';
import { describeWithRegistries } from '../helpers/registryFixtures';
import { inCI } from '../helpers/ci';

const BUSYBOX = '/bin/busybox';
const DATE = '/usr/bin/date';

function missingTools(): string | undefined {
  if (spawnSync('buildah', ['--version'], { stdio: 'ignore' }).status !== 0) return 'buildah is not installed';
  const staticBusybox = spawnSync('dpkg-query', ['-W', '-f', '${Status}', 'busybox-static'], { encoding: 'utf8' });
  if (!/install ok installed/.test(staticBusybox.stdout ?? '')) return 'busybox-static is not installed';
  const cannot = availability(process.env).filter((a) => a.missing);
  if (cannot.length > 0) return cannot.map((a) => `${a.name}: ${a.missing}`).join('; ');
  return undefined;
}

const missing = missingTools();
if (missing && inCI()) throw new Error(`verify --vary tests cannot run under CI: ${missing} (scripts/ensure-test-tools.sh)`);
if (missing) process.stderr.write(`\nSKIPPED: dockrepro verify --vary end to end: ${missing} (run scripts/ensure-test-tools.sh as root)\n`);
const describeIfTools = missing ? describe.skip : describe;

const APPLETS = ['sh', 'mkdir', 'hostname', 'find', 'sort', 'echo'];

/** This machine's `date` and the shared libraries it (and libfaketime) loads, at the paths ldd names. */
function dynamicDate(): FixtureEntry[] {
  const ldd = spawnSync('ldd', [DATE], { encoding: 'utf8' }).stdout;
  const libs = [...ldd.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]);
  // libfaketime needs libm besides libc; it sits beside libc.
  const libc = libs.find((l) => /\/libc\.so\.6$/.test(l));
  if (libc) libs.push(libc.replace(/libc\.so\.6$/, 'libm.so.6'));
  return [DATE, ...new Set(libs)].map((p) => ({ path: p.slice(1), type: 'File' as const, content: readFileSync(realpathSync(p)), mode: 0o755 }));
}

interface Report {
  reproducible: boolean;
  seconds: number[];
  comparison: { digests: [string, string]; layers: { files: { path: string }[] }[] };
  vary: {
    variations: { name: string; applied: boolean }[];
    unvaried?: { paths: string[]; config: string[] };
    byVariation?: { variation: string; reproducible: boolean; differing: { paths: string[]; config: string[] } }[];
  };
}

describeWithRegistries('dockrepro verify --vary (buildah)', (regs) => {
  describeIfTools('builds under changed conditions and names the variation that changes the image', () => {
    let dir: string;
    let base: string;
    let env: NodeJS.ProcessEnv;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'dockrepro-verify-test-'));
      const image = await pushFixtureImage(regs.open, 'verify/busybox-date', {
        config: { history: ['busybox, and a dynamically linked date'] },
        layers: [
          {
            dirs: ['/bin', '/tmp', '/usr/bin'],
            entries: [
              { path: 'bin/busybox', type: 'File', content: readFileSync(BUSYBOX), mode: 0o755 },
              ...APPLETS.map((a) => ({ path: `bin/${a}`, type: 'SymbolicLink' as const, linkpath: 'busybox' })),
              ...dynamicDate(),
            ],
          },
        ],
      });
      base = image.ref;
      const conf = join(dir, 'registries.conf');
      writeFileSync(conf, `[[registry]]\nlocation = "${regs.open.host}"\ninsecure = true\n`);
      env = { ...process.env, CONTAINERS_REGISTRIES_CONF: conf, SOURCE_DATE_EPOCH: '1700000000' };
    }, 60_000);

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    function project(name: string, dockerfile: string): string {
      const p = join(dir, name);
      mkdirSync(join(p, 'src'), { recursive: true });
      writeFileSync(join(p, 'Dockerfile'), dockerfile);
      for (let i = 1; i <= 12; i++) writeFileSync(join(p, 'src', `f${i}`), `${i}\n`);
      return p;
    }

    it('names the clock for the day written, the hostname for the hostname, directory order for find: exit 1', async () => {
      // One Dockerfile, so one run of 8 builds covers three variations and shows each blamed for its own file
      // only. `date -u +%F`: the day, in UTC, so only the moved clock changes it (the time zone does not, and
      // two builds seconds apart give the same day, except across midnight).
      const cwd = project(
        'depends',
        `FROM ${base}\nCOPY src /src\nRUN mkdir /out && /usr/bin/date -u +%F > /out/day && hostname > /out/host && find /src > /out/order\n`,
      );
      const started = Date.now();
      const r = await runCli(['verify', '--vary', '-f', 'json'], { cwd, env });
      process.stderr.write(`verify --vary of a Dockerfile that depends on three variations (${JSON.parse(r.stdout || '{"seconds":[]}').seconds.length} builds): ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout) as Report;
      expect(report.reproducible).toBe(false);
      expect(report.vary.variations.every((v) => v.applied)).toBe(true);
      // Unvaried, all varied, unvaried again, then each of the five alone.
      expect(report.seconds).toHaveLength(8);
      const blamed = Object.fromEntries((report.vary.byVariation ?? []).map((o) => [o.variation, o.differing.paths]));
      const acrossMidnight = (report.vary.unvaried?.paths ?? []).includes('/out/day');
      expect(blamed).toEqual({
        clock: acrossMidnight ? [] : ['/out/day'],
        hostname: ['/out/host'],
        timezone: [],
        locale: [],
        'directory-order': ['/out/order'],
      });
      expect(report.vary.unvaried?.paths.filter((p) => p !== '/out/day')).toEqual([]);

      const text = textReport(JSON.parse(r.stdout) as VerifyResult);
      expect(text).toMatch(/NOT reproducible under clock, hostname, timezone, locale, directory-order: the unvaried build gave sha256:/);
      expect(text).toMatch(/^ {4}\/out\/host: content "dockrepro\\n" vs "dockrepro-varied-host\\n"/m);
      expect(text).toMatch(/^ {4}hostname: \/out\/host$/m);
      expect(text).toMatch(/^ {4}directory-order: \/out\/order$/m);
      expect(text).toMatch(/^ {4}locale: the same$/m);
      if (!acrossMidnight) expect(text).toMatch(/^ {4}clock: \/out\/day$/m);
    }, 400_000);

    it('says a Dockerfile that depends on none of them is reproducible under all: exit 0 after 2 builds', async () => {
      const cwd = project(
        'independent',
        `FROM ${base}\nARG SOURCE_DATE_EPOCH\nCOPY src /src\nRUN mkdir /out && /usr/bin/date -u -d "@$SOURCE_DATE_EPOCH" +%F > /out/day && find /src | sort > /out/sorted\n`,
      );
      const started = Date.now();
      const r = await runCli(['verify', '--vary', '-f', 'json'], { cwd, env });
      process.stderr.write(`verify --vary of a reproducible Dockerfile: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout) as Report;
      expect(report.reproducible).toBe(true);
      expect(report.seconds).toHaveLength(2);
      expect(report.vary.byVariation).toBeUndefined();
      // The locale variation's LANG/LC_ALL reach the config, so the digests differ; nothing else does.
      expect(report.comparison.layers).toEqual([]);
      expect(textReport(JSON.parse(r.stdout) as VerifyResult)).toMatch(/reproducible under clock, hostname, timezone, locale, directory-order: both builds gave the same files and config/);
    }, 120_000);
  });
});

describe('dockrepro verify --vary without a build', () => {
  it('refuses an unknown variation: exit 2', async () => {
    const r = await runCli(['verify', '--variations', 'clock,umask'], { cwd: __dirname, env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--variations takes clock, hostname, timezone, locale, directory-order, got 'umask'/);
  });

  it('says in --help what each variation does and what it costs', async () => {
    const r = await runCli(['verify', '--help']);
    for (const name of ['clock', 'hostname', 'timezone', 'locale', 'directory-order']) expect(r.stdout).toMatch(new RegExp(`^ {2}${name} +\\S`, 'm'));
    expect(r.stdout).toMatch(/Cost: 2 builds when the image stays the same/);
  });
});
