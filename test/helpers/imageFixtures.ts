/**
 * Real images for the test registries, built from a description: a real config blob (Env, User, Labels,
 * platform, rootfs diff_ids) and real layer tarballs (node-tar headers; gzip by zlib, zstd by the system
 * `zstd` binary, or plain tar), pushed with registryFixtures' pushBlob/pushManifest. Several platforms make
 * an index. Each layer lists what it adds, bottom layer first:
 *
 * ```ts
 * const img = await pushFixtureImage(regs.open, 'reader/debian', {
 *   config: { Env: { PATH: '/usr/bin', PYTHON_VERSION: '3.11.9' }, User: 'app' },
 *   layers: [
 *     { files: { '/etc/passwd': 'root:x:0:0:root:/root:/bin/bash\n', '/etc/login.defs': 'UID_MIN 1000\n' }, dirs: ['/usr/lib/python3.11'] },
 *     { files: { '/etc/motd': 'hi' }, whiteouts: ['/etc/login.defs'], compression: 'zstd' },
 *   ],
 *   tags: ['bookworm'],
 * });
 * // img.ref: '127.0.0.1:5000/reader/debian@sha256:…'; img.manifests[0].layers[1].digest, …
 * ```
 */
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { Header, Pax } from 'tar';
import { MT, pushBlob, pushManifest, sha256, type RegistryInstance } from './registryFixtures';

export interface FixtureEntry {
  path: string;
  type: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'FIFO';
  content?: string | Buffer;
  linkpath?: string;
  /** Permission bits; default 0755 for folders, 0644 for everything else. */
  mode?: number;
}

export interface FixtureLayer {
  /** Absolute path → content. Written as `etc/passwd` (or with `prefix`). */
  files?: Record<string, string | Buffer>;
  /** Folders (their parents are implied by the tar, as many real layers leave them out). */
  dirs?: string[];
  /** Link path → target as written (`../usr/lib/os-release`, `/bin/busybox`). */
  symlinks?: Record<string, string>;
  /** Link path → target path (a hard link to a file earlier in this layer). */
  hardlinks?: Record<string, string>;
  /** Paths this layer deletes (`.wh.<name>` entries). */
  whiteouts?: string[];
  /** Folders whose lower content this layer hides (`.wh..wh..opq`). */
  opaque?: string[];
  /** Entries exactly as given, after the above (hostile paths, devices, huge headers). */
  entries?: FixtureEntry[];
  /** How entry paths start: `''` (`etc/passwd`, default), `./` or `/`. */
  prefix?: '' | './' | '/';
  compression?: 'gzip' | 'zstd' | 'none';
  /** The layer's media type in the manifest, when a test wants it to differ from its compression. */
  mediaType?: string;
}

export interface FixtureConfig {
  /** `NAME=value` strings, or a map of them. */
  Env?: string[] | Record<string, string>;
  User?: string;
  Labels?: Record<string, string>;
  /** `created_by` of each layer, bottom first, written as the config's `history` (buildah's --layers needs one entry per layer). */
  history?: string[];
}

export interface FixtureImage {
  config?: FixtureConfig;
  layers?: FixtureLayer[];
  /** `os/arch[/variant]` each, or with a config and layers of its own; more than one makes an index. Default linux/amd64. */
  platforms?: (string | { platform: string; config?: FixtureConfig; layers?: FixtureLayer[] })[];
  tags?: string[];
  /** Default oci. */
  format?: 'oci' | 'docker';
  /** Push an index even for one platform. */
  index?: boolean;
}

export interface PushedLayer {
  digest: string;
  mediaType: string;
  /** The compressed blob as pushed. */
  bytes: Buffer;
  /** The uncompressed tar. */
  tar: Buffer;
}

export interface PushedPlatformImage {
  platform: string;
  digest: string;
  configDigest: string;
  /** Bottom layer first, as in the manifest. */
  layers: PushedLayer[];
}

export interface PushedFixtureImage {
  /** The index digest when several platforms (or `index`), else the manifest's. */
  digest: string;
  mediaType: string;
  /** `host/repo@digest`. */
  ref: string;
  manifests: PushedPlatformImage[];
}

const LAYER_TYPES = {
  gzip: MT.ociLayer,
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
} as const;

/** Whether the `zstd` binary is installed (scripts/ensure-test-tools.sh installs it). */
export function haveZstd(): boolean {
  return spawnSync('zstd', ['--version'], { stdio: 'ignore' }).status === 0;
}

function block(e: FixtureEntry): Buffer[] {
  const body = e.content === undefined ? Buffer.alloc(0) : Buffer.from(e.content);
  // Too long for the ustar fields: a PAX header carries the path and link target first (node-tar's own
  // ustar prefix split is slow on very long paths, so the ustar header gets a stand-in).
  const long = e.path.length > 100 || (e.linkpath ?? '').length > 100;
  const out: Buffer[] = long ? [new Pax({ path: e.path, linkpath: e.linkpath, mtime: new Date(0) }).encode()] : [];
  const header = new Header({
    path: long ? 'pax-path' : e.path,
    type: e.type,
    mode: e.mode ?? (e.type === 'Directory' ? 0o755 : 0o644),
    uid: 0,
    gid: 0,
    uname: 'root',
    gname: 'root',
    size: e.type === 'File' ? body.length : 0,
    mtime: new Date(0),
    linkpath: long ? undefined : e.linkpath,
  });
  const head = Buffer.alloc(512);
  header.encode(head);
  out.push(head);
  if (e.type === 'File' && body.length > 0) out.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  return out;
}

