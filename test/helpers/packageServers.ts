/**
 * Small package index servers on 127.0.0.1 (port 0) for the gem, go and cargo fixer tests, answering in the
 * shapes the real services document:
 * - RubyGems API v1: `/api/v1/versions/NAME/latest.json` → `{"version": …}` (`"unknown"` for a gem it does
 *   not have), `/api/v1/versions/NAME.json` → `[{"number", "platform", "prerelease", …}]` or 404.
 * - Go module proxy: `<base>/<module>/@v/list` (text, one version a line), `@v/<v>.info`, `@v/<v>.mod`,
 *   `@latest`; upper-case letters arrive as `!` + lower case; 404 with a text body when unknown.
 * - Cargo sparse index: `/<prefix>/<name>` with one JSON object per version line, `/config.json`.
 * Every request path is recorded; `override` answers a path with anything (errors, malformed bodies).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Canned {
  status: number;
  body: string | Buffer;
  type?: string;
}

export interface FixtureServer {
  url: string;
  /** Request paths, in order. */
  requests: string[];
  /** Path → answer, checked before the fixture data. */
  override: Map<string, Canned>;
  close(): Promise<void>;
}

/** A server on a free loopback port answering each request path with `handle` (after `override`). */
export async function serve(handle: (path: string) => Canned): Promise<FixtureServer> {
  const requests: string[] = [];
  const override = new Map<string, Canned>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    requests.push(path);
    const answer = override.get(path) ?? handle(path);
    res.writeHead(answer.status, { 'Content-Type': answer.type ?? 'text/plain; charset=utf-8' });
    res.end(answer.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    override,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const json = (v: unknown, status = 200): Canned => ({ status, body: JSON.stringify(v), type: 'application/json; charset=utf-8' });

// ---- RubyGems ----

export interface GemFixture {
  number: string;
  /** Default 'ruby'. */
  platform?: string;
}

function gemPrerelease(v: string): boolean {
  return /[a-zA-Z]/.test(v);
}

/** Gem::Version order, enough for fixtures (numbers above letters). */
function gemCompare(a: string, b: string): number {
  const seg = (v: string) => (v.replace(/-/g, '.pre.').match(/\d+|[a-z]+/gi) ?? []).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const x = seg(a);
  const y = seg(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i] ?? 0;
    const q = y[i] ?? 0;
    if (p === q) continue;
    if (typeof p !== typeof q) return typeof p === 'number' ? 1 : -1;
    return p < q ? -1 : 1;
  }
  return 0;
}

/**
 * A RubyGems server. `latestEndpoint: false` plays a gem server without `latest.json` (404), as simple gem
 * servers are. latest.json follows rubygems.org: the newest release of platform `ruby` if any, else the
 * newest release, else the newest version.
 */
export function startRubyGems(gems: Record<string, GemFixture[]>, options: { latestEndpoint?: boolean } = {}): Promise<FixtureServer> {
  return serve((path) => {
    const latest = /^\/api\/v1\/versions\/([^/]+)\/latest\.json$/.exec(path);
    if (latest) {
      if (options.latestEndpoint === false) return { status: 404, body: 'Not Found' };
      const versions = gems[decodeURIComponent(latest[1])];
      if (!versions || versions.length === 0) return json({ version: 'unknown' });
      const releases = versions.filter((v) => !gemPrerelease(v.number));
      const newest = (list: GemFixture[]) => [...list].sort((a, b) => gemCompare(b.number, a.number))[0];
      const ruby = releases.filter((v) => (v.platform ?? 'ruby') === 'ruby');
      const pick = newest(ruby) ?? newest(releases) ?? newest(versions);
      return json({ version: pick.number });
    }
    const all = /^\/api\/v1\/versions\/([^/]+)\.json$/.exec(path);
    if (all) {
      const name = decodeURIComponent(all[1]);
      const versions = gems[name];
      if (!versions) return { status: 404, body: 'This rubygem could not be found.' };
      return json(
        versions.map((v, i) => ({
          authors: 'Test Author',
          built_at: '2024-09-01T00:00:00.000Z',
          created_at: `2024-09-${String(10 + (i % 20)).padStart(2, '0')}T00:00:00.000Z`,
          description: `${name} ${v.number}`,
          downloads_count: 1000 - i,
          metadata: {},
          number: v.number,
          summary: name,
          platform: v.platform ?? 'ruby',
          rubygems_version: '>= 0',
          ruby_version: '>= 3.1.0',
          prerelease: gemPrerelease(v.number),
          licenses: ['MIT'],
          requirements: [],
          sha: 'a'.repeat(64),
        })),
      );
    }
    return { status: 404, body: 'Not Found' };
  });
}

// ---- Go module proxy ----

export interface GoModuleFixture {
  /** The tagged versions `@v/list` gives (in this order). */
  versions: string[];
  /** go.mod text by version (default `module <path>`). */
  mods?: Record<string, string>;
  /** What `@latest` answers (for modules without tags). */
  latest?: string;
  /** What `@v/<query>.info` answers for branch names and commits. */
  revisions?: Record<string, string>;
}

const unescapeGo = (s: string) => s.replace(/!([a-z])/g, (_, c: string) => c.toUpperCase());

/** A module proxy at `<url><base>` (base e.g. '' or '/alt'). */
export function startGoProxy(modules: Record<string, GoModuleFixture>, base = ''): Promise<FixtureServer> {
  return serve((path) => {
    if (!path.startsWith(`${base}/`)) return { status: 404, body: 'not found' };
    const rest = path.slice(base.length + 1);
    const m = /^(.+?)\/@(latest|v\/(.+))$/.exec(rest);
    if (!m) return { status: 404, body: 'not found' };
    const module = unescapeGo(m[1]);
    const fixture = modules[module];
    const notFound: Canned = { status: 404, body: `not found: module ${module}: no matching versions for query "latest"` };
    if (!fixture) return notFound;
    const time = '2024-10-01T12:00:00Z';
    if (m[2] === 'latest') return fixture.latest ? json({ Version: fixture.latest, Time: time }) : notFound;
    const file = m[3];
    const listed = fixture.versions.map((v) => v.split(/\s+/)[0]);
    if (file === 'list') return { status: 200, body: fixture.versions.map((v) => `${v}\n`).join('') };
    const mod = /^(.+)\.mod$/.exec(file);
    if (mod) {
      const v = unescapeGo(mod[1]);
      if (!listed.includes(v)) return { status: 404, body: `not found: ${module}@${v}: invalid version` };
      return { status: 200, body: fixture.mods?.[v] ?? `module ${module}\n\ngo 1.22\n` };
    }
    const info = /^(.+)\.info$/.exec(file);
    if (info) {
      const q = unescapeGo(info[1]);
      const v = listed.includes(q) ? q : fixture.revisions?.[q];
      return v ? json({ Version: v, Time: time }) : { status: 404, body: `not found: ${module}@${q}: invalid version: unknown revision ${q}` };
    }
    return notFound;
  });
}

// ---- Cargo sparse index ----

export interface CrateFixture {
  vers: string;
  yanked?: boolean;
}

export function indexPath(name: string): string {
  const n = name.toLowerCase();
  if (n.length <= 2) return `${n.length}/${n}`;
  if (n.length === 3) return `3/${n[0]}/${n}`;
  return `${n.slice(0, 2)}/${n.slice(2, 4)}/${n}`;
}

/** A sparse registry index: `/config.json` and one file per crate. */
export async function startSparseIndex(crates: Record<string, CrateFixture[]>): Promise<FixtureServer> {
  const files = new Map<string, string>();
  for (const [name, versions] of Object.entries(crates)) {
    const lines = versions.map((v) =>
      JSON.stringify({ name, vers: v.vers, deps: [], cksum: 'b'.repeat(64), features: {}, yanked: v.yanked ?? false, links: null, v: 2, rust_version: '1.70' }),
    );
    files.set(`/${indexPath(name)}`, `${lines.join('\n')}\n`);
  }
  const server = await serve((path) => {
    if (path === '/config.json') return json({ dl: `${server.url}/api/v1/crates`, api: server.url });
    const body = files.get(path);
    return body === undefined ? { status: 404, body: 'Not Found' } : { status: 200, body };
  });
  return server;
}
