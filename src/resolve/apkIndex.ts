/**
 * Alpine repository indexes: `<repository>/<arch>/APKINDEX.tar.gz`, as apk-tools v2 and v3 both read them.
 * The file is gzip members laid end to end: a signed index starts with a member holding the tar entry
 * `.SIGN.RSA.<key>.rsa.pub` (with no end-of-archive blocks), then one holding `DESCRIPTION` and `APKINDEX`.
 * Unpacked, that is one tar stream. `APKINDEX` is records separated by blank lines, one `X:value` field a
 * line (apk-index(8); the same format as the installed database /lib/apk/db/installed):
 *
 * ```
 * P:curl            name               V:8.11.1-r0   version        A:x86_64   architecture
 * o:curl            origin (source)    p:cmd:curl=8.11.1-r0 so:libcurl.so.4=4   provides
 * k:100             provider priority  D:…           dependencies
 * ```
 *
 * Each index is downloaded once per (URL, arch) per run (Lookups.once on the run's lookups), size-limited,
 * through the package HTTP client and the `archives:` mirrors. The signature is not checked (dockrepro only
 * reads versions; apk checks signatures when it installs).
 */
import { gunzipSync } from 'node:zlib';
import { RegistryError } from './http';
import { mirrored } from './archives';
import type { ResolveContext } from './context';
import { LookupKind } from './shared';

/** Largest APKINDEX.tar.gz downloaded (Alpine's community index is ~2 MB). */
export const MAX_INDEX_BYTES = 64 * 1024 * 1024;
/** Largest index once unpacked (community: ~10 MB). */
export const MAX_UNPACKED_BYTES = 256 * 1024 * 1024;

export interface ApkProvide {
  name: string;
  version?: string;
}

export interface ApkIndexPackage {
  name: string;
  version: string;
  arch?: string;
  origin?: string;
  /** `p:` names this package also answers to (`cmd:curl`, `so:libcurl.so.4`, virtual names). */
  provides: ApkProvide[];
  /** `k:` (provider_priority), used by apk to choose among providers of a virtual name. */
  providerPriority?: number;
}

export interface ApkIndex {
  /** The URL the index was read from (before mirroring), for messages. */
  url: string;
  /** DESCRIPTION (`v3.20.3-…`), when present. */
  description?: string;
  /** Packages by name (an index may hold several versions of one name). */
  byName: ReadonlyMap<string, readonly ApkIndexPackage[]>;
  /** Packages by each name they provide (`so:libssl.so.3` → libssl3). */
  providers: ReadonlyMap<string, readonly ApkIndexPackage[]>;
}

/** A provide entry `name[=version]` (`so:libc.musl-x86_64.so.1`, `cmd:curl=8.11.1-r0`, `pc:zlib=1.3.1`). */
function parseProvide(word: string): ApkProvide {
  const eq = word.indexOf('=');
  return eq < 0 ? { name: word } : { name: word.slice(0, eq), version: word.slice(eq + 1) };
}

/** The records of an APKINDEX (or /lib/apk/db/installed) text; a record without P: or V: is skipped. */
export function parseApkIndexText(text: string): ApkIndexPackage[] {
  const out: ApkIndexPackage[] = [];
  for (const record of text.split(/\n[ \t]*\n/)) {
    const fields = new Map<string, string>();
    for (const line of record.split('\n')) {
      // Only the first value of a field counts (the installed db repeats F:/R: per file; not read here).
      if (line.length >= 2 && line[1] === ':' && !fields.has(line[0])) fields.set(line[0], line.slice(2).trim());
    }
    const name = fields.get('P');
    const version = fields.get('V');
    if (!name || !version) continue;
    const k = fields.get('k');
    out.push({
      name,
      version,
      arch: fields.get('A'),
      origin: fields.get('o'),
      provides: (fields.get('p') ?? '').split(/\s+/).filter(Boolean).map(parseProvide),
      providerPriority: k !== undefined && /^\d{1,9}$/.test(k) ? Number(k) : undefined,
    });
  }
  return out;
}

