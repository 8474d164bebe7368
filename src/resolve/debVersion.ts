/**
 * Debian package versions (deb-version(7)): `[epoch:]upstream[-revision]`, compared the way dpkg does
 * (`dpkg --compare-versions`): epochs as numbers, then upstream, then revision, each by alternating runs of
 * non-digits (letters before other characters, `~` before everything, even the end) and digits (as numbers).
 */

/**
 * A version dockrepro will write after `pkg=`: an optional numeric epoch, an upstream part that starts with a
 * digit and holds letters, digits and `.+~-` (`-` only when a revision follows), and a revision of letters,
 * digits and `.+~`. Anything else (spaces, quotes, `$`, newlines) is refused before it reaches a file.
 */
export function isDebVersion(v: string): boolean {
  if (v.length === 0 || v.length > 128) return false;
  const m = /^(?:(\d{1,9}):)?([0-9][A-Za-z0-9.+~-]*?)(?:-([A-Za-z0-9.+~]+))?$/.exec(v);
  if (!m) return false;
  // Without a revision the upstream part may not hold a hyphen (the last hyphen always starts the revision).
  return m[3] !== undefined || !m[2].includes('-');
}

interface Parts {
  epoch: number;
  upstream: string;
  revision: string;
}

function parts(v: string): Parts {
  const colon = v.indexOf(':');
  const epoch = colon > 0 && /^\d+$/.test(v.slice(0, colon)) ? Number(v.slice(0, colon)) : 0;
  const rest = colon > 0 ? v.slice(colon + 1) : v;
  const hyphen = rest.lastIndexOf('-');
  return hyphen < 0 ? { epoch, upstream: rest, revision: '' } : { epoch, upstream: rest.slice(0, hyphen), revision: rest.slice(hyphen + 1) };
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** dpkg's weight of a character in a non-digit run: `~` lowest, then the end of the run, letters, others. */
function order(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (isDigit(c)) return 0;
  if (isLetter(c)) return c;
  if (c === 126) return -1; // ~
  return c + 256;
}

/** Compares one part (upstream or revision) as dpkg's verrevcmp does. */
function compareRuns(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(a, i);
      const bc = order(b, j);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (i < a.length && isDigit(a.charCodeAt(i)) && j < b.length && isDigit(b.charCodeAt(j))) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && isDigit(a.charCodeAt(i))) return 1;
    if (j < b.length && isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

/** Negative when a < b, 0 when equal, positive when a > b (dpkg's order). */
export function compareDebVersions(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  if (pa.epoch !== pb.epoch) return pa.epoch - pb.epoch;
  return compareRuns(pa.upstream, pb.upstream) || compareRuns(pa.revision, pb.revision);
}

/** The highest of `versions` in dpkg's order; undefined for none. */
export function highestDebVersion(versions: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const v of versions) if (best === undefined || compareDebVersions(v, best) > 0) best = v;
  return best;
}
