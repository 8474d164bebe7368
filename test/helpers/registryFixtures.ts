/**
 * Fixtures for the real registries started by test/setup/registries.ts: blobs and manifests are pushed
 * through the registry's own HTTP API (no docker client), and every push returns the exact bytes and digest
 * so tests can compare what the client resolves with sha256 of what was stored. Pushes to the token-auth
 * registry first get a push+pull token for the repository from its token server.
 *
 * The registries are shared by all test files, which run in parallel: each file pushes to repositories of its
 * own (`client/…`, `pin/…`, `faults/…`; `library/python` belongs to test/fix/pin.test.ts), or tag lists and
 * tags would change under another file's feet.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { STATE_ENV, type RegistriesState, type RegistryInstance } from '../setup/registries';
import type { TokenRequest } from './tokenServer';
import { inCI } from './ci';

export type { RegistryInstance, TokenRequest };

export const MT = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export interface Pushed {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export function testRegistries(): RegistriesState {
  const file = process.env[STATE_ENV];
  if (!file) return { skipped: `${STATE_ENV} is not set: jest ran without test/setup/registries.ts` };
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RegistriesState;
  } catch (e) {
    return { skipped: `cannot read ${file}: ${(e as Error).message}` };
  }
}

/**
 * `describe` for suites that need the registries: skipped with a loud message when they are not running,
 * failing instead under CI=true, where skipping would hide that nothing was tested.
 */
export interface TestRegistries {
  open: RegistryInstance;
  /** htpasswd Basic auth. */
  auth: RegistryInstance;
  /** Token auth; `token` describes its token server. */
  token: RegistryInstance & { token: NonNullable<RegistryInstance['token']>; credentials: NonNullable<RegistryInstance['credentials']> };
}

export function describeWithRegistries(name: string, fn: (regs: TestRegistries) => void): void {
  const state = testRegistries();
  if (state.open && state.auth && state.token?.token && state.token.credentials) {
    const regs: TestRegistries = { open: state.open, auth: state.auth, token: { ...state.token, token: state.token.token, credentials: state.token.credentials } };
    describe(name, () => fn(regs));
    return;
  }
  const why = state.skipped ?? 'registries not started';
  if (inCI()) {
    describe(name, () => {
      it('needs the test registries', () => {
        throw new Error(`registry tests cannot run under CI: ${why}`);
      });
    });
    return;
  }
  process.stderr.write(`\nSKIPPED: ${name}: ${why}\n`);
  describe.skip(name, () => fn({} as never));
}

const basic = (c: { username: string; password: string }) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

/** The User-Agent of the fixtures' own token requests. */
export const FIXTURE_AGENT = 'dockrepro-test-fixtures';

/** Push tokens by registry and repository, reused until shortly before they expire. */
const pushTokens = new Map<string, { token: string; expires: number }>();

/** What the fixtures send to push to `repo`: Basic credentials, or a push+pull token from the token server. */
async function authHeaders(reg: RegistryInstance, repo: string): Promise<Record<string, string>> {
  const c = reg.credentials;
  if (!reg.token) return c ? { Authorization: basic(c) } : {};
  const key = `${reg.host}\n${repo}`;
  const cached = pushTokens.get(key);
  if (cached && cached.expires > Date.now()) return { Authorization: `Bearer ${cached.token}` };
  const url = new URL(reg.token.realm);
  url.searchParams.set('service', reg.token.service);
  url.searchParams.set('scope', `repository:${repo}:push,pull`);
  // A User-Agent of their own keeps fixture requests apart from the client's in the token server's log.
  const res = await fetch(url, { headers: { 'User-Agent': FIXTURE_AGENT, ...(c ? { Authorization: basic(c) } : {}) } });
  await expectStatus(res, 200, `token to push to ${repo}`);
  const body = (await res.json()) as { token: string; expires_in: number };
  pushTokens.set(key, { token: body.token, expires: Date.now() + (body.expires_in - 30) * 1000 });
  return { Authorization: `Bearer ${body.token}` };
}

