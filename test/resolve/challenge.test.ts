import { parseWwwAuthenticate } from '../../src/resolve/challenge';
import { endpointOf, isLoopback } from '../../src/resolve/endpoint';
import { nextLink, retryAfterMs } from '../../src/resolve/registry';

describe('parseWwwAuthenticate', () => {
  it.each([
    [
      'Docker Hub bearer',
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/python:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/python:pull' } }],
    ],
    [
      'comma inside a quoted scope',
      'Bearer realm="https://r/t",scope="repository:a/b:pull,push",service="r"',
      [{ scheme: 'bearer', params: { realm: 'https://r/t', scope: 'repository:a/b:pull,push', service: 'r' } }],
    ],
    ['basic realm', 'Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    [
      'spaces around separators, case-insensitive names',
      'BEARER  Realm = "https://r/t" ,  Service=reg',
      [{ scheme: 'bearer', params: { realm: 'https://r/t', service: 'reg' } }],
    ],
    ['escaped quote', 'Basic realm="say \\"hi\\", ok"', [{ scheme: 'basic', params: { realm: 'say "hi", ok' } }]],
    [
      'two challenges joined by fetch',
      'Basic realm="x", Bearer realm="https://r/t",service="s"',
      [
        { scheme: 'basic', params: { realm: 'x' } },
        { scheme: 'bearer', params: { realm: 'https://r/t', service: 's' } },
      ],
    ],
    ['bare scheme', 'Negotiate', [{ scheme: 'negotiate', params: {} }]],
    ['unterminated quote', 'Basic realm="oops', [{ scheme: 'basic', params: { realm: 'oops' } }]],
    ['empty', '', []],
  ])('%s', (_name, header, expected) => {
    expect(parseWwwAuthenticate(header)).toEqual(expected);
  });
});

describe('endpointOf', () => {
  it.each([
    ['python:3', 'docker.io', 'https://registry-1.docker.io', 'library/python'],
    ['docker.io/python', 'docker.io', 'https://registry-1.docker.io', 'library/python'],
    ['index.docker.io/library/python:3', 'docker.io', 'https://registry-1.docker.io', 'library/python'],
    ['bitnami/redis:7', 'docker.io', 'https://registry-1.docker.io', 'bitnami/redis'],
    ['ghcr.io/owner/img:1', 'ghcr.io', 'https://ghcr.io', 'owner/img'],
    ['ghcr.io/python:1', 'ghcr.io', 'https://ghcr.io', 'python'],
    ['localhost:5000/a/b', 'localhost:5000', 'http://localhost:5000', 'a/b'],
    ['localhost/a', 'localhost', 'http://localhost', 'a'],
    ['127.0.0.1:5000/a', '127.0.0.1:5000', 'http://127.0.0.1:5000', 'a'],
    ['127.8.9.10/a', '127.8.9.10', 'http://127.8.9.10', 'a'],
    ['[::1]:5000/a', '[::1]:5000', 'http://[::1]:5000', 'a'],
    ['128.0.0.1:5000/a', '128.0.0.1:5000', 'https://128.0.0.1:5000', 'a'],
    ['localhost.example.com/a', 'localhost.example.com', 'https://localhost.example.com', 'a'],
  ])('%s', (ref, host, baseUrl, repository) => {
    expect(endpointOf(ref)).toEqual({ host, baseUrl, repository });
  });

  it('plain HTTP for a configured insecure host only', () => {
    expect(endpointOf('reg.lan:5000/a', { insecure: ['reg.lan:5000'] }).baseUrl).toBe('http://reg.lan:5000');
    expect(endpointOf('reg.lan/a', { insecure: ['reg.lan:5000'] }).baseUrl).toBe('https://reg.lan');
  });

  it('loopback detection rejects look-alikes', () => {
    expect(isLoopback('127.0.0.300')).toBe(false);
    expect(isLoopback('127.0.0.1.nip.io')).toBe(false);
    expect(isLoopback('[::1]')).toBe(true);
  });

  it('rejects an invalid reference', () => {
    expect(() => endpointOf('Python:3')).toThrow(/lowercase/);
  });
});

describe('nextLink', () => {
  const base = 'http://r:5000/v2/a/tags/list';
  it.each([
    ['relative', '</v2/a/tags/list?last=b&n=2>; rel="next"', 'http://r:5000/v2/a/tags/list?last=b&n=2'],
    ['absolute', '<https://other/v2/a/tags/list?last=b>; rel=next', 'https://other/v2/a/tags/list?last=b'],
    ['among other rels', '</p1>; rel="prev", </p3>; rel="next"', 'http://r:5000/p3'],
    ['rel list', '</p3>; type="x"; rel="last next"', 'http://r:5000/p3'],
    ['no next', '</p1>; rel="prev"', undefined],
    ['nextpage is not next', '</p1>; rel="nextpage"', undefined],
  ])('%s', (_n, link, expected) => {
    expect(nextLink(link, base)).toBe(expected);
  });
  it('no header', () => expect(nextLink(null, base)).toBeUndefined());
});

describe('retryAfterMs', () => {
  it('seconds, HTTP date, garbage', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});
