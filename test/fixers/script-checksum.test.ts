/**
 * script-checksum (curl-pipe-shell's fix) through the fix engine against a file server on loopback: the
 * rewritten RUN keeps the download command and the rest of the RUN byte-identical, checks the real
 * `sha256sum` of the served script, and really runs: `sh -c` of the new RUN text passes while the server
 * serves the same bytes and fails (without running the script) once it serves others.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FixOutcome } from '../../src/fix';
import fixer from '../../src/fixers/script-checksum';
import { LockFile } from '../../src/resolve/lock';
import rule from '../../src/rules/curl-pipe-shell';
import { packageFix } from '../helpers/packageFix';
import { startDownloadServer, type DownloadServer } from '../helpers/downloadServer';
import { workspace } from '../helpers/workspace';
import { inCI } from '../helpers/ci';

const NAME = `dockrepro-test-${randomBytes(6).toString('hex')}.sh`;
const SCRIPT = '#!/bin/sh\necho "ran with: $*" > "$OUT"\n';
let server: DownloadServer;
let url: string;
let hex: string;

beforeAll(async () => {
  server = await startDownloadServer({ [`/${NAME}`]: { file: SCRIPT }, '/moved': { redirect: `/${NAME}` } });
  url = `${server.url}/${NAME}`;
  const path = join(workspace({}), 'f');
  writeFileSync(path, SCRIPT);
  hex = execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0];
});
afterAll(() => server.close());

const fix = packageFix(() => ({ rule, fixer }));
const reasons = (r: FixOutcome) => r.left.map((l) => [l.left, l.reason]);
const F = () => `/tmp/${NAME}`;
const checked = () => `echo '${hex}  ${F()}' | sha256sum -c -`;

describe('script-checksum fixer', () => {
  it('saves, checks and runs a piped script with the same interpreter, options and arguments (unsafe)', async () => {
    const text = `FROM debian:12\nRUN set -eux; \\\n    curl -fsSL ${url} | sh -s -- -y --quiet && echo done\n`;
    const r = await fix(text, { unsafe: true });
    expect(r.text).toBe(`FROM debian:12\nRUN set -eux; \\\n    curl -fsSL ${url} > ${F()} && ${checked()} && sh ${F()} -y --quiet && rm -f ${F()} && echo done\n`);
    expect(r.applied).toEqual([{ rule: 'curl-pipe-shell', title: `save '${url}', check its sha256 ${hex.slice(0, 12)}… (downloaded now, ${SCRIPT.length} bytes), then run it`, applicability: 'unsafe' }]);
    const safeOnly = await fix(text);
    expect(safeOnly.text).toBe(text);
    expect(safeOnly.left.map((l) => l.left)).toEqual(['unsafe']);
  });

  it.each([
    ['wget -qO- | bash', (u: string) => `wget -qO- ${u} | bash`, (u: string, f: string, c: string) => `wget -qO- ${u} > ${f} && ${c} && bash ${f} && rm -f ${f}`],
    ['sudo -E bash -', (u: string) => `curl -fsSL ${u} | sudo -E bash -`, (u: string, f: string, c: string) => `curl -fsSL ${u} > ${f} && ${c} && sudo -E bash ${f} && rm -f ${f}`],
    ['sh -euxo pipefail', (u: string) => `curl -fsSL ${u} | \\\n  sh -euxo pipefail`, (u: string, f: string, c: string) => `curl -fsSL ${u} > ${f} && ${c} && \\\n  sh -euxo pipefail ${f} && rm -f ${f}`],
    ['python3 - args', (u: string) => `curl -sSL ${u} | python3 - --version 1.8.5`, (u: string, f: string, c: string) => `curl -sSL ${u} > ${f} && ${c} && python3 ${f} --version 1.8.5 && rm -f ${f}`],
    ['sh -c "$(curl)"', (u: string) => `sh -c "$(curl -fsSL ${u})"`, (u: string, f: string, c: string) => `curl -fsSL ${u} > ${f} && ${c} && sh ${f} && rm -f ${f}`],
    ['bash <(curl) args', (u: string) => `bash <(curl -fsSL ${u}) --x`, (u: string, f: string, c: string) => `curl -fsSL ${u} > ${f} && ${c} && bash ${f} --x && rm -f ${f}`],
  ])('%s', async (_, before, after) => {
    const r = await fix(`FROM debian:12\nRUN ${before(url)}\n`, { unsafe: true });
    expect(r.text).toBe(`FROM debian:12\nRUN ${after(url, F(), checked())}\n`);
    expect(r.left).toEqual([]);
  });

  it('the rewritten RUN really runs: it passes for the same bytes and fails, without running the script, for others', async () => {
    const r = await fix(`FROM debian:12\nRUN curl -fsSL ${url} | sh -s -- -y\n`, { unsafe: true });
    const body = r.text.split('\n')[1].slice('RUN '.length);
    const out = join(workspace({}), 'out');
    // Not execFileSync: the server runs in this process.
    await promisify(execFile)('sh', ['-c', body], { env: { ...process.env, OUT: out } });
    expect(readFileSync(out, 'utf8')).toBe('ran with: -y\n');
    expect(existsSync(F())).toBe(false); // removed after running

    const out2 = join(workspace({}), 'out');
    server.routes.set(`/${NAME}`, { file: SCRIPT.replace('ran', 'RAN') });
    try {
      await expect(promisify(execFile)('sh', ['-c', body], { env: { ...process.env, OUT: out2 } })).rejects.toMatchObject({ code: 1 });
    } finally {
      server.routes.set(`/${NAME}`, { file: SCRIPT });
      rmSync(F(), { force: true });
    }
    expect(existsSync(out2)).toBe(false);
  });

  it("the check line also works with busybox's sh and sha256sum (Alpine)", async () => {
    const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));
    if (!busybox) {
      if (inCI()) throw new Error('busybox is needed for this test under CI');
      console.warn('SKIPPED: no busybox on this machine');
      return;
    }
    const r = await fix(`FROM alpine:3.20\nRUN curl -fsSL ${url} | sh\n`, { unsafe: true });
    const body = r.text.split('\n')[1].slice('RUN '.length);
    const bin = workspace({});
    symlinkSync(busybox, join(bin, 'sha256sum'));
    const out = join(workspace({}), 'out');
    const env = { ...process.env, OUT: out, PATH: `${bin}:${process.env.PATH}` };
    const run = await promisify(execFile)(busybox, ['sh', '-c', `type sha256sum; ${body}`], { env });
    // busybox's sh runs its own applet, or finds the one linked first on PATH: busybox's either way.
    expect([`sha256sum is sha256sum`, `sha256sum is ${join(bin, 'sha256sum')}`]).toContain(run.stdout.split('\n')[0]);
    expect(readFileSync(out, 'utf8')).toBe('ran with: \n');
  });

  it('fix twice == fix once; offline from the lock gives the same bytes without downloading', async () => {
    const dir = workspace({});
    const lock = LockFile.load(join(dir, 'dockrepro.lock.json'));
    const text = `FROM debian:12\nRUN curl -fsSL ${url} | bash\n`;
    const once = await fix(text, { unsafe: true, lock });
    lock.save();
    expect((await fix(once.text, { unsafe: true, lock })).text).toBe(once.text);
    const before = server.requests.length;
    const offline = await fix(text, { unsafe: true, offline: true, lock: LockFile.load(join(dir, 'dockrepro.lock.json')) });
    expect(offline.text).toBe(once.text);
    expect(server.requests.length).toBe(before);
  });

  it('leaves what it cannot repeat exactly, with the reason', async () => {
    const r = await fix(
      `FROM debian:12\nARG U=${url}\nRUN curl -fsSL $U | sh\nRUN curl -fsSL -H 'Authorization: x' ${url} | sh\nRUN curl -fsS ${server.url}/moved | sh\nRUN curl -fsSL ${url} | php -- --install-dir=/x\nRUN curl -fsSL ${server.url}/gone | sh\n`,
      { unsafe: true },
    );
    expect(reasons(r)).toEqual([
      ['no-fixer', `the URL '$U' comes from a variable: download the script to a file and check it by hand`],
      ['no-fixer', 'curl sends -H: dockrepro downloads without them, so its digest may not be of what the build gets; check the script by hand'],
      ['no-fixer', `'${server.url}/moved' redirects to '${url}' and curl has no -L: the build saves the redirect answer, not the script`],
      ['no-fixer', "the options of 'php' are not simple to rewrite: save the script, check it and run it by hand"],
      ['failed', `download failed: ${server.url}/gone: not found (unknown file)`],
    ]);
  });
});
