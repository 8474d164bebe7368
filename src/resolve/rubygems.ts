/**
 * RubyGems: the version `gem install NAME[:REQ] [-v REQ] [--pre]` would install today, from the gem sources
 * of the command. RubyGems API v1: `GET /api/v1/versions/NAME/latest.json` answers `{"version": "7.2.1"}`
 * (the newest release, `"unknown"` for a gem it does not have) and `GET /api/v1/versions/NAME.json` every
 * public version (`[{"number", "prerelease", "platform", …}]`, 404 for an unknown gem). Versions are compared
 * as Gem::Version does and requirements evaluated as Gem::Requirement does.
 */
import { RegistryError, type HttpClient } from './http';
import type { ResolvedVersion } from './packages';
import type { ResolveContext } from './context';
import { NotFixed } from '../util/notFixed';

export const RUBYGEMS_ORG = 'https://rubygems.org/';

/**
 * A Gem::Version (`7.2.1`, `8.0.0.rc1`, `1.0.0-beta.2`) restricted to what gem-pin reads as one version
 * (no `-` inside the part after the first `-`): letters, digits, dots and one hyphen, never a shell character.
 */
const GEM_VERSION = /^[0-9]+(\.[0-9A-Za-z]+)*(-[0-9A-Za-z]+(\.[0-9A-Za-z]+)*)?$/;

export function isGemVersion(v: string): boolean {
  return v.length <= 64 && GEM_VERSION.test(v);
}

/** Gem names as RubyGems accepts them: letters, digits, `.`, `_`, `-`, at least one letter. */
export function isGemName(n: string): boolean {
  return n.length <= 100 && /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(n) && /[A-Za-z]/.test(n);
}

/** Gem::Version#prerelease?: any letter makes a prerelease (`1.0.rc1`, `1.0-beta`). */
export function isGemPrerelease(v: string): boolean {
  return /[A-Za-z]/.test(v);
}

type Segment = number | string;

