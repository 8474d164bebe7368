/**
 * crates.io and other sparse Cargo registries: the version `cargo install CRATE[@REQ]` would pick today.
 * A sparse index serves one file per crate at `<index>/<prefix>/<name>` (lowercased; prefix `1`, `2`,
 * `3/<first letter>`, or `<first two>/<next two>`), one JSON object per line and version, with `vers` and
 * `yanked`. Cargo skips yanked versions and, unless the requirement names one, prereleases.
 * Also the SemVer 2.0 parsing and ordering the Go resolver shares.
 */
import { RegistryError, type HttpClient } from './http';
import type { ResolvedVersion } from './packages';
import type { ResolveContext } from './context';
import { LookupKind } from './shared';

export const CRATES_IO_INDEX = 'https://index.crates.io/';

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  pre: (string | number)[];
  build: string;
}

const IDENT = '(?:0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)';
const SEMVER = new RegExp(
  `^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$`,
);

/** A SemVer 2.0 version (no `v`, no spaces), or undefined. */
export function parseSemver(v: string): SemVer | undefined {
  if (v.length > 128) return undefined;
  const m = SEMVER.exec(v);
  if (!m) return undefined;
  const [major, minor, patch] = [m[1], m[2], m[3]].map(Number);
  if (![major, minor, patch].every(Number.isSafeInteger)) return undefined;
  const pre = m[4] === undefined ? [] : m[4].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return { major, minor, patch, pre, build: m[5] ?? '' };
}

