/**
 * Reads an rpm-md repository (what dnf, yum, microdnf and zypper read): `<baseurl>/repodata/repomd.xml` names
 * the `primary` file (location, checksum, size), which lists every package with its name, arch and
 * epoch/version/release. The primary file is downloaded once per repository per run (Lookups.once), checked
 * against repomd's size and checksum, decompressed as a stream (gzip by zlib, zstd by fzstd; xz and bzip2
 * have no decoder here and are refused with the reason) and scanned package by package.
 *
 * No XML parser is among the dependencies, so the few elements needed are read by a careful scanner. Why that
 * is enough: createrepo writes each package as one `<package>…</package>` element whose `<name>`, `<arch>`
 * and `<version epoch= ver= rel=/>` children come before `<format>`; text in XML cannot hold a literal `<`, so
 * `</package>` cannot appear inside it; values are entity-decoded, and nothing read is written anywhere
 * unless it matches rpm's version grammar (src/resolve/rpmVersion.ts).
 *
 * A repository known only by a metalink (Fedora, CentOS Stream) is read from the mirrors the metalink lists,
 * and only when the repomd.xml a mirror serves has a hash the metalink gives: the repomd dnf would accept.
 */
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { mirrored, type ArchiveMirrors } from './archives';
import { RegistryError, type HttpClient } from './http';
import { NotFixed } from '../util/notFixed';
import type { ResolveContext } from './context';
import { LookupKind } from './shared';

export interface RpmPackage {
  name: string;
  arch: string;
  epoch: number;
  version: string;
  release: string;
}

export interface RpmRepoIndex {
  /** The baseurl the packages were read from (after archive mirrors). */
  url: string;
  /** Packages by name. */
  byName: ReadonlyMap<string, readonly RpmPackage[]>;
  /** Names of the packages module streams ship (modules.yaml artifacts); empty for a repository without modules. */
  modular: ReadonlySet<string>;
}

const MAX_REPOMD_BYTES = 4 * 1024 * 1024;
const MAX_METALINK_BYTES = 4 * 1024 * 1024;
/** Fedora's Everything primary is ~20 MB compressed, ~200 MB plain. */
const MAX_PRIMARY_BYTES = 256 * 1024 * 1024;
const MAX_PRIMARY_PLAIN_BYTES = 2 * 1024 ** 3;
const MAX_MODULES_BYTES = 64 * 1024 * 1024;
/** Mirrors of a metalink tried before giving up (each costs a repomd download). */
const METALINK_TRIES = 3;

/**
 * `url` through the archive mirrors; a query (metalink and mirror list services take one) stays as it is,
 * since `archives:` prefixes have none.
 */
export function mirroredService(url: string, mirrors: ArchiveMirrors): string {
  const q = url.indexOf('?');
  return q < 0 ? mirrored(url, mirrors) : mirrored(url.slice(0, q), mirrors) + url.slice(q);
}

const HASHES: Readonly<Record<string, string>> = { sha: 'sha1', sha1: 'sha1', sha224: 'sha224', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };

/** A repository's index by the URL it is read from (its base, or its metalink), once per run. */
const RPM_REPO = new LookupKind<RpmRepoIndex>('rpm-repo');
const RPM_METALINK = new LookupKind<RpmRepoIndex>('rpm-metalink');

const slash = (u: string) => (u.endsWith('/') ? u : `${u}/`);

/** The repository at `baseurl` (read through `mirrors`), once per run. */
export function readRpmRepo(ctx: ResolveContext, q: { baseurl: string }): Promise<RpmRepoIndex> {
  const { http } = ctx;
  const url = slash(mirrored(q.baseurl, ctx.archives));
  return ctx.lookups.once(RPM_REPO, url, async () => {
    const repomd = await http.get(`${url}repodata/repomd.xml`, {}, MAX_REPOMD_BYTES, 'rpm repository (no repodata/repomd.xml)');
    return readFromRepomd(http, url, repomd.body.toString('utf8'));
  });
}

