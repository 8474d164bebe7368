import { parseImageRef, isValidDigest } from '../../src/parse/imageRef';

const D = 'sha256:' + '0123456789abcdef'.repeat(4);

describe('parseImageRef', () => {
  it.each([
    ['python', { path: 'python', normalizedName: 'docker.io/library/python' }],
    ['python:3.12', { path: 'python', tag: '3.12', normalizedName: 'docker.io/library/python' }],
    [`python@${D}`, { path: 'python', digest: D }],
    [`python:3@${D}`, { path: 'python', tag: '3', digest: D }],
    ['bitnami/redis:7.2', { path: 'bitnami/redis', tag: '7.2', normalizedName: 'docker.io/bitnami/redis' }],
    ['docker.io/library/python:3', { registry: 'docker.io', path: 'library/python', normalizedName: 'docker.io/library/python' }],
    ['localhost:5000/team/app', { registry: 'localhost:5000', path: 'team/app', tag: undefined }],
    [`localhost:5000/team/app:1.2@${D}`, { registry: 'localhost:5000', path: 'team/app', tag: '1.2', digest: D }],
    [`127.0.0.1:5000/x:3@${D}`, { registry: '127.0.0.1:5000', path: 'x', tag: '3' }],
    ['localhost/app:1', { registry: 'localhost', path: 'app', normalizedName: 'localhost/app' }],
    ['ghcr.io/o/r/img:v1.2.3', { registry: 'ghcr.io', path: 'o/r/img', tag: 'v1.2.3', normalizedName: 'ghcr.io/o/r/img' }],
    ['mcr.microsoft.com/windows/servercore:ltsc2022', { registry: 'mcr.microsoft.com', path: 'windows/servercore' }],
    ['[::1]:5000/app:1', { registry: '[::1]:5000', path: 'app', tag: '1' }],
    ['a__b.c-d/e:x_Y.1-2', { path: 'a__b.c-d/e', tag: 'x_Y.1-2' }],
  ])('%s', (text, expected) => {
    const r = parseImageRef(text);
    if (!r.ok) throw new Error(r.error);
    expect(r.ref).toMatchObject(expected);
  });

  it.each([
    ['', 'empty'],
    ['Python:3', 'lowercase'],
    ['python:', 'not a valid'],
    ['python:3 ', 'not a valid'],
    ['python:3\nRUN x', 'not a valid'],
    ['python:-3', 'not a valid'],
    ['python@sha256:abc', 'not a valid'],
    ['-python', 'not a valid'],
    ['a//b', 'not a valid'],
  ])('rejects %j', (text, msg) => {
    const r = parseImageRef(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(msg);
  });

  it('rejects names longer than 255 characters', () => {
    expect(parseImageRef('a'.repeat(256)).ok).toBe(false);
  });

  it('validates sha256 digests strictly', () => {
    expect(isValidDigest(D)).toBe(true);
    expect(isValidDigest(D.toUpperCase().replace('SHA256', 'sha256'))).toBe(false);
    expect(isValidDigest('sha256:abc123')).toBe(false);
    expect(isValidDigest(D + '0')).toBe(false);
    expect(isValidDigest('sha512:' + 'a'.repeat(128))).toBe(false);
    expect(isValidDigest(undefined)).toBe(false);
  });
});