/** Gem::Version#segments (`-` reads as `.pre.`). */
function segments(v: string): Segment[] {
  return (v.replace(/-/g, '.pre.').match(/[0-9]+|[A-Za-z]+/g) ?? []).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** Gem::Version#canonical_segments: trailing zeros dropped from the numeric part and from the rest. */
function canonical(v: string): Segment[] {
  const segs = segments(v);
  const firstString = segs.findIndex((s) => typeof s === 'string');
  const parts = firstString < 0 ? [segs, []] : [segs.slice(0, firstString), segs.slice(firstString)];
  return parts.flatMap((p) => {
    const out = [...p];
    while (out.length > 0 && out[out.length - 1] === 0) out.pop();
    return out;
  });
}

/** Gem::Version#<=>: numbers above strings, strings by byte order, missing segments are 0. */
export function compareGemVersions(a: string, b: string): number {
  const l = canonical(a);
  const r = canonical(b);
  for (let i = 0; i < Math.max(l.length, r.length); i++) {
    const x = l[i] ?? 0;
    const y = r[i] ?? 0;
    if (x === y) continue;
    if (typeof x === 'string' && typeof y === 'number') return -1;
    if (typeof x === 'number' && typeof y === 'string') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** Gem::Version#release: the part before the first letter segment. */
function release(v: string): string {
  const segs = segments(v);
  const i = segs.findIndex((s) => typeof s === 'string');
  return (i < 0 ? segs : segs.slice(0, i)).join('.');
}

/** Gem::Version#bump (`~>` upper bound): letter segments and the last segment dropped, then the new last + 1. */
function bump(v: string): string {
  const segs = segments(v);
  const i = segs.findIndex((s) => typeof s === 'string');
  const nums = (i < 0 ? segs : segs.slice(0, i)) as number[];
  if (nums.length > 1) nums.pop();
  nums[nums.length - 1] = (nums[nums.length - 1] ?? 0) + 1;
  return nums.join('.');
}

export type GemOperator = '=' | '!=' | '>' | '<' | '>=' | '<=' | '~>';
export type GemRequirement = [GemOperator, string][];

/** Gem::Requirement::PATTERN, one condition (`~> 7.1`, `>=2`, `1.0`); the version with Gem::Version's own grammar. */
const CONDITION = /^\s*(=|!=|>=|<=|~>|>|<)?\s*([0-9]+(?:\.[0-9A-Za-z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)\s*$/;

/** A requirement from its conditions (`-v '>= 1, < 2'` gives two); undefined when one is not RubyGems syntax. */
export function parseGemRequirement(conditions: string[]): GemRequirement | undefined {
  const out: GemRequirement = [];
  for (const c of conditions) {
    const m = CONDITION.exec(c);
    if (!m) return undefined;
    out.push([(m[1] ?? '=') as GemOperator, m[2]]);
  }
  return out.length > 0 ? out : undefined;
}

export function formatGemRequirement(req: GemRequirement): string {
  return req.map(([op, v]) => `${op} ${v}`).join(', ');
}

export function satisfiesGem(v: string, req: GemRequirement): boolean {
  return req.every(([op, r]) => {
    const c = compareGemVersions(v, r);
    switch (op) {
      case '=': return c === 0;
      case '!=': return c !== 0;
      case '>': return c > 0;
      case '<': return c < 0;
      case '>=': return c >= 0;
      case '<=': return c <= 0;
      case '~>': return c >= 0 && compareGemVersions(release(v), bump(r)) < 0;
    }
  });
}

export interface GemQuery {
  /** Sources in the order `gem` asks them (`--source`, then the configured ones). */
  sources: string[];
  name: string;
  /** Absent: any version (`>= 0`). */
  requirement?: GemRequirement;
  /** `--pre`: prereleases count too (as they do when the requirement names one). */
  prerelease: boolean;
}

/** Platforms a Linux image installs: the pure-Ruby gem and Linux builds. */
function linuxPlatform(platform: unknown): boolean {
  return platform === undefined || platform === 'ruby' || (typeof platform === 'string' && /linux/.test(platform));
}

function newest(versions: string[]): string | undefined {
  return versions.reduce<string | undefined>((best, v) => (best === undefined || compareGemVersions(v, best) > 0 ? v : best), undefined);
}

const malformed = (url: string, what: string) => new RegistryError(`${url}: ${what}`, 'malformed', 200, url);

/** What one source offers: the chosen version, or undefined when the source does not have the gem. */
async function fromSource(http: HttpClient, source: string, q: GemQuery): Promise<string | undefined> {
  const base = source.endsWith('/') ? source : `${source}/`;
  const name = encodeURIComponent(q.name);
  if (!q.requirement && !q.prerelease) {
    // The newest release in one small answer; servers without this endpoint (404) are asked for the list.
    const url = `${base}api/v1/versions/${name}/latest.json`;
    let answer: unknown;
    try {
      answer = await http.getJson(url, {}, 64 * 1024, 'gem');
    } catch (e) {
      if (!(e instanceof RegistryError && e.kind === 'not-found')) throw e;
    }
    if (answer !== undefined) {
      const v = (answer as { version?: unknown } | null)?.version;
      if (typeof v !== 'string') throw malformed(url, "the answer has no 'version' string");
      if (v !== 'unknown' && !isGemVersion(v)) throw malformed(url, `malformed version ${JSON.stringify(v)}`);
      // 'unknown': no such gem (or none indexed); a prerelease: no release at all. The full list decides.
      if (v !== 'unknown' && !isGemPrerelease(v)) return v;
    }
  }
  const url = `${base}api/v1/versions/${name}.json`;
  let list: unknown;
  try {
    list = await http.getJson(url, {}, 32 * 1024 * 1024, 'gem');
  } catch (e) {
    if (e instanceof RegistryError && e.kind === 'not-found') return undefined;
    throw e;
  }
  if (!Array.isArray(list)) throw malformed(url, 'the answer is not a list of versions');
  const numbers: string[] = [];
  for (const entry of list) {
    const number = (entry as { number?: unknown } | null)?.number;
    if (typeof number !== 'string' || !isGemVersion(number)) throw malformed(url, `malformed version ${JSON.stringify(number)}`);
    if (linuxPlatform((entry as { platform?: unknown }).platform)) numbers.push(number);
  }
  if (numbers.length === 0) return undefined;
  const pre = q.prerelease || (q.requirement ?? []).some(([, r]) => isGemPrerelease(r));
  const fits = numbers.filter((v) => (pre || !isGemPrerelease(v)) && (!q.requirement || satisfiesGem(v, q.requirement)));
  if (fits.length === 0) {
    const what = q.requirement ? `no ${pre ? 'version' : 'release'} matching '${formatGemRequirement(q.requirement)}'` : 'only prereleases (no release)';
    throw new RegistryError(`${url}: gem '${q.name}' has ${what}`, 'not-found', 200, url);
  }
  return newest(fits);
}

/**
 * The newest version on the sources that have the gem, when they agree. Which source wins when they do not
 * depends on the RubyGems inside the image (3.3 installs from the first source that has the gem, whatever
 * the others offer: test/fixers/gem-version.test.ts asks the real gem), so disagreeing sources leave the
 * finding. A source without the gem is skipped; one that fails makes the answer unknown.
 */
export async function resolveGem(ctx: ResolveContext, q: GemQuery): Promise<ResolvedVersion> {
  const { http } = ctx;
  const { sources } = q;
  const found: { source: string; version: string }[] = [];
  for (const source of sources) {
    const v = await fromSource(http, source, q);
    if (v !== undefined) found.push({ source, version: v });
  }
  if (found.length === 0) {
    const where = sources.join(', ');
    throw new RegistryError(`gem '${q.name}' is not on ${where}`, 'not-found', 404, sources[0]);
  }
  const differ = found.find((f) => compareGemVersions(f.version, found[0].version) !== 0);
  if (differ) {
    throw new NotFixed(
      `the gem sources disagree on '${q.name}' (${found[0].version} on ${found[0].source}, ${differ.version} on ${differ.source}) and which one gem install takes depends on the image's RubyGems: pin it by hand, or use one source (--clear-sources --source URL)`,
      'no-fixer',
    );
  }
  const best = found[0];
  const what = q.requirement
    ? `newest ${q.prerelease ? 'version' : 'release'} matching '${formatGemRequirement(q.requirement)}'`
    : `newest ${q.prerelease ? 'version (--pre)' : 'release'}`;
  return { version: best.version, explanation: `${what} on ${best.source}` };
}
