/**
 * A small client for the OCI distribution / Docker registry v2 API: the digest a tag points at, and a
 * repository's tags. Built on Node's fetch; handles Basic and Bearer-token auth, redirects (credentials never
 * leave the host they are for), timeouts, retries and rate limits. Errors are `RegistryError`s whose message
 * says what failed and why, so a caller can leave an image unpinned with a clear reason.
 */
import { createHash } from 'node:crypto';
import { type ImageRef, parseImageRef, SHA256_DIGEST, TAG } from '../parse/imageRef';
import { parseWwwAuthenticate, type Challenge } from './challenge';
import { endpointOf, isLoopback, usesPlainHttp, type Endpoint } from './endpoint';
import { checkManifest, type ManifestKind } from './manifestShape';
import { HttpClient, parseJson, RegistryError, type Exchange, type HttpOptions, type UnreachableHosts } from './http';

export { RegistryError, retryAfterMs, type RegistryErrorKind } from './http';

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;
const ACCEPTED: readonly string[] = Object.values(MEDIA_TYPES);
const KINDS: Readonly<Record<string, ManifestKind>> = {
  [MEDIA_TYPES.ociIndex]: 'index',
  [MEDIA_TYPES.dockerList]: 'index',
  [MEDIA_TYPES.ociManifest]: 'manifest',
  [MEDIA_TYPES.dockerManifest]: 'manifest',
};
const ACCEPT = ACCEPTED.join(', ');

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Tries of a blob transfer that breaks off or stalls. */
const BLOB_ATTEMPTS = 3;

/**
 * Where a blob's bytes go as they arrive: `write` may wait (backpressure); `end` gives the result once the
 * blob is complete and verified; `abort` drops whatever was made of a blob that turned out to be bad.
 */
export interface BlobSink<T> {
  write(chunk: Buffer): void | Promise<void>;
  end(): Promise<T>;
  abort?(): void;
}
const MAX_TAG_PAGES = 1000;
const MAX_TAG_LIST_BYTES = 64 * 1024 * 1024;

/**
 * User and password, or an identity token (`docker login`'s OAuth2 refresh token, e.g. Azure ACR), which is
 * exchanged at the Bearer realm and cannot be used for Basic auth.
 */
export type Credentials = { username: string; password: string } | { identityToken: string };

export interface RegistryClientOptions extends HttpOptions {
  /** Credentials for a registry host as users name it (`docker.io`, `localhost:5000`). */
  credentials?: (host: string) => Credentials | undefined | Promise<Credentials | undefined>;
  /**
   * Hosts (host[:port]) the user's own config lets credentials reach over plain HTTP. Elsewhere, a plain-HTTP
   * request to a non-loopback host goes without credentials (a repository may mark a host insecure, but it
   * must not make dockrepro send the user's secrets in clear).
   */
  plainHttpCredentials?: readonly string[];
  /** Registries looked up at another host (see EndpointOptions.mirrors). */
  mirrors?: Readonly<Record<string, string>>;
  /**
   * Base URL of the Docker Hub API (`https://hub.docker.com`), whose tag list gives each tag's digest in one
   * request; false to never use it. Default off (the resolver turns it on for Docker Hub without a mirror).
   */
  hubTagsApi?: string | false;
}

export interface DigestResult {
  digest: string;
  mediaType: string;
  /** The tag (or digest) that was looked up. */
  reference: string;
}

interface Target {
  endpoint: Endpoint;
  /** Token scope for this repository. */
  scope: string;
}

interface CachedToken {
  token: string;
  expires: number;
}

/** The `rel="next"` target of a Link header, resolved against the URL it came with. */
export function nextLink(link: string | null, base: string): string | undefined {
  if (!link) return undefined;
  for (const m of link.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]*)*)/g)) {
    if (/;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(m[2])) return new URL(m[1], base).toString();
  }
  return undefined;
}

