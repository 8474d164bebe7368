/**
 * src/resolve/download.ts against real HTTP servers on loopback: the digest equals the real `sha256sum` of
 * the served bytes, redirects to another host get no credentials, and each fault (404, a body over the
 * limit, a lying Content-Length, a stalled server) is a clear error, with an oversized body cut off early.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { download, lookupDownload } from '../../src/resolve/download';
import { HttpClient } from '../../src/resolve/http';
import { LockFile } from '../../src/resolve/lock';
import type { PackageContext } from '../../src/resolve/packages';
import { startDownloadServer, type DownloadServer } from '../helpers/downloadServer';
import { workspace } from '../helpers/workspace';
import { Lookups } from '../../src/resolve/shared';

const FILE = randomBytes(200_000);
let a: DownloadServer;
let b: DownloadServer;

beforeAll(async () => {
  b = await startDownloadServer({ '/real.bin': { file: FILE } });
  // `localhost` is another origin than `127.0.0.1` for the client (the Authorization header must not follow).
  const other = b.url.replace('127.0.0.1', 'localhost');
  a = await startDownloadServer({
    '/file.bin': { file: FILE },
    '/moved.bin': { redirect: `${other}/real.bin` },
    '/missing-target': { redirect: '/nowhere' },
    '/endless': { endless: true },
    '/endless-declared': { endless: true, declared: 1 << 30 },
    '/short': { body: 'only ten b', declared: 1000 },
    '/stall': { stallAfter: 'first bytes' },
    '/long': { body: 'twenty bytes of body', declared: 5 },
  });
});
afterAll(async () => {
  await a.close();
  await b.close();
});

/** `sha256sum` of the bytes, as the real tool computes it. */
function sha256sum(bytes: Buffer): string {
  const path = join(workspace({}), 'f');
  writeFileSync(path, bytes);
  return `sha256:${execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0]}`;
}

const http = () => new HttpClient({ retries: 0, timeoutMs: 2000 });

describe('download', () => {
  it('hashes the served bytes as sha256sum does, asking for them unencoded', async () => {
    const got = await download(http(), `${a.url}/file.bin`);
    expect(got).toEqual({ digest: sha256sum(FILE), size: FILE.length, finalUrl: `${a.url}/file.bin` });
    expect(a.requests.at(-1)!.headers['accept-encoding']).toBe('identity');
  });

  it('follows a redirect to another host without sending it the credentials given for the first', async () => {
    const got = await download(http(), `${a.url}/moved.bin`, { Authorization: 'Bearer secret-for-a' });
    expect(got.digest).toBe(sha256sum(FILE));
    expect(got.finalUrl).toBe(`${b.url.replace('127.0.0.1', 'localhost')}/real.bin`);
    expect(a.requests.at(-1)!.headers.authorization).toBe('Bearer secret-for-a');
    expect(b.requests.at(-1)!.path).toBe('/real.bin');
    expect(b.requests.at(-1)!.headers.authorization).toBeUndefined();
  });

  it('a 404, also after a redirect, names the URL', async () => {
    await expect(download(http(), `${a.url}/nope`)).rejects.toThrow(`${a.url}/nope: not found (unknown file)`);
    await expect(download(http(), `${a.url}/missing-target`)).rejects.toThrow('not found');
  });

  it('stops reading a body that passes the limit, long before the server is done', async () => {
    await expect(download(http(), `${a.url}/endless`, {}, { maxBytes: 1_000_000 })).rejects.toThrow(`${a.url}/endless: the file is larger than the limit of 1000000 bytes`);
    // Socket buffers hold a few hundred KiB on each side: far less than an endless body.
    await new Promise((r) => setTimeout(r, 100));
    expect(a.written.get('/endless')!).toBeLessThan(16_000_000);
  });

  it('refuses an announced length over the limit without reading the body', async () => {
    await expect(download(http(), `${a.url}/endless-declared`, {}, { maxBytes: 1_000_000 })).rejects.toThrow('the file is 1073741824 bytes, more than the limit of 1000000');
    await new Promise((r) => setTimeout(r, 100));
    expect(a.written.get('/endless-declared')!).toBeLessThan(16_000_000);
  });

  it('a body shorter than its Content-Length is an error, not a digest of part of the file', async () => {
    await expect(download(http(), `${a.url}/short`)).rejects.toThrow(/the download broke off after 10 of 1000 bytes/);
  });

  it('a body longer than its Content-Length ends where announced, for curl as for dockrepro', async () => {
    const got = await download(http(), `${a.url}/long`);
    const path = join(workspace({}), 'by-curl');
    // Not execFileSync: the server runs in this process.
    await promisify(execFile)('curl', ['-s', '-o', path, `${a.url}/long`]);
    expect(got).toMatchObject({ digest: `sha256:${execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0]}`, size: 5 });
  });

  it('a server that stops sending times out with how far it got', async () => {
    const t0 = Date.now();
    await expect(download(http(), `${a.url}/stall`, {}, { idleMs: 300 })).rejects.toThrow(`${a.url}/stall: the server sent nothing for 300 ms (after 11 bytes)`);
    expect(Date.now() - t0).toBeLessThan(1500);
  });
});

describe('lookupDownload', () => {
  const context = (lock: LockFile, offline = false): PackageContext & { http: HttpClient } => ({
    http: http(),
    lock,
    offline,
    archives: {},
    refresh: false,
    lookups: new Lookups(),
    env: {},
    dir: '/',
    now: () => new Date('2026-11-25T12:00:00Z'),
  });

  it('downloads once per run, records the digest in the lock, and answers from it offline', async () => {
    const path = join(workspace({}), 'dockrepro.lock.json');
    const lock = LockFile.load(path);
    const ctx = context(lock);
    const before = a.requests.length;
    const [x, y] = await Promise.all([lookupDownload(ctx, { url: `${a.url}/file.bin` }), lookupDownload(ctx, { url: `${a.url}/file.bin` })]);
    expect(x.digest).toBe(sha256sum(FILE));
    expect(y).toEqual(x);
    expect(a.requests.length - before).toBe(1);
    lock.save();
    const again = LockFile.load(path);
    expect(again.getDownload(`${a.url}/file.bin`)).toEqual({ digest: x.digest, size: FILE.length, resolvedAt: '2026-11-25T12:00:00.000Z' });
    const offline = await lookupDownload(context(again, true), { url: `${a.url}/file.bin` });
    expect(offline).toMatchObject({ digest: x.digest, fromLock: true });
    expect(a.requests.length - before).toBe(1);
    await expect(lookupDownload(context(again, true), { url: `${a.url}/other` })).rejects.toMatchObject({ left: 'needs-network' });
  });

  it('a failed download is a NotFixed with the reason, and nothing is recorded', async () => {
    const lock = LockFile.load(join(workspace({}), 'dockrepro.lock.json'));
    await expect(lookupDownload(context(lock), { url: `${a.url}/nope` })).rejects.toMatchObject({ left: 'failed', message: `download failed: ${a.url}/nope: not found (unknown file)` });
    expect(lock.dirty).toBe(false);
  });

  it('refuses a lock whose download entry is malformed', () => {
    const text = JSON.stringify({ version: 1, images: {}, downloads: { 'https://x/y': { digest: 'sha256:ABC', size: 1, resolvedAt: 'x' } } });
    expect(() => LockFile.fromText(text, 'l.json')).toThrow('downloads["https://x/y"]');
  });
});
