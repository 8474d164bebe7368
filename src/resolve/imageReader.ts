/**
 * Reads a base image from its registry: for an image pinned by digest and a platform, the platform's manifest
 * (picked from an index when the digest names one), the image config (verified by digest) as
 * ImageConfigFacts, and files and folder listings from its layers (src/resolve/layers.ts).
 *
 * The lock answers first (`bases`, keyed by the pinned digest and platform), so an `--offline` re-run makes
 * no request; `--refresh` reads the registry again. Everything read in a run is shared through the run's
 * `lookups` (Lookups): N Dockerfiles on one image download its manifest and config once and each needed layer at
 * most once (a layer is read again only for the content of a file no query had asked for when it was read).
 */
import type { ImageRef } from '../parse/imageRef';
import { PLATFORM, SHA256_DIGEST } from '../parse/imageRef';
import type { FileQuery, ImageConfigFacts, ImageFiles } from './baseImage';
import { FileTooBig, isReadableLayer, LayeredFs, layerSink, normalizeQueryPath, type LayerEntry, type LayerIndex } from './layers';
import type { ImageContext } from './context';
import { baseLockKey, type BaseLockEntry } from './lock';
import { NotFixed } from '../util/notFixed';
import { LookupKind } from './shared';
import { MEDIA_TYPES, RegistryError } from './registry';

/** The default platform when neither `FROM --platform` nor `--platform` says: what most builds run on. */
export const DEFAULT_PLATFORM = 'linux/amd64';
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** Largest compressed layer downloaded (bigger layers exist, but not among base images worth reading). */
const MAX_LAYER_BYTES = 8 * 1024 ** 3;

/** The run-wide lookups of base images: per manifest, per layer, per file of a manifest. */
const BASE_IMAGE = new LookupKind<ReadImage>('base-image');
const BASE_FS = new LookupKind<SharedFs>('base-fs');
const BASE_FILE = new LookupKind<Buffer | undefined>('base-file');
const BASE_DIR = new LookupKind<string[]>('base-dir');
const BASE_BYTES = new LookupKind<Buffer | undefined>('base-bytes');
const LAYER = new LookupKind<LayerIndex>('layer');
const LAYER_FILE = new LookupKind<LayerEntry | undefined>('layer-file');

export interface ImageReaderOptions extends ImageContext {
  /**
   * Files whose content is kept from every layer that is downloaded anyway, whoever asked: the files the fixers
   * read, so a second fixer's question about one image (pip lists /usr/lib, then useradd wants /etc/passwd)
   * needs no second download of its layers.
   */
  keep?: readonly string[];
  /** Like `keep`, for files over the usual bound, with the bound of each (read by `bytes`, never put in the lock). */
  keepLarge?: ReadonlyMap<string, number>;
  now?: () => Date;
}

/** What a platform manifest says: its digest, the config facts, and its layers top first. */
interface ReadImage {
  manifestDigest: string;
  platform: string;
  config: Omit<BaseLockEntry, 'files' | 'dirs' | 'resolvedAt' | 'manifest' | 'platform'>;
  /** Layer descriptors, top layer first. */
  layers: { digest: string; mediaType: string }[];
}

export class ImageReader {
  constructor(private readonly o: ImageReaderOptions) {}

  /** The config of `ref` (which must carry a digest) for `platform`. `image` names it in messages. */
  async config(ref: ImageRef, platform: string, image: string): Promise<ImageConfigFacts> {
    const { digest, key } = this.keyOf(ref, platform);
    const locked = this.locked(key);
    if (locked) return facts(image, locked, this.o.lock!.path);
    if (this.o.offline) throw this.needsNetwork(image, digest, platform);
    const read = await this.read(ref, platform, image);
    this.record(key, read, {}, {});
    return facts(image, { ...read.config, manifest: read.manifestDigest, platform: read.platform }, 'registry');
  }