export class RegistryClient {
  private readonly http: HttpClient;
  private readonly tokens = new Map<string, CachedToken>();
  /** The last challenge each host answered with, to authenticate the next request up front. */
  private readonly challenges = new Map<string, Challenge>();
  /** Hosts whose credentials were held back because they would have gone over plain HTTP. */
  private readonly withheld = new Set<string>();
  /** Set when the Docker Hub API did not answer: later lookups skip it. */
  private hubUnreachable = false;

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.http = new HttpClient(options);
  }

  /** HTTP exchanges made (each redirect hop and retry counts), for the bench and tests. */
  get requests(): number {
    return this.http.requests;
  }

  /** HTTP requests running or waiting (HttpClient.inFlight). */
  get inFlight(): number {
    return this.http.inFlight;
  }

  /** Hosts given up on in this run (HttpClient.unreachableHosts). */
  get unreachableHosts(): UnreachableHosts {
    return this.http.unreachableHosts;
  }

  /**
   * Digest and media type of what a tag (or the digest itself) names; `latest` when the reference has neither.
   * Always from the manifest bytes (GET, then sha256): a Docker-Content-Digest header alone cannot be checked,
   * and this is the digest that gets written into Dockerfiles.
   */
  async digestOf(ref: ImageRef | string): Promise<DigestResult> {
    const parsed = toRef(ref);
    const m = await this.manifest(parsed);
    const reference = parsed.tag ?? parsed.digest ?? 'latest';
    if (!ACCEPTED.includes(m.mediaType)) {
      const url = this.manifestUrl(parsed);
      throw new RegistryError(
        `${url}: unsupported manifest media type '${m.mediaType}' (expected an OCI or Docker v2 manifest or index)`,
        'unsupported',
        200,
        url,
      );
    }
    return { digest: m.digest, mediaType: m.mediaType, reference };
  }

  /**
   * The digest a registry names for a tag in a HEAD answer, for comparing tags with each other (which tag of
   * many has the digest just verified). Cheaper than digestOf, and Docker Hub does not count HEAD requests
   * against its pull rate limit; falls back to digestOf when the header is missing or HEAD is refused.
   */
  async headDigest(ref: ImageRef | string): Promise<string> {
    const parsed = toRef(ref);
    const target = this.target(parsed);
    const url = this.manifestUrl(parsed);
    const head = await this.request(target, url, 'HEAD', { Accept: ACCEPT }, 0);
    if (head.status !== 200 && head.status !== 405) this.http.fail(head, url);
    const digest = head.status === 200 ? head.headers.get('docker-content-digest') : null;
    if (digest === null) return (await this.digestOf(parsed)).digest;
    if (!SHA256_DIGEST.test(digest)) {
      throw new RegistryError(`${url}: the registry answered a malformed digest '${digest}'`, 'malformed', 200, url);
    }
    return digest;
  }

  private manifestUrl(ref: ImageRef): string {
    const e = this.target(ref).endpoint;
    return `${e.baseUrl}/v2/${e.repository}/manifests/${ref.tag ?? ref.digest ?? 'latest'}`;
  }

  /**
   * The manifest (or index) a tag or digest names: its exact bytes, verified against the digest the registry
   * claims and, for a digest reference, against the digest asked for.
   */
  async manifest(ref: ImageRef | string): Promise<{ digest: string; mediaType: string; body: Buffer }> {
    const parsed = toRef(ref);
    const target = this.target(parsed);
    // The tag wins over a digest written beside it: pinning asks what the tag means today.
    const reference = parsed.tag ?? parsed.digest ?? 'latest';
    const url = this.manifestUrl(parsed);
    const get = await this.request(target, url, 'GET', { Accept: ACCEPT }, MAX_MANIFEST_BYTES);
    if (get.status !== 200) this.http.fail(get, url);
    const digest = `sha256:${createHash('sha256').update(get.body).digest('hex')}`;
    const claimed = get.headers.get('docker-content-digest');
    if (claimed && claimed !== digest) {
      throw new RegistryError(`${url}: the registry says the manifest digest is ${claimed} but its content hashes to ${digest}`, 'malformed', 200, url);
    }
    if (reference === parsed.digest && digest !== parsed.digest) {
      throw new RegistryError(`${url}: asked for ${parsed.digest}, the registry answered ${digest}`, 'malformed', 200, url);
    }
    const mediaType = (get.headers.get('content-type') ?? this.mediaTypeField(get.body, url)).split(';')[0].trim();
    // A body that only claims to be a manifest (an HTML error page under an index content type) is refused
    // here, before its digest can be pinned; other media types are refused by the callers that need these.
    const kind = KINDS[mediaType];
    if (kind) checkManifest(get.body, kind, mediaType, url);
    return { digest, mediaType, body: get.body };
  }

  /**
   * The digest of one platform's manifest (`linux/arm64`, `linux/arm/v7`) inside the index a tag names. A
   * single-platform manifest is accepted when its image config says it is for that platform.
   */
  async platformDigestOf(ref: ImageRef | string, platform: string): Promise<DigestResult> {
    const parsed = toRef(ref);
    const [os, architecture, variant] = platform.split('/');
    const m = await this.manifest(parsed);
    const url = this.manifestUrl(parsed);
    const json = parseJson(m.body, url) as {
      manifests?: { digest?: unknown; mediaType?: unknown; platform?: { os?: unknown; architecture?: unknown; variant?: unknown } }[];
      config?: { digest?: unknown };
    };
    if (m.mediaType === MEDIA_TYPES.ociIndex || m.mediaType === MEDIA_TYPES.dockerList) {
      const match = (json.manifests ?? []).find(
        (d) => d.platform?.os === os && d.platform?.architecture === architecture && (variant === undefined || d.platform?.variant === variant),
      );
      if (!match) throw new RegistryError(`${url}: the image has no ${platform} manifest`, 'not-found', 200, url);
      if (typeof match.digest !== 'string' || !SHA256_DIGEST.test(match.digest)) {
        throw new RegistryError(`${url}: the ${platform} entry has a malformed digest`, 'malformed', 200, url);
      }
      return { digest: match.digest, mediaType: String(match.mediaType ?? ''), reference: parsed.tag ?? 'latest' };
    }
    // A single manifest: its config blob says which platform it is for.
    const configDigest = json.config?.digest;
    if (typeof configDigest !== 'string' || !SHA256_DIGEST.test(configDigest)) {
      throw new RegistryError(`${url}: the manifest has no valid config digest`, 'malformed', 200, url);
    }
    const target = this.target(parsed);
    const blobUrl = `${target.endpoint.baseUrl}/v2/${target.endpoint.repository}/blobs/${configDigest}`;
    const blob = await this.request(target, blobUrl, 'GET', {}, MAX_MANIFEST_BYTES);
    if (blob.status !== 200) this.http.fail(blob, blobUrl);
    const config = parseJson(blob.body, blobUrl) as { os?: unknown; architecture?: unknown; variant?: unknown };
    if (config.os !== os || config.architecture !== architecture || (variant !== undefined && config.variant !== variant)) {
      const actual = [config.os, config.architecture, config.variant].filter((x) => typeof x === 'string').join('/');
      throw new RegistryError(`${url}: a single-platform image for ${actual || 'an unknown platform'}, not ${platform}`, 'not-found', 200, url);
    }
    return { digest: m.digest, mediaType: m.mediaType, reference: parsed.tag ?? 'latest' };
  }

  /**
   * Tag → digest for the most recently updated tags of a Docker Hub repository (`pages` pages of 100), from
   * the Hub API, which the registry API cannot give without one request per tag. A floating tag and its
   * precise twin are pushed together, so they are among the most recent. Undefined when the reference is
   * not on Docker Hub or the API is off. One attempt, no retries: callers fall back to the registry API.
   */
  async hubTagDigests(ref: ImageRef | string, pages = 2): Promise<Map<string, string> | undefined> {
    const parsed = toRef(ref);
    const api = this.options.hubTagsApi;
    if (!api || !parsed.normalizedName.startsWith('docker.io/')) return undefined;
    const base = new URL(api);
    if (base.protocol !== 'https:' && !(base.protocol === 'http:' && usesPlainHttp(base.host, this.options))) {
      throw new RegistryError(`${api}: refusing the Docker Hub API over plain HTTP`, 'unsupported');
    }
    const [namespace, name] = parsed.normalizedName.slice('docker.io/'.length).split('/');
    let url: string | undefined =
      `${base.origin}/v2/namespaces/${namespace}/repositories/${name}/tags?page_size=100&ordering=last_updated`;
    const out = new Map<string, string>();
    if (this.hubUnreachable) return undefined;
    for (let page = 0; page < pages && url !== undefined; page++) {
      let res: Exchange;
      try {
        res = await this.http.follow(url, 'GET', { Accept: 'application/json' }, MAX_MANIFEST_BYTES);
      } catch (e) {
        // Unreachable (offline, firewalled): do not wait for it again for every other repository.
        this.hubUnreachable = true;
        throw this.http.transportError(e, url);
      }
      if (res.status !== 200) this.http.fail(res, url);
      const body = parseJson(res.body, url) as { next?: unknown; results?: { name?: unknown; digest?: unknown }[] };
      if (!Array.isArray(body.results)) throw new RegistryError(`${url}: no 'results' list`, 'malformed', 200, url);
      for (const r of body.results) {
        // Only well-formed tags and digests: these decide what is written into Dockerfiles.
        if (typeof r?.name === 'string' && TAG.test(r.name) && typeof r.digest === 'string' && SHA256_DIGEST.test(r.digest)) out.set(r.name, r.digest);
      }
      // `next` is absolute; it must stay on the API's origin.
      const next: string | undefined = typeof body.next === 'string' ? new URL(body.next, url).toString() : undefined;
      url = next !== undefined && new URL(next).origin === base.origin ? next : undefined;
    }
    return out;
  }

  /** Where a reference is looked up: for keys of caches shared across clients. */
  endpoint(ref: ImageRef | string): Endpoint {
    return this.target(toRef(ref)).endpoint;
  }

  /** All tags of a repository, following `Link: <…>; rel="next"` pages; tags outside the tag grammar are dropped. */
  async tags(ref: ImageRef | string): Promise<string[]> {
    const target = this.target(toRef(ref));
    let url: string | undefined = `${target.endpoint.baseUrl}/v2/${target.endpoint.repository}/tags/list`;
    const seen = new Set<string>();
    const out: string[] = [];
    while (url !== undefined) {
      if (seen.has(url) || seen.size >= MAX_TAG_PAGES) {
        throw new RegistryError(`${url}: tag list pagination does not end`, 'malformed', undefined, url);
      }
      seen.add(url);
      const res = await this.request(target, url, 'GET', { Accept: 'application/json' }, MAX_TAG_LIST_BYTES);
      const body = res.body.toString('utf8');
      if (res.status !== 200) this.http.fail(res, url);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        throw new RegistryError(`${url}: the tag list is not valid JSON`, 'malformed', res.status, url);
      }
      const tags = (parsed as { tags?: unknown } | null)?.tags;
      if (tags !== null && tags !== undefined && !Array.isArray(tags)) {
        throw new RegistryError(`${url}: the tag list has no 'tags' array`, 'malformed', res.status, url);
      }
      for (const t of tags ?? []) if (typeof t === 'string' && TAG.test(t)) out.push(t);
      url = nextLink(res.headers.get('link'), res.url);
    }
    return out;
  }

  private target(ref: ImageRef): Target {
    const endpoint = endpointOf(ref, this.options);
    return { endpoint, scope: `repository:${endpoint.repository}:pull` };
  }

  private mediaTypeField(body: Buffer, url: string): string {
    try {
      const mt = (JSON.parse(body.toString('utf8')) as { mediaType?: unknown }).mediaType;
      if (typeof mt === 'string') return mt;
    } catch {
      throw new RegistryError(`${url}: the manifest is not valid JSON`, 'malformed', 200, url);
    }
    throw new RegistryError(`${url}: the manifest has no media type`, 'malformed', 200, url);
  }

  /**
   * One logical request: authentication (at most one challenge round), redirects, and retries. Returns the
   * final response for any status the caller must interpret (2xx, 401 after auth, 403, 404, 405).
   */
  private request(
    target: Target,
    url: string,
    method: 'GET' | 'HEAD',
    headers: Record<string, string>,
    maxBytes: number,
  ): Promise<Exchange> {
    return this.authorized(target, (auth) => this.http.withRetries(url, () => this.http.follow(url, method, { ...headers, ...auth }, maxBytes)));
  }

  /** Sends with the credentials the host's last challenge asks for; answers one new challenge at most. */
  private async authorized<E extends Exchange>(target: Target, send: (auth: Record<string, string>) => Promise<E>): Promise<E> {
    const host = target.endpoint.host;
    let triedChallenge = false;
    for (;;) {
      const res = await send(await this.authorization(target));
      if (res.status !== 401 || triedChallenge) return res;
      const header = res.headers.get('www-authenticate');
      const challenge = header ? this.pickChallenge(parseWwwAuthenticate(header)) : undefined;
      if (!challenge) return res;
      this.challenges.set(host, challenge);
      triedChallenge = true;
      if (challenge.scheme === 'bearer') await this.fetchToken(target, challenge);
      else if (!(await this.basicCredentialsFor(host, target.endpoint.baseUrl))) return this.noCredentials(host, res.url);
    }
  }

  /**
   * A blob (`/v2/<repo>/blobs/<digest>`), streamed into a fresh `sink` chunk by chunk, never held whole. The
   * bytes are hashed on the way and the sink's result is only returned when they hash to `digest`: a
   * mismatch (or a body over `maxBytes`) is an error and nothing the sink made of them is used. Registries
   * redirect blobs to a CDN; credentials stay with the registry's host (HttpClient.follow's rules). A
   * transfer that breaks or stalls for `idleMs` is started again from the beginning with a new sink.
   */
  async blob<T>(ref: ImageRef | string, digest: string, sink: () => BlobSink<T>, limits: { maxBytes: number; idleMs?: number }): Promise<T> {
    if (!SHA256_DIGEST.test(digest)) throw new RegistryError(`refusing to fetch blob '${digest}': not a sha256 digest`, 'invalid-reference');
    const target = this.target(toRef(ref));
    const url = `${target.endpoint.baseUrl}/v2/${target.endpoint.repository}/blobs/${digest}`;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.streamBlob(target, url, digest, sink(), limits);
      } catch (e) {
        const err = this.http.transportError(e, url);
        if (attempt >= BLOB_ATTEMPTS || (err.kind !== 'network' && err.kind !== 'timeout')) throw err;
      }
    }
  }

  /** A small blob (an image config) read whole and verified against its digest. */
  blobBytes(ref: ImageRef | string, digest: string, maxBytes: number): Promise<Buffer> {
    return this.blob(ref, digest, () => {
      const chunks: Buffer[] = [];
      return { write: (c) => void chunks.push(c), end: async () => Buffer.concat(chunks) };
    }, { maxBytes });
  }

  private async streamBlob<T>(target: Target, url: string, digest: string, sink: BlobSink<T>, limits: { maxBytes: number; idleMs?: number }): Promise<T> {
    const res = await this.authorized(target, (auth) => this.http.withRetries(url, () => this.http.open(url, auth)));
    if (res.status !== 200 || !res.stream) this.http.fail(res, url, 'blob');
    const declared = Number(res.headers.get('content-length') ?? NaN);
    const tooBig = () => new RegistryError(`${url}: blob larger than ${limits.maxBytes} bytes`, 'malformed', 200, url);
    const idleMs = limits.idleMs ?? this.http.timeoutMs;
    const hash = createHash('sha256');
    let size = 0;
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => res.abort(), idleMs);
    };
    try {
      if (declared > limits.maxBytes) throw tooBig();
      arm();
      for await (const chunk of res.stream) {
        arm();
        size += chunk.byteLength;
        if (size > limits.maxBytes) throw tooBig();
        hash.update(chunk);
        try {
          await sink.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        } catch (e) {
          throw new RegistryError(`${url}: cannot read the blob: ${(e as Error).message}`, 'malformed', 200, url);
        }
      }
    } catch (e) {
      res.abort();
      sink.abort?.();
      if (e instanceof RegistryError) throw e;
      const name = (e as { name?: string })?.name;
      if (name === 'AbortError' || name === 'TimeoutError') throw new RegistryError(`${url}: no data for ${idleMs} ms`, 'timeout', undefined, url);
      throw e;
    } finally {
      clearTimeout(idle);
    }
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== digest) {
      sink.abort?.();
      throw new RegistryError(`${url}: the blob's content hashes to ${actual}, not to the digest it was asked by (refused)`, 'malformed', 200, url);
    }
    try {
      return await sink.end();
    } catch (e) {
      throw new RegistryError(`${url}: cannot read the blob: ${(e as Error).message}`, 'malformed', 200, url);
    }
  }

  private noCredentials(host: string, url: string): never {
    throw new RegistryError(
      `${url}: ${host} requires authentication and ${this.withheldWhy(host) ?? 'no credentials are configured for it'}`,
      'unauthorized',
      401,
      url,
    );
  }

  /** Why credentials were not sent to `host`, when they were held back. */
  private withheldWhy(host: string): string | undefined {
    if (!this.withheld.has(host)) return undefined;
    return (
      `your credentials for it are not sent over plain HTTP: a repository's 'insecure: true' is not enough; ` +
      `allow it in your own config (~/.config/dockrepro/config.yaml: registries: { ${host}: { insecure: true } })`
    );
  }

  private pickChallenge(challenges: Challenge[]): Challenge | undefined {
    return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
  }

  /** Credentials for `host`, to be sent to `url`; none when that would put them on the wire in clear. */
  private async credentialsFor(host: string, url: string): Promise<Credentials | undefined> {
    if (!this.options.credentials) return undefined;
    const to = new URL(url);
    if (to.protocol === 'http:' && !isLoopback(to.host) && !(this.options.plainHttpCredentials ?? []).includes(to.host)) {
      this.withheld.add(host);
      return undefined;
    }
    try {
      return await this.options.credentials(host);
    } catch (e) {
      // A broken docker config or credential helper must surface as a RegistryError like every other failure.
      throw new RegistryError(`${host}: cannot get credentials: ${(e as Error).message}`, 'unauthorized');
    }
  }

  /** Credentials usable for Basic auth: an identity token is not. */
  private async basicCredentialsFor(host: string, url: string): Promise<{ username: string; password: string } | undefined> {
    const creds = await this.credentialsFor(host, url);
    return creds && 'username' in creds ? creds : undefined;
  }

  private async authorization(target: Target): Promise<Record<string, string>> {
    const host = target.endpoint.host;
    const challenge = this.challenges.get(host);
    if (!challenge) return {};
    if (challenge.scheme === 'basic') {
      const creds = await this.basicCredentialsFor(host, target.endpoint.baseUrl);
      return creds ? { Authorization: basic(creds) } : {};
    }
    const cached = this.tokens.get(`${host}\n${this.scopeOf(target, challenge)}`);
    return cached && cached.expires > Date.now() ? { Authorization: `Bearer ${cached.token}` } : {};
  }

  private scopeOf(target: Target, challenge: Challenge): string {
    // The challenge's scope is the one the registry wants for *that* request; ours names this repository.
    return challenge.params.scope && challenge.params.scope.includes(`:${target.endpoint.repository}:`)
      ? challenge.params.scope
      : target.scope;
  }

  private async fetchToken(target: Target, challenge: Challenge): Promise<void> {
    const host = target.endpoint.host;
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryError(`${host}: Bearer challenge without a realm`, 'malformed', 401);
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      throw new RegistryError(`${host}: Bearer realm '${realm}' is not a URL`, 'malformed', 401);
    }
    if (realmUrl.protocol !== 'https:' && !(realmUrl.protocol === 'http:' && usesPlainHttp(realmUrl.host, this.options))) {
      throw new RegistryError(`${host}: refusing token realm over plain HTTP: ${realm}`, 'unsupported', 401);
    }
    const scope = this.scopeOf(target, challenge);
    if (challenge.params.service) realmUrl.searchParams.set('service', challenge.params.service);
    realmUrl.searchParams.set('scope', scope);
    const creds = await this.credentialsFor(host, realmUrl.toString());
    let url = realmUrl.toString();
    let res: Exchange;
    if (creds && 'identityToken' in creds) {
      // OAuth2 refresh-token grant, as docker does with an identity token: a form POST to the realm itself.
      url = realm;
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: creds.identityToken,
        service: challenge.params.service ?? '',
        scope,
        client_id: 'dockrepro',
      }).toString();
      res = await this.http.withRetries(url, () =>
        this.http.follow(url, 'POST', { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' }, 1024 * 1024, form),
      );
    } else {
      res = await this.http.withRetries(url, () =>
        this.http.follow(url, 'GET', { Accept: 'application/json', ...(creds ? { Authorization: basic(creds) } : {}) }, 1024 * 1024),
      );
    }
    const body = res.body.toString('utf8');
    if (res.status === 401 && !creds) {
      throw new RegistryError(
        `${host} requires authentication for ${scope} and ${this.withheldWhy(host) ?? 'no credentials are configured for it'} (token server ${realmUrl.origin}${realmUrl.pathname})`,
        'unauthorized',
        401,
        url,
      );
    }
    if (res.status !== 200) this.http.fail(res, url);
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new RegistryError(`${url}: the token response is not valid JSON`, 'malformed', res.status, url);
    }
    const token = typeof parsed.token === 'string' && parsed.token ? parsed.token : parsed.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new RegistryError(`${url}: the token response has neither 'token' nor 'access_token'`, 'malformed', res.status, url);
    }
    const lifetime = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : 60;
    // Renew a little early so a token does not expire between check and use.
    this.tokens.set(`${host}\n${scope}`, { token, expires: Date.now() + Math.max(lifetime - 10, 1) * 1000 });
  }

}

function toRef(ref: ImageRef | string): ImageRef {
  if (typeof ref !== 'string') return ref;
  const r = parseImageRef(ref);
  if (!r.ok) throw new RegistryError(r.error, 'invalid-reference');
  return r.ref;
}

function basic(c: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}
