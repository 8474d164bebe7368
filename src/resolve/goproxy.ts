/**
 * Go modules through the module proxy protocol: the version `go install PKG@QUERY` would use today.
 *
 * - GOPROXY is a list of proxy URLs and the keywords `direct` (version control) and `off`; after an entry
 *   followed by `,` the next one is tried only on 404/410, after `|` on any error.
 * - A package path is served by the module whose path is its longest prefix that the proxy knows: every
 *   prefix is asked, longest first, as the go command does.
 * - `$base/$module/@v/list` lists the tagged versions; `latest` is the highest release, else the highest
 *   prerelease, leaving out versions retracted by the go.mod of that version (`@v/$version.mod`); with no
 *   tagged version, `$base/$module/@latest` answers (`{"Version": …}`, a pseudo-version). A branch or commit
 *   is resolved by `$base/$module/@v/$query.info`.
 * - Upper-case letters of paths and versions are sent as `!` + the lower-case letter.
 */
import { RegistryError, type HttpClient } from './http';
import { NotFixed } from '../util/notFixed';
import type { ResolveContext } from './context';
import { LookupKind } from './shared';
import type { ResolvedVersion } from './packages';
import { compareSemver, parseSemver, type SemVer } from './crates';

export const DEFAULT_GOPROXY = 'https://proxy.golang.org,direct';

export type ProxyEntry =
  | { kind: 'url'; url: string; fallbackOnAnyError: boolean }
  | { kind: 'direct' }
  | { kind: 'off' };

/** GOPROXY as the go command reads it: `,`/`|` separators, empty entries skipped, nothing after `off`. */
export function parseGoproxy(value: string): ProxyEntry[] {
  const out: ProxyEntry[] = [];
  const parts = value.split(/([,|])/);
  for (let i = 0; i < parts.length; i += 2) {
    const item = parts[i].trim();
    if (item === '') continue;
    const sep = parts[i + 1];
    if (item === 'off') {
      out.push({ kind: 'off' });
      break;
    }
    if (item === 'direct') out.push({ kind: 'direct' });
    else out.push({ kind: 'url', url: (/^[a-z][a-z0-9+.-]*:/i.test(item) ? item : `https://${item}`).replace(/\/+$/, ''), fallbackOnAnyError: sep === '|' });
  }
  return out;
}

/** The list written back (for lock keys and messages). */
export function formatGoproxy(entries: ProxyEntry[]): string {
  return entries.map((e, i) => (e.kind === 'url' ? e.url : e.kind) + (i < entries.length - 1 ? (e.kind === 'url' && e.fallbackOnAnyError ? '|' : ',') : '')).join('');
}

/** Import paths: a dotted first element, then elements of letters, digits and `-._~+`; no empty or dot-only elements. */
export function isGoPath(p: string): boolean {
  if (p.length > 400 || !/^[A-Za-z0-9._~+-]+(\/[A-Za-z0-9._~+-]+)*$/.test(p)) return false;
  const elems = p.split('/');
  return elems[0].includes('.') && !elems[0].startsWith('.') && !elems.some((e) => /^\.+$/.test(e));
}

/**
 * A module version the go command accepts as canonical: `v` + SemVer whose build metadata, if any, is
 * `+incompatible` (pseudo-versions are SemVer prereleases).
 */
export function isGoVersion(v: string): boolean {
  if (!v.startsWith('v')) return false;
  const s = parseSemver(v.slice(1));
  return s !== undefined && (s.build === '' || s.build === 'incompatible');
}

/** The proxy protocol's case encoding: `github.com/BurntSushi/toml` → `github.com/!burnt!sushi/toml`. */
export function escapeGo(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
}

const PSEUDO = /\d{14}-[0-9a-f]{12}(\+incompatible)?$/;

/** The major version a module path requires: `/v2` → 2, `gopkg.in/x.v3` → 3, none → undefined (v0, v1, or +incompatible). */
function pathMajor(module: string): number | undefined {
  const m = /\/v([2-9]|[1-9]\d+)$/.exec(module) ?? (module.startsWith('gopkg.in/') ? /\.v(\d+)(-unstable)?$/.exec(module) : null);
  return m ? Number(m[1]) : undefined;
}

function fitsModule(module: string, v: SemVer): boolean {
  const major = pathMajor(module);
  if (major !== undefined) return v.major === major && v.build === '';
  return v.major <= 1 ? v.build === '' : v.build === 'incompatible';
}

/** The query kinds resolved here: `latest` (also for `upgrade`), a version prefix (`v1`, `v1.2`), a revision (`master`). */
export type GoQuery = { kind: 'latest' } | { kind: 'prefix'; prefix: string } | { kind: 'revision'; revision: string };

