/**
 * Alpine package versions as apk-tools reads them (`1.2.3`, `8.11.1-r0`, `2.3.0b-r1`, `1.0_rc2_p1-r3`,
 * `0.1_pre2~1234abcd`): `digit{.digit}[letter]{_suffix[digits]}[~hexhash][-r<digits>]`, suffixes
 * alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p.
 *
 * Written from apk-tools' version.c (v3; v2's 2.14-stable compares the same way for the versions Alpine
 * ships) and checked against the cases its test/unit/version.data states. Tokens are compared left to right
 * while both sides have a token of the same kind; digits after a dot that start with `0` compare as strings
 * (`8.2.0 < 8.2.001`); when one side runs out, the longer one is newer unless what it has next is a
 * pre-release suffix (`6.0_pre1 < 6.0`, `6.0_p1 > 6.0`).
 *
 * A fuzzy constraint (`~1.2`, also written `=~1.2`) accepts a version whose leading tokens equal every token
 * of the constraint: `1.2`, `1.2.9`, `1.2_rc1`, `1.2.0-r4`, but not `1.20` (2 ≠ 20) nor `1.3`.
 */

type Kind = 'initial' | 'digit' | 'letter' | 'suffix' | 'suffixNo' | 'hash' | 'revision' | 'end' | 'invalid';

/** Order of the kinds: a later token may not come before an earlier one (apk's TOKEN_* enum). */
const ORDER: Record<Kind, number> = { initial: 0, digit: 1, letter: 2, suffix: 3, suffixNo: 4, hash: 5, revision: 6, end: 7, invalid: 8 };

/** Suffix ranks; those below NONE mark pre-releases. */
const SUFFIXES: Record<string, number> = { alpha: 0, beta: 1, pre: 2, rc: 3, cvs: 5, svn: 6, git: 7, hg: 8, p: 9 };
const NONE = 4;

interface Token {
  kind: Kind;
  /** The token's text (digits, the letter, the suffix name, the hash). */
  text: string;
}

/** apk's tokenizer: each token checked against the one before it. */
function tokenize(v: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const digits = () => {
    const m = /^[0-9]+/.exec(v.slice(i));
    i += m ? m[0].length : 0;
    return m?.[0] ?? '';
  };
  const first = digits();
  let prev: Kind = first === '' ? 'invalid' : 'initial';
  out.push({ kind: prev, text: first });
  while (prev !== 'invalid') {
    if (i >= v.length) {
      out.push({ kind: 'end', text: '' });
      break;
    }
    const c = v[i];
    let tok: Token = { kind: 'invalid', text: '' };
    if (c >= 'a' && c <= 'z') {
      if (ORDER[prev] <= ORDER.digit) tok = { kind: 'letter', text: c };
      i++;
    } else if (c === '.' || (c >= '0' && c <= '9')) {
      // Digits directly after a letter are not allowed ("0.1a1" is invalid); after a suffix they are its number.
      if (c === '.' && ORDER[prev] > ORDER.digit) {
        tok = { kind: 'invalid', text: '' };
      } else {
        if (c === '.') i++;
        const kind: Kind | undefined = prev === 'initial' || prev === 'digit' ? 'digit' : prev === 'suffix' && c !== '.' ? 'suffixNo' : undefined;
        const d = digits();
        tok = kind && d !== '' ? { kind, text: d } : { kind: 'invalid', text: '' };
      }
    } else if (c === '_') {
      i++;
      const m = /^[a-z]*/.exec(v.slice(i))![0];
      i += m.length;
      if (ORDER[prev] <= ORDER.suffixNo && m in SUFFIXES) tok = { kind: 'suffix', text: m };
    } else if (c === '~') {
      i++;
      const m = /^[0-9a-f]*/.exec(v.slice(i))![0];
      i += m.length;
      if (ORDER[prev] < ORDER.hash && m !== '') tok = { kind: 'hash', text: m };
    } else if (c === '-') {
      if (ORDER[prev] < ORDER.revision && v.startsWith('-r', i)) {
        i += 2;
        const d = digits();
        if (d !== '') tok = { kind: 'revision', text: d };
      }
    }
    out.push(tok);
    prev = tok.kind;
  }
  return out;
}

