/**
 * Tag precision: for a floating tag (`3`, `3-slim`, `12`, `latest`, `bookworm`), the tags that name the same
 * thing precisely (`3.12.7`, `3.12.7-slim`, `bookworm-20241111`, `8u342-jdk`), in the order to try them. The
 * caller compares their digests with the floating tag's and keeps the first equal one, so a wide candidate set
 * is safe: the digest decides, the order only decides which of several equal tags is written and how many
 * are compared. Every candidate passes the image-tag rule (isPreciseTag), so a chosen tag never brings back
 * the finding it fixes.
 */
import { isPreciseTag } from '../parse/imageRef';

interface TagShape {
  /** `v` when the tag is written `v1.2.3`. */
  prefix: string;
  /** Leading numeric fields: `3.12.7-slim` → [3, 12, 7], `21.0.5_11` → [21, 0, 5, 11], `8u432-b06` → [8, 432, 6]. */
  version: number[];
  /** The rest: `-slim`, `-alpine3.20`, or the whole tag when it has no leading version. */
  suffix: string;
}

/**
 * A leading version: dotted numbers with an optional `_build` (`21.0.5_11`, Eclipse Temurin), or a Java update
 * with an optional build (`8u342`, `8u432-b06`).
 */
const VERSION = /^(v?)([0-9]+(?:\.[0-9]+)*(?:_[0-9]+)?|[0-9]+u[0-9]+(?:-b[0-9]+)?)(?=$|-)(.*)$/;

/** Splits a tag into an optional `v`, a numeric version and the variant suffix. */
export function tagShape(tag: string): TagShape {
  const m = VERSION.exec(tag);
  if (!m) return { prefix: '', version: [], suffix: tag };
  return { prefix: m[1], version: m[2].split(/[._u]|-b/).map(Number), suffix: m[3] };
}

/** A date or build stamp part (`20241111`, `20240911.1`): what codename tags (and edge snapshots) are made precise with. */
const STAMP = /^[0-9]{8,}(?:\.[0-9]+)*$/;

/**
 * Names that move from one release to the next (Debian's suites, Ubuntu's `rolling`). `stable-20260202` and
 * `trixie-20260202` can be the same image; the codename says which release it is, so it is tried first.
 */
const MOVING_NAMES = new Set(['latest', 'stable', 'oldstable', 'oldoldstable', 'testing', 'unstable', 'experimental', 'rolling', 'devel', 'edge', 'lts', 'current']);

interface Candidate {
  tag: string;
  /** Newest first: compared field by field, higher first, a longer rank before its own prefix. */
  rank: number[];
  /** Says less than a codename with the same stamp (`stable-20260202`, a bare `20260202`): tried after it. */
  generic?: boolean;
}

function compareCandidates(a: Candidate, b: Candidate): number {
  const n = Math.max(a.rank.length, b.rank.length);
  for (let i = 0; i < n; i++) {
    const d = (b.rank[i] ?? -1) - (a.rank[i] ?? -1);
    if (d !== 0) return d;
  }
  return Number(a.generic ?? false) - Number(b.generic ?? false) || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0);
}

/** Candidates in two kinds: release tags (a version) and dated tags (a stamp), each newest first. */
export interface CandidateKinds {
  releases: string[];
  dated: string[];
}

/**
 * The precise tags that can name the same image as `floating`, by kind.
 *
 * Releases: a versioned tag is made precise by longer versions with the same `v` prefix and exactly the same
 * variant suffix (`3-slim` → `3.12.7-slim`, never `3.12.7-slim-bookworm`; `21-jdk-alpine` →
 * `21.0.5_11-jdk-alpine`; `8-jdk` → `8u342-jdk`); `latest` (or no tag) by plain version tags (`3.12.7`).
 *
 * Dated: the tag with one stamp part added (`bookworm` → `bookworm-20241111`, `bookworm-slim` →
 * `bookworm-20241111-slim`). A versioned tag or `latest` also by a codename with a stamp and the same variant
 * suffix (`12` → `bookworm-20260202`, `12-slim` → `bookworm-20260202-slim`, `24.04` → `noble-20241015`), and a
 * tag without variant suffix by a bare stamp (`edge` or `latest` → `20240115`, Alpine's snapshots): the
 * codename cannot be read from the number, and the digest says which one it is.
 */
