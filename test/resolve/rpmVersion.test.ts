/**
 * rpm version order: dockrepro's rpmvercmp/compareEvr against the real rpm (`rpm.vercmp` in rpm's Lua), on
 * hand-picked pairs (tilde, caret, leading zeros, letters against digits, separators) and on random ones.
 */
import { compareEvr, formatEvr, isRpmEvrText, rpmvercmp, type Evr } from '../../src/resolve/rpmVersion';
import { rpmAvailable, rpmVercmp } from '../helpers/rpmTools';
import { inCI } from '../helpers/ci';

const missing = rpmAvailable();
const withRpm = missing && !inCI() ? it.skip : it;
if (missing) process.stderr.write(`\nSKIPPED (real rpm comparisons): ${missing}\n`);

const PAIRS: [string, string][] = [
  ['1.0', '1.0'], ['1.0', '2.0'], ['2.0.1', '2.0'], ['2.0', '2.0.1'], ['1.0~rc1', '1.0'], ['1.0~rc1', '1.0~rc2'],
  ['1.0~~', '1.0~'], ['1.0^', '1.0'], ['1.0^git1', '1.0.1'], ['1.0^git1', '1.0^git2'], ['1.0^git1~pre', '1.0^git1'],
  ['1.0~rc1^git1', '1.0~rc1'], ['1.0^', '1.0^'], ['010', '10'], ['1.010', '1.9'], ['1.0a', '1.0'], ['1.0a', '1.0.1'],
  ['a', '1'], ['1', 'a'], ['1.0', '1_0'], ['1..0', '1.0'], ['1.0', '1.0.'], ['abc', 'abd'], ['A', 'a'], ['1.el9', '1.el9_2'],
  ['2.el9_3.1', '2.el9_3'], ['5.4.0', '5.4.0+1'], ['fc38', 'fc4'], ['1.0.0.0', '1.0'], ['0001', '1'], ['1.a', '1.1'],
];

function randomVersion(rnd: () => number, alphabet = '0123456789ab.~^_+'): string {
  const n = 1 + Math.floor(rnd() * 6);
  let s = '';
  for (let k = 0; k < n; k++) s += alphabet[Math.floor(rnd() * alphabet.length)];
  return s;
}

/** A small seeded generator, so a failure is repeatable. */
function lcg(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
}

describe('rpm version order', () => {
  withRpm('rpmvercmp agrees with the real rpm on hand-picked and random pairs', () => {
    const rnd = lcg(12);
    const pairs = [...PAIRS, ...Array.from({ length: 600 }, (): [string, string] => [randomVersion(rnd), randomVersion(rnd)])];
    const real = rpmVercmp(pairs);
    const ours = pairs.map(([a, b]) => rpmvercmp(a, b));
    const differ = pairs.filter((_, k) => real[k] !== ours[k]).map(([a, b], k) => `${a} vs ${b}: rpm ${real[k]}, ours ${ours[k]}`);
    expect(differ).toEqual([]);
    // The comparisons are not all one answer (the test could pass with a constant function otherwise).
    expect(new Set(real)).toEqual(new Set([-1, 0, 1]));
  });

  withRpm('compareEvr agrees with the real rpm on epoch:version-release', () => {
    const rnd = lcg(7);
    const evr = (): Evr => ({ epoch: Math.floor(rnd() * 3), version: randomVersion(rnd, '0123456789a.~^'), release: randomVersion(rnd, '0123456789el._') });
    const pairs = Array.from({ length: 300 }, () => [evr(), evr()] as const);
    const text = (e: Evr) => `${e.epoch}:${e.version}-${e.release}`;
    const real = rpmVercmp(pairs.map(([a, b]) => [text(a), text(b)]));
    expect(pairs.map(([a, b]) => compareEvr(a, b))).toEqual(real);
  });

  it('formats an epoch only when it is not 0, and accepts only what dnf reads as name-[epoch:]version-release', () => {
    expect(formatEvr({ epoch: 0, version: '1.2', release: '3.el9' })).toBe('1.2-3.el9');
    expect(formatEvr({ epoch: 1, version: '3.0.7', release: '27.el9' })).toBe('1:3.0.7-27.el9');
    for (const ok of ['1.2-3.el9', '1:3.0.7-27.el9', '2.39^git1-1.fc40', '1.0~rc1-0.1']) expect(isRpmEvrText(ok)).toBe(true);
    for (const bad of ['1.2', '1.2-3-4', '1.2-el9', 'x:1-1', '1.2-3\n', '1 .2-3', '1.2-3;rm', '', ':1-1']) expect(isRpmEvrText(bad)).toBe(false);
  });
});
