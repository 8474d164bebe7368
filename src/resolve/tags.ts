/**
 * Tag precision: for a floating tag (`3`, `3-slim`, `latest`, `bookworm`), the tags that name the same thing
 * more precisely (`3.12.7`, `3.12.7-slim`, `bookworm-20241111`), most precise and newest first. The caller
 * checks their digests in this order and keeps the first one equal to the floating tag's digest.
 */

interface TagShape {
  /** `v` when the tag is written `v1.2.3`. */
  prefix: string;
  /** Leading numeric fields: `3.12.7-slim` → [3, 12, 7]; none for `bookworm`. */
  version: number[];
  /** The rest: `-slim`, `-alpine3.20`, or the whole tag when it has no leading version. */
  suffix: string;
}

/** Splits a tag into an optional `v`, a dotted numeric version and the variant suffix. */
export function tagShape(tag: string): TagShape {
  const m = /^(v?)([0-9]+(?:\.[0-9]+)*)(?=$|-)(.*)$/.exec(tag);
  if (!m) return { prefix: '', version: [], suffix: tag };
  return { prefix: m[1], version: m[2].split('.').map(Number), suffix: m[3] };
}

/** A date or build stamp part (`20241111`, `20241111.1`): what Debian-style codename tags are made precise with. */
const STAMP = /^[0-9]{8,}(?:\.[0-9]+)*$/;

/**
 * Newest first, and a longer version before its own prefix (`3.14.1`, `3.14`, `3.13.9`): a floating tag points
 * at the newest release of its line, so the first candidate with its digest is also the most precise one.
 */
function compareCandidates(a: { rank: number[] }, b: { rank: number[] }): number {
  const n = Math.max(a.rank.length, b.rank.length);
  for (let i = 0; i < n; i++) {
    const d = (b.rank[i] ?? -1) - (a.rank[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The tags more precise than `floating` with the same variant, in the order to try them (see compareCandidates). `latest` (or no tag)
 * is made precise by plain version tags (`3.12.7`, no suffix). A versioned tag by longer versions with the same
 * prefix and suffix (`3-slim` → `3.12.7-slim`, not `3.12.7-slim-bookworm`). A tag without a version by the same
 * parts with one date stamp added (`bookworm` → `bookworm-20241111`, `bookworm-slim` → `bookworm-20241111-slim`).
 */
export function preciseCandidates(floating: string | undefined, tags: readonly string[]): string[] {
  const f = tagShape(floating ?? 'latest');
  const out: { tag: string; rank: number[] }[] = [];
  if (floating === undefined || floating === 'latest') {
    for (const tag of tags) {
      const t = tagShape(tag);
      if (t.version.length > 0 && t.suffix === '' && t.prefix === '') out.push({ tag, rank: t.version });
    }
  } else if (f.version.length > 0) {
    for (const tag of tags) {
      const t = tagShape(tag);
      if (
        t.prefix === f.prefix &&
        t.suffix === f.suffix &&
        t.version.length > f.version.length &&
        f.version.every((v, i) => t.version[i] === v)
      ) {
        out.push({ tag, rank: t.version });
      }
    }
  } else {
    const parts = floating.split('-');
    for (const tag of tags) {
      const t = tag.split('-');
      if (t.length !== parts.length + 1) continue;
      // One stamp inserted at some position, the other parts equal and in order.
      for (let i = 1; i <= parts.length; i++) {
        if (STAMP.test(t[i]) && parts.every((p, j) => t[j < i ? j : j + 1] === p)) {
          out.push({ tag, rank: t[i].split('.').map(Number) });
          break;
        }
      }
    }
  }
  return out.sort(compareCandidates).map((c) => c.tag);
}
