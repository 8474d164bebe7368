/**
 * Image layers as a filesystem, read without unpacking anything to disk: a layer blob (gzip, zstd or plain
 * tar, told apart by its first bytes) is streamed through node-tar's parser into a `LayerIndex` (every
 * entry's path and type; the content of only the files asked for, each bounded), and `LayeredFs` answers
 * questions about the image's final view over those indexes: later layers win, OCI whiteouts (`.wh.<name>`)
 * and opaque folders (`.wh..wh..opq`) hide what lies below, symlinks are followed inside the image (never on
 * the host). Layers are read top-down and only as far as an answer needs, so a run downloads the fewest.
 *
 * A layer is untrusted input: entry paths are normalised and any that leave the root are dropped, headers
 * are bounded (node-tar's meta entry limit), and so are the entry count, the total of path bytes, the
 * unpacked size and each captured file.
 */
import { posix } from 'node:path';
import { createGunzip, type Gunzip } from 'node:zlib';
import type { ReadEntry, Parser as TarParser } from 'tar';
import type { BlobSink } from './registry';

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface LayerEntry {
  type: EntryType;
  /** Symlink target as written; hardlink target as a normalised absolute path. */
  link?: string;
  size: number;
  /** Set for regular files that were asked for when the layer was read, within the size bound. */
  content?: Buffer;
  /** A file asked for that is over the size bound (its content was not kept). */
  tooBig?: boolean;
}

/** One layer's changes: entries by absolute normalised path (`/etc/passwd`), whiteouts, opaque folders. */
export interface LayerIndex {
  entries: Map<string, LayerEntry>;
  /** Paths deleted by this layer (`/etc/.wh.motd` → `/etc/motd`). */
  whiteouts: Set<string>;
  /** Folders whose lower-layer content this layer hides (`.wh..wh..opq`). */
  opaque: Set<string>;
  /** Entries dropped because their path leaves the root (`../x`). */
  escaped: number;
}

export interface LayerLimits {
  /** Largest file whose content is kept. Default 1 MiB. */
  maxFileBytes?: number;
  /** Most entries in one layer. Default 1,000,000. */
  maxEntries?: number;
  /** Most bytes of entry paths in one layer. Default 128 MiB. */
  maxPathBytes?: number;
  /** Most bytes of uncompressed tar. Default 64 GiB. */
  maxTarBytes?: number;
  /** Larger bounds than maxFileBytes for a few paths (an rpm database of 20 MB), by absolute normalised path. */
  largeFiles?: ReadonlyMap<string, number>;
}

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
const MAX_SYMLINK_HOPS = 40;

/**
 * A tar entry path as an absolute path inside the image (`./etc/passwd`, `etc/passwd/`, `/etc//passwd` →
 * `/etc/passwd`), or undefined when it leaves the root (`../x`, `a/../../x`).
 */
export function normalizeEntryPath(path: string): string | undefined {
  const relative = posix.normalize(path.replace(/^\/+/, '') || '.');
  if (relative === '..' || relative.startsWith('../')) return undefined;
  const trimmed = relative.replace(/\/+$/, '');
  return trimmed === '.' || trimmed === '' ? '/' : `/${trimmed}`;
}

/** A path asked for by a fixer: absolute, normalised; `..` cannot climb above `/`. */
export function normalizeQueryPath(path: string): string {
  if (!path.startsWith('/')) throw new Error(`image paths must be absolute: '${path}'`);
  const p = posix.normalize(path).replace(/\/+$/, '');
  return p === '' ? '/' : p;
}

/** `/a/b/c` → [`/`, `/a`, `/a/b`]. */
function ancestors(path: string): string[] {
  const out = ['/'];
  if (path === '/') return [];
  const parts = path.split('/').slice(1, -1);
  let cur = '';
  for (const p of parts) {
    cur += `/${p}`;
    out.push(cur);
  }
  return out;
}

type Compression = 'gzip' | 'zstd' | 'none';

