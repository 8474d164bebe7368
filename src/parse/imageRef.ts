/**
 * Image references per the distribution reference grammar (distribution/reference/regexp.go).
 * Hand-written because dockerfile-ast mis-parses `host:5000/x:3@sha256:…` and accepts malformed digests.
 */

export interface ImageRef {
  /** Registry host as written (`localhost:5000`), or undefined for Docker Hub shorthand. */
  registry?: string;
  /** Path as written, without registry (`library/python` only if written so). */
  path: string;
  tag?: string;
  digest?: string;
  /** Fully qualified name: `docker.io/library/python`. */
  normalizedName: string;
}

const pathComponent = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|${ipv6})(?::[0-9]+)?`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const referenceRe = new RegExp(
  `^(?:(${domain})/)?(${pathComponent}(?:/${pathComponent})*)(?::(${tag}))?(?:@(${digest}))?$`,
);

export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** A whole tag by the distribution grammar (for tags that come from a registry or a lock file). */
export const TAG = new RegExp(`^${tag}$`);

/** `os/arch[/variant]`, as `--platform` and the lock file write a platform. */
export const PLATFORM = /^[a-z0-9_.-]+\/[a-z0-9_.-]+(?:\/[a-z0-9_.-]+)?$/;

export type ParseResult = { ok: true; ref: ImageRef } | { ok: false; error: string };

/** Parses `[registry/]path[:tag][@digest]`. */
export function parseImageRef(text: string): ParseResult {
  const m = referenceRe.exec(text);
  if (!m) {
    if (text === '') return { ok: false, error: 'empty image reference' };
    if (/[A-Z]/.test(text.split('@')[0].split('/').slice(-1)[0].split(':')[0])) {
      return { ok: false, error: `image name '${text}' must be lowercase` };
    }
    return { ok: false, error: `'${text}' is not a valid image reference` };
  }
  let registry: string | undefined = m[1];
  let path = m[2];
  const tagValue = m[3];
  const digestValue = m[4];
  // A first component is a registry only if it looks like a host: a dot, a port, or `localhost`.
  if (registry !== undefined && !/[.:]|^localhost$|^\[/.test(registry)) {
    if (registry !== registry.toLowerCase()) return { ok: false, error: `'${text}' is not a valid image reference` };
    path = `${registry}/${path}`;
    registry = undefined;
  }
  if (path.length + (registry ? registry.length + 1 : 0) > 255) {
    return { ok: false, error: 'image name is longer than 255 characters' };
  }
  let normalizedName: string;
  if (registry === undefined || registry === 'docker.io' || registry === 'index.docker.io') {
    normalizedName = `docker.io/${path.includes('/') ? path : `library/${path}`}`;
  } else {
    normalizedName = `${registry}/${path}`;
  }
  return { ok: true, ref: { registry, path, tag: tagValue, digest: digestValue, normalizedName } };
}

/** True when the digest is a well-formed sha256 digest (the only algorithm registries use today). */
export function isValidDigest(d: string | undefined): boolean {
  return d !== undefined && SHA256_DIGEST.test(d);
}
