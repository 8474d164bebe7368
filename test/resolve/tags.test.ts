import { candidatesToCompare, preciseCandidates, tagShape } from '../../src/resolve/tags';
import { isPreciseTag } from '../../src/parse/imageRef';

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
    ['21.0.5_11-jdk-alpine', { prefix: '', version: [21, 0, 5, 11], suffix: '-jdk-alpine' }],
    ['8u342-jdk', { prefix: '', version: [8, 342], suffix: '-jdk' }],
    ['8u432-b06-jdk', { prefix: '', version: [8, 432, 6], suffix: '-jdk' }],
    ['8u432-bookworm', { prefix: '', version: [8, 432], suffix: '-bookworm' }],
  ])('%s', (tag, shape) => {
    expect(tagShape(tag)).toEqual(shape);
  });
});

describe('preciseCandidates', () => {
  it('a major version: longer precise versions with the same (empty) suffix, newest first', () => {
    expect(preciseCandidates('3', PYTHON)).toEqual(['3.13.0', '3.12.7', '3.12.6', '3.11.10']);
  });

  it('keeps the variant suffix exactly: 3-slim is made precise by 3.x.y-slim, not by -slim-bookworm', () => {
    expect(preciseCandidates('3-slim', PYTHON)).toEqual(['3.12.7-slim']);
    expect(preciseCandidates('3.12-slim-bookworm', PYTHON)).toEqual(['3.12.7-slim-bookworm']);
  });

  it('pre-releases and other prefixes (v) are never candidates', () => {
    const c = preciseCandidates('3', PYTHON);
    expect(c).not.toContain('3.13.0rc2');
    expect(c).not.toContain('3.14.0a1');
    expect(c).not.toContain('v3.12.8');
    expect(preciseCandidates('v3', PYTHON)).toEqual(['v3.12.8']);
  });

  it('latest and no tag: precise plain version tags, newest first', () => {
    expect(preciseCandidates('latest', PYTHON).slice(0, 4)).toEqual(['3.13.0', '3.12.7', '3.12.6', '3.11.10']);
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

  // docker-library/official-images library/debian: one entry's tags share a digest.
  const DEBIAN = [
    'bookworm', 'bookworm-20260202', '12.13', '12', 'bookworm-slim', 'bookworm-20260202-slim', '12.13-slim', '12-slim',
    'bookworm-20260110', 'bookworm-20260110-slim', 'bookworm-backports',
    'oldstable', 'oldstable-20260202', 'oldstable-20260202-slim', 'trixie', 'trixie-20260202', '13.3', '13', 'latest',
    'trixie-20260202-slim', 'stable-20260202', 'stable-20260202-slim', 'sid-20260202', 'unstable-20260202',
  ];

  it('every candidate passes the image-tag rule: 12.13 and 3.13 are never chosen', () => {
    for (const [floating, tags] of [['12', DEBIAN], ['latest', DEBIAN], ['3', PYTHON], ['latest', PYTHON], ['bookworm', DEBIAN]] as const) {
      const c = preciseCandidates(floating, tags);
      expect(c.length).toBeGreaterThan(0);
      expect(c.filter((t) => !isPreciseTag(t))).toEqual([]);
    }
  });

  it('a Debian version or latest is made precise by codename + date tags, newest first, codenames before suite names', () => {
    expect(preciseCandidates('12', DEBIAN)).toEqual([
      'bookworm-20260202', 'sid-20260202', 'trixie-20260202', 'oldstable-20260202', 'stable-20260202', 'unstable-20260202', 'bookworm-20260110',
    ]);
    expect(preciseCandidates('12-slim', DEBIAN)).toEqual([
      'bookworm-20260202-slim', 'trixie-20260202-slim', 'oldstable-20260202-slim', 'stable-20260202-slim', 'bookworm-20260110-slim',
    ]);
    expect(preciseCandidates('latest', DEBIAN).slice(0, 2)).toEqual(['bookworm-20260202', 'sid-20260202']);
    expect(preciseCandidates('latest', DEBIAN)).not.toContain('bookworm-20260202-slim');
  });

  it('Ubuntu: 24.04 and latest are made precise by noble-<date>', () => {
    const ubuntu = ['24.04', 'noble', 'noble-20241015', 'latest', 'jammy', 'jammy-20240911.1', '22.04', 'rolling', 'devel'];
    expect(preciseCandidates('24.04', ubuntu)).toEqual(['noble-20241015', 'jammy-20240911.1']);
    expect(preciseCandidates('latest', ubuntu)).toEqual(['noble-20241015', 'jammy-20240911.1']);
    expect(preciseCandidates('noble', ubuntu)).toEqual(['noble-20241015']);
  });

  it('Java tags: Temurin builds (21.0.5_11) and Java updates (8u342, 8u432-b06) with the same variant', () => {
    const temurin = ['21-jdk-alpine', '21.0.5_11-jdk-alpine', '21.0.4_7-jdk-alpine', '21.0.5_11-jdk-alpine-3.20', '21.0.5_11-jre-alpine', '21-jdk', '21.0.5_11-jdk', '8-jdk', '8u432-b06-jdk', '8u422-b05-jdk'];
    expect(preciseCandidates('21-jdk-alpine', temurin)).toEqual(['21.0.5_11-jdk-alpine', '21.0.4_7-jdk-alpine']);
    expect(preciseCandidates('8-jdk', temurin)).toEqual(['8u432-b06-jdk', '8u422-b05-jdk']);
    const openjdk = ['8-jdk', '8u342-jdk', '8u332-jdk', '8u342-jre', '8u342-jdk-slim', '8', '8u342'];
    expect(preciseCandidates('8-jdk', openjdk)).toEqual(['8u342-jdk', '8u332-jdk']);
    expect(preciseCandidates('8', openjdk)).toEqual(['8u342']);
  });

  // Alpine: release tags beside edge snapshots, which a registry lists in the same tag list.
  const ALPINE = [
    ...Array.from({ length: 30 }, (_, i) => `2024${String(1 + (i % 12)).padStart(2, '0')}${String(1 + i).padStart(2, '0')}`),
    'edge', 'latest', '3', '3.20', '3.20.3', '3.20.2', '3.19', '3.19.4', '3.18.9',
  ];

  it('date-stamped tags come after release tags and cannot fill the cap', () => {
    expect(preciseCandidates('latest', ALPINE).slice(0, 4)).toEqual(['3.20.3', '3.20.2', '3.19.4', '3.18.9']);
    const compared = candidatesToCompare('latest', ALPINE, 20);
    expect(compared).toHaveLength(20);
    expect(compared.slice(0, 4)).toEqual(['3.20.3', '3.20.2', '3.19.4', '3.18.9']);
    expect(compared.slice(4).every((t) => /^[0-9]{8}$/.test(t))).toBe(true);
    // edge is made precise by its snapshots, newest first.
    expect(candidatesToCompare('edge', ALPINE, 20).slice(0, 2)).toEqual(['20241224', '20241212']);
  });

  it('the cap keeps a few dated tags when releases alone would fill it', () => {
    const many = [...Array.from({ length: 40 }, (_, i) => `3.${i}.0`), 'bookworm-20260202', 'latest'];
    const compared = candidatesToCompare('latest', many, 20);
    expect(compared).toHaveLength(20);
    expect(compared.at(-1)).toBe('bookworm-20260202');
    expect(compared[0]).toBe('3.39.0');
  });
});
