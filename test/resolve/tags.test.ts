import { preciseCandidates, tagShape } from '../../src/resolve/tags';

const PYTHON = [
  'latest', '3', '3.12', '3.12.7', '3.12.6', '3.11', '3.11.10', '3.13.0', '3.13', '3.13.0rc2', '3.14.0a1',
  '3-slim', '3.12-slim', '3.12.7-slim', '3.12.7-slim-bookworm', '3.12-slim-bookworm', 'slim', 'bookworm',
  '3.12.7-alpine3.20', 'v3.12.8', '2.7.18',
];

describe('tagShape', () => {
  it.each([
    ['3.12.7-slim', { prefix: '', version: [3, 12, 7], suffix: '-slim' }],
    ['v1.2', { prefix: 'v', version: [1, 2], suffix: '' }],
    ['bookworm', { prefix: '', version: [], suffix: 'bookworm' }],
    ['3.13.0rc2', { prefix: '', version: [], suffix: '3.13.0rc2' }],
    ['20-alpine', { prefix: '', version: [20], suffix: '-alpine' }],
  ])('%s', (tag, shape) => {
    expect(tagShape(tag)).toEqual(shape);
  });
});

describe('preciseCandidates', () => {
  it('a major version: longer versions with the same (empty) suffix, newest first, a version before its prefix', () => {
    expect(preciseCandidates('3', PYTHON)).toEqual(['3.13.0', '3.13', '3.12.7', '3.12.6', '3.12', '3.11.10', '3.11']);
  });

  it('keeps the variant suffix exactly: 3-slim is made precise by 3.x.y-slim, not by -slim-bookworm', () => {
    expect(preciseCandidates('3-slim', PYTHON)).toEqual(['3.12.7-slim', '3.12-slim']);
    expect(preciseCandidates('3.12-slim-bookworm', PYTHON)).toEqual(['3.12.7-slim-bookworm']);
  });

  it('pre-releases and other prefixes (v) are never candidates', () => {
    const c = preciseCandidates('3', PYTHON);
    expect(c).not.toContain('3.13.0rc2');
    expect(c).not.toContain('3.14.0a1');
    expect(c).not.toContain('v3.12.8');
    expect(preciseCandidates('v3', PYTHON)).toEqual(['v3.12.8']);
  });

  it('latest and no tag: plain version tags of any length, newest first', () => {
    expect(preciseCandidates('latest', PYTHON).slice(0, 4)).toEqual(['3.13.0', '3.13', '3.12.7', '3.12.6']);
    expect(preciseCandidates(undefined, PYTHON)).toEqual(preciseCandidates('latest', PYTHON));
    expect(preciseCandidates('latest', PYTHON)).toContain('2.7.18');
  });

  it('a codename gains one date stamp, at any position, other parts kept in order', () => {
    const debian = ['bookworm', 'bookworm-slim', 'bookworm-20241111', 'bookworm-20241016', 'bookworm-20241111-slim', 'bookworm-backports', 'trixie-20241111'];
    expect(preciseCandidates('bookworm', debian)).toEqual(['bookworm-20241111', 'bookworm-20241016']);
    expect(preciseCandidates('bookworm-slim', debian)).toEqual(['bookworm-20241111-slim']);
  });

  it('nothing more precise: an empty list', () => {
    expect(preciseCandidates('3.12.7', PYTHON)).toEqual([]);
    expect(preciseCandidates('stable', ['stable', 'mainline'])).toEqual([]);
  });
});
