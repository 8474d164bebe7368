import { defineRule } from './types';
import { fromNote, siteLabel, unresolvable } from './image-digest';

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

export default defineRule({
  meta: {
    id: 'image-tag',
    summary: 'Use a precise version tag, not a missing, `latest` or floating tag',
    severity: 'warning',
    hadolint: ['DL3006', 'DL3007'],
    fixable: ['image-tag'],
  },
  check(ctx) {
    for (const site of ctx.model.imageSites) {
      // Unresolvable and malformed references are image-digest's; a digest decides the image by itself.
      if (unresolvable(site) || !site.ref || site.ref.digest !== undefined) continue;
      const value = site.value!;
      const tag = site.ref.tag;
      const head = `${siteLabel(site)} '${value}'${fromNote(site)}`;
      let message: string;
      if (tag === undefined) {
        message = `${head} has no tag (means latest): use a precise version tag such as '${value}:<x.y.z>', or pin a digest`;
      } else if (tag === 'latest') {
        message = `${head} uses 'latest', which moves with every release: use a precise version tag (x.y.z), or pin a digest`;
      } else if (!isPreciseTag(tag)) {
        message = `${head} has a floating tag '${tag}', which moves to newer releases: use a precise version tag (x.y.z or a date stamp), or pin a digest`;
      } else continue;
      ctx.report({ message, span: site.span, fix: { kind: 'image-tag', image: value } });
    }
  },
});
