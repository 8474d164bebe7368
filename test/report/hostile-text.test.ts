/**
 * Text from outside reaching a terminal or a CI log, through the real CLI: a file name with a newline and a
 * line-leading `::error::` (a GitHub Actions workflow command), a Dockerfile with ESC, a C1 CSI and a bidi
 * override, and (for `fix`) a registry whose error message carries the same, answered by a fault proxy in
 * front of the real test registry. Every reporter must keep each finding on its own line, with no raw
 * control character, while JSON and SARIF still carry the exact text as data.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli';
import { startFaultProxy, type FaultProxy } from '../helpers/faultProxy';
import { describeWithRegistries, pushIndex } from '../helpers/registryFixtures';
import { workspace } from '../helpers/workspace';

/** A name a repository can really contain: a newline and then a workflow command. */
const NAME = 'a\n::error::pwned.Dockerfile';
/** ESC clears the screen, U+009B is an 8-bit CSI, U+202E reverses the rest of the line. */
const DOCKERFILE = 'FROM alpine:3\nFR\x1b[2JOM x\nRUN apt-get install -y cu\u009b2Jrl\u202egnp.exe\n';
/** Raw controls other than the newlines between lines, and bidi controls. */
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

function hostileTree(): string {
  const dir = workspace({});
  writeFileSync(join(dir, NAME), DOCKERFILE);
  return dir;
}

describe('text from the tree cannot forge output lines or control the terminal (lint, every format)', () => {
  it.each(['text', 'github', 'checkstyle', 'json', 'json-lines', 'sarif'])('%s', async (format) => {
    const r = await runCli(['lint', '--format', format, '.'], { cwd: hostileTree() });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    // The name's newline did not start a line of its own: no line starts with what followed it.
    expect(r.stdout).not.toMatch(/^::error::/m);
    expect(r.stdout).not.toMatch(/^\s*::error::pwned/m);
    expect(r.stdout).toContain('pwned.Dockerfile');
  });

  it('github: one annotation per finding and notice, each a single line', async () => {
    const r = await runCli(['lint', '--format', 'github', '.'], { cwd: hostileTree() });
    const lines = r.stdout.trimEnd().split('\n');
    // Five findings (image-digest, image-tag, apt-pin, apt-cleanup as a notice, the unknown instruction as a syntax error), the summary.
    expect(lines).toHaveLength(6);
    for (const line of lines.slice(0, 5)) expect(line).toMatch(/^::(error|warning|notice) file=a%0A%3A%3Aerror%3A%3Apwned\.Dockerfile,/);
    expect(lines.filter((l) => l.startsWith('::notice ') && l.includes('title=apt-cleanup::'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('unknown instruction: FR\\x1b[2JOM'))).toHaveLength(1);
  });

  it('json and sarif: escaped bytes, exact data', async () => {
    const json = JSON.parse((await runCli(['lint', '--format', 'json', '.'], { cwd: hostileTree() })).stdout);
    expect(json.files[0].path).toBe(NAME);
    expect(json.files[0].notice).toBeUndefined();
    expect(json.files[0].findings.map((f: { message: string }) => f.message)).toContain('unknown instruction: FR\x1b[2JOM');
    expect(json.files[0].findings.map((f: { message: string }) => f.message)).toContainEqual(expect.stringContaining('cu\u009b2Jrl\u202egnp.exe'));
    const sarif = JSON.parse((await runCli(['lint', '--format', 'sarif', '.'], { cwd: hostileTree() })).stdout);
    expect(sarif.runs[0].results.map((r: { message: { text: string } }) => r.message.text)).toContainEqual(expect.stringContaining('\u009b2Jrl\u202e'));
  });
});

describeWithRegistries('a registry error message in the fix summary (fault proxy in front of the real registry)', ({ open }) => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    await pushIndex(open, 'hostile/app', 'oci', 'hostile', ['1']);
    proxy = await startFaultProxy(open.url);
  });
  afterAll(() => proxy.close());
  afterEach(() => proxy.reset());

  it('is printed on one line with its controls escaped', async () => {
    const message = 'gone\n::error file=x::pwned\x1b]0;title\x07\r\u009b2J\u202e';
    proxy.inject({ path: /^\/v2\/hostile\/app\/manifests\//, times: Infinity, respond: { status: 404, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message }] }) } });
    const dir = workspace({ Dockerfile: `FROM ${proxy.host}/hostile/app:1\n` });
    mkdirSync(join(dir, '.git'));
    const r = await runCli(['fix', '--rules', 'image-digest'], { cwd: dir, env: { HOME: workspace({}) } });
    expect(r.stdout).toContain('MANIFEST_UNKNOWN: gone\\x0a::error file=x::pwned\\x1b]0;title\\x07\\x0d\\x9b2J\\u202e');
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stdout).not.toMatch(/^::/m);
    expect(r.code).toBe(1);
  });

  it('an HTML page served as an index is not pinned', async () => {
    proxy.inject({
      path: /^\/v2\/hostile\/app\/manifests\//,
      method: 'GET',
      times: Infinity,
      headers: { 'Docker-Content-Digest': null, 'Content-Type': 'application/vnd.oci.image.index.v1+json' },
      body: () => '<html><body>Sign in to continue</body></html>',
    });
    const dockerfile = `FROM ${proxy.host}/hostile/app:1\n`;
    const dir = workspace({ Dockerfile: dockerfile });
    mkdirSync(join(dir, '.git'));
    const r = await runCli(['fix', '--rules', 'image-digest'], { cwd: dir, env: { HOME: workspace({}) } });
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toBe(dockerfile);
    expect(r.stdout).toContain('(not JSON); not pinned');
    expect(r.stdout).toContain('0 changed, 0 findings fixed, 1 left');
  });
});
