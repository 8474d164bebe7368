/**
 * A file server on 127.0.0.1 (port 0) for the download tests, with the faults real servers have: files,
 * 404, redirects, an endless body, a Content-Length that lies (written on the raw socket: Node's own
 * response refuses to), and a server that stops sending. It records every request's path and headers and
 * counts the body bytes it managed to hand to the socket, so a test can tell a cut-off download from one
 * read whole.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Route =
  | { file: Buffer | string; type?: string }
  | { status: number }
  | { redirect: string; status?: number }
  /** Chunks of `chunk` bytes without end, with or without a Content-Length announcing `declared` bytes. */
  | { endless: true; chunk?: number; declared?: number }
  /** `body` sent with `Content-Length: declared` (shorter: the connection is closed after the body). */
  | { body: Buffer | string; declared: number }
  /** `body` sent, then nothing more (the connection stays open). */
  | { stallAfter: Buffer | string };

export interface DownloadServer {
  url: string;
  routes: Map<string, Route>;
  requests: { path: string; headers: IncomingHttpHeaders }[];
  /** Body bytes written per request path (the last request to it). */
  written: Map<string, number>;
  close(): Promise<void>;
}

export async function startDownloadServer(routes: Record<string, Route> = {}): Promise<DownloadServer> {
  const table = new Map(Object.entries(routes));
  const requests: DownloadServer['requests'] = [];
  const written = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    requests.push({ path, headers: req.headers });
    const route = table.get(path);
    written.set(path, 0);
    if (!route) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    if ('file' in route) {
      const body = Buffer.from(route.file);
      written.set(path, body.length);
      res.writeHead(200, { 'Content-Type': route.type ?? 'application/octet-stream', 'Content-Length': body.length }).end(body);
    } else if ('status' in route && !('redirect' in route)) {
      res.writeHead(route.status, { 'Content-Type': 'text/plain' }).end(`status ${route.status}\n`);
    } else if ('redirect' in route) {
      res.writeHead(route.status ?? 302, { Location: route.redirect }).end();
    } else if ('endless' in route) {
      const chunk = Buffer.alloc(route.chunk ?? 64 * 1024, 0x61);
      res.writeHead(200, route.declared !== undefined ? { 'Content-Length': route.declared } : {});
      let open = true;
      res.on('close', () => (open = false));
      const pump = () => {
        while (open) {
          written.set(path, written.get(path)! + chunk.length);
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
      };
      pump();
    } else if ('declared' in route) {
      // Node's response checks Content-Length against what is written: say it on the raw socket instead.
      const body = Buffer.from(route.body);
      written.set(path, body.length);
      res.socket!.write(`HTTP/1.1 200 OK\r\nContent-Length: ${route.declared}\r\nConnection: close\r\n\r\n`);
      res.socket!.end(body);
    } else {
      const body = Buffer.from(route.stallAfter);
      written.set(path, body.length);
      res.writeHead(200, { 'Content-Length': body.length + 1000 });
      res.write(body);
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    routes: table,
    requests,
    written,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
