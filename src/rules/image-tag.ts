import { defineRule } from './types';
import { fromNote, siteLabel, unresolvable } from '../findings/imageSites';
import { isPreciseTag } from '../parse/imageRef';

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
