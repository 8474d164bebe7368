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