  /** Files and folder listings of `ref` for `platform`. */
  async files(ref: ImageRef, platform: string, image: string, query: FileQuery): Promise<ImageFiles> {
    const { digest, key } = this.keyOf(ref, platform);
    const files = [...new Set((query.files ?? []).map(normalizeQueryPath))];
    const dirs = [...new Set((query.dirs ?? []).map(normalizeQueryPath))];
    const locked = this.locked(key);
    if (locked && files.every((f) => f in locked.files) && dirs.every((d) => d in locked.dirs)) {
      return answer(files.map((f) => [f, locked.files[f]]), dirs.map((d) => [d, locked.dirs[d]]), this.o.lock!.path);
    }
    if (this.o.offline) throw this.needsNetwork(image, digest, platform, [...files, ...dirs]);
    const read = await this.read(ref, platform, image);
    const fs = await this.fsOf(ref, read);
    let fileAnswers: [string, string | null][];
    let dirAnswers: [string, string[]][];
    try {
      fs.want(files);
      fileAnswers = await Promise.all(
        files.map(async (f): Promise<[string, string | null]> => {
          const content = await this.o.lookups.once(BASE_FILE, `${read.manifestDigest}\n${f}`, () => fs.fs.readFile(f));
          return [f, content === undefined ? null : content.toString('utf8')];
        }),
      );
      dirAnswers = await Promise.all(
        dirs.map(async (d): Promise<[string, string[]]> => [d, await this.o.lookups.once(BASE_DIR, `${read.manifestDigest}\n${d}`, () => fs.fs.listDir(d))]),
      );
    } catch (e) {
      throw this.failure(e, image);
    }
    this.record(key, read, Object.fromEntries(fileAnswers), Object.fromEntries(dirAnswers));
    return answer(fileAnswers, dirAnswers, 'registry');
  }

  /**
   * One file's bytes, up to `maxBytes` (above the usual bound: an rpm database), or undefined when the image
   * has no regular file there. Not recorded in the lock: the caller keeps what it learns from it (an offline
   * run without that has to be refused, as here).
   */
  async bytes(ref: ImageRef, platform: string, image: string, path: string, maxBytes: number): Promise<Buffer | undefined> {
    const { digest } = this.keyOf(ref, platform);
    const file = normalizeQueryPath(path);
    if (this.o.offline) throw this.needsNetwork(image, digest, platform, [file]);
    const read = await this.read(ref, platform, image);
    const fs = await this.fsOf(ref, read);
    try {
      return await this.o.lookups.once(BASE_BYTES, `${read.manifestDigest}\n${file}\n${maxBytes}`, () => fs.fs.readFile(file, maxBytes));
    } catch (e) {
      throw this.failure(e, image);
    }
  }

  private keyOf(ref: ImageRef, platform: string): { digest: string; key: string } {
    if (!ref.digest || !SHA256_DIGEST.test(ref.digest)) throw new NotFixed(`cannot read an image without a sha256 digest ('${ref.normalizedName}')`, 'failed');
    if (!PLATFORM.test(platform)) throw new NotFixed(`'${platform}' is not a platform (os/arch[/variant])`, 'failed');
    return { digest: ref.digest, key: baseLockKey(ref.digest, platform) };
  }

  private locked(key: string): BaseLockEntry | undefined {
    return this.o.refresh ? undefined : this.o.lock?.getBase(key);
  }

  private needsNetwork(image: string, digest: string, platform: string, paths: string[] = []): NotFixed {
    const what = paths.length ? `${paths.join(', ')} of ${image}` : `the config of ${image}`;
    return new NotFixed(`${what} (${digest}, ${platform}) is not in ${this.o.lock?.path ?? 'the lock file'} and --offline forbids reading the registry`, 'needs-network');
  }

  private failure(e: unknown, image: string): unknown {
    if (e instanceof NotFixed) return e;
    if (e instanceof RegistryError) return new NotFixed(`cannot read ${image} from its registry: ${e.message}`, 'failed');
    if (e instanceof FileTooBig) return new NotFixed(`cannot read ${image}: ${e.message}`, 'failed');
    return e;
  }

