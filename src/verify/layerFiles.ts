/**
 * Every entry of one layer with what two builds can differ in: type, size, a hash of the content, file
 * time, mode, owner and link target. Read from the blob file (gzip, zstd or plain tar, told apart by its
 * first bytes as src/resolve/layers.ts does) by node-tar's parser; content is hashed as it streams past,
 * and only small files keep a short excerpt for the report.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Transform, type Readable } from 'node:stream';
import type { ReadEntry } from 'tar';
import { normalizeEntryPath, sniffCompression } from '../resolve/layers';

export type FileType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'whiteout' | 'other';

export interface FileFacts {
  type: FileType;
  size: number;
  /** sha256 of the content (regular files). */
  sha256?: string;
  /** The content of a small file (up to EXCERPT_BYTES), for showing what differs. */
  excerpt?: Buffer;
  /** Seconds since the epoch. */
  mtime?: number;
  mode: number;
  uid: number;
  gid: number;
  /** Symlink target as written; hardlink target path. */
  link?: string;
}

export const EXCERPT_BYTES = 120;
const MAX_ENTRIES = 1_000_000;

/** The entries of the layer blob at `path`, by absolute normalised path (`/etc/passwd`). */
export async function readLayerFiles(path: string): Promise<Map<string, FileFacts>> {
  const files = new Map<string, FileFacts>();
  const { Parser } = require('tar') as typeof import('tar');
  let failure: Error | undefined;
  const parser = new Parser({
    zstd: false,
    brotli: false,
    maxMetaEntrySize: 64 * 1024,
    onwarn: (code, message) => {
      if (code === 'TAR_BAD_ARCHIVE' || code === 'TAR_ABORT') failure ??= new Error(`${path}: not a valid tar layer: ${String(message)}`);
    },
    onReadEntry: (entry: ReadEntry) => {
      const name = normalizeEntryPath(entry.path);
      if (name === undefined || files.size >= MAX_ENTRIES) return void entry.resume();
      const base = name.slice(name.lastIndexOf('/') + 1);
      const facts: FileFacts = {
        type: base.startsWith('.wh.') ? 'whiteout' : typeOf(entry.type),
        size: entry.size ?? 0,
        mtime: entry.mtime ? Math.floor(entry.mtime.getTime() / 1000) : undefined,
        mode: (entry.mode ?? 0) & 0o7777,
        uid: entry.uid ?? 0,
        gid: entry.gid ?? 0,
        link: entry.linkpath || undefined,
      };
      files.set(name, facts);
      if (facts.type !== 'file') return void entry.resume();
      const hash = createHash('sha256');
      const head: Buffer[] = [];
      let kept = 0;
      entry.on('data', (c: Buffer) => {
        hash.update(c);
        if (kept < EXCERPT_BYTES) {
          head.push(c.subarray(0, EXCERPT_BYTES - kept));
          kept += Math.min(c.length, EXCERPT_BYTES - kept);
        }
      });
      entry.on('end', () => {
        facts.sha256 = hash.digest('hex');
        if (facts.size <= EXCERPT_BYTES) facts.excerpt = Buffer.concat(head);
      });
    },
  });
  const done = new Promise<void>((resolve, reject) => {
    parser.on('end', () => resolve());
    parser.on('error', reject);
  });
  const source = decompressed(path);
  source.on('error', (e: Error) => parser.emit('error', e));
  source.pipe(parser as unknown as NodeJS.WritableStream);
  await done;
  if (failure) throw failure;
  return files;
}

function typeOf(t: string): FileType {
  if (t === 'File' || t === 'OldFile' || t === 'ContiguousFile') return 'file';
  if (t === 'Directory') return 'dir';
  if (t === 'SymbolicLink') return 'symlink';
  if (t === 'Link') return 'hardlink';
  return 'other';
}

/** The blob's bytes as a plain tar stream. */
function decompressed(path: string): Readable {
  const head = Buffer.alloc(4);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  const raw = createReadStream(path);
  const compression = sniffCompression(head);
  if (compression === 'gzip') return raw.pipe(createGunzip());
  if (compression === 'none') return raw;
  const { Decompress } = require('fzstd') as typeof import('fzstd');
  let push: Transform['push'] | undefined;
  // fzstd hands out views into its window buffer: copied before it is reused.
  const zstd = new Decompress((chunk) => push?.(Buffer.from(chunk)));
  const transform = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      push = (c) => this.push(c);
      try {
        zstd.push(chunk);
        callback();
      } catch (e) {
        callback(new Error(`zstd: ${(e as Error).message}`));
      }
    },
    flush(callback) {
      push = (c) => this.push(c);
      try {
        zstd.push(new Uint8Array(0), true);
        callback();
      } catch (e) {
        callback(new Error(`zstd: ${(e as Error).message}`));
      }
    },
  });
  return raw.pipe(transform);
}
