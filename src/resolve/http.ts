/**
 * HTTP for every resolver (image registries, package indexes): Node's fetch with a per-request timeout that
 * covers the body, retries with backoff on network errors, timeouts, 5xx and 429 (honouring a capped
 * `Retry-After`), redirects followed by hand so credentials never reach another host, a limit on requests in
 * flight, and bounded bodies. Failures are `RegistryError`s ("registry" as in package registry too) whose
 * message names the URL and the reason, so a fixer can leave a finding with it.
 */
import { usesPlainHttp } from './endpoint';

export type RegistryErrorKind =
  | 'unauthorized'
  | 'denied'
  | 'not-found'
  | 'rate-limited'
  | 'server'
  | 'timeout'
  | 'network'
  | 'malformed'
  | 'unsupported'
  | 'redirect'
  | 'invalid-reference';

export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    message: string,
    readonly kind: RegistryErrorKind,
    readonly status?: number,
    readonly url?: string,
  ) {
    super(message);
  }
}

/** A finished HTTP exchange, its body read within the same timeout (so a truncated body is retried too). */
export interface Exchange {
  status: number;
  headers: Headers;
  /** The URL that answered, after redirects: the base for relative links. */
  url: string;
  body: Buffer;
}

/** A 200 answer whose body is left to the caller to stream (`stream`), or any other answer read whole (`body`). */
export interface OpenedExchange extends Exchange {
  stream?: ReadableStream<Uint8Array>;
  /** Cancels the request, body included (the caller's idle timeout). */
  abort(): void;
}

export interface HttpOptions {
  /** Hosts (with port, as written) reached over plain HTTP besides loopback ones. */
  insecure?: readonly string[];
  /** Per-request timeout, including reading the body. Default 15 s. */
  timeoutMs?: number;
  /**
   * How long a host that has not answered yet gets to send its first status line (connect included). A host
   * that fails before ever answering (no answer in time, refused, unknown name) is not retried: it is taken
   * as unreachable for the rest of the run, so a dead registry costs this once, not a minute per lookup.
   * Default 8 s.
   */
  connectTimeoutMs?: number;
  /** Retries after a 5xx, 429, timeout or network error. Default 3. */
  retries?: number;
  /** First backoff delay, doubled each retry. Default 250 ms. */
  backoffMs?: number;
  /** Longest `Retry-After` honoured; longer waits are cut to this. Default 30 s. */
  maxRetryAfterMs?: number;
  userAgent?: string;
  /** HTTP requests in flight at once. Default 8. */
  concurrency?: number;
}

