/**
 * Reads a Debian-format archive the way apt does for `apt-get update`: `dists/<suite>/InRelease` (or
 * `Release`), its `SHA256` list, then `<component>/binary-<arch>/Packages.gz` (or the uncompressed
 * `Packages`), checked against the size and sha256 the Release file gives, and parsed into package → versions.
 *
 * No OpenPGP signature is checked here: what dockrepro takes from an index is a version string (or a snapshot
 * timestamp) that apt resolves again at build time, verifying the archive's signatures with the keyring in the
 * image. A forged index could at worst make dockrepro write a version that then fails to install; it cannot
 * make the build install anything unsigned. The Packages files are checked against the Release hashes, so
 * the versions come from the index that Release describes.
 *
 * Every URL goes through the `archives:` mirrors; each Release is read once per (archive, suite) and each
 * Packages index once per (archive, suite, component, arch) per run, through the run's shared lookups.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { mirrored } from './archives';
import type { ResolveContext } from './context';
import { RegistryError } from './http';
import { NotFixed } from '../util/notFixed';
import { LookupKind } from './shared';

/** A suite of an archive (`http://deb.debian.org/debian`, `bookworm`). */
export interface SuiteQuery {
  uri: string;
  suite: string;
}

/** One Packages index of a suite. */
export interface PackagesQuery extends SuiteQuery {
  component: string;
  arch: string;
}

/** Largest Release/InRelease read (Debian's main archive: ~100 KB). */
const MAX_RELEASE_BYTES = 8 * 1024 * 1024;
/** Largest compressed Packages index downloaded (Debian main amd64 Packages.gz: ~10 MB). */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;
/** Largest uncompressed Packages index (Debian main amd64: ~50 MB). */
const MAX_UNPACKED_BYTES = 512 * 1024 * 1024;

export interface IndexFileEntry {
  size: number;
  sha256: string;
}

export interface ReleaseFile {
  /** Every single-line field (`Suite`, `Codename`, `Date`, `Valid-Until`, …). */
  fields: Readonly<Record<string, string>>;
  components: string[];
  architectures: string[];
  /** Path below `dists/<suite>/` → size and sha256 (the `SHA256` field). */
  sha256: ReadonlyMap<string, IndexFileEntry>;
  /** The URL that answered. */
  url: string;
}

/** A deb822 paragraph: field name → value (continuation lines joined with `\n`, as written after the colon). */
export type Paragraph = Record<string, string>;

