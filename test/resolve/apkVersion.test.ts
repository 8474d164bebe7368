/**
 * Alpine version order, validity and fuzzy matching. apk-tools cannot be installed on the Debian test
 * machine, so the ground truth is apk-tools' own unit test table, test/unit/version.data in
 * https://github.com/alpinelinux/apk-tools (master, checked at 90b974f; `a OP b` must hold, `a !OP b` must
 * not, a lone version must be valid, `!version` invalid). The cases below restate the rules that table
 * states, written here with our own versions where the table only shows the rule; the table's own lines are
 * quoted where a rule is only clear from them.
 */
import { apkFuzzyPrefix, apkVersionMatches, compareApkVersions, isApkVersion, type ApkOperator } from '../../src/resolve/apkVersion';

const ordered: [string, '<' | '=' | '>', string][] = [
  // plain numbers, component by component (not as decimals or strings)
  ['1.2', '<', '1.10'],
  ['1.9.9', '<', '1.10'],
  ['2.0', '>', '1.99.99'],
  ['1.2.1', '>', '1.2'],
  ['1.2', '=', '1.2'],
  // -rN revisions order after the upstream version
  ['3.1.4-r1', '<', '3.1.4-r2'],
  ['3.1.4-r10', '>', '3.1.4-r9'],
  ['3.1.4-r0', '>', '3.1.4'],
  ['3.1.4-r9', '<', '3.1.5'],
  // a letter after the numbers is later than none, and letters compare by letter (version.data: 1.7 < 1.7b, 2.3.0b-r1 < 2.3.0b-r2);
  // it is also later than a suffix, even a post-release one (the kinds rank digit < letter < suffix, and the
  // version whose next token ranks lower is the newer one)
  ['4.1', '<', '4.1a'],
  ['4.1a', '<', '4.1c'],
  ['4.1z', '<', '4.1.1'],
  ['4.1_p3', '<', '4.1a'],
  // pre-release suffixes come before the plain version, in order alpha < beta < pre < rc
  ['5.0_alpha1', '<', '5.0_alpha2'],
  ['5.0_alpha9', '<', '5.0_beta1'],
  ['5.0_beta3', '<', '5.0_pre1'],
  ['5.0_pre7', '<', '5.0_rc1'],
  ['5.0_rc3', '<', '5.0'],
  ['5.0_rc3-r5', '<', '5.0-r0'],
  // post-release suffixes come after it: cvs < svn < git < hg < p
  ['5.0', '<', '5.0_cvs1'],
  ['5.0_git20240101', '<', '5.0_hg1'],
  ['5.0_hg1', '<', '5.0_p1'],
  ['5.0_p9', '<', '5.0_p10'],
  ['5.0_p2-r1', '>', '5.0_p2'],
  // a pre-release suffix after a suffix (version.data: 0.1.0_alpha_pre2 < 0.1.0_alpha)
  ['0.3_beta_pre1', '<', '0.3_beta'],
  // numbers with a leading zero compare as text (version.data: 8.2.0 < 8.2.001, 8.2.0015 < 8.2.002)
  ['7.0.0', '<', '7.0.01'],
  ['7.0.01', '<', '7.0.1'],
  ['7.0.0019', '<', '7.0.002'],
  // commit hashes compare as text, before the revision (version.data: 1.0~1234-r1 < 1.0~2345-r0)
  ['2.0~abc1', '<', '2.0~abc2'],
  ['2.0~abc1-r3', '<', '2.0~abc2-r0'],
  ['2.0~abc1-r3', '>', '2.0~abc1-r2'],
  // huge numbers (date stamps) do not overflow
  ['1.0.0_pre20191002222144-r0', '<', '1.0.0_pre20210530193627-r0'],
  ['20240101', '>', '9.9'],
  // an invalid tail compares by what comes before it (version.data: 1.0 < 1.0bc)
  ['3.0', '<', '3.0xy'],
];

