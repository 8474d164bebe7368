/**
 * A package index for the tests: a static file server over a folder, as a static host serves a mirror made
 * by bandersnatch or `dumb-pypi` (static files are a faithful implementation of the simple API). A request
 * for a folder (`/main/simple/flask/`, also without the trailing slash) gets the folder's `index.json`
 * (as `application/vnd.pypi.simple.v1+json`, PEP 691) when the Accept header asks for it, else its
 * `index.html` (`text/html`, PEP 503); a folder with only one of them always serves that one. The PyPI
 * project JSON API (`/api/pypi/flask/json`) is a folder with an `index.json` served as `application/json`.
 *
 * Faults for error tests: `faults` maps a path to a status to answer instead (e.g. 503); `hooks` maps a path
 * to work done before it is answered.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';

export interface PypiServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Every request: path, Accept and Authorization headers. */
  log: { path: string; accept: string; authorization?: string }[];
  /** Requests for paths starting with `prefix`. */
  count(prefix: string): number;
  faults: Map<string, number>;
  /** Run (and awaited) when a request for this path arrives, before it is answered: a slow lookup during which a test changes files. */
  hooks: Map<string, () => void | Promise<void>>;
  close(): Promise<void>;
}

const PEP691 = 'application/vnd.pypi.simple.v1+json';

/** Whether the Accept header asks for JSON (any q > 0) ahead of HTML. */
function wantsJson(accept: string): boolean {
  const q = (type: string) => {
    for (const part of accept.split(',')) {
      const [t, ...params] = part.trim().split(';').map((s) => s.trim());
      if (t.toLowerCase() !== type) continue;
      const qp = params.find((p) => p.startsWith('q='));
      return qp ? Number(qp.slice(2)) : 1;
    }
    return 0;
  };
  const json = Math.max(q(PEP691), q('application/json'));
  return json > 0 && json >= Math.max(q('text/html'), q('application/vnd.pypi.simple.v1+html'));
}

export async function startPypiServer(root: string): Promise<PypiServer> {
  const log: PypiServer['log'] = [];
  const faults = new Map<string, number>();
  const hooks = new Map<string, () => void | Promise<void>>();
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    await hooks.get(url.pathname)?.();
    const accept = String(req.headers.accept ?? '');
    log.push({ path: url.pathname, accept, authorization: req.headers.authorization });
    const fault = faults.get(url.pathname);
    if (fault !== undefined) {
      res.writeHead(fault, { 'Content-Type': 'text/plain' }).end(`fault ${fault}\n`);
      return;
    }
    let rel: string;
    try {
      rel = normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '');
    } catch {
      res.writeHead(400).end();
      return;
    }
    const path = join(root, rel);
    if (req.method !== 'GET' || rel.startsWith('..') || !(path + sep).startsWith(root + sep) || !existsSync(path) || !statSync(path).isDirectory()) {
      res.writeHead(404, { 'Content-Type': 'text/html' }).end('<html><body>404 Not Found</body></html>');
      return;
    }
    const json = join(path, 'index.json');
    const html = join(path, 'index.html');
    const hasJson = existsSync(json);
    const hasHtml = existsSync(html);
    if (!hasJson && !hasHtml) {
      res.writeHead(404, { 'Content-Type': 'text/html' }).end('<html><body>404 Not Found</body></html>');
      return;
    }
    const serveJson = hasJson && (!hasHtml || wantsJson(accept));
    const isApi = rel.split(/[/\\]/)[0] === 'api';
    const type = serveJson ? (isApi ? 'application/json' : PEP691) : 'text/html; charset=utf-8';
    res.writeHead(200, { 'Content-Type': type, Vary: 'Accept' }).end(readFileSync(serveJson ? json : html));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    faults,
    hooks,
    count: (prefix) => log.filter((l) => l.path.startsWith(prefix)).length,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