/**
 * The repository a metalink names: its mirrors in order of preference, the first whose repomd.xml has one of
 * the metalink's hashes (as dnf checks it). The metalink and the mirrors' URLs go through `mirrors`.
 */
export function readRpmRepoByMetalink(ctx: ResolveContext, q: { metalink: string }): Promise<RpmRepoIndex> {
  const { http, archives: mirrors } = ctx;
  const { metalink } = q;
  const url = mirroredService(metalink, mirrors);
  return ctx.lookups.once(RPM_METALINK, url, async () => {
    const text = (await http.get(url, {}, MAX_METALINK_BYTES, 'metalink')).body.toString('utf8');
    const { hashes, urls } = parseMetalink(text);
    if (hashes.length === 0) throw new NotFixed(`the metalink ${metalink} gives no sha256/sha512 hash of repomd.xml, so no mirror's copy can be checked`, 'failed');
    if (urls.length === 0) throw new NotFixed(`the metalink ${metalink} lists no http(s) mirror`, 'failed');
    const tried: string[] = [];
    for (const repomdUrl of urls.slice(0, METALINK_TRIES)) {
      const base = repomdUrl.slice(0, -'repodata/repomd.xml'.length);
      const mirror = slash(mirrored(base, mirrors));
      try {
        const body = (await http.get(`${mirror}repodata/repomd.xml`, {}, MAX_REPOMD_BYTES, 'rpm repository')).body;
        if (!hashes.some((h) => createHash(h.type).update(body).digest('hex') === h.hex)) {
          tried.push(`${mirror}: its repomd.xml is not the one the metalink names (an out-of-date mirror)`);
          continue;
        }
        return readFromRepomd(http, mirror, body.toString('utf8'));
      } catch (e) {
        if (!(e instanceof RegistryError)) throw e;
        tried.push(e.message);
      }
    }
    throw new NotFixed(`no mirror of the metalink ${metalink} served the current repomd.xml (${tried.join('; ')})`, 'failed');
  });
}

/** The hashes of repomd.xml (current and alternates) and the http(s) URLs of a metalink, best preference first. */
export function parseMetalink(text: string): { hashes: { type: string; hex: string }[]; urls: string[] } {
  const file = /<file\s+name="repomd\.xml"\s*>([\s\S]*?)<\/file>/.exec(text)?.[1] ?? '';
  const hashes: { type: string; hex: string }[] = [];
  for (const m of file.matchAll(/<hash\s+type="(sha256|sha512)"\s*>\s*([0-9a-fA-F]+)\s*<\/hash>/g)) hashes.push({ type: m[1], hex: m[2].toLowerCase() });
  const urls: { url: string; preference: number; order: number }[] = [];
  for (const m of file.matchAll(/<url\b([^>]*)>\s*([^<\s]+)\s*<\/url>/g)) {
    const url = decodeEntities(m[2]);
    if (!/^https?:\/\//.test(url) || !url.endsWith('/repodata/repomd.xml')) continue;
    const preference = Number(/\bpreference="(\d+)"/.exec(m[1])?.[1] ?? 0);
    urls.push({ url, preference, order: urls.length });
  }
  urls.sort((a, b) => b.preference - a.preference || a.order - b.order);
  return { hashes, urls: urls.map((u) => u.url) };
}

interface RepomdRecord {
  href: string;
  checksum: { type: string; hex: string };
  size?: number;
}

/** The `<data type="…">` records of repomd.xml: location, checksum and size. */
export function parseRepomd(text: string): Map<string, RepomdRecord> {
  const out = new Map<string, RepomdRecord>();
  for (const m of text.matchAll(/<data\s+type="([^"]+)"\s*>([\s\S]*?)<\/data>/g)) {
    const body = m[2];
    const href = /<location\b[^>]*\bhref="([^"]+)"/.exec(body)?.[1];
    const sum = /<checksum\s+type="([^"]+)"\s*>\s*([0-9a-fA-F]+)\s*<\/checksum>/.exec(body);
    const size = /<size>\s*(\d+)\s*<\/size>/.exec(body)?.[1];
    if (href && sum) out.set(m[1], { href: decodeEntities(href), checksum: { type: sum[1], hex: sum[2].toLowerCase() }, ...(size ? { size: Number(size) } : {}) });
  }
  return out;
}