/** `[low, high]` ranges of retracted versions, from `retract` directives of a go.mod. */
export function parseRetractions(gomod: string): [string, string][] {
  const text = gomod.replace(/\/\/[^\n]*/g, '');
  const out: [string, string][] = [];
  const add = (spec: string) => {
    const s = spec.trim();
    if (s === '') return;
    const range = /^\[\s*"?([^\s",\]]+)"?\s*,\s*"?([^\s",\]]+)"?\s*\]$/.exec(s);
    if (range) out.push([range[1], range[2]]);
    else {
      const v = s.replace(/^"|"$/g, '');
      out.push([v, v]);
    }
  };
  for (const m of text.matchAll(/^[ \t]*retract[ \t]*(\(([\s\S]*?)\)|[^\n]*)/gm)) {
    if (m[2] !== undefined) for (const line of m[2].split('\n')) add(line);
    else add(m[1]);
  }
  return out;
}

function retracted(v: SemVer, ranges: [string, string][]): boolean {
  return ranges.some(([lo, hi]) => {
    const l = isGoVersion(lo) ? parseSemver(lo.slice(1)) : undefined;
    const h = isGoVersion(hi) ? parseSemver(hi.slice(1)) : undefined;
    return l !== undefined && h !== undefined && compareSemver(v, l) >= 0 && compareSemver(v, h) <= 0;
  });
}

/** Highest release, else highest prerelease. */
function pickLatest(versions: { text: string; v: SemVer }[]): { text: string; v: SemVer } | undefined {
  const releases = versions.filter((x) => x.v.pre.length === 0);
  const pool = releases.length > 0 ? releases : versions;
  return pool.reduce<{ text: string; v: SemVer } | undefined>((best, x) => (!best || compareSemver(x.v, best.v) > 0 ? x : best), undefined);
}

/** A request's result: the body and the proxy that answered, or `missing` when every proxy said 404/410. */
type Answer = { body: Buffer; proxy: string } | { missing: true; direct: boolean };

/** Run-wide answers by proxy list and path: keys of one module (several packages or queries) share its list and .mod. */
const PROXY_ANSWER = new LookupKind<Answer>('goproxy');

/** GET `suffix` from the proxy list with GOPROXY's fallback rules, once per run. */
function proxyGet(ctx: ResolveContext, proxies: ProxyEntry[], suffix: string, maxBytes: number): Promise<Answer> {
  return ctx.lookups.once(PROXY_ANSWER, `${formatGoproxy(proxies)} ${suffix}`, () => proxyGetOnce(ctx.http, proxies, suffix, maxBytes));
}

async function proxyGetOnce(http: HttpClient, proxies: ProxyEntry[], suffix: string, maxBytes: number): Promise<Answer> {
  let lastError: RegistryError | undefined;
  for (const p of proxies) {
    if (p.kind === 'off') return { missing: true, direct: false };
    if (p.kind === 'direct') {
      if (lastError && lastError.kind !== 'not-found') {
        throw new NotFixed(`lookup failed: ${lastError.message}; GOPROXY then falls back to direct (version control), which dockrepro does not query`, 'failed');
      }
      return { missing: true, direct: true };
    }
    try {
      const res = await http.get(`${p.url}/${suffix}`, {}, maxBytes, 'module or version');
      return { body: res.body, proxy: p.url };
    } catch (e) {
      if (!(e instanceof RegistryError)) throw e;
      lastError = e;
      if (e.kind === 'not-found' || p.fallbackOnAnyError) continue;
      throw e;
    }
  }
  if (lastError && lastError.kind !== 'not-found') throw lastError;
  return { missing: true, direct: false };
}

function infoVersion(a: { body: Buffer; proxy: string }, url: string): string {
  let v: unknown;
  try {
    v = (JSON.parse(a.body.toString('utf8')) as { Version?: unknown } | null)?.Version;
  } catch {
    throw new RegistryError(`${url}: the answer is not valid JSON`, 'malformed', 200, url);
  }
  if (typeof v !== 'string' || !isGoVersion(v)) throw new RegistryError(`${url}: malformed version ${JSON.stringify(v)}`, 'malformed', 200, url);
  return v;
}

interface ModuleAnswer {
  version: string;
  proxy: string;
  explanation: string;
}