const fuzzy: [string, ApkOperator, string, boolean][] = [
  // `~` is a prefix match on whole version components (apk-world(5): busybox~1.6 matches 1.6, 1.6.0_pre1, 1.6.0, 1.6.5, 1.6.9_p1)
  ['8.11.1-r0', '~', '8.11', true],
  ['8.11', '~', '8.11', true],
  ['8.11.0_rc1', '~', '8.11', true],
  ['8.11_rc1', '~', '8.11', true],
  ['8.11.9_p3-r2', '~', '8.11', true],
  ['8.11a', '~', '8.11', true],
  ['8.110', '~', '8.11', false],
  ['8.12.0', '~', '8.11', false],
  ['8.1.9', '~', '8.11', false],
  ['8.11', '~', '8.11.1', false],
  ['8.11.0', '~', '8.11.1', false],
  ['8.11.1.1', '~', '8.11.1', true],
  // `<~` and `>~`: less/greater than, or a prefix match
  ['3.5', '<~', '3.6', true],
  ['3.6.7', '<~', '3.6', true],
  ['3.7', '<~', '3.6', false],
  ['3.7', '>~', '3.6', true],
  ['3.6.1', '>~', '3.6', true],
  ['3.5.9', '>~', '3.6', false],
  // the plain operators
  ['1.2.3-r4', '=', '1.2.3-r4', true],
  ['1.2.3-r4', '=', '1.2.3', false],
  ['1.2.3-r4', '>=', '1.2.3', true],
  ['1.2.3', '<', '1.2.3-r0', true],
  ['1.2.3', '<=', '1.2.3', true],
  ['1.2.4', '>', '1.2.3-r9', true],
];

const valid = ['1', '1.2', '1.2.3-r0', '0.1_pre2', '0.1_pre2~12ab', '0.1_p1_pre2', '0.1_alpha1_pre2', '2.3.0b-r1', '1.0_git20240101_pre1', '20240226-r0'];
const invalid = [
  '', 'a', '.1', '_rc1', '-r1', '1.', '1..2', '1.2bc', '1.2b1', '1.2a.1', '1.2_', '1.2_foo', '1.2_rc1_', '1.2__rc1', '1.2_1_rc',
  '1.2-r', '1.2-r1-r2', '1.2-r1.1', '1.2-r1_rc1', '1.2-1', '1.2~', '1.2~xyz', '1.2~ab_rc1', '1.2-r1~ab', '1.2 ', '1.2;rm', '1.2\n', 'V1.2', '1.2A',
];

describe('apk version order', () => {
  it.each(ordered)('%s %s %s', (a, op, b) => {
    const want = op === '<' ? -1 : op === '=' ? 0 : 1;
    expect(compareApkVersions(a, b)).toBe(want);
    expect(compareApkVersions(b, a)).toBe(want === 0 ? 0 : -want);
  });

  it('sorts a shuffled list into the order apk-tools gives', () => {
    const sorted = ['1.0_alpha1', '1.0_beta2', '1.0_rc1', '1.0', '1.0-r1', '1.0_p1', '1.0a', '1.0.1', '1.1', '1.10'];
    const shuffled = [...sorted].reverse().sort(() => 0).sort((x, y) => (x.length % 3) - (y.length % 3));
    expect(shuffled.sort(compareApkVersions)).toEqual(sorted);
  });
});

describe('apk constraints', () => {
  it.each(fuzzy)('%s %s %s → %s', (v, op, c, ok) => {
    expect(apkVersionMatches(v, op, c)).toBe(ok);
  });
});

describe('apk version grammar', () => {
  it.each(valid)('accepts %j', (v) => expect(isApkVersion(v)).toBe(true));
  it.each(invalid)('refuses %j', (v) => expect(isApkVersion(v)).toBe(false));
});

describe('fuzzy pin precision', () => {
  it.each([
    ['8.11.1-r0', '8.11'],
    ['2.3.0b-r1', '2.3'],
    ['1.36.1_p2-r28', '1.36'],
    ['3.3.2_rc1-r0', '3.3'],
    ['20240226-r0', '20240226'],
    ['6.5_p20250503-r0', '6.5'],
    ['1.02.3', '1.02'],
  ])('%s → ~%s, which accepts the version itself', (v, prefix) => {
    expect(apkFuzzyPrefix(v)).toBe(prefix);
    expect(apkVersionMatches(v, '~', prefix)).toBe(true);
  });
});
