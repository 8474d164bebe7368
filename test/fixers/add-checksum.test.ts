/**
 * add-checksum through the fix engine against a file server on loopback: the digest written is the real
 * `sha256sum` of the served file, the frontend named by `# syntax=` decides whether the flag may be written,
 * variables and several sources are left with their reason, faults leave the finding, and a re-run (online
 * or offline from the lock) gives the same bytes.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FixOutcome } from '../../src/fix';
import fixer from '../../src/fixers/add-checksum';
import { LockFile } from '../../src/resolve/lock';
import rule from '../../src/rules/add-checksum';
import { packageFix } from '../helpers/packageFix';
import { startDownloadServer, type DownloadServer } from '../helpers/downloadServer';
import { workspace } from '../helpers/workspace';

const TOOL = randomBytes(50_000);
let server: DownloadServer;
let url: string;

beforeAll(async () => {
  server = await startDownloadServer({ '/tool-1.4.2.tgz': { file: TOOL }, '/v1/a.sh': { file: 'echo a\n' }, '/v2/a.sh': { file: 'echo b\n' } });
  url = `${server.url}/tool-1.4.2.tgz`;
});
afterAll(() => server.close());

function sha256sum(bytes: Buffer | string): string {
  const path = join(workspace({}), 'f');
  writeFileSync(path, bytes);
  return `sha256:${execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0]}`;
}

const fix = packageFix(() => ({ rule, fixer }));
const reasons = (r: FixOutcome) => r.left.map((l) => [l.left, l.reason]);

describe('add-checksum fixer', () => {
  it('writes --checksum with the sha256sum of the served file, after the keyword, other flags and layout kept', async () => {
    const digest = sha256sum(TOOL);
    const r = await fix(`FROM alpine:3.20\nADD --chmod=644 ${url} /opt/\nONBUILD ADD ["${url}", "/x"]\n`);
    expect(r.text).toBe(`FROM alpine:3.20\nADD --checksum=${digest} --chmod=644 ${url} /opt/\nONBUILD ADD --checksum=${digest} ["${url}", "/x"]\n`);
    expect(r.left).toEqual([]);
    expect(r.applied[0]).toEqual({
      rule: 'add-checksum',
      title: `add --checksum=${digest} to ADD '${url}' (downloaded now, 50000 bytes; the built-in frontend of BuildKit 0.12+ / Docker Engine 25+ accepts it)`,
      applicability: 'safe',
    });
    // One download for both instructions.
    expect(server.requests.filter((q) => q.path === '/tool-1.4.2.tgz')).toHaveLength(1);
  });

  it('fix twice == fix once; a re-run offline from the lock gives the same bytes without downloading', async () => {
    const dir = workspace({});
    const lock = LockFile.load(join(dir, 'dockrepro.lock.json'));
    const text = `# syntax=docker/dockerfile:1\nFROM alpine:3.20\nADD ${url} /opt/\n`;
    const once = await fix(text, { lock });
    lock.save();
    const twice = await fix(once.text, { lock });
    expect(twice.text).toBe(once.text);
    expect(twice.applied).toEqual([]);
    const before = server.requests.length;
    const offline = await fix(text, { lock: LockFile.load(join(dir, 'dockrepro.lock.json')), offline: true });
    expect(offline.text).toBe(once.text);
    expect(server.requests.length).toBe(before);
    expect(offline.applied[0].title).toContain(`from ${join(dir, 'dockrepro.lock.json')}`);
    const nothing = await fix(text, { offline: true });
    expect(reasons(nothing)).toEqual([['needs-network', `'${url}' is not in ${nothing.lock.path} and --offline forbids downloading it`]]);
  });

  it('follows the # syntax= frontend: 1.6+ and floating tags are fine, older or unknown ones leave the finding', async () => {
    const digest = sha256sum(TOOL);
    const before = server.requests.length;
    for (const syntax of ['docker/dockerfile:1.6', 'docker.io/docker/dockerfile:1.9.0', 'docker/dockerfile:1-labs', 'docker/dockerfile-upstream:1.12.0-labs']) {
      expect((await fix(`# syntax=${syntax}\nFROM a\nADD ${url} /x\n`)).text).toBe(`# syntax=${syntax}\nFROM a\nADD --checksum=${digest} ${url} /x\n`);
    }
    const old = await fix(`# syntax=docker/dockerfile:1.5\nFROM a\nADD ${url} /x\n`);
    expect(old.text).toBe(`# syntax=docker/dockerfile:1.5\nFROM a\nADD ${url} /x\n`);
    expect(reasons(old)).toEqual([
      ['no-fixer', `'# syntax=docker/dockerfile:1.5' is older than docker/dockerfile 1.6, the first frontend that accepts ADD --checksum: raise it (e.g. docker/dockerfile:1.6 or :1), then fix again`],
    ]);
    const other = await fix(`# syntax=example.com/my/frontend:2\nFROM a\nADD ${url} /x\n`);
    expect(reasons(other)[0][1]).toContain('is not a docker/dockerfile frontend dockrepro knows');
    expect(server.requests.length - before).toBe(4); // one per run that wrote a checksum, none for the left ones
  });

  it('replaces a malformed checksum: safe when it was the same digest, unsafe when it was another', async () => {
    const digest = sha256sum(TOOL);
    const upper = digest.toUpperCase().replace('SHA256:', 'sha256:');
    const r = await fix(`FROM a\nADD --checksum=${upper} ${url} /x\n`);
    expect(r.text).toBe(`FROM a\nADD --checksum=${digest} ${url} /x\n`);
    expect(r.applied[0].applicability).toBe('safe');
    const wrong = await fix(`FROM a\nADD --checksum=md5:abc ${url} /x\n`);
    expect(wrong.text).toBe(`FROM a\nADD --checksum=md5:abc ${url} /x\n`);
    expect(wrong.left.map((l) => l.left)).toEqual(['unsafe']);
  });

  it('a URL built from an ARG is an unsafe fix; one built from a platform ARG, or an ADD of several sources, is left', async () => {
    const v = await fix(`FROM a\nARG V=v1\nADD ${server.url}/\${V}/a.sh /x\n`);
    expect(v.left.map((l) => [l.left, l.reason.startsWith(`replace`) || l.reason.includes('--build-arg')])).toEqual([['unsafe', true]]);
    const plat = await fix(`FROM a\nARG TARGETARCH\nADD ${server.url}/\${TARGETARCH}/a.sh /x\n`);
    expect(plat.left.map((l) => l.left)).toEqual([]); // unknown value: the rule does not report it
    const two = await fix(`FROM a\nADD ${url} ${server.url}/v1/a.sh /x/\n`);
    expect(reasons(two)).toEqual([
      ['no-fixer', 'BuildKit accepts --checksum only on an ADD with one source: split this ADD into one per URL, then fix again'],
      ['no-fixer', 'BuildKit accepts --checksum only on an ADD with one source: split this ADD into one per URL, then fix again'],
    ]);
  });

  it('a 404 leaves the finding with the reason and writes nothing', async () => {
    const r = await fix(`FROM a\nADD ${server.url}/gone.tgz /x\n`);
    expect(r.text).toBe(`FROM a\nADD ${server.url}/gone.tgz /x\n`);
    expect(reasons(r)).toEqual([['failed', `download failed: ${server.url}/gone.tgz: not found (unknown file)`]]);
    expect(r.lock.dirty).toBe(false);
  });
});