/** gzip and zstd by their magic bytes; anything else is read as plain tar. */
export function sniffCompression(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/** Whether a layer media type is one this reader can read (a tar, compressed or not; not encrypted, not foreign). */
export function isReadableLayer(mediaType: string): boolean {
  if (/encrypted|foreign|nondistributable/.test(mediaType)) return false;
  return /(^|\.)tar(\+gzip|\+zstd|\.gzip|\.zstd)?$|rootfs\.diff\.tar(\.gzip)?$/.test(mediaType);
}

/**
 * A blob sink that turns a layer's bytes into its LayerIndex, keeping the content of the regular files in
 * `capture` (absolute normalised paths). Writes wait for the decompressor, so memory stays bounded.
 */
export function layerSink(capture: ReadonlySet<string>, limits: LayerLimits = {}): BlobSink<LayerIndex> {
  const maxFileBytes = limits.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const maxEntries = limits.maxEntries ?? 1_000_000;
  const maxPathBytes = limits.maxPathBytes ?? 128 * 1024 * 1024;
  const maxTarBytes = limits.maxTarBytes ?? 64 * 1024 ** 3;
  const index: LayerIndex = { entries: new Map(), whiteouts: new Set(), opaque: new Set(), escaped: 0 };
  let failure: Error | undefined;
  const fail = (e: Error) => {
    failure ??= e;
  };
  let pathBytes = 0;
  let tarBytes = 0;

  const { Parser } = require('tar') as typeof import('tar');
  const parser: TarParser = new Parser({
    // Decompressed here (Node 20's zlib has no zstd): node-tar sees plain tar only.
    zstd: false,
    brotli: false,
    maxMetaEntrySize: 64 * 1024,
    onwarn: (code, message) => {
      // node-tar warns on invalid headers and skips them; a bad archive as a whole is an error.
      if (code === 'TAR_BAD_ARCHIVE' || code === 'TAR_ABORT') fail(new Error(`not a valid tar layer: ${String(message)}`));
    },
    onReadEntry: (entry: ReadEntry) => onEntry(entry),
  });
  parser.on('error', (e: Error) => fail(e));

  function onEntry(entry: ReadEntry): void {
    if (failure) return void entry.resume();
    pathBytes += Buffer.byteLength(entry.path);
    if (index.entries.size + index.whiteouts.size + index.opaque.size >= maxEntries || pathBytes > maxPathBytes) {
      fail(new Error(`layer has more than ${maxEntries} entries or ${maxPathBytes} bytes of paths`));
      return void entry.resume();
    }
    const path = normalizeEntryPath(entry.path);
    if (path === undefined || path === '/') {
      if (path === undefined) index.escaped++;
      return void entry.resume();
    }
    const dir = posix.dirname(path);
    const name = posix.basename(path);
    addParents(path);
    if (name === OPAQUE) {
      index.opaque.add(dir);
      return void entry.resume();
    }
    if (name.startsWith(WHITEOUT)) {
      index.whiteouts.add(posix.join(dir, name.slice(WHITEOUT.length)));
      return void entry.resume();
    }
    const t = entry.type;
    if (t === 'Directory') {
      index.entries.set(path, { type: 'dir', size: 0 });
      return void entry.resume();
    }
    if (t === 'SymbolicLink') {
      index.entries.set(path, { type: 'symlink', link: entry.linkpath ?? '', size: 0 });
      return void entry.resume();
    }
    if (t === 'Link') {
      const target = normalizeEntryPath(entry.linkpath ?? '');
      index.entries.set(path, target === undefined ? { type: 'other', size: 0 } : { type: 'hardlink', link: target, size: 0 });
      return void entry.resume();
    }
    if (t !== 'File' && t !== 'OldFile' && t !== 'ContiguousFile') {
      index.entries.set(path, { type: 'other', size: 0 });
      return void entry.resume();
    }
    const file: LayerEntry = { type: 'file', size: entry.size };
    index.entries.set(path, file);
    // `folder/*` in capture keeps every file directly in that folder (names a fixer learns only from a listing).
    if (!capture.has(path) && !capture.has(`${posix.dirname(path)}/*`)) return void entry.resume();
    if (entry.size > (limits.largeFiles?.get(path) ?? maxFileBytes)) {
      file.tooBig = true;
      return void entry.resume();
    }
    const chunks: Buffer[] = [];
    entry.on('data', (c: Buffer) => chunks.push(c));
    entry.on('end', () => {
      file.content = Buffer.concat(chunks);
    });
  }

  /** A layer may hold `/a/b/c` without entries for `/a` and `/a/b`: they are folders all the same. */
  function addParents(path: string): void {
    for (const a of ancestors(path)) {
      if (a !== '/' && !index.entries.has(a)) index.entries.set(a, { type: 'dir', size: 0 });
    }
  }

  function toParser(chunk: Buffer): void | Promise<void> {
    if (failure) return;
    tarBytes += chunk.length;
    if (tarBytes > maxTarBytes) return fail(new Error(`layer unpacks to more than ${maxTarBytes} bytes`));
    if (!parser.write(chunk)) return new Promise<void>((r) => parser.once('drain', () => r()));
  }

  let head: Buffer | undefined = Buffer.alloc(0);
  let gunzip: Gunzip | undefined;
  let zstd: { push(c: Uint8Array, final?: boolean): void } | undefined;
  let pending: Promise<void> | void;

  function start(compression: Compression): void {
    if (compression === 'gzip') {
      gunzip = createGunzip();
      gunzip.on('error', (e) => fail(new Error(`gzip: ${e.message}`)));
      gunzip.on('data', (c: Buffer) => {
        const wait = toParser(c);
        if (wait) {
          gunzip!.pause();
          void wait.then(() => gunzip!.resume());
        }
      });
    } else if (compression === 'zstd') {
      const { Decompress } = require('fzstd') as typeof import('fzstd');
      const d = new Decompress((chunk) => {
        // fzstd hands out views into its window buffer: copy before it is reused.
        pending = toParser(Buffer.from(chunk));
      });
      zstd = {
        push: (c, final) => {
          try {
            d.push(c, final);
          } catch (e) {
            fail(new Error(`zstd: ${(e as Error).message}`));
          }
        },
      };
    }
  }

  async function write(chunk: Buffer): Promise<void> {
    if (head !== undefined) {
      head = Buffer.concat([head, chunk]);
      if (head.length < 4) return;
      chunk = head;
      head = undefined;
      start(sniffCompression(chunk));
    }
    if (gunzip) {
      if (!gunzip.write(chunk)) await new Promise<void>((r) => gunzip!.once('drain', () => r()));
    } else if (zstd) {
      zstd.push(chunk);
      await pending;
    } else await toParser(chunk);
    if (failure) throw failure;
  }

  return {
    write,
    async end(): Promise<LayerIndex> {
      if (head !== undefined) {
        // Under 4 bytes in all: not a tar, which the parser reports.
        await toParser(head);
        head = undefined;
      }
      if (gunzip) {
        const done = new Promise<void>((r) => gunzip!.once('end', () => r()));
        gunzip.end();
        await Promise.race([done, new Promise<void>((r) => gunzip!.once('error', () => r()))]);
      } else if (zstd) {
        zstd.push(new Uint8Array(0), true);
        await pending;
      }
      await new Promise<void>((r) => {
        parser.once('end', () => r());
        parser.end();
      });
      if (failure) throw failure;
      return index;
    },
    abort(): void {
      fail(new Error('aborted'));
      gunzip?.destroy();
    },
  };
}

/** Where an entry of the final view came from: its layer (0 = top) and the entry there. */
export interface Found {
  layer: number;
  path: string;
  entry: LayerEntry;
}

/**
 * The image's final filesystem over its layers, top (0) to bottom. `load(i)` gives layer i's index (read on
 * first need, shared by the caller); `loadContent(i, path)` reads layer i again keeping `path`'s content,
 * for a file whose content was not kept the first time (it was not asked for then).
 */
export class LayeredFs {
  constructor(
    private readonly layerCount: number,
    private readonly load: (i: number) => Promise<LayerIndex>,
    private readonly loadContent: (i: number, path: string, maxBytes: number) => Promise<LayerEntry | undefined>,
    private readonly maxFileBytes = DEFAULT_MAX_FILE_BYTES,
  ) {}

  /** The entry at exactly `path` (no symlink followed), or undefined when the final view has none. */
  async lstat(path: string): Promise<Found | undefined> {
    for (let i = 0; i < this.layerCount; i++) {
      const layer = await this.load(i);
      const entry = layer.entries.get(path);
      if (entry) return { layer: i, path, entry };
      if (hides(layer, path)) return undefined;
    }
    return undefined;
  }

  /** `path` with every symlink on the way followed inside the image (the last one only when `followLast`). */
  async resolve(path: string, followLast = true, hops = 0): Promise<Found | undefined> {
    const parts = path.split('/').filter(Boolean);
    let cur = '/';
    for (let i = 0; i < parts.length; i++) {
      const next = posix.join(cur, parts[i]);
      const found = await this.lstat(next);
      if (!found) return undefined;
      const last = i === parts.length - 1;
      if (found.entry.type === 'symlink' && (!last || followLast)) {
        if (hops >= MAX_SYMLINK_HOPS) return undefined; // a loop: the kernel says ELOOP
        const target = found.entry.link ?? '';
        // Relative to the link's folder, absolute to the image root; `..` stops at the root.
        const base = target.startsWith('/') ? target : posix.join(cur, target);
        return this.resolve(posix.join(posix.normalize(`/${base}`), ...parts.slice(i + 1)), followLast, hops + 1);
      }
      if (!last && found.entry.type !== 'dir') return undefined;
      if (last) return found;
      cur = next;
    }
    return { layer: -1, path: '/', entry: { type: 'dir', size: 0 } };
  }

  /**
   * A regular file's content (symlinks and hardlinks followed), undefined when there is none; throws when over
   * `maxBytes` (default: the bound given to the constructor).
   */
  async readFile(path: string, maxBytes = this.maxFileBytes): Promise<Buffer | undefined> {
    let found = await this.resolve(path);
    if (found?.entry.type === 'hardlink') {
      const target = found.entry.link!;
      const entry = (await this.load(found.layer)).entries.get(target);
      found = entry ? { layer: found.layer, path: target, entry } : undefined;
    }
    if (!found || found.entry.type !== 'file') return undefined;
    let entry: LayerEntry | undefined = found.entry;
    // Not kept when the layer was read (not asked for then, or over that read's bound): read the layer again for it.
    if (!entry.content && (!entry.tooBig || maxBytes > this.maxFileBytes)) entry = await this.loadContent(found.layer, found.path, maxBytes);
    if (entry?.tooBig || (entry?.content && entry.content.length > maxBytes)) throw new FileTooBig(path, entry.size, maxBytes);
    if (!entry?.content) throw new Error(`${found.path} vanished from layer ${found.layer} on a second read`);
    return entry.content;
  }

  /** Names in a folder (symlinks to it followed), sorted; empty when there is no such folder. */
  async listDir(path: string): Promise<string[]> {
    const dir = await this.resolve(path);
    if (!dir || dir.entry.type !== 'dir') return [];
    const names = new Map<string, boolean>();
    for (let i = 0; i < this.layerCount; i++) {
      const layer = await this.load(i);
      for (const p of layer.entries.keys()) {
        if (p !== '/' && posix.dirname(p) === dir.path && !names.has(posix.basename(p))) names.set(posix.basename(p), true);
      }
      for (const w of layer.whiteouts) {
        if (posix.dirname(w) === dir.path && !names.has(posix.basename(w))) names.set(posix.basename(w), false);
      }
      const replaced = layer.entries.get(dir.path);
      if (layer.opaque.has(dir.path) || hides(layer, dir.path) || (replaced && replaced.type !== 'dir')) break;
    }
    return [...names].filter(([, present]) => present).map(([n]) => n).sort();
  }
}

/** Whether `layer` hides whatever lower layers hold at `path` (when it has no entry there itself). */
function hides(layer: LayerIndex, path: string): boolean {
  if (layer.whiteouts.has(path)) return true;
  for (const a of ancestors(path)) {
    if (layer.opaque.has(a) || layer.whiteouts.has(a)) return true;
    const e = layer.entries.get(a);
    if (e && e.type !== 'dir') return true;
  }
  return false;
}

export class FileTooBig extends Error {
  constructor(
    readonly path: string,
    readonly size: number,
    limit: number,
  ) {
    super(`${path} in the image is ${size} bytes, more than the ${limit} bytes dockrepro reads from a layer`);
  }
}
