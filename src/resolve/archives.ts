/**
 * Package archive mirrors: `archives:` in `.dockrepro.yaml` (and the user's own config) maps an original URL
 * prefix, as base images and Dockerfiles write it (`http://deb.debian.org/debian`), to a mirror prefix
 * (`https://mirror.corp/debian`). The OS package fixers read indexes through the mirror and still write the
 * original URLs into Dockerfiles: the mirror is where dockrepro looks, not what the build uses.
 */

/** Original URL prefix → mirror URL prefix. */
export type ArchiveMirrors = Readonly<Record<string, string>>;

/** `url` with the longest matching original prefix replaced by its mirror; `url` itself when none matches. */
export function mirrored(url: string, mirrors: ArchiveMirrors): string {
  let best: string | undefined;
  for (const prefix of Object.keys(mirrors)) {
    if (!coversUrl(prefix, url)) continue;
    if (best === undefined || prefix.length > best.length) best = prefix;
  }
  if (best === undefined) return url;
  const mirror = mirrors[best];
  const rest = url.slice(best.length);
  // `a/b` → `m/` and `a/b/` → `m` both join with exactly one slash.
  if (mirror.endsWith('/') && rest.startsWith('/')) return mirror + rest.slice(1);
  if (!mirror.endsWith('/') && rest !== '' && !rest.startsWith('/') && best.endsWith('/')) return `${mirror}/${rest}`;
  return mirror + rest;
}

/** A prefix covers a URL at a path boundary: `http://h/debian` covers `http://h/debian/dists`, not `http://h/debian-security`. */
function coversUrl(prefix: string, url: string): boolean {
  if (!url.startsWith(prefix)) return false;
  if (prefix.endsWith('/') || url.length === prefix.length) return true;
  return url[prefix.length] === '/';
}

/** An http(s) URL prefix as `archives:` accepts it: scheme, host, optional port and path; no query or fragment. */
export const ARCHIVE_PREFIX = /^https?:\/\/(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::\d{1,5})?(?:\/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?$/;
