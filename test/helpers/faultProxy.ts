/**
 * A fault-injecting HTTP proxy for registry tests: it forwards every request to a real registry and, for the
 * requests a test picks out, answers something else, late, slowly, cut short or with edited headers or body.
 * Upstream bodies are small (manifests, tag lists), so each answer is read whole before the fault is applied.
 * Every request is recorded in `seen`, so tests can count attempts and check which headers arrived.
 */
import { Agent, createServer, request, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface Fault {
  /** Which requests it applies to: all of these that are given must match. */
  method?: 'GET' | 'HEAD';
  /** Tested against the request path with its query. */
  path?: RegExp;
  when?: (req: IncomingMessage) => boolean;
  /** How many matching requests it applies to (default 1; Infinity for all). */
  times?: number;

  /** Answer this without asking the registry. */
  respond?: Reply;
  /** Answer 302 to the same path on this origin (`http://localhost:1234`). */
  redirect?: string;
  /** Wait this long before the status line and headers. */
  delayMs?: number;
  /** Send the first half of the body, wait this long, then the rest. */
  stallBodyMs?: number;
  /** Send the first half of the body under the full Content-Length, then destroy the socket. */
  truncate?: boolean;
  /** Response headers to set, or to remove with `null` (names in any case). */
  headers?: Record<string, string | null>;
  /** Replaces the registry's body; Content-Length follows. */
  body?: (upstream: Buffer) => string | Buffer;
}

export interface Seen {
  method: string;
  path: string;
  authorization?: string;
  /** Status sent back (undefined while the answer is pending or when the client left first). */
  status?: number;
  faulted: boolean;
}

interface Upstream {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

/** Hop-by-hop headers and ones that no longer describe a re-sent, fully read body. */
const DROPPED = ['connection', 'keep-alive', 'transfer-encoding'];

export class FaultProxy {
  readonly seen: Seen[] = [];
  private faults: { fault: Fault; left: number }[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly agent = new Agent({ keepAlive: true });
  private readonly server: Server;
  private port = 0;

  constructor(private readonly upstream: URL) {
    this.server = createServer((req, res) => {
      res.on('error', () => undefined); // the client may leave mid-answer (timeouts): not the proxy's problem
      this.handle(req, res).catch((e: Error) => {
        if (!res.headersSent) res.writeHead(502).end(`fault proxy: ${e.message}`);
        else res.destroy();
      });
    });
  }

  /** `127.0.0.1:<port>`, as an image reference names the proxy. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get listeningPort(): number {
    return this.port;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Arms faults; a request gets the first armed one that matches it. */
  inject(...faults: Fault[]): void {
    for (const fault of faults) this.faults.push({ fault, left: fault.times ?? 1 });
  }

  /** Forgets faults and recorded requests (between tests). */
  reset(): void {
    this.faults = [];
    this.seen.length = 0;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    const closed = new Promise((r) => this.server.close(r));
    this.server.closeAllConnections();
    this.agent.destroy();
    await closed;
  }

  private take(req: IncomingMessage): Fault | undefined {
    const armed = this.faults.find(
      ({ fault: f, left }) =>
        left > 0 && (!f.method || f.method === req.method) && (!f.path || f.path.test(req.url!)) && (!f.when || f.when(req)),
    );
    if (armed) armed.left--;
    return armed?.fault;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const fault = this.take(req);
    const seen: Seen = { method: req.method!, path: req.url!, authorization: req.headers.authorization, faulted: fault !== undefined };
    this.seen.push(seen);
    if (fault?.delayMs) await this.sleep(fault.delayMs);

    let answer: Upstream;
    if (fault?.respond) {
      answer = { status: fault.respond.status, headers: { ...fault.respond.headers }, body: Buffer.from(fault.respond.body ?? '') };
    } else if (fault?.redirect) {
      answer = { status: 302, headers: { Location: `${fault.redirect}${req.url}` }, body: Buffer.alloc(0) };
    } else {
      answer = await this.forward(req);
    }
    const headers = lowerCased(answer.headers);
    for (const [name, value] of Object.entries(fault?.headers ?? {})) {
      if (value === null) delete headers[name.toLowerCase()];
      else headers[name.toLowerCase()] = value;
    }
    let body = answer.body;
    if (fault?.body) body = Buffer.from(fault.body(body));
    // A HEAD answer keeps the registry's Content-Length: it describes the body a GET would get.
    if (req.method !== 'HEAD') headers['content-length'] = String(body.length);

    if (res.destroyed) return;
    seen.status = answer.status;
    res.writeHead(answer.status, headers);
    const half = body.subarray(0, Math.floor(body.length / 2));
    if (fault?.truncate) {
      res.write(half, () => res.destroy());
    } else if (fault?.stallBodyMs) {
      res.write(half);
      await this.sleep(fault.stallBodyMs);
      if (!res.destroyed) res.end(body.subarray(half.length));
    } else {
      res.end(body);
    }
  }

  private forward(req: IncomingMessage): Promise<Upstream> {
    return new Promise((resolve, reject) => {
      const out = request(
        new URL(req.url!, this.upstream),
        { method: req.method, headers: { ...req.headers, host: this.upstream.host }, agent: this.agent },
        (up) => {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => resolve({ status: up.statusCode!, headers: up.headers, body: Buffer.concat(chunks) }));
          up.on('error', reject);
        },
      );
      out.on('error', reject);
      req.pipe(out);
    });
  }
}

function lowerCased(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !DROPPED.includes(name.toLowerCase())) out[name.toLowerCase()] = value;
  }
  return out;
}

/** A proxy in front of `upstream` (`http://127.0.0.1:5000`), listening on 127.0.0.1 on a free port. */
export function startFaultProxy(upstream: string): Promise<FaultProxy> {
  return new FaultProxy(new URL(upstream)).listen();
}
