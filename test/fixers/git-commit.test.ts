/**
 * git-commit through the fix engine against real repositories served by `git http-backend` on loopback: the
 * refs read over HTTP equal what the real `git ls-remote` prints; the pinned RUN, run for real by `sh`,
 * checks out today's commit after the branch has moved on (shallow clones too), where the original command
 * gets the new one; tags peeled; refs from variables, private repositories, unknown refs and prefixes left
 * with reasons; mirrors; the lock; one advertisement per repository per run; ADD <repo>.git#ref.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FixOutcome } from '../../src/fix';
import fixer from '../../src/fixers/git-commit';
import { HttpClient } from '../../src/resolve/http';
import { lsRemote } from '../../src/resolve/gitRefs';
import clonePin from '../../src/rules/git-clone-pin';
import addChecksum from '../../src/rules/add-checksum';
import { packageFix } from '../helpers/packageFix';
import { gitAvailable, startGitServer, type GitServer } from '../helpers/gitServer';
import { inCI } from '../helpers/ci';

const missing = gitAvailable();
if (missing) {
  if (inCI()) throw new Error(`git-commit tests need git: ${missing}`);
  console.warn(`SKIPPING git-commit tests: ${missing}`);
}
const suite = missing ? describe.skip : describe;

let server: GitServer;
const fix = packageFix(() => ({ rule: clonePin, fixer }));
const fixAdd = packageFix(() => ({ rule: addChecksum, fixer }));
const reasons = (r: FixOutcome) => r.left.map((l) => l.reason);
const D = 'FROM debian:12.7@sha256:' + 'a'.repeat(64) + '\n';

// Asynchronous: the git server runs in this process, so a synchronous child would wait on it forever.
const run = promisify(execFile);

/** Runs a fixed Dockerfile's RUN lines with sh in a fresh folder; returns the commit checked out in `dir`. */
async function build(dockerfile: string, dir: string): Promise<string> {
  const cwd = mkdtempSync(join(tmpdir(), 'dockrepro-git-build-'));
  for (const line of dockerfile.split('\n')) {
    if (!line.startsWith('RUN ')) continue;
    await run('sh', ['-ec', line.slice(4)], { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
  }
  return execFileSync('git', ['-C', join(cwd, dir), 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
}

suite('git-commit', () => {
  beforeAll(async () => {
    server = await startGitServer();
  });
  afterAll(() => server?.close());
  beforeEach(() => {
    server.requests.length = 0;
  });

  it('reads the same refs as the real git ls-remote, tags peeled, HEAD and its target', async () => {
    server.create('refs');
    server.commit('refs', 'dev');
    const annotated = server.tag('refs', 'v1.0');
    server.tag('refs', 'light', 'dev', true);
    const url = `${server.url}/refs.git`;
    const ours = await lsRemote(new HttpClient({ retries: 0 }), url);
    const real = (await run('git', ['ls-remote', url])).stdout.trim().split('\n').map((l) => l.split('\t'));
    expect([...ours.refs].map(([name, id]) => [id, name]).sort()).toEqual(real.sort());
    expect(ours.refs.get('refs/tags/v1.0^{}')).toBe(annotated);
    expect(ours.headTarget).toBe('refs/heads/main');
    expect(ours.head).toBe(real.find(([, n]) => n === 'HEAD')![0]);
  });

  it("pins a clone of the default branch; the pinned RUN still builds today's commit after main moves on", async () => {
    const today = server.create('app');
    const text = `${D}RUN git clone ${server.url}/app.git src && test -f src/file.txt\n`;
    const r = await fix(text);
    expect(r.left).toEqual([]);
    expect(r.text).toBe(`${D}RUN git clone ${server.url}/app.git src && git -C src checkout -q ${today} && test -f src/file.txt\n`);
    expect(r.applied).toEqual([{ rule: 'git-clone-pin', title: `check out commit ${today.slice(0, 12)} after cloning ${server.url}/app.git (the default branch: the default branch today)`, applicability: 'safe' }]);
    const later = server.commit('app');
    expect(await build(r.text, 'src')).toBe(today);
    expect(await build(text, 'src')).toBe(later);
  });

  it('fetches the commit by id after a shallow clone, which the branch tip no longer is', async () => {
    const today = server.create('shallow');
    const r = await fix(`${D}RUN git clone --depth 1 -b main ${server.url}/shallow.git s\n`);
    expect(r.left).toEqual([]);
    expect(r.text).toBe(`${D}RUN git clone --depth 1 -b main ${server.url}/shallow.git s && git -C s fetch -q --depth 1 origin ${today} && git -C s checkout -q FETCH_HEAD\n`);
    server.commit('shallow');
    expect(await build(r.text, 's')).toBe(today);
  });

  it('replaces a checked-out tag by the commit it points to (peeled), and detaches a git switch', async () => {
    server.create('lib');
    const v1 = server.tag('lib', 'v1.2');
    const dev = server.commit('lib', 'dev');
    const r = await fix(`${D}RUN git clone ${server.url}/lib.git /lib && cd /lib && git checkout "v1.2"\nRUN git clone ${server.url}/lib.git l2 && cd l2 && git switch dev\n`);
    expect(r.left).toEqual([]);
    expect(r.text).toBe(`${D}RUN git clone ${server.url}/lib.git /lib && cd /lib && git checkout "${v1}"\nRUN git clone ${server.url}/lib.git l2 && cd l2 && git switch --detach ${dev}\n`);
    // Both clones of one repository: one ref advertisement.
    expect(server.requests.filter((p) => p.includes('info/refs'))).toEqual(['/lib.git/info/refs?service=git-upload-pack']);
    expect(await build(r.text.split('\n').filter((l) => l.includes('l2')).join('\n'), 'l2')).toBe(dev);
  });

  it('reads through an archives: mirror and writes the original URL', async () => {
    const today = server.create('mirrored');
    const r = await fix(`${D}RUN git clone https://git.example.org/team/mirrored.git\n`, { archives: { 'https://git.example.org/team': server.url } });
    expect(r.left).toEqual([]);
    expect(r.text).toBe(`${D}RUN git clone https://git.example.org/team/mirrored.git && git -C mirrored checkout -q ${today}\n`);
  });

  it('leaves with a reason what it cannot know', async () => {
    server.create('ambiguous');
    server.commit('ambiguous', 'v9');
    server.tag('ambiguous', 'v9', 'main');
    const r = await fix([
      D.trimEnd(),
      `RUN git clone -b nope ${server.url}/ambiguous.git a1`,
      `RUN git clone ${server.url}/ambiguous.git a2 && cd a2 && git checkout 0123abc`,
      `RUN git clone ${server.url}/private/x.git`,
      'RUN git clone git@github.com:o/r.git',
      `ARG REF=v9\nRUN git clone ${server.url}/ambiguous.git a3 && cd a3 && git checkout "$REF"`,
      `RUN git clone ${server.url}/ambiguous.git a4 | tee log`,
      `RUN git clone ${server.url}/ambiguous.git a5 && cd a5 && git checkout v9`,
      `RUN git clone ${server.url}/ambiguous.git "$DEST"`,
      '',
    ].join('\n'));
    expect(r.applied).toEqual([]);
    expect(reasons(r)).toEqual([
      `${server.url}/ambiguous.git has no branch or tag 'nope'`,
      `'0123abc' is no branch or tag of ${server.url}/ambiguous.git, so it is a commit prefix, which git servers do not resolve: write the full commit id`,
      expect.stringMatching(/^lookup failed: .*private\/x\.git\/info\/refs\?service=git-upload-pack: authentication required/),
      'git@github.com:o/r.git is not an http(s) URL: dockrepro asks repositories for refs over http(s) only; check out the commit by hand',
      `'"$REF"' comes from a variable (a build argument could name another ref): set the variable to the commit id`,
      'the clone is inside a pipeline or a wrapped command (sudo, sh -c): add `git checkout <commit>` after it by hand',
      `${server.url}/ambiguous.git has both a branch and a tag named 'v9' (at different commits): say which with refs/tags/ or refs/heads/`,
      "the clone's folder is not known statically: add `git -C <folder> checkout <commit>` after it by hand",
    ]);
  });

  it('answers from the lock offline with the same bytes, and fix twice equals fix once', async () => {
    server.create('locked');
    const text = `${D}RUN git clone ${server.url}/locked.git\n`;
    const first = await fix(text);
    expect(first.left).toEqual([]);
    server.commit('locked');
    server.requests.length = 0;
    const again = await fix(text, { lock: first.lock, offline: true });
    expect(again.text).toBe(first.text);
    expect(server.requests).toEqual([]);
    const twice = await fix(first.text);
    expect(twice.text).toBe(first.text);
    expect(twice.applied).toEqual([]);
  });

  it('pins ADD <repo>.git#ref[:dir] to #<commit>[:dir], and a default branch by appending it', async () => {
    const today = server.create('added');
    const v2 = server.tag('added', 'v2');
    const r = await fixAdd(`# syntax=docker/dockerfile:1.7\n${D}ADD ${server.url}/added.git#v2:sub /a\nADD ${server.url}/added.git /b\nADD ${server.url}/added.git?ref=v2 /c\n`);
    expect(r.text).toBe(`# syntax=docker/dockerfile:1.7\n${D}ADD ${server.url}/added.git#${v2}:sub /a\nADD ${server.url}/added.git#${today} /b\nADD ${server.url}/added.git?ref=v2 /c\n`);
    expect(reasons(r)).toEqual([`'${server.url}/added.git?ref=v2' names its ref in a query (?ref=, ?tag=, ?branch=): write #<commit id> by hand`]);
  });
});

afterAll(() => {
  // The real git must still be usable for the next file (nothing left running).
  expect(spawnSync('git', ['--version']).status).toBe(0);
});
