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

/**
 * True when a tag names one release. A tag is split at `-`; it is precise when one part is
 * - a version with at least three numeric fields (`3.12.7`, `v1.2.3`, `2024.11.11`, `21.0.5_11`, `1.2.3rc1`),
 * - a date or build stamp of at least 8 digits (`20241111`, as in `bookworm-20241111`; `20220429.1`),
 *   or a date written with dashes (`RELEASE.2025-09-07T16-13-09Z`, minio's release tags),
 * - a Java update version (`8u342`, `8u432-b06`): the update names one release, as `21.0.5` does, or
 * - a commit id: 7 to 40 hex digits mixing letters and digits (`3f2a9c1`), as CI pipelines tag images.
 * Everything else floats: `3`, `3.12`, `20-alpine`, `22.04`, `lts`, `bookworm-slim`, `alpine3.20`, `stable`.
 */
export function isPreciseTag(tag: string): boolean {
  if (/(?:^|[^0-9])(?:19|20)[0-9]{2}-[01][0-9]-[0-3][0-9](?:[^0-9]|$)/.test(tag)) return true;
  const parts = tag.split('-');
  return parts.some((part) =>
    /^v?[0-9]+(?:[._][0-9]+){2,}/.test(part) ||
    /^[0-9]{8,}(?:\.[0-9]+)*$/.test(part) ||
    /^[0-9]+u[0-9]+$/.test(part) ||
    (/^[0-9a-f]{7,40}$/.test(part) && /[a-f]/.test(part) && /[0-9]/.test(part)),
  );
}
