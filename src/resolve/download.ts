/**
 * Downloads a file by URL to learn its sha256 (ADD --checksum, checked install scripts): once per URL per run,
 * streamed (the body is hashed as it arrives, never kept), bounded in size and time, redirects followed with
 * HttpClient's rules (credentials never sent to another host, no https → http downgrade). The answer is
 * recorded in the lock, so a re-run is offline and writes the same bytes.
 *
 * The bytes hashed are the ones `curl URL` and BuildKit's HTTP source get: `Accept-Encoding: identity`, so a
 * server that would compress on the fly sends the file itself.
 */
import { createHash } from 'node:crypto';
import type { HttpClient } from './http';
import { RegistryError } from './http';
import { NotFixed } from '../util/notFixed';
import { LookupKind } from './shared';
import type { ResolveContext } from './context';

/** Default of DownloadLimits.maxBytes: release archives are rarely larger. */
export const DEFAULT_DOWNLOAD_MAX_BYTES = 512 * 1024 * 1024;
/** Default of DownloadLimits.maxMs: a whole download, however steadily the bytes come. */
export const DEFAULT_DOWNLOAD_MAX_MS = 10 * 60 * 1000;

export interface DownloadLimits {
  /** Largest body accepted; a longer one is cut off as soon as it passes this. */
  maxBytes?: number;
  /** Longest wait for the next piece of the body (default: the client's timeout). */
  idleMs?: number;
  /** Longest time for the whole body. */
  maxMs?: number;
}

export interface Downloaded {
  /** `sha256:<64 hex>` of the body. */
  digest: string;
  size: number;
  /** The URL that answered after redirects (equal to the one asked when there were none). */
  finalUrl: string;
}

/** The digest and size of what `url` serves now (no lock, no sharing: see `lookupDownload`). */
export async function download(http: HttpClient, url: string, headers: Record<string, string> = {}, limits: DownloadLimits = {}): Promise<Downloaded> {
  const maxBytes = limits.maxBytes ?? DEFAULT_DOWNLOAD_MAX_BYTES;
  const idleMs = limits.idleMs ?? http.timeoutMs;
  const maxMs = limits.maxMs ?? DEFAULT_DOWNLOAD_MAX_MS;
  const res = await http.withRetries(url, () => http.open(url, { 'Accept-Encoding': 'identity', ...headers }));
  if (res.status !== 200 || !res.stream) http.fail(res, url, 'file');
  const declared = contentLength(res.headers.get('content-length'));
  if (declared !== undefined && declared > maxBytes) {
    res.abort();
    throw new RegistryError(`${url}: the file is ${declared} bytes, more than the limit of ${maxBytes}`, 'malformed', 200, url);
  }
  const hash = createHash('sha256');
  let size = 0;
  const reader = res.stream.getReader();
  const started = Date.now();
  try {
    for (;;) {
      const next = await withTimeout(reader.read(), Math.min(idleMs, maxMs - (Date.now() - started)), () => {
        res.abort();
        return Date.now() - started >= maxMs
          ? new RegistryError(`${url}: the download took longer than ${maxMs} ms`, 'timeout', 200, url)
          : new RegistryError(`${url}: the server sent nothing for ${idleMs} ms (after ${size} bytes)`, 'timeout', 200, url);
      });
      if (next.done) break;
      size += next.value.length;
      if (size > maxBytes) {
        res.abort();
        throw new RegistryError(`${url}: the file is larger than the limit of ${maxBytes} bytes`, 'malformed', 200, url);
      }
      hash.update(next.value);
    }
  } catch (e) {
    res.abort();
    if (e instanceof RegistryError) throw e;
    // A connection closed before the announced length (undici: "terminated") or reset.
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    const short = declared !== undefined ? ` after ${size} of ${declared} bytes` : ` after ${size} bytes`;
    throw new RegistryError(`${url}: the download broke off${short} (${why})`, 'network', 200, url);
  }
  if (declared !== undefined && size !== declared) {
    throw new RegistryError(`${url}: the server announced ${declared} bytes and sent ${size}`, 'malformed', 200, url);
  }
  return { digest: `sha256:${hash.digest('hex')}`, size, finalUrl: res.url };
}

/** A Content-Length value as a number, or undefined when absent or not a plain decimal. */
function contentLength(v: string | null): number | undefined {
  return v !== null && /^\d{1,15}$/.test(v.trim()) ? Number(v.trim()) : undefined;
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, ms));
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export interface DownloadQuery {
  url: string;
  limits?: DownloadLimits;
}

/** A download's digest by URL, once per run. */
const DOWNLOAD = new LookupKind<Downloaded>('download');

export interface ResolvedDownload extends Downloaded {
  /** Where the answer came from, for titles (`from dockrepro.lock.json`, `downloaded now`). */
  explanation: string;
  fromLock: boolean;
}

/**
 * The digest of `url`: from the lock unless --refresh, else downloaded once per run however many files and
 * instructions name it, and recorded in the lock. Failures are NotFixed errors ('needs-network' offline, 'failed'
 * for a download that did not work, with the reason).
 */
export async function lookupDownload(ctx: ResolveContext, q: DownloadQuery): Promise<ResolvedDownload> {
  const { url, limits = {} } = q;
  const locked = ctx.refresh ? undefined : ctx.lock?.getDownload(url);
  if (locked) return { digest: locked.digest, size: locked.size, finalUrl: locked.redirectedTo ?? url, explanation: `from ${ctx.lock!.path}`, fromLock: true };
  if (ctx.offline) throw new NotFixed(`'${url}' is not in ${ctx.lock?.path ?? 'the lock file'} and --offline forbids downloading it`, 'needs-network');
  let got: Downloaded;
  try {
    got = await ctx.lookups.once(DOWNLOAD, url, () => download(ctx.http, url, {}, limits));
  } catch (e) {
    throw new NotFixed(`download failed: ${(e as Error).message}`, 'failed');
  }
  const redirectedTo = got.finalUrl !== url ? { redirectedTo: got.finalUrl } : {};
  ctx.lock?.setDownload(url, { digest: got.digest, size: got.size, ...redirectedTo, resolvedAt: (ctx.now?.() ?? new Date()).toISOString() });
  return { ...got, explanation: 'downloaded now', fromLock: false };
}