/** The version of module `module` for `query`, or `missing` when the proxies do not have such a module (or version). */
async function queryModule(ctx: ResolveContext, proxies: ProxyEntry[], module: string, query: GoQuery): Promise<ModuleAnswer | { missing: true; direct: boolean }> {
  const mod = escapeGo(module);
  if (query.kind === 'revision') {
    const a = await proxyGet(ctx, proxies, `${mod}/@v/${escapeGo(query.revision)}.info`, 64 * 1024);
    if ('missing' in a) return a;
    return { version: infoVersion(a, `${a.proxy}/${mod}/@v/${escapeGo(query.revision)}.info`), proxy: a.proxy, explanation: `the commit '${query.revision}' names today` };
  }
  const listed = await proxyGet(ctx, proxies, `${mod}/@v/list`, 4 * 1024 * 1024);
  if ('missing' in listed) return listed;
  // As the go command reads the list: the first field of each line, canonical tagged versions of this major only.
  const versions: { text: string; v: SemVer }[] = [];
  for (const line of listed.body.toString('utf8').split('\n')) {
    const text = line.trim().split(/\s+/)[0] ?? '';
    if (!isGoVersion(text) || PSEUDO.test(text)) continue;
    const v = parseSemver(text.slice(1))!;
    if (fitsModule(module, v)) versions.push({ text, v });
  }
  const proxy = listed.proxy;
  if (versions.length === 0) {
    if (query.kind !== 'latest') return { missing: true, direct: false };
    const a = await proxyGet(ctx, proxies, `${mod}/@latest`, 64 * 1024);
    if ('missing' in a) return a;
    return { version: infoVersion(a, `${a.proxy}/${mod}/@latest`), proxy: a.proxy, explanation: `the newest commit of module ${module} (it has no tagged version)` };
  }
  // Retractions come from the go.mod of the latest version (ignoring retractions).
  const latest = pickLatest(versions)!;
  const modFile = await proxyGet(ctx, proxies, `${mod}/@v/${escapeGo(latest.text)}.mod`, 4 * 1024 * 1024);
  if ('missing' in modFile) throw new RegistryError(`${proxy}/${mod}/@v/${latest.text}.mod: not found, though the version is listed`, 'malformed', 404);
  const ranges = parseRetractions(modFile.body.toString('utf8'));
  const prefix = query.kind === 'prefix' ? query.prefix : undefined;
  const candidates = versions.filter((x) => !retracted(x.v, ranges) && (prefix === undefined || x.text === prefix || x.text.startsWith(`${prefix}.`)));
  const chosen = pickLatest(candidates);
  if (!chosen) {
    if (prefix !== undefined && !versions.some((x) => x.text.startsWith(`${prefix}.`))) return { missing: true, direct: false };
    throw new NotFixed(`every ${prefix ? `'${prefix}' ` : ''}version of module ${module} on ${proxy} is retracted`, 'failed');
  }
  const kind = chosen.v.pre.length === 0 ? 'release' : 'prerelease (no release)';
  const what = prefix ? `newest ${kind} matching '${prefix}'` : `newest ${kind}`;
  const skipped = ranges.length > 0 && candidates.length < versions.length ? ', retracted versions skipped' : '';
  return { version: chosen.text, proxy, explanation: `${what} of module ${module}${skipped}` };
}

/** Module path candidates for a package path, longest first. */
export function modulePrefixes(path: string): string[] {
  const elems = path.split('/');
  const out: string[] = [];
  for (let n = elems.length; n >= 1; n--) out.push(elems.slice(0, n).join('/'));
  return out;
}

export interface GoPackageQuery {
  /** A package path (`golang.org/x/tools/cmd/stringer`): its module is looked up. */
  path: string;
  proxies: ProxyEntry[];
  /** Which version: latest, a prefix, or what a revision names. */
  want: GoQuery;
}

/**
 * The version for package `path` and `want` through `proxies` (no `direct` first, no `off` first: the caller
 * leaves those). The module is the longest prefix of the path the proxies know.
 */
export async function resolveGoPackage(ctx: ResolveContext, q: GoPackageQuery): Promise<ResolvedVersion> {
  const { path, proxies, want: query } = q;
  let direct = false;
  for (const module of modulePrefixes(path)) {
    const r = await queryModule(ctx, proxies, module, query);
    if ('missing' in r) {
      direct ||= r.direct;
      continue;
    }
    return { version: r.version, explanation: `${r.explanation} on ${r.proxy}` };
  }
  const proxiesText = proxies.filter((p) => p.kind === 'url').map((p) => (p as { url: string }).url).join(', ');
  const what = query.kind === 'revision' ? `revision '${query.revision}'` : query.kind === 'prefix' ? `version matching '${query.prefix}'` : 'version';
  if (direct) {
    throw new NotFixed(`no module with a ${what} for '${path}' on ${proxiesText}; GOPROXY then falls back to direct (version control), which dockrepro does not query`, 'failed');
  }
  throw new RegistryError(`no module with a ${what} for '${path}' on ${proxiesText}`, 'not-found', 404);
}