const MAX_REDIRECTS = 5;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The error details a registry puts in its body (`{"errors":[{"code","message"}]}`), or ''. */
function describeErrorBody(body: string): string {
  try {
    const errors = (JSON.parse(body) as { errors?: { code?: string; message?: string }[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      return errors.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
    }
  } catch {
    // not JSON: fall through
  }
  return '';
}

/** Errors that say the host cannot be reached at all (no name, no route, nobody listening). */
const UNREACHABLE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** Default of HttpOptions.connectTimeoutMs. */
export const CONNECT_TIMEOUT_MS = 8_000;

/** The reason a host was given up on: the system's code (`ENOTFOUND`, `ECONNREFUSED`) or `no answer within 8 s`. */
export type UnreachableHosts = ReadonlyMap<string, string>;

export class HttpClient {
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Hosts that have answered at least once: their failures are retried as before. */
  private readonly answered = new Set<string>();
  private readonly unreachable = new Map<string, string>();
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfterMs: number;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** HTTP exchanges made (each redirect hop and retry counts), for the bench and tests. */
  requests = 0;

  constructor(private readonly options: HttpOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.connectTimeoutMs = Math.min(options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, this.timeoutMs);
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 250;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  }

  /** GET with retries; a status other than 200 is a RegistryError (`what` names the thing in messages). */
  async get(url: string, headers: Record<string, string>, maxBytes: number, what = 'resource'): Promise<Exchange> {
    const res = await this.withRetries(url, () => this.follow(url, 'GET', headers, maxBytes));
    if (res.status !== 200) this.fail(res, url, what);
    return res;
  }

  /** GET a JSON document (with retries); malformed JSON is a 'malformed' RegistryError. */
  async getJson(url: string, headers: Record<string, string> = {}, maxBytes = 16 * 1024 * 1024, what = 'resource'): Promise<unknown> {
    const res = await this.get(url, { Accept: 'application/json', ...headers }, maxBytes, what);
    try {
      return JSON.parse(res.body.toString('utf8'));
    } catch {
      throw new RegistryError(`${url}: the answer is not valid JSON`, 'malformed', res.status, url);
    }
  }

  /** A RegistryError for a final non-success status, with the server's own error details when it gave any. */
  fail(res: Exchange, url: string, what = 'repository, tag or digest'): never {
    const detail = describeErrorBody(res.body.toString('utf8'));
    const suffix = detail ? ` (${detail})` : '';
    const s = res.status;
    if (s === 401) throw new RegistryError(`${url}: authentication required or credentials rejected${suffix}`, 'unauthorized', s, url);
    if (s === 403) throw new RegistryError(`${url}: access denied${suffix}`, 'denied', s, url);
    if (s === 404 || s === 410) throw new RegistryError(`${url}: not found (unknown ${what})${suffix}`, 'not-found', s, url);
    if (s === 429) throw new RegistryError(`${url}: rate limited by the registry, retries exhausted${suffix}`, 'rate-limited', s, url);
    if (s >= 500) throw new RegistryError(`${url}: registry server error ${s}, retries exhausted${suffix}`, 'server', s, url);
    throw new RegistryError(`${url}: unexpected HTTP status ${s}${suffix}`, 'malformed', s, url);
  }

  transportError(e: unknown, url: string): RegistryError {
    if (e instanceof RegistryError) return e;
    const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
      return new RegistryError(`${url}: no answer within ${this.timeoutMs} ms`, 'timeout', undefined, url);
    }
    const cause = err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
    return new RegistryError(`${url}: network error (${cause})`, 'network', undefined, url);
  }

  /** HTTP requests running or waiting for a slot (the progress line). */
  get inFlight(): number {
    return this.active + this.waiting.length;
  }

  /** The hosts given up on in this run, with why. */
  get unreachableHosts(): UnreachableHosts {
    return this.unreachable;
  }

  /** Retries network errors, timeouts, 5xx and 429 (honouring a capped `Retry-After`), with exponential backoff. */
  async withRetries<E extends Exchange>(url: string, attempt: () => Promise<E>): Promise<E> {
    for (let i = 0; ; i++) {
      let res: E;
      try {
        res = await attempt();
      } catch (e) {
        const err = this.transportError(e, url);
        if (e instanceof UnreachableHost) throw err;
        // An unknown host name will not appear by retrying (EAI_AGAIN, a resolver hiccup, is retried).
        const permanent = (e as { cause?: { code?: string } })?.cause?.code === 'ENOTFOUND';
        // A host that never answered and could not be reached is not worth the retries: every later request
        // to it fails at once. (A connection reset or cut-off answer is retried as before.)
        const host = new URL(url).host;
        const code = (e as { cause?: { code?: string } })?.cause?.code;
        if (!this.answered.has(host) && (err.kind === 'timeout' || (code !== undefined && UNREACHABLE_CODES.has(code)))) {
          this.unreachable.set(host, err.kind === 'timeout' ? `no answer within ${seconds(err === e ? this.connectTimeoutMs : this.timeoutMs)}` : code!);
          throw err;
        }
        if (i >= this.retries || permanent || (err.kind !== 'timeout' && err.kind !== 'network')) throw err;
        await sleep(this.backoff(i));
        continue;
      }
      const retryable = res.status === 429 || (res.status >= 500 && res.status !== 501);
      if (!retryable || i >= this.retries) return res;
      const wait = res.status === 429 ? retryAfterMs(res.headers.get('retry-after')) : undefined;
      await sleep(Math.min(wait ?? this.backoff(i), this.maxRetryAfterMs));
    }
  }

  private backoff(i: number): number {
    return this.backoffMs * 2 ** i * (0.75 + Math.random() * 0.5);
  }

  /**
   * One HTTP exchange with manual redirects: Authorization is dropped as soon as a redirect leaves the
   * original origin, and an https → http downgrade is refused unless the new host may speak plain HTTP.
   */
  async follow(url: string, method: 'GET' | 'HEAD' | 'POST', headers: Record<string, string>, maxBytes: number, body?: string): Promise<Exchange> {
    const limit = this.options.concurrency ?? 8;
    // A finished request hands its slot straight to the next waiter, so the limit holds exactly.
    if (this.active >= limit) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await this.exchange(url, method, headers, maxBytes, body);
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  /**
   * A GET whose 200 body is not read here but handed back as a stream (blobs: layers are never held whole),
   * with the same redirect rules as `follow`. The timeout covers the status line and headers only; the
   * caller bounds the body (idle time, size) and calls `abort` to give up. Not retried: see `withRetries`.
   */
  async open(url: string, headers: Record<string, string>): Promise<OpenedExchange> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('no answer in time', 'TimeoutError')), this.timeoutMs);
    try {
      const res = await this.exchange(url, 'GET', headers, 64 * 1024, undefined, controller.signal, true);
      return { ...res, abort: () => controller.abort(new DOMException('aborted', 'AbortError')) };
    } finally {
      clearTimeout(timer);
    }
  }

  private async exchange(
    url: string,
    method: 'GET' | 'HEAD' | 'POST',
    headers: Record<string, string>,
    maxBytes: number,
    body?: string,
    signal: AbortSignal = AbortSignal.timeout(this.timeoutMs),
    streamOk = false,
  ): Promise<Exchange & { stream?: ReadableStream<Uint8Array> }> {
    const origin = new URL(url).origin;
    let current = url;
    let sent = headers;
    for (let hop = 0; ; hop++) {
      const host = new URL(current).host;
      const given = this.unreachable.get(host);
      if (given !== undefined) throw new UnreachableHost(`${url}: ${host} unreachable (${given})`, url);
      this.requests++;
      // Until a host has answered once, its first status line must come within the connect timeout.
      let firstContact: AbortController | undefined;
      let timer: NodeJS.Timeout | undefined;
      if (!this.answered.has(host)) {
        const c = (firstContact = new AbortController());
        const reason = new RegistryError(`${current}: no answer within ${seconds(this.connectTimeoutMs)}`, 'timeout', undefined, current);
        timer = setTimeout(() => c.abort(reason), this.connectTimeoutMs);
      }
      let res: Response;
      try {
        res = await fetch(current, {
          method,
          headers: { 'User-Agent': this.options.userAgent ?? 'dockrepro', ...sent },
          redirect: 'manual',
          signal: firstContact ? AbortSignal.any([signal, firstContact.signal]) : signal,
          body,
        });
      } catch (e) {
        throw firstContact?.signal.aborted ? firstContact.signal.reason : e;
      } finally {
        clearTimeout(timer);
      }
      this.answered.add(host);
      const location = res.headers.get('location');
      if (res.status < 300 || res.status > 399 || res.status === 304 || !location) {
        if (streamOk && res.status === 200 && res.body) return { status: 200, headers: res.headers, url: current, body: Buffer.alloc(0), stream: res.body };
        return { status: res.status, headers: res.headers, url: current, body: await readBody(res, current, maxBytes) };
      }
      await res.body?.cancel().catch(() => undefined);
      if (hop >= MAX_REDIRECTS) throw new RegistryError(`${url}: too many redirects`, 'redirect', res.status, url);
      // A POST body holds a refresh token: it is never sent on to wherever a redirect points.
      if (body !== undefined) throw new RegistryError(`${url}: the token endpoint redirected a POST`, 'redirect', res.status, url);
      const next = new URL(location, current);
      if (next.protocol !== 'https:' && !(next.protocol === 'http:' && usesPlainHttp(next.host, this.options))) {
        throw new RegistryError(`${url}: refusing redirect to ${next.protocol}//${next.host}`, 'redirect', res.status, url);
      }
      if (next.origin !== origin && 'Authorization' in sent) {
        sent = { ...sent };
        delete sent.Authorization;
      }
      current = next.toString();
    }
  }
}

/** A request not sent because its host was given up on earlier in the run (HttpClient.unreachableHosts). */
class UnreachableHost extends RegistryError {
  constructor(message: string, url: string) {
    super(message, 'network', undefined, url);
  }
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/** Reads a body, refusing more than `max` bytes (but at least 64 KiB, so error pages always fit). */
async function readBody(res: Response, url: string, max: number): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.length;
    if (size > Math.max(max, 64 * 1024)) {
      await res.body.cancel().catch(() => undefined);
      throw new RegistryError(`${url}: response larger than ${max} bytes`, 'malformed', res.status, url);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** A JSON object from a body, or a 'malformed' RegistryError. */
export function parseJson(body: Buffer, url: string): Record<string, unknown> {
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof v === 'object' && v !== null) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new RegistryError(`${url}: the response is not a JSON object`, 'malformed', 200, url);
}
