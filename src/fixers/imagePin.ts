/**
 * What the image-digest and image-tag fixers share: find the reference a finding is about, resolve it, and
 * write the pinned reference where its text is defined — in the instruction itself, in the default of the
 * one ARG it comes from, or (when it is assembled from several values) by appending only the digest.
 */
import type { ImageSite } from '../parse/dockerfile';
import { parseImageRef } from '../parse/imageRef';
import { siteLabel } from '../rules/image-digest';
import type { Finding } from '../rules/types';
import { PinError } from '../resolve/pinError';
import type { Fix, FixerContext, NoFix, TextEdit } from './types';

/** `${NAME}` or `$NAME`, the whole reference. */
const WHOLE_VARIABLE = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/;

export async function pinSite(finding: Finding, ctx: FixerContext, withDigest: boolean): Promise<Fix | NoFix> {
  const site = ctx.model.imageSites.find((s) => s.span.start === finding.span.start && s.span.end === finding.span.end);
  // The rules send the reference without a malformed digest (`image`); the site says where it is written.
  const image = typeof finding.fix?.image === 'string' ? finding.fix.image : site?.value;
  const parsed = image === undefined ? undefined : parseImageRef(image);
  if (!site || site.value === undefined || !parsed?.ok) return { left: 'no-fixer', reason: 'the reference cannot be resolved' };
  const ref = parsed.ref;
  if (ref.digest !== undefined) return { left: 'no-fixer', reason: 'the reference already has a digest' };
  if (!ctx.images) return { left: 'needs-network', reason: 'needs a registry lookup' };

  let pin;
  try {
    pin = await ctx.images.pin(ref, site.platform);
  } catch (e) {
    if (e instanceof PinError) return { left: e.left, reason: e.message };
    throw e;
  }
  // image-tag alone (no digest) with no more precise tag: nothing to write, and the reason says why.
  if (!withDigest && pin.tag === undefined) return { left: 'no-fixer', reason: `${pin.explanation}: pin its digest (rule image-digest) or write a precise tag by hand` };
  const tag = pin.tag ?? ref.tag;
  const name = image!.slice(0, image!.length - (ref.tag === undefined ? 0 : ref.tag.length + 1));
  const pinned = `${name}${tag === undefined ? '' : `:${tag}`}${withDigest ? `@${pin.digest}` : ''}`;
  // Nothing from the network reaches the file unless the result is a valid reference naming the same image.
  const check = parseImageRef(pinned);
  if (!check.ok || check.ref.normalizedName !== ref.normalizedName) {
    return { left: 'failed', reason: `the resolved reference '${pinned}' is not valid` };
  }
  const edit = placeEdit(site, ctx.model.text, pinned, withDigest ? pin.digest : undefined);
  if (typeof edit === 'string') return { left: 'no-fixer', reason: edit };
  // Say what is written: an assembled reference keeps its own text and only gains the digest.
  const result = edit.start === edit.end ? `${site.raw}${edit.text}` : pinned;
  return { title: `pin ${siteLabel(site)} '${site.value}' → '${result}' (${pin.explanation})`, edits: [edit], applicability: 'safe' };
}

/** Where the new reference is written, or why it cannot be. */
function placeEdit(site: ImageSite, text: string, pinned: string, digest: string | undefined): TextEdit | string {
  if (site.definitions.length === 0) {
    // Written literally (possibly with a malformed digest, which the new reference replaces).
    return { start: site.span.start, end: site.span.end, text: pinned };
  }
  const whole = WHOLE_VARIABLE.exec(site.raw);
  const def = whole ? site.definitions.find((d) => d.name === (whole[1] ?? whole[2]) && d.value === site.value) : undefined;
  if (def?.valueSpan) {
    const written = text.slice(def.valueSpan.start, def.valueSpan.end);
    const quoted = written.length >= 2 && (written[0] === '"' || written[0] === "'") && written.at(-1) === written[0];
    const inner = quoted ? written.slice(1, -1) : written;
    if (inner === site.value) {
      const start = def.valueSpan.start + (quoted ? 1 : 0);
      return { start, end: start + inner.length, text: pinned };
    }
  }
  // Assembled from several values (`python:${PY}-slim`): the tag stays theirs; the digest can still be added.
  const vars = site.definitions.map((d) => `${d.kind === 'env' ? 'ENV' : 'ARG'} ${d.name}`).join(', ');
  if (digest === undefined || site.value!.includes('@')) return `the reference is built from ${vars}; change its value there by hand`;
  return { start: site.span.end, end: site.span.end, text: `@${digest}` };
}