/** A version apk-tools accepts, short and of plain characters only (what may be written into a Dockerfile). */
export function isApkVersion(v: string): boolean {
  return v.length > 0 && v.length <= 128 && tokenize(v).at(-1)!.kind === 'end';
}

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** apk's token_cmp: numbers numerically (unless a non-leading one starts with 0), letters and suffixes by rank, hashes as strings. */
function compareTokens(a: Token, b: Token): number {
  switch (a.kind) {
    case 'digit':
      if (a.text[0] === '0' || b.text[0] === '0') return sign(a.text < b.text ? -1 : a.text > b.text ? 1 : 0);
    // falls through: numeric comparison
    case 'initial':
    case 'suffixNo':
    case 'revision': {
      const x = BigInt(a.text);
      const y = BigInt(b.text);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'letter':
      return sign(a.text.charCodeAt(0) - b.text.charCodeAt(0));
    case 'suffix':
      return sign(SUFFIXES[a.text] - SUFFIXES[b.text]);
    default:
      return sign(a.text < b.text ? -1 : a.text > b.text ? 1 : 0);
  }
}

/** -1, 0 or 1 as apk orders `a` and `b` (`fuzzy`: `b` is a fuzzy constraint, a prefix of `a` is equal). */
function compare(a: string, b: string, fuzzy: boolean): number {
  const ta = tokenize(a);
  const tb = tokenize(b);
  let i = 0;
  for (; i < ta.length && i < tb.length && ta[i].kind === tb[i].kind && ORDER[ta[i].kind] < ORDER.end; i++) {
    const r = compareTokens(ta[i], tb[i]);
    if (r !== 0) return r;
  }
  const x = ta[Math.min(i, ta.length - 1)];
  const y = tb[Math.min(i, tb.length - 1)];
  if (x.kind === y.kind) return 0;
  if (y.kind === 'end' && fuzzy) return 0;
  // Equal so far: the longer version is newer, unless it continues with a pre-release suffix.
  if (x.kind === 'suffix' && SUFFIXES[x.text] < NONE) return -1;
  if (y.kind === 'suffix' && SUFFIXES[y.text] < NONE) return 1;
  return ORDER[x.kind] > ORDER[y.kind] ? -1 : ORDER[y.kind] > ORDER[x.kind] ? 1 : 0;
}

/** apk's version order (`apk version -t a b`): -1, 0 or 1. */
export function compareApkVersions(a: string, b: string): number {
  return compare(a, b, false);
}

/** The operators of apk's dependency syntax (apk-world(5)); `=~` and `~=` read as `~`. */
export type ApkOperator = '<' | '<=' | '=' | '>=' | '>' | '~' | '<~' | '>~';

/** Whether `version` satisfies `op constraint` as apk's apk_version_match evaluates it. */
export function apkVersionMatches(version: string, op: ApkOperator, constraint: string): boolean {
  const fuzzy = op.includes('~');
  const r = compare(version, constraint, fuzzy);
  if (r === 0) return op.includes('=') || fuzzy;
  return r < 0 ? op.startsWith('<') : op.startsWith('>');
}

/**
 * The fuzzy pin for a version: its first two numbers (`8.11.1-r0` → `8.11`, `2.3.0b-r1` → `2.3`), or its only
 * one (`20240226-r0` → `20240226`). Always a token prefix of `version`, so `~prefix` accepts it.
 */
export function apkFuzzyPrefix(version: string): string | undefined {
  const m = /^[0-9]+(\.[0-9]+)?/.exec(version);
  return m && isApkVersion(m[0]) && apkVersionMatches(version, '~', m[0]) ? m[0] : undefined;
}
