/** Where an image reference lives on the network: base URL, repository path, and the host credentials are for. */
import { parseImageRef, type ImageRef } from '../parse/imageRef';

export interface Endpoint {
  /** The registry as users name it (`docker.io`, `ghcr.io`, `localhost:5000`): the key for credentials. */
  host: string;
  /** `https://registry-1.docker.io`, `http://127.0.0.1:5000`. */
  baseUrl: string;
  /** Repository path in the `/v2/<name>/` API: `library/python`. */
  repository: string;
}

export interface EndpointOptions {
  /** Extra hosts (as written, with port) that speak plain HTTP. Loopback hosts always do. */
  insecure?: readonly string[];
  /**
   * Registries looked up somewhere else, by host as users name it (`docker.io`, `ghcr.io`): the host[:port] to
   * ask instead, with the same repository paths (a pull-through mirror, or a local registry in tests).
   */
  mirrors?: Readonly<Record<string, string>>;
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** Host without its port; keeps brackets of an IPv6 literal. */
export function hostname(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

/** `localhost`, `127.0.0.0/8` and `[::1]`: plain HTTP, as docker itself does for loopback registries. */
export function isLoopback(host: string): boolean {
  const name = hostname(host).toLowerCase();
  if (name === 'localhost' || name === '[::1]') return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

export function usesPlainHttp(host: string, options: EndpointOptions = {}): boolean {
  return isLoopback(host) || (options.insecure ?? []).includes(host);
}

export function endpointOf(ref: ImageRef | string, options: EndpointOptions = {}): Endpoint {
  let parsed: ImageRef;
  if (typeof ref === 'string') {
    const r = parseImageRef(ref);
    if (!r.ok) throw new Error(r.error);
    parsed = r.ref;
  } else {
    parsed = ref;
  }
  const written = parsed.registry;
  if (written === undefined || DOCKER_HUB.has(written)) {
    // The reference parser already spells Hub names out (`docker.io/library/python`); the API host differs.
    const repository = parsed.normalizedName.startsWith('docker.io/')
      ? parsed.normalizedName.slice('docker.io/'.length)
      : parsed.path.includes('/') ? parsed.path : `library/${parsed.path}`; // written as registry-1.docker.io
    return withMirror({ host: 'docker.io', baseUrl: 'https://registry-1.docker.io', repository }, options);
  }
  const mirrored = withMirror({ host: written, baseUrl: '', repository: parsed.path }, options);
  if (mirrored.baseUrl) return mirrored;
  const scheme = usesPlainHttp(written, options) ? 'http' : 'https';
  return { host: written, baseUrl: `${scheme}://${written}`, repository: parsed.path };
}

/** The endpoint with its host replaced by the configured mirror (credentials then belong to the mirror). */
function withMirror(e: Endpoint, options: EndpointOptions): Endpoint {
  const mirror = options.mirrors?.[e.host];
  if (mirror === undefined) return e;
  const scheme = usesPlainHttp(mirror, options) ? 'http' : 'https';
  return { host: mirror, baseUrl: `${scheme}://${mirror}`, repository: e.repository };
}
