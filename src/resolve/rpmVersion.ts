/**
 * rpm versions: the grammar of what may be written into a Dockerfile, and the order rpm and dnf (libsolv)
 * put versions in. `rpmvercmp` is rpm's algorithm (rpmio/rpmvercmp.c) written out from its documented rules;
 * test/resolve/rpmVersion.test.ts compares it with the real `rpm` on many pairs.
 */

/** epoch (0 when absent), version, release: one build of a package. */
export interface Evr {
  epoch: number;
  version: string;
  release: string;
}

/** Characters rpm allows in a version or release (no `-`, which separates them; `~` and `^` sort specially). */
const VERSION_PART = /^[A-Za-z0-9._+~^]+$/;

/** A version or release rpm would accept as one field. */
export const isRpmVersionPart = (s: string) => s.length <= 128 && VERSION_PART.test(s);

/**
 * What the rpm-version fixer writes after `name-`: `[epoch:]version-release`, the release starting with a
 * digit (so dnf-pin's "the last `-` part starts with a digit" sees a pinned package, and dnf reads it as an NVR).
 */
export function isRpmEvrText(s: string): boolean {
  const m = /^(?:(\d{1,10}):)?([^-:]+)-([^-:]+)$/.exec(s);
  return !!m && isRpmVersionPart(m[2]) && isRpmVersionPart(m[3]) && /^[0-9]/.test(m[3]);
}

/** `[epoch:]version-release`, the epoch only when it is not 0 (rpm and dnf treat a missing epoch as 0). */
export function formatEvr(e: Evr): string {
  return `${e.epoch ? `${e.epoch}:` : ''}${e.version}-${e.release}`;
}

const isAlnum = (c: string) => /[A-Za-z0-9]/.test(c);
const isDigit = (c: string) => c >= '0' && c <= '9';
const isAlpha = (c: string) => /[A-Za-z]/.test(c);

/**
 * rpm's version comparison: -1, 0 or 1. Both strings are cut into runs of digits and runs of letters (other
 * characters only separate); runs are compared in turn: numbers as numbers, letters as strings, a number
 * beats letters. `~` sorts before anything, even the end (`1.0~rc1` < `1.0`); `^` sorts after the end but
 * before anything else (`1.0` < `1.0^git1` < `1.0.1`).
 */
export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== '~' && b[j] !== '^') j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigit(a[i]);
    const take = numeric ? isDigit : isAlpha;
    const si = i;
    const sj = j;
    while (i < a.length && take(a[i])) i++;
    while (j < b.length && take(b[j])) j++;
    // The first run is never empty (it starts at an alnum of its kind); an empty second run means the kinds differ.
    if (sj === j) return numeric ? 1 : -1;
    let x = a.slice(si, i);
    let y = b.slice(sj, j);
    if (numeric) {
      x = x.replace(/^0+/, '');
      y = y.replace(/^0+/, '');
      if (x.length !== y.length) return x.length > y.length ? 1 : -1;
    }
    if (x !== y) return x < y ? -1 : 1;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i < a.length ? 1 : -1;
}

/** Epoch, then version, then release, as rpm and libsolv order two builds of one package. */
export function compareEvr(a: Evr, b: Evr): -1 | 0 | 1 {
  if (a.epoch !== b.epoch) return a.epoch > b.epoch ? 1 : -1;
  return rpmvercmp(a.version, b.version) || rpmvercmp(a.release, b.release);
}
