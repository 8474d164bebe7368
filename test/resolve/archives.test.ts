import { mirrored } from '../../src/resolve/archives';
import { parseConfig } from '../../src/config';

describe('archive mirrors', () => {
  const mirrors = {
    'http://deb.debian.org/debian': 'http://127.0.0.1:8080/deb',
    'http://deb.debian.org/debian-security/': 'http://127.0.0.1:8080/sec/',
    'http://snapshot.debian.org/archive': 'http://127.0.0.1:8080/snap/',
  };

  it('replaces the longest prefix that matches at a path boundary', () => {
    expect(mirrored('http://deb.debian.org/debian/dists/bookworm/InRelease', mirrors)).toBe('http://127.0.0.1:8080/deb/dists/bookworm/InRelease');
    expect(mirrored('http://deb.debian.org/debian-security/dists/x', mirrors)).toBe('http://127.0.0.1:8080/sec/dists/x');
    expect(mirrored('http://deb.debian.org/debian', mirrors)).toBe('http://127.0.0.1:8080/deb');
    expect(mirrored('http://snapshot.debian.org/archive/debian/20261203T000000Z/', mirrors)).toBe('http://127.0.0.1:8080/snap/debian/20261203T000000Z/');
  });

  it('leaves other URLs alone (a prefix is not a path boundary)', () => {
    expect(mirrored('http://deb.debian.org/debian-ports/x', mirrors)).toBe('http://deb.debian.org/debian-ports/x');
    expect(mirrored('https://deb.debian.org/debian/x', mirrors)).toBe('https://deb.debian.org/debian/x');
    expect(mirrored('http://dl-cdn.alpinelinux.org/alpine/v3.20/main', {})).toBe('http://dl-cdn.alpinelinux.org/alpine/v3.20/main');
  });

  it('is read from archives: in .dockrepro.yaml, and bad entries are config errors', () => {
    expect(parseConfig('archives:\n  http://deb.debian.org/debian: https://mirror.internal/debian\n', 'x.yaml').archives).toEqual({ 'http://deb.debian.org/debian': 'https://mirror.internal/debian' });
    expect(parseConfig('', 'x.yaml').archives).toEqual({});
    expect(() => parseConfig('archives: [a]\n', 'x.yaml')).toThrow(/archives: expected a mapping/);
    expect(() => parseConfig('archives:\n  deb.debian.org: http://m\n', 'x.yaml')).toThrow(/not an http\(s\) URL prefix/);
    expect(() => parseConfig('archives:\n  http://a/b: 3\n', 'x.yaml')).toThrow(/expected a mirror URL prefix/);
    expect(() => parseConfig('archives:\n  http://a/b: "http://m/x?y=1"\n', 'x.yaml')).toThrow(/expected a mirror URL prefix/);
  });
});