  /** Merges what was read into the lock entry (a second query adds its paths to the first's). */
  private record(key: string, read: ReadImage, files: Record<string, string | null>, dirs: Record<string, string[]>): void {
    const lock = this.o.lock;
    if (!lock) return;
    const old = lock.getBase(key);
    const same = old?.manifest === read.manifestDigest;
    lock.setBase(key, {
      ...read.config,
      manifest: read.manifestDigest,
      platform: read.platform,
      files: { ...(same ? old.files : {}), ...files },
      dirs: { ...(same ? old.dirs : {}), ...dirs },
      resolvedAt: (this.o.now?.() ?? new Date()).toISOString(),
    });
  }

  /** Manifest and config of `ref` for `platform`, once per run. */
  private read(ref: ImageRef, platform: string, image: string): Promise<ReadImage> {
    return this.o.lookups.once(BASE_IMAGE, `${ref.digest} ${platform}`, async () => {
      try {
        return await this.readOnce(ref, platform);
      } catch (e) {
        throw this.failure(e, image);
      }
    });
  }

  private async readOnce(ref: ImageRef, platform: string): Promise<ReadImage> {
    const byDigest = (digest: string): ImageRef => ({ ...ref, tag: undefined, digest });
    const top = await this.o.client.manifest(byDigest(ref.digest!));
    let manifest = top;
    const url = `${ref.normalizedName}@${top.digest}`;
    if (top.mediaType === MEDIA_TYPES.ociIndex || top.mediaType === MEDIA_TYPES.dockerList) {
      const chosen = pickPlatform(json(top.body, url), platform, url);
      manifest = await this.o.client.manifest(byDigest(chosen));
    }
    const m = json(manifest.body, url) as { config?: { digest?: unknown }; layers?: { digest?: unknown; mediaType?: unknown }[]; manifests?: unknown };
    if (m.manifests !== undefined) throw new RegistryError(`${url}: an index inside an index`, 'unsupported');
    const configDigest = m.config?.digest;
    if (typeof configDigest !== 'string' || !SHA256_DIGEST.test(configDigest)) throw new RegistryError(`${url}: the manifest has no valid config digest`, 'malformed');
    const layers = (Array.isArray(m.layers) ? m.layers : []).map((l) => {
      if (typeof l?.digest !== 'string' || !SHA256_DIGEST.test(l.digest)) throw new RegistryError(`${url}: a layer has a malformed digest`, 'malformed');
      return { digest: l.digest, mediaType: String(l.mediaType ?? '') };
    });
    const configBlob = await this.o.client.blobBytes(ref, configDigest, MAX_CONFIG_BYTES);
    const config = json(configBlob, `${url} config ${configDigest}`) as ConfigBlob;
    const actual = [config.os, config.architecture, config.variant].filter((x) => typeof x === 'string' && x !== '').join('/');
    if (!platformMatches(platform, config.os, config.architecture, config.variant)) {
      throw new RegistryError(`${url}: the image is for ${actual || 'an unknown platform'}, not ${platform}`, 'not-found');
    }
    return {
      manifestDigest: manifest.digest,
      platform: PLATFORM.test(actual) ? actual : platform,
      config: configFacts(config.config ?? {}),
      layers: layers.reverse(),
    };
  }

