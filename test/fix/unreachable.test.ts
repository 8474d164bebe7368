/**
 * `fix` when registries cannot be reached: real loopback sockets (a server that accepts and never answers, a
 * closed port) and a name that does not resolve. Each unreachable host costs one short timeout, is named
 * once with advice, and the findings it blocks are reported once per lookup.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli';
import { connectTimeoutFrom } from '../../src/resolve/resolvers';
import { CONNECT_TIMEOUT_MS } from '../../src/resolve/http';

let silent: Server;
let silentPort: number;
let closedPort: number;
const sockets: Socket[] = [];
let connections = 0;
let dir: string;

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

beforeAll(async () => {
  // Accepts the connection, reads the request, never answers.
  silent = createServer((s) => {
    sockets.push(s);
    connections++;
    s.on('error', () => undefined);
  });
  silentPort = await listen(silent);
  const closed = createServer();
  closedPort = await listen(closed);
  await new Promise((r) => closed.close(r));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dockrepro-unreachable-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** `count` Dockerfiles in their own folders, each with the same images (a lookup shared by many findings). */
function tree(count: number, images: string[]): void {
  for (let i = 0; i < count; i++) {
    const sub = join(dir, `svc${i}`);
    mkdirSync(sub);
    writeFileSync(join(sub, 'Dockerfile'), images.map((img, k) => `FROM ${img} AS s${k}\n`).join(''));
  }
}

const leftLines = (out: string) => out.split('\n').filter((l) => / left \([a-z -]+\): /.test(l));

it('each unreachable host costs one short timeout, is named once with advice, and each failed lookup is one line', async () => {
  const silentHost = `127.0.0.1:${silentPort}`;
  const closedHost = `127.0.0.1:${closedPort}`;
  tree(3, [`${silentHost}/app:1.0`, `${closedHost}/app:1.0`, 'nonexistent.invalid/app:1.0']);
  connections = 0;
  const t0 = Date.now();
  const r = await runCli(['fix', '--dry-run', '.'], { cwd: dir, env: { HOME: dir, DOCKREPRO_CONNECT_TIMEOUT: '2' } });
  const elapsed = Date.now() - t0;
  // Before: 15 s per attempt, 4 attempts, for the silent registry alone (72 s measured). Now one 2 s wait,
  // with room for a loaded machine.
  expect(elapsed).toBeLessThan(12_000);
  expect(r.code).toBe(1);
  // The silent registry was not asked again after it failed to answer: no retries, no later lookups.
  expect(connections).toBeLessThanOrEqual(2);
  const hostLines = r.stderr.split('\n').filter((l) => / unreachable \(/.test(l) && !l.includes(' left ('));
  // Sorted by host name, as the summary writes them (the two loopback ports are random: either may come first).
  expect(hostLines).toEqual([
    `${closedHost} unreachable (ECONNREFUSED): use --offline to fix only what the lock file knows, or set a mirror (registries: in .dockrepro.yaml)`,
    `${silentHost} unreachable (no answer within 2 s): use --offline to fix only what the lock file knows, or set a mirror (registries: in .dockrepro.yaml); if it is only slow, DOCKREPRO_CONNECT_TIMEOUT=<seconds> gives it longer`,
    'nonexistent.invalid unreachable (ENOTFOUND): use --offline to fix only what the lock file knows, or set a mirror (registries: in .dockrepro.yaml)',
  ].sort((a, b) => a.split(' ')[0].localeCompare(b.split(' ')[0])));
  // One line per failed lookup (18 findings: 2 rules × 3 images × 3 files), at its first finding.
  const left = leftLines(r.stderr);
  expect(left).toHaveLength(3);
  expect(left[0]).toMatch(new RegExp(`^svc0/Dockerfile:1:6: image-digest, image-tag left \\(failed\\): .*//${silentHost}/.*no answer within 2 s; also 4 more findings in 2 more files$`));
  expect(left[1]).toMatch(new RegExp(`^svc0/Dockerfile:2:6: image-digest, image-tag left \\(failed\\): .*//${closedHost}/.*ECONNREFUSED.*; also 4 more findings in 2 more files$`));
  expect(left[2]).toMatch(/^svc0\/Dockerfile:3:6: image-digest, image-tag left \(failed\): .*\/\/nonexistent\.invalid\/.*ENOTFOUND.*; also 4 more findings in 2 more files$/);
  expect(r.stderr).toMatch(/3 files scanned, 0 would change, 0 findings fixed, 18 left \(18 failed\)\n$/);
}, 60_000);

it('on a terminal, a long run shows files done, lookups in flight and unreachable hosts; elsewhere nothing', async () => {
  tree(20, [`127.0.0.1:${silentPort}/app:1.0`]);
  const env = { HOME: dir, DOCKREPRO_CONNECT_TIMEOUT: '1.5' };
  const tty = await runCli(['fix', '--dry-run', '.'], { cwd: dir, env, stderrTty: true });
  const frames = tty.stderr.split('\r\x1b[K').filter(Boolean);
  // While the first lookup waits, the line says so; at the end it is erased before the summary.
  expect(frames.some((f) => /^\[0\/20\]  \d+ lookups? in flight/.test(f))).toBe(true);
  expect(frames.some((f) => f.startsWith('[20/20]  1 host unreachable  svc'))).toBe(true);
  expect(tty.stderr).toMatch(/\r\x1b\[K[^\r]*left \(failed\)/);
  const plain = await runCli(['fix', '--dry-run', '.'], { cwd: dir, env });
  expect(plain.stderr).not.toContain('\x1b');
  expect(plain.stderr).not.toContain('\r');
  expect(leftLines(plain.stderr)).toHaveLength(1);
  expect(leftLines(plain.stderr)[0]).toMatch(/; also 38 more findings in 19 more files$/);
}, 60_000);

it('DOCKREPRO_CONNECT_TIMEOUT is in seconds; anything else keeps the default, which is seconds, not a minute', () => {
  expect(connectTimeoutFrom({ DOCKREPRO_CONNECT_TIMEOUT: '2.5' })).toBe(2500);
  for (const v of [undefined, '', '0', '-1', 'soon']) expect(connectTimeoutFrom({ DOCKREPRO_CONNECT_TIMEOUT: v })).toBeUndefined();
  expect(CONNECT_TIMEOUT_MS).toBeGreaterThanOrEqual(5_000);
  expect(CONNECT_TIMEOUT_MS).toBeLessThanOrEqual(10_000);
});
