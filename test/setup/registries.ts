/**
 * Jest globalSetup: starts two real registries (Debian's docker-registry, CNCF distribution) on 127.0.0.1,
 * one open and one behind htpasswd Basic auth, each with its own storage. Tests find them through the JSON
 * file named by $DOCKREPRO_TEST_REGISTRIES (see test/helpers/registryFixtures.ts). Without the binary the
 * file records why, and registry tests skip loudly; under CI=true a missing binary fails the run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RegistryInstance {
  url: string;
  /** host:port, as an image reference names it. */
  host: string;
  pid: number;
  dir: string;
  credentials?: { username: string; password: string };
}

export interface RegistriesState {
  skipped?: string;
  open?: RegistryInstance;
  auth?: RegistryInstance;
  /** Temp folder holding everything, removed by the teardown. */
  root?: string;
}

export const STATE_ENV = 'DOCKREPRO_TEST_REGISTRIES';

function onPath(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function config(storage: string, addr: string, htpasswd?: string): string {
  const auth = htpasswd ? `auth:\n  htpasswd:\n    realm: dockrepro-test\n    path: ${htpasswd}\n` : '';
  return (
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n` +
    `storage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\n` +
    `http:\n  addr: ${addr}\n${auth}`
  );
}

async function waitReady(url: string, expected: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${log()}`);
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      if (res.status === expected) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`docker-registry at ${url} did not answer GET /v2/ with ${expected} within 10 s: ${log()}`);
}

async function start(root: string, name: string, htpasswd?: string): Promise<{ instance: RegistryInstance; child: ChildProcess }> {
  // Listening on port 0 first gives a port that is free now; another process could take it before the
  // registry binds, which then shows up as an exit with "address already in use" and a retry.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const dir = join(root, name);
    const cfg = join(root, `${name}-${port}.yml`);
    writeFileSync(cfg, config(join(dir, 'storage'), host, htpasswd));
    const child = spawn('docker-registry', ['serve', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 10_000) stderr += d.toString();
    });
    child.unref();
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    const url = `http://${host}`;
    try {
      await waitReady(url, htpasswd ? 401 : 200, child, () => stderr);
      return { instance: { url, host, pid: child.pid!, dir }, child };
    } catch (e) {
      child.kill('SIGKILL');
      if (attempt >= 2) throw e;
    }
  }
}

export default async function globalSetup(): Promise<void> {
  const stateFile = join(tmpdir(), `dockrepro-registries-${process.pid}.json`);
  process.env[STATE_ENV] = stateFile;
  const missing = ['docker-registry', 'htpasswd'].filter((b) => !onPath(b));
  if (missing.length > 0) {
    const why = `${missing.join(' and ')} not installed (run scripts/ensure-test-tools.sh as root)`;
    if (process.env.CI === 'true') throw new Error(`registry tests cannot run under CI: ${why}`);
    process.stderr.write(`\n\nSKIPPED: registry tests: ${why}\n\n`);
    writeFileSync(stateFile, JSON.stringify({ skipped: why } satisfies RegistriesState));
    return;
  }
  const root = mkdtempSync(join(tmpdir(), 'dockrepro-registries-'));
  const credentials = { username: 'user', password: 'pass' };
  const htpasswd = spawnSync('htpasswd', ['-Bbn', credentials.username, credentials.password], { encoding: 'utf8' });
  if (htpasswd.status !== 0) throw new Error(`htpasswd failed: ${htpasswd.stderr}`);
  const htpasswdFile = join(root, 'htpasswd');
  writeFileSync(htpasswdFile, htpasswd.stdout);
  const [open, auth] = await Promise.all([start(root, 'open'), start(root, 'auth', htpasswdFile)]);
  const state: RegistriesState = { root, open: open.instance, auth: { ...auth.instance, credentials } };
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
  // Kept for the teardown, which runs in this same context; the pids in the file are the fallback.
  (globalThis as { __dockreproRegistries?: ChildProcess[] }).__dockreproRegistries = [open.child, auth.child];
  // If jest dies without running the teardown, do not leave registries behind.
  process.once('exit', () => {
    for (const c of [open.child, auth.child]) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
}
