/**
 * Jest globalSetup: starts three real registries (Debian's docker-registry, CNCF distribution) on 127.0.0.1,
 * one open, one behind htpasswd Basic auth, and one behind token auth with the test token server
 * (test/helpers/tokenServer.ts, running in this process), each with its own storage. Tests find them through
 * the JSON file named by $DOCKREPRO_TEST_REGISTRIES (see test/helpers/registryFixtures.ts). Without the
 * binaries the file records why, and registry tests skip loudly; under CI=true a missing binary fails the run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSigningCert, startTokenServer, type SigningCert, type TokenServer } from '../helpers/tokenServer';
import { inCI } from '../helpers/ci';

export interface RegistryInstance {
  url: string;
  /** host:port, as an image reference names it. */
  host: string;
  pid: number;
  dir: string;
  credentials?: { username: string; password: string };
  /** Set on the token-auth registry: where its tokens come from. `credentials` are the token server's. */
  token?: TokenAuth;
}

export interface TokenAuth {
  /** The token endpoint, as the registry's Bearer challenge names it. */
  realm: string;
  /** The registry's service name: the `service` parameter and the tokens' audience. */
  service: string;
  /** GET answers the JSON list of requests the token server saw (`TokenRequest` in tokenServer.ts). */
  requestsUrl: string;
  /** Repositories under this prefix can be pulled without credentials; everything else needs them. */
  publicPrefix: string;
  /** Accepted as `refresh_token` by the OAuth2 POST flow, like a Docker config `identitytoken`. */
  identityToken: string;
}

export interface RegistriesState {
  skipped?: string;
  open?: RegistryInstance;
  auth?: RegistryInstance;
  /** Behind token auth (ES256 JWTs from the test token server). */
  token?: RegistryInstance;
  /** Open, and only for test/fix/corpus-pins.test.ts: every image the corpus names, under its own repository path. */
  corpus?: RegistryInstance;
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

type AuthConfig =
  | { htpasswd: string }
  | { token: { realm: string; service: string; issuer: string; rootcertbundle: string } };

function config(storage: string, addr: string, authConfig?: AuthConfig): string {
  let auth = '';
  if (authConfig && 'htpasswd' in authConfig) auth = `auth:\n  htpasswd:\n    realm: dockrepro-test\n    path: ${authConfig.htpasswd}\n`;
  if (authConfig && 'token' in authConfig) {
    const t = authConfig.token;
    auth = `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n    rootcertbundle: ${t.rootcertbundle}\n`;
  }
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

async function start(root: string, name: string, authConfig?: AuthConfig): Promise<{ instance: RegistryInstance; child: ChildProcess }> {
  // Listening on port 0 first gives a port that is free now; another process could take it before the
  // registry binds, which then shows up as an exit with "address already in use" and a retry.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const dir = join(root, name);
    const cfg = join(root, `${name}-${port}.yml`);
    writeFileSync(cfg, config(join(dir, 'storage'), host, authConfig));
    const child = spawn('docker-registry', ['serve', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 10_000) stderr += d.toString();
    });
    child.unref();
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    const url = `http://${host}`;
    try {
      await waitReady(url, authConfig ? 401 : 200, child, () => stderr);
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
  const missing = ['docker-registry', 'htpasswd', 'openssl'].filter((b) => !onPath(b));
  if (missing.length > 0) {
    const why = `${missing.join(', ')} not installed (run scripts/ensure-test-tools.sh as root)`;
    if (inCI()) throw new Error(`registry tests cannot run under CI: ${why}`);
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

  // The token server must listen before its registry starts: the registry's config names its realm.
  const tokenCredentials = { username: 'tokenuser', password: 'tokenpass' };
  const service = 'dockrepro-token-test';
  const issuer = 'dockrepro-test-token-issuer';
  const tokenAuth = { service, publicPrefix: 'public/', identityToken: `dockrepro-identity-${randomBytes(16).toString('hex')}` };
  let cert: SigningCert;
  let tokenServer: TokenServer;
  try {
    cert = createSigningCert(root);
    tokenServer = await startTokenServer({ ...tokenAuth, issuer, cert, credentials: tokenCredentials });
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
  (globalThis as { __dockreproTokenServer?: TokenServer }).__dockreproTokenServer = tokenServer;

  const started = await Promise.allSettled([
    start(root, 'open'),
    start(root, 'auth', { htpasswd: htpasswdFile }),
    start(root, 'token', { token: { realm: tokenServer.realm, service, issuer, rootcertbundle: cert.certFile } }),
    start(root, 'corpus'),
  ]);
  const children = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value.child] : []));
  const killAll = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    // Fail the run at once, without leaving the registries that did start (or their files) behind.
    killAll();
    await tokenServer.close();
    rmSync(root, { recursive: true, force: true });
    throw (failed as PromiseRejectedResult).reason;
  }
  const [open, auth, token, corpus] = started.map((s) => (s as PromiseFulfilledResult<Awaited<ReturnType<typeof start>>>).value);
  const state: RegistriesState = {
    root,
    open: open.instance,
    corpus: corpus.instance,
    auth: { ...auth.instance, credentials },
    token: {
      ...token.instance,
      credentials: tokenCredentials,
      token: { ...tokenAuth, realm: tokenServer.realm, requestsUrl: tokenServer.requestsUrl },
    },
  };
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
  // Kept for the teardown, which runs in this same context; the pids in the file are the fallback.
  (globalThis as { __dockreproRegistries?: ChildProcess[] }).__dockreproRegistries = children;
  // If jest dies without running the teardown, do not leave registries behind.
  process.once('exit', killAll);
}