/** Splits deb822 text (Release, Packages, `.sources`) into paragraphs; `#` comment lines are skipped. */
export function parseDeb822(text: string): Paragraph[] {
  const out: Paragraph[] = [];
  let current: Paragraph | undefined;
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      if (current) out.push(current);
      current = undefined;
      last = undefined;
      continue;
    }
    if (line.startsWith('#')) continue;
    if (/^[ \t]/.test(line)) {
      if (current && last !== undefined) current[last] += `\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    current ??= {};
    last = line.slice(0, colon).trim();
    current[last] = line.slice(colon + 1).trim();
  }
  if (current) out.push(current);
  return out;
}

/** The signed text of a clearsigned OpenPGP message (RFC 4880 §7: header, blank line, dash-escaped body); other text as it is. */
export function clearsignedBody(text: string): string {
  if (!text.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) return text;
  const lines = text.split(/\r?\n/);
  let i = 1;
  while (i < lines.length && lines[i] !== '') i++; // armor headers (`Hash: SHA512`)
  const body: string[] = [];
  for (i++; i < lines.length && lines[i] !== '-----BEGIN PGP SIGNATURE-----'; i++) body.push(lines[i].startsWith('- ') ? lines[i].slice(2) : lines[i]);
  return `${body.join('\n')}\n`;
}

/** A Release file's fields and SHA256 list. */
export function parseRelease(text: string, url: string): ReleaseFile {
  const [p] = parseDeb822(clearsignedBody(text));
  if (!p) throw new NotFixed(`${url}: not a Release file (no fields)`, 'failed');
  const sha256 = new Map<string, IndexFileEntry>();
  for (const line of (p.SHA256 ?? '').split('\n')) {
    const m = /^([0-9a-f]{64})\s+(\d+)\s+(\S+)$/.exec(line.trim());
    if (m) sha256.set(m[3], { sha256: m[1], size: Number(m[2]) });
  }
  if (sha256.size === 0) throw new NotFixed(`${url}: the Release file has no SHA256 list`, 'failed');
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(p)) if (!v.includes('\n')) fields[k] = v;
  const words = (v?: string) => (v ?? '').split(/\s+/).filter(Boolean);
  return { fields, components: words(p.Components), architectures: words(p.Architectures), sha256, url };
}

/** Package name → its versions in a Packages index (in file order, without repeats). */
export type PackageVersions = ReadonlyMap<string, readonly string[]>;

/** A suite's Release file, and one of its Packages indexes, once per run. */
const DEB_RELEASE = new LookupKind<ReleaseFile>('deb-release');
const DEB_PACKAGES = new LookupKind<PackageVersions>('deb-packages');

/** `Package:` and `Version:` of each paragraph of a Packages index (the only fields read, for speed). */
export function parsePackages(text: string): PackageVersions {
  const out = new Map<string, string[]>();
  let name: string | undefined;
  let version: string | undefined;
  const flush = () => {
    if (name !== undefined && version !== undefined) {
      const list = out.get(name);
      if (!list) out.set(name, [version]);
      else if (!list.includes(version)) list.push(version);
    }
    name = version = undefined;
  };
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).replace(/\r$/, '');
    if (line === '') flush();
    else if (line.startsWith('Package:')) name = line.slice(8).trim();
    else if (line.startsWith('Version:')) version = line.slice(8).trim();
    start = end + 1;
  }
  flush();
  return out;
}

const base = (uri: string) => uri.replace(/\/+$/, '');

/** `uri` as the archive is read (through a mirror when one is configured), for messages too. */
function readUrl(ctx: ResolveContext, url: string): string {
  return mirrored(url, ctx.archives);
}

async function download(ctx: ResolveContext, url: string, maxBytes: number, what: string): Promise<Buffer | undefined> {
  const at = readUrl(ctx, url);
  try {
    return (await ctx.http.get(at, {}, maxBytes, what)).body;
  } catch (e) {
    if (e instanceof RegistryError && e.kind === 'not-found') return undefined;
    throw e;
  }
}

/**
 * The Release file of `suite` at the archive `uri` (`http://deb.debian.org/debian`, `bookworm`): InRelease,
 * else Release. Neither there: a NotFixed naming the suite.
 */
export function readRelease(ctx: ResolveContext, q: SuiteQuery): Promise<ReleaseFile> {
  const { uri, suite } = q;
  return ctx.lookups.once(DEB_RELEASE, `${base(uri)} ${suite}`, async () => {
    const dists = `${base(uri)}/dists/${suite}`;
    for (const name of ['InRelease', 'Release']) {
      const body = await download(ctx, `${dists}/${name}`, MAX_RELEASE_BYTES, `suite '${suite}'`);
      if (body) return parseRelease(body.toString('utf8'), readUrl(ctx, `${dists}/${name}`));
    }
    throw new NotFixed(`the archive ${uri} has no suite '${suite}' (${readUrl(ctx, dists)}/InRelease and Release: not found)`, 'failed');
  });
}

/**
 * Package → versions in `component` for `arch` of `suite` at `uri`, from the Packages index the Release file
 * lists (Packages.gz, else Packages), verified by size and sha256. An unknown component or architecture, an
 * index only offered xz-compressed, a missing index or a hash mismatch is a NotFixed saying which.
 */
export function readPackages(ctx: ResolveContext, q: PackagesQuery): Promise<PackageVersions> {
  const { uri, suite, component, arch } = q;
  return ctx.lookups.once(DEB_PACKAGES, `${base(uri)} ${suite} ${component} ${arch}`, async () => {
    const release = await readRelease(ctx, { uri, suite });
    const where = `${uri} ${suite}`;
    if (release.components.length > 0 && !release.components.includes(component) && !hasIndex(release, component, arch)) {
      throw new NotFixed(`${where} has no component '${component}' (it has: ${release.components.join(', ')})`, 'failed');
    }
    if (release.architectures.length > 0 && !release.architectures.includes(arch) && !hasIndex(release, component, arch)) {
      throw new NotFixed(`${where} has no architecture '${arch}' (it has: ${release.architectures.join(', ')})`, 'failed');
    }
    const dir = `${component}/binary-${arch}`;
    const choice = [`${dir}/Packages.gz`, `${dir}/Packages`].find((p) => release.sha256.has(p));
    if (!choice) {
      const xzOnly = release.sha256.has(`${dir}/Packages.xz`);
      throw new NotFixed(
        xzOnly
          ? `${where} offers ${dir}/Packages only xz-compressed, which dockrepro cannot read yet (point archives: at a mirror that also serves Packages.gz)`
          : `${where} lists no ${dir}/Packages index in its Release file`,
        'failed',
      );
    }
    const expected = release.sha256.get(choice)!;
    const url = `${base(uri)}/dists/${suite}/${choice}`;
    if (expected.size > MAX_INDEX_BYTES) throw new NotFixed(`${readUrl(ctx, url)}: ${expected.size} bytes is over the limit of ${MAX_INDEX_BYTES}`, 'failed');
    const body = await download(ctx, url, expected.size, 'package index');
    if (!body) throw new NotFixed(`${readUrl(ctx, url)}: not found, though the Release file lists it`, 'failed');
    const actual = createHash('sha256').update(body).digest('hex');
    if (body.length !== expected.size || actual !== expected.sha256) {
      throw new NotFixed(`${readUrl(ctx, url)}: size ${body.length} and sha256 ${actual} do not match the Release file (${expected.size}, ${expected.sha256}): the archive is changing or broken; try again later`, 'failed');
    }
    let text: string;
    try {
      text = (choice.endsWith('.gz') ? gunzipSync(body, { maxOutputLength: MAX_UNPACKED_BYTES }) : body).toString('utf8');
    } catch (e) {
      throw new NotFixed(`${readUrl(ctx, url)}: cannot be unpacked (${(e as Error).message})`, 'failed');
    }
    return parsePackages(text);
  });
}

function hasIndex(release: ReleaseFile, component: string, arch: string): boolean {
  const dir = `${component}/binary-${arch}/`;
  for (const p of release.sha256.keys()) if (p.startsWith(dir)) return true;
  return false;
}