export function candidateKinds(floating: string | undefined, tags: readonly string[]): CandidateKinds {
  const written = floating ?? 'latest';
  const f = tagShape(written);
  const latest = written === 'latest';
  const versioned = f.version.length > 0;
  const releases: Candidate[] = [];
  const dated: Candidate[] = [];
  for (const tag of tags) {
    if (tag === written || !isPreciseTag(tag)) continue;
    const t = tagShape(tag);
    // A leading stamp (`20240115`) is a snapshot, not a release: dated, so it cannot crowd out releases.
    const release = t.version.length > 0 && !STAMP.test(String(t.version[0])) && t.prefix === f.prefix;
    const sameLine = latest ? t.suffix === '' : versioned && t.suffix === f.suffix && longerVersion(f.version, t.version);
    if (release && sameLine) {
      releases.push({ tag, rank: t.version });
      continue;
    }
    const twin = datedTwin(written, f, tag);
    if (twin) dated.push(twin);
  }
  const order = (c: Candidate[]) => c.sort(compareCandidates).map((x) => x.tag);
  return { releases: order(releases), dated: order(dated) };
}

/** `long` extends `short` (`3.12.7` extends `3`, `21.0.5_11` extends `21`). */
function longerVersion(short: number[], long: number[]): boolean {
  return long.length > short.length && short.every((v, i) => long[i] === v);
}

/** `tag` as a dated twin of `written`, ranked by its stamp, or undefined when it is not one. */
function datedTwin(written: string, f: TagShape, tag: string): Candidate | undefined {
  const parts = tag.split('-');
  const at = parts.findIndex((p) => STAMP.test(p));
  if (at < 0) return undefined;
  const rank = parts[at].split('.').map(Number);
  const rest = [...parts.slice(0, at), ...parts.slice(at + 1)];
  // The written tag with one stamp inserted, not before its first part (`bookworm-20241111-slim`, `12-20240101`).
  if (at > 0 && rest.join('-') === written) return { tag, rank };
  // A codename, the stamp, the written variant suffix: for a version or `latest` (`12-slim` → `bookworm-20260202-slim`).
  const name = parts.slice(0, at);
  const suffix = parts.slice(at + 1).map((p) => `-${p}`).join('');
  if (
    (f.version.length > 0 || written === 'latest') &&
    name.length === 1 &&
    tagShape(name[0]).version.length === 0 &&
    suffix === (written === 'latest' ? '' : f.suffix)
  ) {
    return { tag, rank, generic: MOVING_NAMES.has(name[0]) };
  }
  // A bare stamp (Alpine's edge snapshots `20240115`), for a tag without variant suffix (`edge`, `latest`).
  if (rest.length === 0 && !written.includes('-')) return { tag, rank, generic: true };
  return undefined;
}

/** All candidates, in the order to try them: releases first (newest first), then dated tags (newest first). */
export function preciseCandidates(floating: string | undefined, tags: readonly string[]): string[] {
  const { releases, dated } = candidateKinds(floating, tags);
  return [...releases, ...dated];
}

/** How many dated tags keep a place when there are more candidates than can be compared. */
const DATED_SHARE = 5;

/**
 * At most `max` candidates to compare one by one: releases first, so date-stamped tags (hundreds of snapshots)
 * cannot crowd them out, yet up to DATED_SHARE dated tags keep a place when releases alone would fill it.
 */
export function candidatesToCompare(floating: string | undefined, tags: readonly string[], max: number): string[] {
  const { releases, dated } = candidateKinds(floating, tags);
  const forReleases = Math.max(max - Math.min(dated.length, DATED_SHARE), 0);
  const r = releases.slice(0, forReleases);
  return [...r, ...dated.slice(0, max - r.length)];
}