/** Every request the token server of a token-auth registry has answered so far (all test files together). */
export async function tokenRequests(reg: RegistryInstance): Promise<TokenRequest[]> {
  if (!reg.token) throw new Error(`${reg.host} is not a token-auth registry`);
  const res = await fetch(reg.token.requestsUrl);
  await expectStatus(res, 200, 'token server request log');
  return (await res.json()) as TokenRequest[];
}

async function expectStatus(res: Response, expected: number, what: string): Promise<void> {
  if (res.status !== expected) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
}

export async function pushBlob(reg: RegistryInstance, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const auth = await authHeaders(reg, repo);
  const start = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: auth });
  await expectStatus(start, 202, `start upload to ${repo}`);
  const location = new URL(start.headers.get('location')!, reg.url);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: { ...auth, 'Content-Type': 'application/octet-stream' },
    body: new Uint8Array(bytes),
  });
  await expectStatus(put, 201, `upload blob ${digest} to ${repo}`);
  return digest;
}

/** PUTs manifest bytes under each reference (tag or digest); returns the digest the registry stored. */
export async function pushManifest(reg: RegistryInstance, repo: string, mediaType: string, bytes: Buffer, refs: string[]): Promise<Pushed> {
  const digest = sha256(bytes);
  for (const ref of refs.length > 0 ? refs : [digest]) {
    const res = await fetch(`${reg.url}/v2/${repo}/manifests/${ref}`, {
      method: 'PUT',
      headers: { ...(await authHeaders(reg, repo)), 'Content-Type': mediaType },
      body: new Uint8Array(bytes),
    });
    await expectStatus(res, 201, `put manifest ${repo}:${ref}`);
    const stored = res.headers.get('docker-content-digest');
    if (stored !== digest) throw new Error(`registry stored ${stored}, expected ${digest}`);
  }
  return { digest, mediaType, bytes };
}

export interface Platform {
  os: string;
  architecture: string;
}

/** A single-platform image (config + one layer) in OCI or Docker v2 format. `seed` makes its content unique. */
export async function pushImage(
  reg: RegistryInstance,
  repo: string,
  format: 'oci' | 'docker',
  platform: Platform,
  seed: string,
  tags: string[] = [],
): Promise<Pushed> {
  const layer = Buffer.from(`layer ${repo} ${platform.os}/${platform.architecture} ${seed}`);
  const config = Buffer.from(
    JSON.stringify({ ...platform, rootfs: { type: 'layers', diff_ids: [sha256(layer)] }, config: { Labels: { seed } } }),
  );
  const configDigest = await pushBlob(reg, repo, config);
  const layerDigest = await pushBlob(reg, repo, layer);
  const oci = format === 'oci';
  const manifest = {
    schemaVersion: 2,
    mediaType: oci ? MT.ociManifest : MT.dockerManifest,
    config: { mediaType: oci ? MT.ociConfig : MT.dockerConfig, digest: configDigest, size: config.length },
    layers: [{ mediaType: oci ? MT.ociLayer : MT.dockerLayer, digest: layerDigest, size: layer.length }],
  };
  return pushManifest(reg, repo, manifest.mediaType, Buffer.from(JSON.stringify(manifest, null, 3)), tags);
}

export interface PushedIndex extends Pushed {
  platforms: { platform: Platform; manifest: Pushed }[];
}

export const TWO_PLATFORMS: Platform[] = [
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64' },
];

/** An OCI image index (or Docker manifest list) over linux/amd64 and linux/arm64, under all `tags`. */
export async function pushIndex(
  reg: RegistryInstance,
  repo: string,
  format: 'oci' | 'docker',
  seed: string,
  tags: string[],
): Promise<PushedIndex> {
  const platforms: PushedIndex['platforms'] = [];
  for (const platform of TWO_PLATFORMS) {
    platforms.push({ platform, manifest: await pushImage(reg, repo, format, platform, seed) });
  }
  const index = {
    schemaVersion: 2,
    mediaType: format === 'oci' ? MT.ociIndex : MT.dockerList,
    manifests: platforms.map(({ platform, manifest }) => ({
      mediaType: manifest.mediaType,
      digest: manifest.digest,
      size: manifest.bytes.length,
      platform,
    })),
  };
  const pushed = await pushManifest(reg, repo, index.mediaType, Buffer.from(JSON.stringify(index)), tags);
  return { ...pushed, platforms };
}
