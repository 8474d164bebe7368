import rule from '../../src/rules/image-lock';
import { parseDockerfile } from '../../src/parse/dockerfile';
import { lintModel } from '../../src/lint';
import { LockFile } from '../../src/resolve/lock';

const A = 'sha256:' + 'a'.repeat(64);
const B = 'sha256:' + 'b'.repeat(64);
const C = 'sha256:' + 'c'.repeat(64);

function lockWith(entries: Record<string, { tag?: string; digest: string; platform?: string }>): LockFile {
  const lock = new LockFile('/repo/dockrepro.lock.json');
  for (const [k, e] of Object.entries(entries)) lock.set(k, { mediaType: 'application/vnd.oci.image.index.v1+json', resolvedAt: '2026-11-25T00:00:00.000Z', ...e });
  return lock;
}

const LOCK = lockWith({
  'docker.io/library/python:3': { tag: '3.12.7', digest: A },
  'docker.io/library/python:3.12.7': { tag: '3.12.7', digest: A },
  'docker.io/library/node:20.18.1 linux/arm64': { digest: C, platform: 'linux/arm64' },
  'ghcr.io/org/tool:1.2.3': { digest: B },
});

function flagged(code: string, lock: LockFile | null = LOCK): string[] {
  const model = parseDockerfile(code);
  return lintModel(model, { rules: [rule], lock: lock ?? undefined }).map((f) => `${code.slice(f.span.start, f.span.end)}: ${f.message}`);
}

describe('image-lock', () => {
  it('silent without --verify-lock (no lock in the context)', () => {
    expect(flagged(`FROM python:3.12.7@${B}`, null)).toEqual([]);
  });

  describe('must trigger', () => {
    it('a digest the lock does not record for that image and tag', () => {
      expect(flagged(`FROM python:3.12.7@${B}`)).toEqual([
        `python:3.12.7@${B}: base image 'python:3.12.7@${B}' has a digest the lock does not record for it (the lock has ${A}): ` +
          `the Dockerfile or /repo/dockrepro.lock.json was edited by hand; remove the digest and run 'dockrepro fix --refresh' to resolve the tag again`,
      ]);
    });

    it('an image and tag the lock has no entry for', () => {
      expect(flagged(`FROM debian:12.8@${A}`)).toEqual([
        `debian:12.8@${A}: base image 'debian:12.8@${A}' is not in /repo/dockrepro.lock.json: pin it with 'dockrepro fix' (or 'fix --refresh') so the lock records it`,
      ]);
    });

    it('every kind of site, and a reference from an ARG default (reported at the use)', () => {
      const code = `# syntax=ghcr.io/org/tool:1.2.3@${A}\nARG BASE=python:3@${B}\nFROM \${BASE}\nCOPY --from=python:3.12.7@${C} /a /b\nRUN --mount=from=ghcr.io/org/tool:1.2.3@${C},target=/t true\n`;
      expect(flagged(code).map((f) => f.split(':')[0] + ':' + f.split(':')[1].split('@')[0])).toEqual([
        'ghcr.io/org/tool:1.2.3',
        '${BASE}: base image \'python',
        'python:3.12.7',
        'ghcr.io/org/tool:1.2.3',
      ]);
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['the digest the lock records', `FROM python:3.12.7@${A}`],
      ['the floating spelling it was resolved from', `FROM python:3@${A}`],
      ['fully qualified spelling of a Hub image', `FROM docker.io/library/python:3.12.7@${A}`],
      ['a platform entry (fix --platform)', `FROM node:20.18.1@${C}`],
      ['no tag: any entry of the image with that digest', `FROM python@${A}`],
      ['not pinned (image-digest reports that)', 'FROM python:3'],
      ['a malformed digest (image-digest reports that)', 'FROM python:3@sha256:abc'],
      ['a stage', `FROM python:3.12.7@${A} AS base\nFROM base`],
      ['scratch', 'FROM scratch'],
      ['an ARG without default', 'ARG BASE\nFROM ${BASE}'],
    ])('%s', (_name, code) => {
      expect(flagged(code)).toEqual([]);
    });
  });
});