  /** The layered filesystem of a manifest, once per run; layers are shared by digest across images. */
  private fsOf(ref: ImageRef, read: ReadImage): Promise<SharedFs> {
    return this.o.lookups.once(BASE_FS, read.manifestDigest, async () => {
      const wanted = new Set<string>((this.o.keep ?? []).map(normalizeQueryPath));
      const large = new Map([...(this.o.keepLarge ?? [])].map(([p, n]) => [normalizeQueryPath(p), n]));
      large.forEach((_, p) => wanted.add(p));
      const readLayer = (i: number, capture: ReadonlySet<string>, largeFiles: ReadonlyMap<string, number> = large): Promise<LayerIndex> => {
        const layer = read.layers[i];
        if (!isReadableLayer(layer.mediaType)) {
          throw new RegistryError(`layer ${layer.digest} has media type '${layer.mediaType}', which is not a tar layer dockrepro can read`, 'unsupported');
        }
        return this.o.client.blob(ref, layer.digest, () => layerSink(capture, { largeFiles }), { maxBytes: MAX_LAYER_BYTES });
      };
      const fs = new LayeredFs(
        read.layers.length,
        (i) => this.o.lookups.once(LAYER, read.layers[i].digest, () => readLayer(i, new Set(wanted))),
        (i, path, maxBytes) =>
          this.o.lookups.once(
            LAYER_FILE,
            `${read.layers[i].digest}\n${path}\n${maxBytes}`,
            async (): Promise<LayerEntry | undefined> => (await readLayer(i, new Set([path]), new Map([...large, [path, Math.max(maxBytes, large.get(path) ?? 0)]]))).entries.get(path),
          ),
      );
      return { fs, want: (paths: string[]) => paths.forEach((p) => wanted.add(p)) };
    });
  }
}

interface SharedFs {
  fs: LayeredFs;
  /** Paths whose content the next layer read keeps (the files asked for so far). */
  want(paths: string[]): void;
}

interface ConfigBlob {
  os?: unknown;
  architecture?: unknown;
  variant?: unknown;
  config?: { Env?: unknown; User?: unknown; Labels?: unknown };
}

function json(body: Buffer, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new RegistryError(`${what}: not a JSON object`, 'malformed');
}

/** Whether an image's os/architecture/variant is `platform` (a platform without a variant accepts any variant). */
function platformMatches(platform: string, os: unknown, arch: unknown, variant: unknown): boolean {
  const [wOs, wArch, wVariant] = platform.split('/');
  return os === wOs && arch === wArch && (wVariant === undefined || variant === wVariant);
}

/** The digest of `platform`'s manifest in an index (the first that matches, as docker pull takes it). */
function pickPlatform(index: Record<string, unknown>, platform: string, url: string): string {
  const manifests = Array.isArray(index.manifests) ? (index.manifests as { digest?: unknown; platform?: { os?: unknown; architecture?: unknown; variant?: unknown } }[]) : [];
  const match = manifests.find((d) => platformMatches(platform, d?.platform?.os, d?.platform?.architecture, d?.platform?.variant));
  if (!match) throw new RegistryError(`${url}: the image has no ${platform} manifest`, 'not-found');
  if (typeof match.digest !== 'string' || !SHA256_DIGEST.test(match.digest)) throw new RegistryError(`${url}: the ${platform} entry has a malformed digest`, 'malformed');
  return match.digest;
}

/** `Env` (`NAME=value` strings; the last of a name wins, as in a container), `User`, `Labels`, checked for type. */
function configFacts(c: NonNullable<ConfigBlob['config']>): ReadImage['config'] {
  const env: Record<string, string> = {};
  for (const item of Array.isArray(c.Env) ? c.Env : []) {
    if (typeof item !== 'string') continue;
    const eq = item.indexOf('=');
    if (eq > 0) env[item.slice(0, eq)] = item.slice(eq + 1);
  }
  const labels: Record<string, string> = {};
  if (typeof c.Labels === 'object' && c.Labels !== null) {
    for (const [k, v] of Object.entries(c.Labels)) if (typeof v === 'string') labels[k] = v;
  }
  return { env, labels, ...(typeof c.User === 'string' && c.User !== '' ? { user: c.User } : {}) };
}

function facts(image: string, e: Pick<BaseLockEntry, 'manifest' | 'platform' | 'env' | 'user' | 'labels'>, source: string): ImageConfigFacts {
  return {
    image,
    manifestDigest: e.manifest,
    platform: e.platform,
    env: { ...e.env },
    ...(e.user !== undefined ? { user: e.user } : {}),
    labels: { ...e.labels },
    source,
  };
}

function answer(files: [string, string | null][], dirs: [string, string[]][], source: string): ImageFiles {
  return {
    files: new Map(files.filter((f): f is [string, string] => f[1] !== null)),
    dirs: new Map(dirs.map(([d, names]) => [d, [...names]])),
    source,
  };
}