async function readFromRepomd(http: HttpClient, url: string, repomd: string): Promise<RpmRepoIndex> {
  if (!/<repomd\b/.test(repomd)) throw new NotFixed(`${url}repodata/repomd.xml is not an rpm-md repomd file`, 'failed');
  const records = parseRepomd(repomd);
  const primary = records.get('primary');
  if (!primary) throw new NotFixed(`${url}repodata/repomd.xml names no primary data`, 'failed');
  const plain = await download(http, url, primary, MAX_PRIMARY_BYTES, MAX_PRIMARY_PLAIN_BYTES);
  const byName = new Map<string, RpmPackage[]>();
  scanPrimary(plain, (p) => {
    const list = byName.get(p.name);
    if (list) list.push(p);
    else byName.set(p.name, [p]);
  });
  const modules = records.get('modules');
  const modular = modules ? modularNames((await download(http, url, modules, MAX_MODULES_BYTES, MAX_MODULES_BYTES)).toString('utf8'), url) : new Set<string>();
  return { url, byName, modular };
}

/** A repodata file, checked against repomd's size and checksum, decompressed by its name's suffix. */
async function download(http: HttpClient, base: string, record: RepomdRecord, maxBytes: number, maxPlain: number): Promise<Buffer> {
  const fileUrl = new URL(record.href, base).toString();
  if (!fileUrl.startsWith(base)) throw new NotFixed(`${base}repodata/repomd.xml points outside the repository (${record.href})`, 'failed');
  const algorithm = HASHES[record.checksum.type];
  if (!algorithm) throw new NotFixed(`${fileUrl}: repomd.xml gives a ${record.checksum.type} checksum, which dockrepro does not check`, 'failed');
  if (record.size !== undefined && record.size > maxBytes) throw new NotFixed(`${fileUrl} is ${record.size} bytes, over dockrepro's limit of ${maxBytes}`, 'failed');
  const body = (await http.get(fileUrl, {}, maxBytes, 'rpm repository file')).body;
  if (record.size !== undefined && body.length !== record.size) throw new NotFixed(`${fileUrl} is ${body.length} bytes, repomd.xml says ${record.size}`, 'failed');
  const hex = createHash(algorithm).update(body).digest('hex');
  if (hex !== record.checksum.hex) throw new NotFixed(`${fileUrl} does not match its ${record.checksum.type} checksum in repomd.xml (got ${hex})`, 'failed');
  return decompress(body, fileUrl, maxPlain);
}

function decompress(body: Buffer, url: string, maxPlain: number): Promise<Buffer> {
  const path = new URL(url).pathname;
  const tooBig = () => new NotFixed(`${url} decompresses to more than ${maxPlain} bytes`, 'failed');
  if (path.endsWith('.gz')) {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let n = 0;
      const z = createGunzip();
      z.on('data', (c: Buffer) => {
        n += c.length;
        if (n > maxPlain) return z.destroy(tooBig());
        chunks.push(c);
      });
      z.on('error', (e) => reject(e instanceof NotFixed ? e : new NotFixed(`${url}: not valid gzip (${e.message})`, 'failed')));
      z.on('end', () => resolve(Buffer.concat(chunks)));
      z.end(body);
    });
  }
  if (path.endsWith('.zst')) {
    const { Decompress } = require('fzstd') as typeof import('fzstd');
    const chunks: Buffer[] = [];
    let n = 0;
    try {
      const z = new Decompress((c) => {
        n += c.length;
        if (n > maxPlain) throw tooBig();
        chunks.push(Buffer.from(c)); // fzstd hands out views into its window: copy
      });
      z.push(body, true);
    } catch (e) {
      return Promise.reject(e instanceof NotFixed ? e : new NotFixed(`${url}: not valid zstd (${(e as Error).message})`, 'failed'));
    }
    return Promise.resolve(Buffer.concat(chunks));
  }
  if (path.endsWith('.xml') || path.endsWith('.yaml')) return Promise.resolve(body);
  const suffix = /\.[A-Za-z0-9]+$/.exec(path)?.[0] ?? path;
  return Promise.reject(new NotFixed(`${url}: dockrepro has no ${suffix} decoder (gzip and zstd only); use a mirror that offers gzip metadata`, 'failed'));
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (all, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? all;
  });
}

