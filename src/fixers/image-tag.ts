/**
 * image-tag: replaces a missing, `latest` or floating tag by the most precise tag with the same digest
 * (`node:20-alpine` → `node:20.18.1-alpine`). When image-digest reports the same reference, this fixer makes
 * the very same edit (tag and digest), so the two fixes never fight over one reference.
 */
import type { Fixer } from './types';
import { pinSite } from './imagePin';

const fixer: Fixer<'image-tag'> = {
  kind: 'image-tag',
  fix: (findings, ctx) =>
    Promise.all(
      findings.map((f) => {
        const digestToo = ctx.findings.some((o) => o.rule === 'image-digest' && o.span.start === f.span.start && o.span.end === f.span.end);
        return pinSite(f, ctx, digestToo);
      }),
    ),
};

export default fixer;
