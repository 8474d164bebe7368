import { isExcluded, parseDockerignore } from '../src/dockerignore';

/** Cases from Docker's `.dockerignore` documentation and moby's patternmatcher semantics. */
describe('.dockerignore (moby patternmatcher semantics)', () => {
  const excluded = (ignore: string, path: string) => isExcluded(parseDockerignore(ignore), path);

  it.each([
    ['package-lock.json', 'package-lock.json', true],
    // Anchored at the context root, unlike .gitignore.
    ['package-lock.json', 'web/package-lock.json', false],
    ['/package-lock.json', 'package-lock.json', true],
    ['./web//package-lock.json', 'web/package-lock.json', true],
    ['*/temp*', 'somedir/temporary.txt', true],
    ['*/temp*', 'temp', false],
    ['*/*/temp*', 'somedir/subdir/temporary.txt', true],
    ['temp?', 'temp1', true],
    ['temp?', 'temp12', false],
    ['**/package-lock.json', 'package-lock.json', true],
    ['**/package-lock.json', 'a/b/package-lock.json', true],
    ['*.json', 'web/package-lock.json', false],
    ['**/*.json', 'web/package-lock.json', true],
    ['web/**', 'web/package-lock.json', true],
    // A folder that matches excludes what is in it.
    ['web', 'web/package-lock.json', true],
    ['[pq]ackage-lock.json', 'package-lock.json', true],
    ['[^p]ackage-lock.json', 'package-lock.json', false],
    ['\\*.json', '*.json', true],
    ['# package-lock.json', 'package-lock.json', false],
    // The last matching pattern decides; `!` makes an exception.
    ['*.json\n!package-lock.json', 'package-lock.json', false],
    ['!package-lock.json\n*.json', 'package-lock.json', true],
    ['web\n!web/package-lock.json', 'web/package-lock.json', false],
    ['  package-lock.json  \r\n', 'package-lock.json', true],
  ])('%j excludes %s: %s', (ignore, path, expected) => {
    expect(excluded(ignore, path)).toBe(expected);
  });
});