/** The uncompressed tar of a layer description. */
export function layerTar(layer: FixtureLayer): Buffer {
  const prefix = layer.prefix ?? '';
  const name = (p: string) => prefix + p.replace(/^\/+/, '');
  const parent = (p: string) => p.replace(/\/[^/]*$/, '');
  const base = (p: string) => p.replace(/^.*\//, '');
  const entries: FixtureEntry[] = [
    ...(layer.dirs ?? []).map((d): FixtureEntry => ({ path: `${name(d)}/`, type: 'Directory' })),
    ...Object.entries(layer.files ?? {}).map(([p, content]): FixtureEntry => ({ path: name(p), type: 'File', content })),
    ...Object.entries(layer.symlinks ?? {}).map(([p, linkpath]): FixtureEntry => ({ path: name(p), type: 'SymbolicLink', linkpath })),
    ...Object.entries(layer.hardlinks ?? {}).map(([p, target]): FixtureEntry => ({ path: name(p), type: 'Link', linkpath: name(target) })),
    ...(layer.whiteouts ?? []).map((p): FixtureEntry => ({ path: name(`${parent(p)}/.wh.${base(p)}`), type: 'File' })),
    ...(layer.opaque ?? []).map((d): FixtureEntry => ({ path: name(`${d}/.wh..wh..opq`), type: 'File' })),
    ...(layer.entries ?? []),
  ];
  return Buffer.concat([...entries.flatMap(block), Buffer.alloc(1024)]);
}

/** A layer blob: its tar, compressed as asked. */
export function layerBlob(layer: FixtureLayer): { tar: Buffer; bytes: Buffer; mediaType: string } {
  const tar = layerTar(layer);
  const compression = layer.compression ?? 'gzip';
  let bytes = tar;
  if (compression === 'gzip') bytes = gzipSync(tar);
  if (compression === 'zstd') {
    const z = spawnSync('zstd', ['-q', '-c', '-3'], { input: tar, maxBuffer: 1024 ** 3 });
    if (z.status !== 0) throw new Error(`zstd failed (${z.error?.message ?? z.stderr?.toString()}); run scripts/ensure-test-tools.sh`);
    bytes = z.stdout;
  }
  return { tar, bytes, mediaType: layer.mediaType ?? LAYER_TYPES[compression] };
}

function envList(env: FixtureConfig['Env']): string[] | undefined {
  if (env === undefined || Array.isArray(env)) return env;
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

async function pushPlatform(reg: RegistryInstance, repo: string, platform: string, config: FixtureConfig, layers: FixtureLayer[], format: 'oci' | 'docker'): Promise<PushedPlatformImage & { bytes: Buffer; mediaType: string }> {
  const [os, architecture, variant] = platform.split('/');
  const pushed: PushedLayer[] = [];
  for (const layer of layers) {
    const blob = layerBlob(layer);
    pushed.push({ ...blob, digest: await pushBlob(reg, repo, blob.bytes) });
  }
  const configBytes = Buffer.from(
    JSON.stringify({
      architecture,
      os,
      ...(variant ? { variant } : {}),
      config: { Env: envList(config.Env), User: config.User, Labels: config.Labels },
      rootfs: { type: 'layers', diff_ids: pushed.map((l) => sha256(l.tar)) },
      ...(config.history ? { history: config.history.map((createdBy) => ({ created: '1970-01-01T00:00:00Z', created_by: createdBy })) } : {}),
    }),
  );
  const configDigest = await pushBlob(reg, repo, configBytes);
  const oci = format === 'oci';
  const manifest = {
    schemaVersion: 2,
    mediaType: oci ? MT.ociManifest : MT.dockerManifest,
    config: { mediaType: oci ? MT.ociConfig : MT.dockerConfig, digest: configDigest, size: configBytes.length },
    layers: pushed.map((l) => ({
      mediaType: !oci && l.mediaType === MT.ociLayer ? MT.dockerLayer : l.mediaType,
      digest: l.digest,
      size: l.bytes.length,
    })),
  };
  const m = await pushManifest(reg, repo, manifest.mediaType, Buffer.from(JSON.stringify(manifest)), []);
  return { platform, digest: m.digest, configDigest, layers: pushed, bytes: m.bytes, mediaType: m.mediaType };
}

/** Pushes an image built from `image` to `repo` on `reg` (tags last, so a tag never names a half-pushed image). */
export async function pushFixtureImage(reg: RegistryInstance, repo: string, image: FixtureImage): Promise<PushedFixtureImage> {
  const format = image.format ?? 'oci';
  const platforms = (image.platforms ?? ['linux/amd64']).map((p) => (typeof p === 'string' ? { platform: p } : p));
  const manifests: (PushedPlatformImage & { bytes: Buffer; mediaType: string })[] = [];
  for (const p of platforms) {
    manifests.push(await pushPlatform(reg, repo, p.platform, p.config ?? image.config ?? {}, p.layers ?? image.layers ?? [], format));
  }
  let top: { digest: string; mediaType: string };
  if (manifests.length === 1 && !image.index) {
    top = await pushManifest(reg, repo, manifests[0].mediaType, manifests[0].bytes, image.tags ?? []);
  } else {
    const index = {
      schemaVersion: 2,
      mediaType: format === 'oci' ? MT.ociIndex : MT.dockerList,
      manifests: manifests.map((m) => {
        const [os, architecture, variant] = m.platform.split('/');
        return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, platform: { os, architecture, ...(variant ? { variant } : {}) } };
      }),
    };
    top = await pushManifest(reg, repo, index.mediaType, Buffer.from(JSON.stringify(index)), image.tags ?? []);
  }
  return {
    digest: top.digest,
    mediaType: top.mediaType,
    ref: `${reg.host}/${repo}@${top.digest}`,
    manifests: manifests.map(({ platform, digest, configDigest, layers }) => ({ platform, digest, configDigest, layers })),
  };
}
