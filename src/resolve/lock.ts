/**
 * `dockrepro.lock.json`: what each image reference resolved to, committed beside the code so that a re-run of
 * `dockrepro fix` is offline and gives the same bytes, and CI can check pinned digests against it
 * (`dockrepro lint --verify-lock`). Keys and entries are sorted and the file is only written when an entry
 * changes, so re-runs leave it byte-identical.
 *
 * ```json
 * {
 *   "version": 1,
 *   "images": {
 *     "docker.io/library/python:3": {
 *       "tag": "3.12.7",
 *       "digest": "sha256:…",
 *       "mediaType": "application/vnd.oci.image.index.v1+json",
 *       "resolvedAt": "2026-11-25T21:40:00.000Z"
 *     }
 *   },
 *   "bases": {
 *     "sha256:… linux/amd64": {
 *       "manifest": "sha256:…",
 *       "platform": "linux/amd64",
 *       "env": { "PATH": "/usr/local/bin:…", "PYTHON_VERSION": "3.12.7" },
 *       "labels": {},
 *       "files": { "/etc/passwd": "root:x:0:0:…", "/etc/login.defs": null },
 *       "dirs": { "/usr/lib": ["apt", "python3.11", …] },
 *       "resolvedAt": "2026-11-25T21:40:00.000Z"
 *     }
 *   }
 * }
 * ```
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PLATFORM, SHA256_DIGEST, TAG } from '../parse/imageRef';
import { writeFileAtomic } from '../edit/write';
import { withFileLock } from '../util/fileLock';
import { currentSearcher, trustedFolders, usableFile, type Searcher } from '../trust';

export const LOCK_NAME = 'dockrepro.lock.json';
const VERSION = 1;
export interface LockEntry {
  /** The most precise tag with the same digest (absent when none was found: the tag stays as written). */
  tag?: string;
  digest: string;
  mediaType: string;
  /** `os/arch[/variant]` when a platform's manifest was pinned instead of the index. */
  platform?: string;
  resolvedAt: string;
}

/** A package version resolved by a package fixer (pip, npm, gem, go, cargo). */
export interface PackageLockEntry {
  version: string;
  resolvedAt: string;
}

/**
 * What was read from a base image (src/resolve/imageReader.ts), by `<digest> <os/arch[/variant]>`: the digest
 * the Dockerfile is pinned to (index or manifest) and the platform read. Files and folders are the ones
 * fixers asked for so far; a file the image does not have is `null`.
 */
export interface BaseLockEntry {
  /** Digest of the platform manifest read. */
  manifest: string;
  /** Platform of the image config (`linux/arm64/v8`). */
  platform: string;
  env: Record<string, string>;
  user?: string;
  labels: Record<string, string>;
  files: Record<string, string | null>;
  dirs: Record<string, string[]>;
  resolvedAt: string;
}

/** `<sha256 digest> <platform>`: the key of a `bases` entry. */
export function baseLockKey(digest: string, platform: string): string {
  return `${digest} ${platform}`;
}

/**
 * Versions as package indexes write them (PEP 440, semver, `v1.2.3`, `1.2.3.pre`, Debian's `1:2.3~rc1-4`):
 * what a lock entry may hold. Each fixer checks its own grammar again when it reads an entry.
 */
const PACKAGE_VERSION = /^[A-Za-z0-9][A-Za-z0-9.+_!~:-]{0,127}$/;

export class LockError extends Error {}

/** The lock key of a reference: fully qualified name, tag (`latest` when none), and the platform if one was asked. */
export function lockKey(normalizedName: string, tag: string | undefined, platform?: string): string {
  return `${normalizedName}:${tag ?? 'latest'}${platform ? ` ${platform}` : ''}`;
}

export class LockFile {
  private readonly entries = new Map<string, LockEntry>();
  private readonly packageEntries = new Map<string, PackageLockEntry>();
  private readonly baseEntries = new Map<string, BaseLockEntry>();
  private changed = false;
  /** Keys this run set (new or different), which win over another run's when both wrote the file. */
  private readonly mine = { images: new Set<string>(), packages: new Set<string>(), bases: new Set<string>() };
  /** True when the file existed when it was loaded. */
  found = false;

  /**
   * `untrusted`: why a lock at `path` may not be used (a folder others can write); such a lock starts empty
   * and is never saved.
   */
  constructor(
    readonly path: string,
    readonly untrusted?: string,
  ) {}

