/**
 * How image sites are described in findings: shared by the image rules (image-digest, image-tag, image-lock)
 * and the image fixers, which name the same site when they leave a finding.
 */
import type { ImageSite, ImageSiteKind } from '../parse/dockerfile';

/** How each kind of site is named in messages. */
const LABEL: Record<ImageSiteKind, string> = {
  from: 'base image',
  'copy-from': 'COPY --from image',
  'mount-from': 'RUN --mount image',
  syntax: '# syntax= frontend image',
};

export function siteLabel(site: ImageSite): string {
  return LABEL[site.kind];
}

/** The ARG/ENV definitions a reference came from, once each. */
export function uniqueDefinitions(site: ImageSite): ImageSite['definitions'] {
  const seen = new Set<string>();
  return site.definitions.filter((d) => !seen.has(d.name) && (seen.add(d.name), true));
}

/** ` (from ARG BASE)` when the reference was built from ARG/ENV values, else ''. */
export function fromNote(site: ImageSite): string {
  const defs = uniqueDefinitions(site);
  if (defs.length === 0) return '';
  return ` (from ${defs.map((d) => `${d.kind === 'env' ? 'ENV' : 'ARG'} ${d.name}`).join(', ')})`;
}

/** True when image-digest reports the site for a reason other than the digest (so image-tag stays quiet). */
export function unresolvable(site: ImageSite): boolean {
  return (
    site.value === undefined ||
    site.unknownVars.length > 0 ||
    site.undeclaredVars.length > 0 ||
    site.automaticVars.length > 0 ||
    site.error !== undefined
  );
}
