import { isValidDigest, parseImageRef, type ImageRef } from '../parse/imageRef';
import { defineRule } from './types';
import { fromNote, siteLabel, uniqueDefinitions } from '../findings/imageSites';

/**
 * The digest of a reference when it is not `sha256:` + 64 lowercase hex, with the reference without it.
 * A digest shorter than the grammar allows (`@sha256:abc123`) makes the parser fail: split at the last `@`.
 */
function malformedDigest(value: string, ref: ImageRef | undefined): { image: string; digest: string } | undefined {
  const at = value.lastIndexOf('@');
  if (at < 0) return undefined;
  const image = value.slice(0, at);
  const digest = value.slice(at + 1);
  if (ref) return ref.digest !== undefined && !isValidDigest(digest) ? { image, digest } : undefined;
  return parseImageRef(image).ok ? { image, digest } : undefined;
}

function list(names: string[]): string {
  return names.join(', ');
}

export default defineRule({
  meta: {
    id: 'image-digest',
    summary: 'Pin every external image to a digest (`@sha256:…`)',
    severity: 'warning',
    fixable: ['image-digest'],
  },
  check(ctx) {
    for (const site of ctx.model.imageSites) {
      const label = siteLabel(site);
      const where = site.kind === 'from' || site.kind === 'syntax' ? 'before the first FROM' : 'in this stage';
      const unknown = [...new Set(site.unknownVars)];
      if (unknown.length > 0) {
        // Reported once per reference: which image is built depends on a --build-arg we cannot see.
        const plural = unknown.length > 1;
        ctx.report({
          message:
            `${label} '${site.raw}' depends on build argument${plural ? 's' : ''} ${list(unknown)}, which ha${plural ? 've' : 's'} no default: ` +
            `the build is not reproducible without knowing --build-arg; give ${plural ? 'them defaults' : 'it a default'} pinned by digest`,
          span: site.span,
        });
        continue;
      }
      const automatic = site.automaticVars;
      if (site.value === undefined && automatic.length > 0) {
        // Not a stage (those are not sites): an image per platform, which one digest cannot pin.
        ctx.report({
          message:
            `${label} '${site.raw}' depends on ${list(automatic)}, which BuildKit sets for each build from the platform or target: ` +
            `it names a different image per platform, which no single digest pins; name one multi-platform image ` +
            `(its index holds every platform) and pin that, or a stage per platform (FROM … AS name-amd64)`,
          span: site.span,
        });
        continue;
      }
      if (site.value === undefined) continue; // an expansion we cannot evaluate: cannot tell
      const undeclared = [...new Set(site.undeclaredVars)];
      if (undeclared.length > 0) {
        ctx.report({
          message:
            `${label} '${site.raw}' uses undeclared variable${undeclared.length > 1 ? 's' : ''} ${list(undeclared)} ` +
            `(BuildKit substitutes '', giving '${site.value}'): declare ${undeclared.map((n) => `'ARG ${n}=<value>'`).join(', ')} ${where}`,
          span: site.span,
        });
        continue;
      }
      const definitions = uniqueDefinitions(site).map((d) => ({ name: d.name, span: d.valueSpan }));
      const note = fromNote(site);
      const bad = malformedDigest(site.value, site.ref);
      if (bad) {
        ctx.report({
          message:
            `${label} '${site.value}'${note} has a malformed digest '${bad.digest}': ` +
            `a digest is 'sha256:' followed by 64 lowercase hex digits; pin it as '${bad.image}@sha256:<digest>'`,
          span: site.span,
          fix: { kind: 'image-digest', image: bad.image, site: site.kind, definitions },
        });
        continue;
      }
      if (site.error !== undefined || !site.ref) {
        ctx.report({ message: `${label} '${site.value}'${note} cannot be parsed: ${site.error}`, span: site.span });
        continue;
      }
      if (site.ref.digest === undefined) {
        ctx.report({
          message: `${label} '${site.value}'${note} has no digest: pin it as '${site.value}@sha256:<digest>'`,
          span: site.span,
          fix: { kind: 'image-digest', image: site.value, site: site.kind, definitions },
        });
      }
    }
  },
});