  /** Reads the lock at `path`; a missing file is an empty lock. A malformed one is a LockError naming what is wrong. */
  static load(path: string): LockFile {
    const lock = new LockFile(path);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return lock;
      throw new LockError(`${path}: cannot read the lock file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const parsed = LockFile.fromText(text, path);
    parsed.found = true;
    return parsed;
  }

  /** A lock from its JSON text (`path` names it in messages and is where it would be saved). */
  static fromText(text: string, path: string): LockFile {
    const lock = new LockFile(path);
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new LockError(`${path}: the lock file is not valid JSON: ${(e as Error).message}`);
    }
    const root = data as { version?: unknown; images?: unknown } | null;
    if (typeof root !== 'object' || root === null || root.version !== VERSION) {
      throw new LockError(`${path}: not a version ${VERSION} dockrepro lock file`);
    }
    if (typeof root.images !== 'object' || root.images === null || Array.isArray(root.images)) {
      throw new LockError(`${path}: 'images' must be an object`);
    }
    for (const [key, value] of Object.entries(root.images as Record<string, unknown>)) {
      const problem = invalidEntry(value);
      if (problem) throw new LockError(`${path}: images["${key}"]: ${problem}`);
      lock.entries.set(key, value as LockEntry);
    }
    const packages = (root as { packages?: unknown }).packages ?? {};
    if (typeof packages !== 'object' || packages === null || Array.isArray(packages)) throw new LockError(`${path}: 'packages' must be an object`);
    for (const [key, value] of Object.entries(packages as Record<string, unknown>)) {
      const e = value as Partial<PackageLockEntry> | null;
      if (typeof e !== 'object' || e === null || typeof e.version !== 'string' || !PACKAGE_VERSION.test(e.version) || typeof e.resolvedAt !== 'string') {
        throw new LockError(`${path}: packages["${key}"]: expected { version, resolvedAt } with a well-formed version`);
      }
      lock.packageEntries.set(key, { version: e.version, resolvedAt: e.resolvedAt });
    }
    const bases = (root as { bases?: unknown }).bases ?? {};
    if (typeof bases !== 'object' || bases === null || Array.isArray(bases)) throw new LockError(`${path}: 'bases' must be an object`);
    for (const [key, value] of Object.entries(bases as Record<string, unknown>)) {
      const problem = invalidBase(key, value);
      if (problem) throw new LockError(`${path}: bases["${key}"]: ${problem}`);
      lock.baseEntries.set(key, value as BaseLockEntry);
    }
    return lock;
  }

  get(key: string): LockEntry | undefined {
    return this.entries.get(key);
  }

  set(key: string, entry: LockEntry): void {
    const old = this.entries.get(key);
    if (old && old.digest === entry.digest && old.tag === entry.tag && old.platform === entry.platform && old.mediaType === entry.mediaType) return;
    this.entries.set(key, entry);
    this.mine.images.add(key);
    this.changed = true;
  }

  getPackage(key: string): PackageLockEntry | undefined {
    return this.packageEntries.get(key);
  }

  setPackage(key: string, entry: PackageLockEntry): void {
    if (!PACKAGE_VERSION.test(entry.version)) throw new LockError(`${this.path}: refusing to record malformed version '${entry.version}' for ${key}`);
    if (this.packageEntries.get(key)?.version === entry.version) return;
    this.packageEntries.set(key, entry);
    this.mine.packages.add(key);
    this.changed = true;
  }

  getBase(key: string): BaseLockEntry | undefined {
    return this.baseEntries.get(key);
  }

  /** Records what was read; the file changes only when the entry does (`resolvedAt` alone is no change). */
  setBase(key: string, entry: BaseLockEntry): void {
    const old = this.baseEntries.get(key);
    if (old && JSON.stringify(baseText({ ...old, resolvedAt: '' })) === JSON.stringify(baseText({ ...entry, resolvedAt: '' }))) return;
    this.baseEntries.set(key, entry);
    this.mine.bases.add(key);
    this.changed = true;
  }

  /** Every entry, for checks that look by name and digest. */
  all(): IterableIterator<[string, LockEntry]> {
    return this.entries.entries();
  }

  get dirty(): boolean {
    return this.changed;
  }

  text(): string {
    const images: Record<string, LockEntry> = {};
    for (const key of [...this.entries.keys()].sort()) {
      const e = this.entries.get(key)!;
      // A fixed field order keeps diffs of the committed file small and stable.
      images[key] = {
        ...(e.tag !== undefined ? { tag: e.tag } : {}),
        digest: e.digest,
        mediaType: e.mediaType,
        ...(e.platform !== undefined ? { platform: e.platform } : {}),
        resolvedAt: e.resolvedAt,
      };
    }
    const packages: Record<string, PackageLockEntry> = {};
    for (const key of [...this.packageEntries.keys()].sort()) {
      const e = this.packageEntries.get(key)!;
      packages[key] = { version: e.version, resolvedAt: e.resolvedAt };
    }
    const bases: Record<string, BaseLockEntry> = {};
    for (const key of [...this.baseEntries.keys()].sort()) bases[key] = baseText(this.baseEntries.get(key)!);
    // `packages` and `bases` only appear once something was resolved, so image-only locks keep their shape.
    const doc = {
      version: VERSION,
      images,
      ...(this.packageEntries.size > 0 ? { packages } : {}),
      ...(this.baseEntries.size > 0 ? { bases } : {}),
    };
    return `${JSON.stringify(doc, null, 2)}\n`;
  }

  /**
   * Writes the file atomically when anything changed. Another run may have written it since it was loaded:
   * under `<lock>.lock` the file is read again and this run's entries are merged into it (its own keys win,
   * every other entry is kept), so concurrent runs lose nothing.
   */
  save(): boolean {
    if (!this.changed || this.untrusted !== undefined) return false;
    withFileLock(this.path, () => {
      const disk = LockFile.load(this.path);
      for (const key of this.mine.images) disk.entries.set(key, this.entries.get(key)!);
      for (const key of this.mine.packages) disk.packageEntries.set(key, this.packageEntries.get(key)!);
      for (const key of this.mine.bases) disk.baseEntries.set(key, this.baseEntries.get(key)!);
      writeFileAtomic(this.path, Buffer.from(disk.text(), 'utf8'));
      // From now on this run sees the merged file.
      for (const [mine, theirs] of [[this.entries, disk.entries], [this.packageEntries, disk.packageEntries], [this.baseEntries, disk.baseEntries]] as const) {
        (mine as Map<string, unknown>).clear();
        for (const [k, v] of theirs as Map<string, unknown>) (mine as Map<string, unknown>).set(k, v);
      }
    });
    this.found = true;
    this.changed = false;
    Object.values(this.mine).forEach((keys) => keys.clear());
    return true;
  }
}

/** Why a lock entry read from disk is unusable, or undefined. Nothing unchecked from the file reaches a Dockerfile. */
function invalidEntry(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'expected an object';
  const e = v as Record<string, unknown>;
  if (typeof e.digest !== 'string' || !SHA256_DIGEST.test(e.digest)) return `'digest' must be sha256: and 64 lowercase hex digits`;
  if (e.tag !== undefined && (typeof e.tag !== 'string' || !TAG.test(e.tag))) return `'tag' is not a valid tag`;
  if (typeof e.mediaType !== 'string') return `'mediaType' must be a string`;
  if (e.platform !== undefined && (typeof e.platform !== 'string' || !PLATFORM.test(e.platform))) return `'platform' must be os/arch[/variant]`;
  if (typeof e.resolvedAt !== 'string') return `'resolvedAt' must be a string`;
  return undefined;
}

/** A base entry with its fields in a fixed order and every map sorted by key, for stable diffs. */
function baseText(e: BaseLockEntry): BaseLockEntry {
  const sorted = <T>(m: Record<string, T>): Record<string, T> => Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]]));
  return {
    manifest: e.manifest,
    platform: e.platform,
    env: sorted(e.env),
    ...(e.user !== undefined ? { user: e.user } : {}),
    labels: sorted(e.labels),
    files: sorted(e.files),
    dirs: sorted(e.dirs),
    resolvedAt: e.resolvedAt,
  };
}

const isStringMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

/** Why a `bases` entry read from disk is unusable, or undefined. */
function invalidBase(key: string, v: unknown): string | undefined {
  const [digest, platform, extra] = key.split(' ');
  if (!SHA256_DIGEST.test(digest ?? '') || !PLATFORM.test(platform ?? '') || extra !== undefined) return `the key must be '<sha256 digest> <os/arch[/variant]>'`;
  if (typeof v !== 'object' || v === null) return 'expected an object';
  const e = v as Record<string, unknown>;
  if (typeof e.manifest !== 'string' || !SHA256_DIGEST.test(e.manifest)) return `'manifest' must be sha256: and 64 lowercase hex digits`;
  if (typeof e.platform !== 'string' || !PLATFORM.test(e.platform)) return `'platform' must be os/arch[/variant]`;
  if (!isStringMap(e.env)) return `'env' must map names to strings`;
  if (e.user !== undefined && typeof e.user !== 'string') return `'user' must be a string`;
  if (!isStringMap(e.labels)) return `'labels' must map names to strings`;
  const files = e.files as Record<string, unknown> | null;
  if (typeof files !== 'object' || files === null || Array.isArray(files) || !Object.entries(files).every(([p, c]) => p.startsWith('/') && (c === null || typeof c === 'string'))) {
    return `'files' must map absolute paths to text or null`;
  }
  const dirs = e.dirs as Record<string, unknown> | null;
  if (typeof dirs !== 'object' || dirs === null || Array.isArray(dirs) || !Object.entries(dirs).every(([p, l]) => p.startsWith('/') && Array.isArray(l) && l.every((n) => typeof n === 'string'))) {
    return `'dirs' must map absolute paths to lists of names`;
  }
  if (typeof e.resolvedAt !== 'string') return `'resolvedAt' must be a string`;
  return undefined;
}

/** Where the lock for a Dockerfile lives, or why none may be used. */
export type LockPlace =
  /** `passedOver`: a lock beyond the last trusted folder, which the search would have found before. */
  | { path: string; passedOver?: { path: string; why: string } }
  | { refused: string; path: string };

/**
 * Where the lock for a Dockerfile in `dir` lives: the nearest folder upwards holding a lock file, a
 * `.dockrepro.yaml` or a `.git`, so one lock serves a repository; `dir` itself when there is none. Only folders
 * the user trusts are searched (src/trust.ts); when even `dir` is not one, no lock is read or written.
 */
export function lockPathFor(dir: string, who: Searcher = currentSearcher()): LockPlace {
  const walk = trustedFolders(dir, who);
  for (const folder of walk.folders) {
    const lock = join(folder.dir, LOCK_NAME);
    if (existsSync(lock) && !usableFile(folder, lock, who)) {
      return { path: lock, refused: `${folder.dir} is shared with others (sticky) and the lock file is not yours` };
    }
    if ([LOCK_NAME, '.dockrepro.yaml', '.dockrepro.yml', '.git'].some((n) => usableFile(folder, join(folder.dir, n), who))) return { path: lock };
  }
  if (walk.folders.length > 0) {
    const place: LockPlace = { path: join(walk.folders[0].dir, LOCK_NAME) };
    const beyond = walk.refused && join(walk.refused.dir, LOCK_NAME);
    if (beyond && existsSync(beyond)) place.passedOver = { path: beyond, why: `${walk.refused!.dir}: ${walk.refused!.reason}` };
    return place;
  }
  const refused = walk.refused ?? { dir, reason: 'it cannot be read' };
  return { path: join(refused.dir, LOCK_NAME), refused: `${refused.dir}: ${refused.reason}` };
}

/** Loads each lock once per run. */
export class LockFiles {
  private readonly locks = new Map<string, LockFile>();
  private readonly places = new Map<string, LockPlace>();
  /** Lock files not used because of where they are → why. */
  readonly refused = new Map<string, string>();

  constructor(private readonly explicit?: string) {}

  forDir(dir: string): LockFile {
    let place = this.places.get(dir);
    if (!place) {
      place = this.explicit !== undefined ? { path: this.explicit } : lockPathFor(dir);
      this.places.set(dir, place);
    }
    const path = place.path;
    if ('passedOver' in place && place.passedOver) this.refused.set(place.passedOver.path, place.passedOver.why);
    if ('refused' in place) {
      // A lock from here could have been planted: this run uses an empty lock and writes none.
      this.refused.set(path, place.refused);
      let lock = this.locks.get(`untrusted ${path}`);
      if (!lock) {
        lock = new LockFile(path, place.refused);
        this.locks.set(`untrusted ${path}`, lock);
      }
      return lock;
    }
    let lock = this.locks.get(path);
    if (!lock) {
      if (existsSync(path) && statSync(path).isDirectory()) throw new LockError(`${path}: is a folder, expected a lock file`);
      lock = LockFile.load(path);
      this.locks.set(path, lock);
    }
    return lock;
  }

  /** Every lock this run used (not the refused ones), for `--verbose`. */
  used(): LockFile[] {
    return [...this.locks.values()].filter((l) => l.untrusted === undefined);
  }

  /** Saves every changed lock; returns the paths written. */
  saveAll(): string[] {
    return [...this.locks.values()].filter((l) => l.save()).map((l) => l.path);
  }
}
