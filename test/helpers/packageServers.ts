/**
 * Loopback HTTP servers (127.0.0.1, port 0) for the package fixer tests: `serve` answers each path with a
 * function, `serveDirectory` serves the files a real tool wrote (the gem server of gemServer.ts, the Go
 * module proxy of goProxy.ts, the cargo sparse index of cargoIndex.ts, as static hosting would). Every
 * request path is recorded; `override` answers a path with anything (errors, malformed bodies).
 */
import { readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';

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

/**
 * The files under `root`, as a static web server serves them: the request path (percent-decoded) names a
 * file below `root`; anything else is a 404. JSON files are sent as application/json.
 */
export function serveDirectory(root: string, prefix = ''): Promise<FixtureServer> {
  return serve((path) => {
    const notFound: Canned = { status: 404, body: 'Not Found' };
    if (!path.startsWith(`${prefix}/`)) return notFound;
    let rel: string;
    try {
      rel = decodeURIComponent(path.slice(prefix.length));
    } catch {
      return notFound;
    }
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep)) return notFound;
    try {
      if (!statSync(file).isFile()) return notFound;
    } catch {
      return notFound;
    }
    return { status: 200, body: readFileSync(file), type: file.endsWith('.json') ? 'application/json' : 'application/octet-stream' };
  });
}

const json = (v: unknown, status = 200): Canned => ({ status, body: JSON.stringify(v), type: 'application/json; charset=utf-8' });

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