const OPEN = Buffer.from('<package ');
const CLOSE = Buffer.from('</package>');

/**
 * Calls `each` for every `<package type="rpm">` of a primary.xml, reading only the part of each package
 * before `<format>` as text (descriptions and file lists stay bytes). Malformed packages are an error: a
 * scanner that skipped them could miss the newest version.
 */
export function scanPrimary(xml: Buffer, each: (p: RpmPackage) => void): void {
  let at = 0;
  for (;;) {
    const start = xml.indexOf(OPEN, at);
    if (start < 0) return;
    const end = xml.indexOf(CLOSE, start);
    if (end < 0) throw new NotFixed('primary.xml ends inside a <package> element', 'failed');
    at = end + CLOSE.length;
    const format = xml.indexOf('<format>', start);
    const head = xml.toString('utf8', start, format >= 0 && format < end ? format : end);
    if (!/^<package\s+type="rpm"/.test(head)) continue;
    const name = /<name>([^<]*)<\/name>/.exec(head)?.[1];
    const arch = /<arch>([^<]*)<\/arch>/.exec(head)?.[1];
    const v = /<version\b([^>]*)\/?>/.exec(head)?.[1] ?? '';
    const attr = (k: string) => new RegExp(`\\b${k}="([^"]*)"`).exec(v)?.[1];
    const ver = attr('ver');
    const rel = attr('rel');
    const epoch = attr('epoch') ?? '0';
    if (name === undefined || arch === undefined || ver === undefined || rel === undefined || !/^\d{1,10}$/.test(epoch)) {
      throw new NotFixed(`primary.xml has a package without a readable name, arch or version near '${head.slice(0, 120)}'`, 'failed');
    }
    each({ name: decodeEntities(name.trim()), arch: decodeEntities(arch.trim()), epoch: Number(epoch), version: decodeEntities(ver), release: decodeEntities(rel) });
  }
}

/**
 * The package names module streams ship: `data.artifacts.rpms` of each modulemd document, given as NEVRAs
 * (`perl-4:5.26.3-419.module+el8+2887+2c3ea3f2.x86_64`). Only a name is needed, so a NEVRA is cut at its
 * last two `-`.
 */
export function modularNames(yamlText: string, url: string): Set<string> {
  const yaml = require('js-yaml') as typeof import('js-yaml');
  const names = new Set<string>();
  let docs: unknown[];
  try {
    docs = yaml.loadAll(yamlText) as unknown[];
  } catch (e) {
    throw new NotFixed(`${url}: the module metadata is not readable YAML (${(e as Error).message})`, 'failed');
  }
  for (const doc of docs) {
    const d = doc as { document?: unknown; data?: { artifacts?: { rpms?: unknown } } } | null;
    if (!d || typeof d !== 'object' || d.document !== 'modulemd' || !Array.isArray(d.data?.artifacts?.rpms)) continue;
    for (const nevra of d.data!.artifacts!.rpms as unknown[]) {
      if (typeof nevra !== 'string') continue;
      const parts = nevra.replace(/\.[^.]+$/, '').split('-');
      if (parts.length >= 3) names.add(parts.slice(0, -2).join('-'));
    }
  }
  return names;
}
