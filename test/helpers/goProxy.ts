/**
 * A Go module proxy on 127.0.0.1: the module cache download directory that the real `go` (Debian's
 * `golang-go`) writes, served as static files. The go documentation names that directory a GOPROXY
 * (`GOPROXY=file://$(go env GOMODCACHE)/cache/download`); its layout is the GOPROXY protocol's
 * (https://go.dev/ref/mod#goproxy-protocol): `<module>/@v/list`, `@v/<version>.info`, `.mod`, `.zip`, with
 * upper-case letters of paths written as `!` + lower case.
 *
 * How it is made: each version is first laid out in a staging proxy directory in the documented formats
 * (.info JSON, the go.mod text, a module zip made by Debian's `zip` as https://go.dev/ref/mod#zip-files
 * describes, and the `@latest` / `@v/<branch>.info` answers that name a pseudo-version); then the real
 * `go mod download` fetches every version and query from it (GOPROXY=file://…, checksum database off),
 * checking and unpacking each zip, and writes the cache that is served: `list`, `.info`, `.mod`, `.zip`,
 * `.ziphash` are go's. The module cache keeps no answer for a query (`@latest`, `@v/master.info`), so those
 * served files are copies of the .info go wrote for the version go resolved the query to.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { serveDirectory, type FixtureServer } from './packageServers';

export interface GoModuleFixture {
  /** The tagged versions published (what `@v/list` gives). */
  versions: string[];
  /** go.mod text by version (default `module <path>` + `go 1.19`). */
  mods?: Record<string, string>;
  /** For a module without tags: the pseudo-version `@latest` names. */
  latest?: string;
  /** Branch names and commits → the pseudo-version `@v/<query>.info` names. */
  revisions?: Record<string, string>;
}

/** The programs the proxy needs, with their Debian package. */
export const GO_PROXY_TOOLS = { go: 'golang-go', zip: 'zip' };

const escapePath = (s: string) => s.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);

/** The commit time a pseudo-version carries (`v0.0.0-20240101000000-abcdef123456`), else a fixed time. */
function versionTime(version: string): string {
  const m = /(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})-[0-9a-f]{12}$/.exec(version);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z` : '2024-10-01T12:00:00Z';
}

/** One version in the staging proxy: .info, .mod, and the module zip (`<module>@<version>/` prefix). */
function stageVersion(staging: string, work: string, module: string, version: string, gomod: string): void {
  const dir = join(staging, escapePath(module), '@v');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${version}.info`), JSON.stringify({ Version: version, Time: versionTime(version) }));
  writeFileSync(join(dir, `${version}.mod`), gomod);
  const top = `${module}@${version}`;
  const src = join(work, top);
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'go.mod'), gomod);
  const pkg = module.split('/').pop()!.replace(/^v\d+$/, 'mod').replace(/[^A-Za-z0-9_]/g, '_');
  writeFileSync(join(src, 'doc.go'), `// Package ${pkg} is a dockrepro test module.\npackage ${pkg}\n`);
  // -D: no directory entries; -X: no extra attributes (module zips hold files only).
  execFileSync('zip', ['-q', '-r', '-D', '-X', join(dir, `${version}.zip`), top], { cwd: work });
}

/** Builds the proxy for `modules`; returns the directory to serve. */
export function buildGoProxy(modules: Record<string, GoModuleFixture>): string {
  const root = mkdtempSync(join(tmpdir(), 'dockrepro-goproxy-'));
  const staging = join(root, 'staging');
  const work = join(root, 'zips');
  const modcache = join(root, 'modcache');
  const args: string[] = [];
  const queries: { module: string; query: string; file: string }[] = [];
  for (const [module, m] of Object.entries(modules)) {
    const gomod = (v: string) => m.mods?.[v] ?? `module ${module}\n\ngo 1.19\n`;
    const published = [...m.versions, ...Object.values(m.revisions ?? {}), ...(m.latest ? [m.latest] : [])];
    for (const v of published) stageVersion(staging, work, module, v, gomod(v));
    const dir = join(staging, escapePath(module), '@v');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'list'), m.versions.map((v) => `${v}\n`).join(''));
    args.push(...published.map((v) => `${module}@${v}`));
    if (m.latest) {
      copyFileSync(join(dir, `${m.latest}.info`), join(staging, escapePath(module), '@latest'));
      queries.push({ module, query: 'latest', file: '@latest' });
    }
    for (const [rev, v] of Object.entries(m.revisions ?? {})) {
      copyFileSync(join(dir, `${v}.info`), join(dir, `${escapePath(rev)}.info`));
      queries.push({ module, query: rev, file: `@v/${escapePath(rev)}.info` });
    }
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GOPROXY: `file://${staging}`,
    GOMODCACHE: modcache,
    GOPATH: join(root, 'gopath'),
    GOCACHE: join(root, 'gocache'),
    GOSUMDB: 'off',
    GOFLAGS: '-modcacherw',
    GOENV: 'off',
    GOTOOLCHAIN: 'local',
    GO111MODULE: 'on',
    GOPRIVATE: '',
    GONOPROXY: '',
    GONOSUMDB: '',
  };
  const download = (targets: string[]) => {
    if (targets.length === 0) return [];
    const out = execFileSync('go', ['mod', 'download', '-json', ...targets], { cwd: root, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    // One JSON object per target, concatenated.
    return JSON.parse(`[${out.replace(/\}\s*\{/g, '},{')}]`) as { Path: string; Version: string; Error?: string }[];
  };
  for (const r of download(args)) if (r.Error) throw new Error(`go mod download ${r.Path}@${r.Version}: ${r.Error}`);
  const served = join(modcache, 'cache', 'download');
  const resolved = download(queries.map((q) => `${q.module}@${q.query}`));
  queries.forEach((q, i) => {
    const r = resolved[i];
    if (r.Error) throw new Error(`go mod download ${q.module}@${q.query}: ${r.Error}`);
    const dir = join(served, escapePath(q.module));
    mkdirSync(dirname(join(dir, q.file)), { recursive: true });
    copyFileSync(join(dir, '@v', `${escapePath(r.Version)}.info`), join(dir, q.file));
  });
  // go's per-file download locks are no part of the protocol.
  const dropLocks = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) dropLocks(join(dir, e.name));
      else if (e.name.endsWith('.lock')) unlinkSync(join(dir, e.name));
    }
  };
  mkdirSync(served, { recursive: true });
  dropLocks(served);
  return root;
}

/** A module proxy at `<url><base>` (base e.g. '' or '/alt') serving what go wrote for `modules`. */
export async function startGoProxy(modules: Record<string, GoModuleFixture>, base = ''): Promise<FixtureServer> {
  const root = buildGoProxy(modules);
  const server = await serveDirectory(join(root, 'modcache', 'cache', 'download'), base);
  return { ...server, close: () => server.close().finally(() => rmSync(root, { recursive: true, force: true })) };
}