/** Packages grouped by name and by what they provide. */
export function indexPackages(url: string, packages: ApkIndexPackage[], description?: string): ApkIndex {
  const byName = new Map<string, ApkIndexPackage[]>();
  const providers = new Map<string, ApkIndexPackage[]>();
  const add = (m: Map<string, ApkIndexPackage[]>, k: string, p: ApkIndexPackage) => {
    const list = m.get(k);
    if (list) list.push(p);
    else m.set(k, [p]);
  };
  for (const p of packages) {
    add(byName, p.name, p);
    for (const pr of p.provides) add(providers, pr.name, p);
  }
  return { url, description, byName, providers };
}

/**
 * The regular files of a plain tar stream by name (only those in `wanted`), read with node-tar's parser,
 * which works synchronously on a buffer. A header with a bad checksum is an error, not a skipped entry; an
 * entry cut off by the end of the stream is not returned.
 */
export function tarFiles(tar: Buffer, wanted: ReadonlySet<string>): Map<string, Buffer> {
  const { Parser } = require('tar') as typeof import('tar');
  const files = new Map<string, Buffer>();
  let problem: string | undefined;
  const parser = new Parser({ strict: true });
  parser.on('error', (e: Error) => {
    problem ??= e.message;
  });
  parser.on('entry', (entry) => {
    const name = entry.path.replace(/^\.\//, '');
    if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') return void entry.resume();
    if (!wanted.has(name)) return void entry.resume();
    const chunks: Buffer[] = [];
    entry.on('data', (c: Buffer) => chunks.push(c));
    entry.on('end', () => files.set(name, Buffer.concat(chunks)));
  });
  parser.end(tar);
  if (problem) throw new Error(problem);
  return files;
}

/** APKINDEX and DESCRIPTION from the bytes of an APKINDEX.tar.gz; errors say what is wrong with the file. */
export function unpackApkIndex(gz: Buffer, url: string, maxUnpacked = MAX_UNPACKED_BYTES): { apkindex: string; description?: string } {
  let tar: Buffer;
  try {
    // Node's gunzip reads every member of a multi-member file (signature, then index).
    tar = gunzipSync(gz, { maxOutputLength: maxUnpacked });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new RegistryError(`${url}: the index unpacks to more than ${maxUnpacked} bytes`, 'malformed', 200, url);
    throw new RegistryError(`${url}: not a gzip file (${(e as Error).message})`, 'malformed', 200, url);
  }
  let files: Map<string, Buffer>;
  try {
    files = tarFiles(tar, new Set(['APKINDEX', 'DESCRIPTION']));
  } catch (e) {
    throw new RegistryError(`${url}: not a valid index archive (${(e as Error).message})`, 'malformed', 200, url);
  }
  const apkindex = files.get('APKINDEX');
  if (!apkindex) throw new RegistryError(`${url}: the archive has no APKINDEX entry`, 'malformed', 200, url);
  return { apkindex: apkindex.toString('utf8'), description: files.get('DESCRIPTION')?.toString('utf8').trim() };
}

/** `<repository>/<arch>/APKINDEX.tar.gz` for a repository URL as /etc/apk/repositories writes it. */
export function apkIndexUrl(repository: string, arch: string): string {
  return `${repository.replace(/\/+$/, '')}/${arch}/APKINDEX.tar.gz`;
}

export interface ApkIndexQuery {
  /** A repository URL as /etc/apk/repositories writes it. */
  repository: string;
  /** apk's architecture name (`x86_64`). */
  arch: string;
}

const APK_INDEX = new LookupKind<ApkIndex>('apkindex');

/**
 * The index of `repository` for `arch`: downloaded (through the configured archive mirrors) at most once per
 * run, however many files and packages ask. Failures are RegistryErrors naming the URL.
 */
export function fetchApkIndex(ctx: ResolveContext, q: ApkIndexQuery): Promise<ApkIndex> {
  const url = apkIndexUrl(q.repository, q.arch);
  return ctx.lookups.once(APK_INDEX, url, async () => {
    const res = await ctx.http.get(mirrored(url, ctx.archives), {}, MAX_INDEX_BYTES, 'Alpine repository or architecture');
    const { apkindex, description } = unpackApkIndex(res.body, url);
    const packages = parseApkIndexText(apkindex);
    if (packages.length === 0) throw new RegistryError(`${url}: the APKINDEX lists no packages`, 'malformed', 200, url);
    return indexPackages(url, packages, description);
  });
}
