/**
 * Fixtures for the real registries started by test/setup/registries.ts: blobs and manifests are pushed
 * through the registry's own HTTP API (no docker client), and every push returns the exact bytes and digest
 * so tests can compare what the client resolves with sha256 of what was stored.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { STATE_ENV, type RegistriesState, type RegistryInstance } from '../setup/registries';

export type { RegistryInstance };

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
export function describeWithRegistries(name: string, fn: (regs: { open: RegistryInstance; auth: RegistryInstance }) => void): void {
  const state = testRegistries();
  if (state.open && state.auth) {
    const regs = { open: state.open, auth: state.auth };
    describe(name, () => fn(regs));
    return;
  }
  const why = state.skipped ?? 'registries not started';
  if (process.env.CI === 'true') {
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

function authHeaders(reg: RegistryInstance): Record<string, string> {
  const c = reg.credentials;
  return c ? { Authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` } : {};
}

async function expectStatus(res: Response, expected: number, what: string): Promise<void> {
  if (res.status !== expected) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
}

export async function pushBlob(reg: RegistryInstance, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const start = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: authHeaders(reg) });
  await expectStatus(start, 202, `start upload to ${repo}`);
  const location = new URL(start.headers.get('location')!, reg.url);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: { ...authHeaders(reg), 'Content-Type': 'application/octet-stream' },
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
      headers: { ...authHeaders(reg), 'Content-Type': mediaType },
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
