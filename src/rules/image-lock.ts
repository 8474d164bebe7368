import { SHA256_DIGEST } from '../parse/imageRef';
import { lockKey } from '../resolve/lock';
import { siteLabel } from '../findings/imageSites';
import { defineRule } from './types';

/**
 * With `dockrepro lint --verify-lock`: every digest pinned in a Dockerfile must be the one the lock file
 * records for that image and tag, so a hand edit of either (or a merge that mixed them) fails in CI.
 * Without --verify-lock there is no lock in the context and the rule is silent.
 */
export default defineRule({
  meta: {
    id: 'image-lock',
    summary: 'With --verify-lock, pinned digests must match dockrepro.lock.json',
    severity: 'error',
    fixable: [],
  },
  check(ctx) {
    const lock = ctx.lock;
    if (!lock) return;
    for (const site of ctx.model.imageSites) {
      const ref = site.ref;
      if (!ref?.digest || !SHA256_DIGEST.test(ref.digest) || site.unknownVars.length > 0) continue;
      const head = `${siteLabel(site)} '${site.value}'`;
      // Entries for this image and tag, pinned for the whole index or for one platform (`fix --platform`).
      const key = lockKey(ref.normalizedName, ref.tag);
      const entries = [...lock.all()].filter(([k]) => k === key || k.startsWith(`${key} `) || (ref.tag === undefined && k.startsWith(`${ref.normalizedName}:`)));
      if (entries.some(([, e]) => e.digest === ref.digest)) continue;
      if (entries.length === 0) {
        ctx.report({ message: `${head} is not in ${lock.path}: pin it with 'dockrepro fix' (or 'fix --refresh') so the lock records it`, span: site.span });
      } else {
        const recorded = [...new Set(entries.map(([, e]) => e.digest))].join(', ');
        ctx.report({
          message: `${head} has a digest the lock does not record for it (the lock has ${recorded}): the Dockerfile or ${lock.path} was edited by hand; ` +
            `remove the digest and run 'dockrepro fix --refresh' to resolve the tag again`,
          span: site.span,
        });
      }
    }
  },
});
