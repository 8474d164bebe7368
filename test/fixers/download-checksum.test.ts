/**
 * download-checksum (unverified-download's fix) through the fix engine against a file server on loopback:
 * the check inserted after the download holds the real `sha256sum` of the served file, the rest of the RUN
 * is byte-identical, and the new RUN really runs: it passes for today's bytes and stops before the tar when
 * the server serves others.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FixOutcome } from '../../src/fix';
import fixer from '../../src/fixers/download-checksum';
import { LockFile } from '../../src/resolve/lock';
import rule from '../../src/rules/unverified-download';
import { packageFix } from '../helpers/packageFix';
import { startDownloadServer, type DownloadServer } from '../helpers/downloadServer';
import { workspace } from '../helpers/workspace';

let server: DownloadServer;
let tgz: Buffer;
let hex: string;

beforeAll(async () => {
  const src = workspace({ 'pkg/hello.txt': 'hello\n' });
  execFileSync('tar', ['-czf', join(src, 't.tgz'), '-C', join(src, 'pkg'), 'hello.txt']);
  tgz = readFileSync(join(src, 't.tgz'));
  hex = execFileSync('sha256sum', [join(src, 't.tgz')], { encoding: 'utf8' }).split(' ')[0];
  server = await startDownloadServer({ '/t.tgz': { file: tgz } });
});
afterAll(() => server.close());

const fix = packageFix(() => ({ rule, fixer }));
const reasons = (r: FixOutcome) => r.left.map((l) => [l.left, l.reason]);

describe('download-checksum fixer', () => {
  it('inserts the sha256sum check of the served file right after the download (safe); fix twice == once; offline == same', async () => {
    const dir = workspace({});
    const lock = LockFile.load(join(dir, 'dockrepro.lock.json'));
    const text = `FROM debian:12\nRUN curl -fsSLo /tmp/t.tgz ${server.url}/t.tgz \\\n && tar -xzf /tmp/t.tgz -C /opt\n`;
    const r = await fix(text, { lock });
    expect(r.text).toBe(`FROM debian:12\nRUN curl -fsSLo /tmp/t.tgz ${server.url}/t.tgz && echo '${hex}  /tmp/t.tgz' | sha256sum -c - \\\n && tar -xzf /tmp/t.tgz -C /opt\n`);
    expect(r.applied).toEqual([{ rule: 'unverified-download', title: `check '/tmp/t.tgz' against sha256 ${hex.slice(0, 12)}… of '${server.url}/t.tgz' (downloaded now, ${tgz.length} bytes)`, applicability: 'safe' }]);
    lock.save();
    expect((await fix(r.text, { lock })).text).toBe(r.text);
    const before = server.requests.length;
    expect((await fix(text, { offline: true, lock: LockFile.load(join(dir, 'dockrepro.lock.json')) })).text).toBe(r.text);
    expect(server.requests.length).toBe(before);
  });

  it('the new RUN really runs: it unpacks today\'s file and stops before tar when the server serves another', async () => {
    const work = workspace({});
    const r = await fix(`FROM debian:12\nRUN curl -fsSLo ${work}/t.tgz ${server.url}/t.tgz && mkdir -p ${work}/out && tar -xzf ${work}/t.tgz -C ${work}/out\n`);
    const body = r.text.split('\n')[1].slice('RUN '.length);
    await promisify(execFile)('sh', ['-c', body]);
    expect(readFileSync(join(work, 'out/hello.txt'), 'utf8')).toBe('hello\n');

    const work2 = workspace({});
    const body2 = body.split(work).join(work2);
    server.routes.set('/t.tgz', { file: Buffer.concat([tgz, Buffer.from('x')]) });
    try {
      await expect(promisify(execFile)('sh', ['-c', body2])).rejects.toMatchObject({ code: 1 });
    } finally {
      server.routes.set('/t.tgz', { file: tgz });
    }
    expect(existsSync(join(work2, 'out'))).toBe(false);
  });

  it('leaves a download not followed by &&, and failed downloads, with the reason', async () => {
    const r = await fix(`FROM debian:12\nRUN curl -fsSLo /tmp/t.tgz ${server.url}/t.tgz; tar -xzf /tmp/t.tgz\nRUN curl -fsSLo /tmp/u.tgz ${server.url}/gone.tgz && tar -xzf /tmp/u.tgz\n`);
    expect(reasons(r)).toEqual([
      ['no-fixer', `the download is not followed by '&&': a failed check would not stop the RUN; add '&& echo '<sha256>  /tmp/t.tgz' | sha256sum -c -' by hand`],
      ['failed', `download failed: ${server.url}/gone.tgz: not found (unknown file)`],
    ]);
  });
});