/** SemVer precedence (build metadata ignored). */
export function compareSemver(a: SemVer, b: SemVer): number {
  const d = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (d !== 0) return Math.sign(d);
  if (a.pre.length === 0 || b.pre.length === 0) return Math.sign(b.pre.length - a.pre.length);
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'string') return -1;
    if (typeof x === 'string' && typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** Crate names: ASCII letters, digits, `-`, `_`, starting with a letter, at most 64 characters. */
export function isCrateName(n: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(n);
}

export function isCrateVersion(v: string): boolean {
  return parseSemver(v) !== undefined;
}

/** The index file of a crate: `1/a`, `2/ab`, `3/a/abc`, `se/rd/serde` (lowercased). */
export function sparsePath(name: string): string {
  const n = name.toLowerCase();
  if (n.length <= 2) return `${n.length}/${n}`;
  if (n.length === 3) return `3/${n[0]}/${n}`;
  return `${n.slice(0, 2)}/${n.slice(2, 4)}/${n}`;
}

interface Comparator {
  op: '=' | '>' | '>=' | '<' | '<=' | '~' | '^' | '*';
  major?: number;
  minor?: number;
  patch?: number;
  pre: (string | number)[];
}

const COMPARATOR = /^(=|>=|<=|>|<|~|\^)?\s*(?:(\*)|(\d+)(?:\.(\*|\d+)(?:\.(\*|\d+)(?:-([0-9A-Za-z.-]+))?)?)?)$/;

/** A Cargo version requirement (`^1.2`, `~1`, `1.*`, `>=1, <2`, `*`), as the semver crate reads it; undefined when not one. */
export function parseCargoRequirement(req: string): Comparator[] | undefined {
  const out: Comparator[] = [];
  for (const part of req.split(',')) {
    const m = COMPARATOR.exec(part.trim());
    if (!m || (m[2] === undefined && m[3] === undefined)) return undefined;
    if (m[2] !== undefined) {
      if (m[1]) return undefined;
      out.push({ op: '*', pre: [] });
      continue;
    }
    const num = (s: string | undefined) => (s === undefined || s === '*' ? undefined : Number(s));
    const wildcard = m[4] === '*' || m[5] === '*';
    if (wildcard && m[1] && m[1] !== '=') return undefined;
    const pre = m[6] === undefined ? [] : m[6].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    if (m[6] !== undefined && m[5] === undefined) return undefined;
    out.push({ op: (wildcard ? '=' : m[1] ?? '^') as Comparator['op'], major: num(m[3]), minor: num(m[4]), patch: num(m[5]), pre });
  }
  return out.length > 0 ? out : undefined;
}

const v3 = (major: number, minor: number, patch: number, pre: (string | number)[] = []): SemVer => ({ major, minor, patch, pre, build: '' });

/** One comparator, as the semver crate's `matches_*` (the prerelease gate is applied by the caller). */
function matchesComparator(v: SemVer, c: Comparator): boolean {
  if (c.op === '*') return true;
  const M = c.major!;
  const lower = v3(M, c.minor ?? 0, c.patch ?? 0, c.pre);
  const ge = (x: SemVer) => compareSemver(v, x) >= 0;
  const lt = (x: SemVer) => compareSemver(v, x) < 0;
  switch (c.op) {
    case '=':
      if (c.minor === undefined) return v.major === M;
      if (c.patch === undefined) return v.major === M && v.minor === c.minor;
      return compareSemver(v, lower) === 0;
    case '>':
      if (c.minor === undefined) return ge(v3(M + 1, 0, 0));
      if (c.patch === undefined) return ge(v3(M, c.minor + 1, 0));
      return compareSemver(v, lower) > 0;
    case '>=':
      return ge(lower);
    case '<':
      return lt(lower);
    case '<=':
      if (c.minor === undefined) return lt(v3(M + 1, 0, 0));
      if (c.patch === undefined) return lt(v3(M, c.minor + 1, 0));
      return compareSemver(v, lower) <= 0;
    case '~':
      return ge(lower) && lt(c.minor === undefined ? v3(M + 1, 0, 0) : v3(M, c.minor + 1, 0));
    case '^':
      if (!ge(lower)) return false;
      if (M > 0 || c.minor === undefined) return lt(v3(M + 1, 0, 0));
      if (c.minor > 0 || c.patch === undefined) return lt(v3(0, c.minor + 1, 0));
      return lt(v3(0, 0, c.patch + 1));
  }
}

/** VersionReq::matches: every comparator, and a prerelease only when a comparator names one of the same x.y.z. */
export function satisfiesCargo(v: SemVer, req: Comparator[]): boolean {
  if (!req.every((c) => matchesComparator(v, c))) return false;
  if (v.pre.length === 0) return true;
  return req.some((c) => c.pre.length > 0 && c.major === v.major && c.minor === v.minor && c.patch === v.patch);
}

export interface CrateQuery {
  /** The sparse index (`https://index.crates.io/`). */
  index: string;
  name: string;
  /** A Cargo version requirement; absent: any release. */
  req?: string;
}

/** A crate's index file by URL, once per run (every requirement of the crate reads it). */
const CRATE_INDEX = new LookupKind<Awaited<ReturnType<HttpClient['get']>>>('crate-index');

/**
 * The newest non-yanked version of `name` matching `req` (any release when absent) in the sparse index at
 * `index`; the index file is fetched once per run for every requirement of the crate.
 */
export async function resolveCrate(ctx: ResolveContext, q: CrateQuery): Promise<ResolvedVersion> {
  const { index, name, req } = q;
  const base = index.endsWith('/') ? index : `${index}/`;
  const url = `${base}${sparsePath(name)}`;
  const comparators = req === undefined ? [{ op: '*', pre: [] } as Comparator] : parseCargoRequirement(req);
  if (!comparators) throw new RegistryError(`'${req}' is not a Cargo version requirement`, 'invalid-reference');
  const res = await ctx.lookups.once(CRATE_INDEX, url, () => ctx.http.get(url, {}, 64 * 1024 * 1024, 'crate'));
  let best: { text: string; v: SemVer } | undefined;
  let yanked = 0;
  let all = 0;
  const lines = res.body.toString('utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      throw new RegistryError(`${url}: line ${i + 1} is not JSON`, 'malformed', 200, url);
    }
    const { vers, yanked: y } = (entry ?? {}) as { vers?: unknown; yanked?: unknown };
    const v = typeof vers === 'string' ? parseSemver(vers) : undefined;
    if (!v) throw new RegistryError(`${url}: line ${i + 1}: malformed version ${JSON.stringify(vers)}`, 'malformed', 200, url);
    if (y !== undefined && typeof y !== 'boolean') throw new RegistryError(`${url}: line ${i + 1}: 'yanked' is not true or false`, 'malformed', 200, url);
    all++;
    if (y === true) {
      yanked++;
      return;
    }
    if (!satisfiesCargo(v, comparators)) return;
    if (!best || compareSemver(v, best.v) > 0) best = { text: vers as string, v };
  });
  if (!best) {
    const what = req === undefined ? 'no release that is not yanked or a prerelease' : `no version matching '${req}' that is not yanked`;
    throw new RegistryError(`${url}: crate '${name}' has ${what} (${all} versions, ${yanked} yanked)`, 'not-found', 200, url);
  }
  const what = req === undefined ? 'newest release (not yanked)' : `newest version matching '${req}' (not yanked)`;
  return { version: best.text, explanation: `${what} in ${base}` };
}
