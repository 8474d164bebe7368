/**
 * Debian version order against the real `dpkg --compare-versions` over many pairs (hand-picked edge cases and
 * pairs built from a pool of tricky pieces), and the version grammar.
 */
import { spawnSync } from 'node:child_process';
import { compareDebVersions, highestDebVersion, isDebVersion } from '../../src/resolve/debVersion';
import { inCI } from '../helpers/ci';

const dpkgMissing = spawnSync('dpkg', ['--version']).status === 0 ? undefined : 'dpkg is not installed';
const withDpkg = dpkgMissing && !inCI() ? it.skip : it;
if (dpkgMissing) process.stderr.write(`\nSKIPPED (dpkg --compare-versions comparisons): ${dpkgMissing}\n`);

const EDGE: [string, string][] = [
  ['1.0', '1.0'], ['1.0~rc1', '1.0'], ['1.0~~', '1.0~'], ['1.0~', '1.0'], ['1.0', '1.0a'], ['1.0a', '1.0+'],
  ['1:0.1', '2.0'], ['0:1.0', '1.0'], ['1.0-1', '1.0-1ubuntu1'], ['1.0-1', '1.0-1+deb12u1'], ['7.88.1-10+deb12u5', '7.88.1-10+deb12u12'],
  ['2.36-9+deb12u4', '2.36-9+deb12u10'], ['1.2.3-0ubuntu0.22.04.1', '1.2.3-0ubuntu1'], ['10', '9'], ['1.01', '1.1'], ['1.001', '1.0001'],
  ['1.0-0', '1.0'], ['1.0.', '1.0'], ['a', 'b'], ['1.0-a', '1.0-A'], ['1.0+dfsg', '1.0~dfsg'], ['3.0.11-1~deb12u2', '3.0.11-1'],
  ['1.2-3-4', '1.2-3'], ['2:1.0', '10:0.1'], ['1.0~beta1~svn1245', '1.0~beta1'], ['1.0', '1.0-0'], ['0.0', '0'],
];

function pool(): [string, string][] {
  const ups = ['1', '1.0', '1.0.0', '1.0a', '1.0~a', '1.0+b1', '1.00', '01.0', '1.0.1~rc2', '2', '1a', '1~', '1.0+dfsg~1'];
  const revs = ['', '-1', '-0', '-1ubuntu1', '-1+deb12u1', '-1~bpo12+1', '-10', '-2.1'];
  const all = ups.flatMap((u) => revs.map((r) => u + r));
  const out: [string, string][] = [];
  for (let i = 0; i < all.length; i++) for (let j = i; j < all.length; j += 7) out.push([all[i], all[j]]);
  return out;
}

/** The real dpkg's answer for each pair: -1, 0 or 1 (one shell for all pairs). */
function dpkgOrder(pairs: [string, string][]): number[] {
  const script = pairs
    .map(([a, b]) => `if dpkg --compare-versions '${a}' lt '${b}'; then echo -1; elif dpkg --compare-versions '${a}' eq '${b}'; then echo 0; else echo 1; fi`)
    .join('\n');
  const r = spawnSync('sh', [], { input: script, encoding: 'utf8', maxBuffer: 1 << 24 });
  return r.stdout.trim().split('\n').map(Number);
}

describe('Debian version order', () => {
  withDpkg('agrees with dpkg --compare-versions on every pair', () => {
    const pairs = [...EDGE, ...pool()];
    expect(pairs.length).toBeGreaterThan(100);
    const real = dpkgOrder(pairs);
    const ours = pairs.map(([a, b]) => Math.sign(compareDebVersions(a, b)));
    const disagreements = pairs.filter((_, i) => ours[i] !== real[i]).map(([a, b]) => `${a} vs ${b}`);
    expect(disagreements).toEqual([]);
    expect(ours).toEqual(real);
    // Antisymmetric, as an order must be.
    expect(pairs.map(([a, b]) => Math.sign(compareDebVersions(b, a)))).toEqual(real.map((x) => -x || 0));
  });

  it('highest picks by that order', () => {
    expect(highestDebVersion(['7.88.1-10+deb12u5', '7.88.1-10+deb12u12', '7.88.1-10'])).toBe('7.88.1-10+deb12u12');
    expect(highestDebVersion(['1.0', '1:0.1', '2.0~rc1'])).toBe('1:0.1');
    expect(highestDebVersion([])).toBeUndefined();
  });

  it.each([
    ['7.88.1-10+deb12u5', true], ['1:2.3-4', true], ['1.0~rc1', true], ['2.36', true], ['1.2-3-4', true],
    ['', false], ['1.0-', false], ['abc', false], ['1.0 2', false], ['1.0\n', false], ["1.0'", false], ['1.0$x', false],
    ['x:1.0', false], ['1.0-a_b', false], ['1'.repeat(129), false],
  ])('grammar: %j → %s', (v, ok) => {
    expect(isDebVersion(v)).toBe(ok);
  });
});
