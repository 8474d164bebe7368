/**
 * What the image-digest and image-tag fixers share: find the reference a finding is about, resolve it, and
 * write the pinned reference where its text is defined — in the instruction itself or in the default of the
 * one ARG it comes from. A reference assembled from build args is left (with an unsafe restructuring).
 */
import type { DockerfileModel, ImageSite } from '../parse/dockerfile';
import type { VarDef } from '../parse/vars';
import { parseImageRef } from '../parse/imageRef';
import { siteLabel } from '../findings/imageSites';
import type { Fix, FixerContext, TextEdit, FindingOf } from './types';
import { NotFixed } from '../util/notFixed';

/** `${NAME}` or `$NAME` (in double quotes or not), the whole reference. */
const WHOLE_VARIABLE = /^("?)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))\1$/;

/** Variables a written value uses (`python:${PY}-slim` → PY). */
const USED_VARIABLE = /\$\{?([A-Za-z_][A-Za-z0-9_]*)/g;

export async function pinSite(finding: FindingOf<'image-digest' | 'image-tag'>, ctx: FixerContext, withDigest: boolean): Promise<Fix | NotFixed> {
  const site = ctx.model.imageSites.find((s) => s.span.start === finding.span.start && s.span.end === finding.span.end);
  // The rules send the reference without a malformed digest (`image`); the site says where it is written.
  const { image } = finding.fix;
  const parsed = parseImageRef(image);
  if (!site || site.value === undefined || !parsed.ok) return new NotFixed('the reference cannot be resolved', 'no-fixer');
  const ref = parsed.ref;
  if (ref.digest !== undefined) return new NotFixed('the reference already has a digest', 'no-fixer');
  if (!ctx.images) return new NotFixed('needs a registry lookup', 'needs-network');

  let pin;
  try {
    pin = await ctx.images.pin(ref, site.platform);
  } catch (e) {
    if (e instanceof NotFixed) return e;
    throw e;
  }
  // image-tag alone (no digest) with no more precise tag: nothing to write, and the reason says why.
  if (!withDigest && pin.tag === undefined) return new NotFixed(`${pin.explanation}: pin its digest (rule image-digest) or write a precise tag by hand`, 'no-fixer');
  const tag = pin.tag ?? ref.tag;
  const name = image.slice(0, image.length - (ref.tag === undefined ? 0 : ref.tag.length + 1));
  const pinned = `${name}${tag === undefined ? '' : `:${tag}`}${withDigest ? `@${pin.digest}` : ''}`;
  // Nothing from the network reaches the file unless the result is a valid reference naming the same image.
  const check = parseImageRef(pinned);
  if (!check.ok || check.ref.normalizedName !== ref.normalizedName) {
    return new NotFixed(`the resolved reference '${pinned}' is not valid`, 'failed');
  }
  const label = `${siteLabel(site)} '${site.value}'`;
  const edit = placeEdit(site, ctx.model.text, pinned);
  if (edit) return { title: `pin ${label} → '${pinned}' (${pin.explanation})`, edits: [edit], applicability: 'safe' };
  return assembled(site, ctx.model, pinned, withDigest, ref.path);
}

/** Where the new reference is written when it replaces text that is the whole reference, else undefined. */
function placeEdit(site: ImageSite, text: string, pinned: string): TextEdit | undefined {
  // Written literally (possibly with a malformed digest, or in quotes, which the new reference replaces).
  if (site.definitions.length === 0) return { start: site.span.start, end: site.span.end, text: pinned };
  const def = wholeVariable(site);
  const written = def && defaultText(def, text);
  if (written && written.text === site.value) return { start: written.start, end: written.start + written.text.length, text: pinned };
  return undefined;
}

/** The one variable the whole reference is (`FROM ${BASE}`), with a default written in the file. */
function wholeVariable(site: ImageSite): VarDef | undefined {
  const whole = WHOLE_VARIABLE.exec(site.raw);
  return whole ? site.definitions.find((d) => d.name === (whole[2] ?? whole[3]) && d.value === site.value && d.valueSpan) : undefined;
}

/** The text of a definition's default, inside its quotes. */
function defaultText(def: VarDef, text: string): { start: number; text: string } | undefined {
  if (!def.valueSpan) return undefined;
  const written = text.slice(def.valueSpan.start, def.valueSpan.end);
  const quoted = written.length >= 2 && (written[0] === '"' || written[0] === "'") && written.at(-1) === written[0];
  return { start: def.valueSpan.start + (quoted ? 1 : 0), text: quoted ? written.slice(1, -1) : written };
}

/**
 * A reference assembled from build args (`buildpack-deps:${VARIANT}-curl`) is not pinned in place: a digest
 * appended there would win over `--build-arg VARIANT=bookworm`, silently building bullseye, and a precise tag
 * cannot be written into `${VARIANT}-curl`. What is offered instead, as an unsafe fix since the build args
 * then no longer choose the image: the whole reference as one ARG whose default is the pinned reference.
 */
function assembled(site: ImageSite, model: DockerfileModel, pinned: string, withDigest: boolean, path: string): Fix | NotFixed {
  const whole = wholeVariable(site);
  const written = whole && defaultText(whole, model.text);
  const args = [...new Set(written ? [...written.text.matchAll(USED_VARIABLE)].map((m) => m[1]) : site.definitions.filter((d) => d.kind === 'arg').map((d) => d.name))];
  const envs = [...new Set(site.definitions.filter((d) => d.kind === 'env').map((d) => d.name))];
  const from = [args.length ? `build arg${args.length > 1 ? 's' : ''} ${args.join(', ')}` : '', envs.length ? `ENV ${envs.join(', ')}` : ''].filter(Boolean).join(' and ') || `'${written ? written.text : site.raw}'`;
  const what = written ? `the default of ARG ${whole!.name} is assembled from ${from}` : `the reference is assembled from ${from}`;
  const harm = withDigest
    ? `a digest would override ${args.length ? args.map((a) => `--build-arg ${a}=…`).join(', ') : 'the values it is built from'}`
    : `a precise tag cannot be written into '${written ? written.text : site.raw}'`;
  const argName = written ? whole!.name : freeArgName(model.text, path);
  const example = `ARG ${argName}=${site.value}`;
  const reason = `${what}: ${harm}; make the whole reference one ARG (${example}) so its default can be pinned`;
  const label = `${siteLabel(site)} '${site.raw}'`;
  const lost = args.length ? `; --build-arg ${args.join(', ')} then no longer choose${args.length > 1 ? '' : 's'} the image` : '';
  if (written) {
    // The one ARG exists: its default becomes the pinned reference.
    return {
      title: `write the default of ARG ${argName} as the pinned '${pinned}' (${what}, ${harm}${lost})`,
      edits: [{ start: written.start, end: written.start + written.text.length, text: pinned }],
      applicability: 'unsafe',
    };
  }
  // Only FROM sees global ARGs; BuildKit expands no variables in COPY --from, and a stage ARG in
  // RUN --mount from= would need its own placement: left with the reason.
  if (site.kind !== 'from') return new NotFixed(reason, 'no-fixer');
  const first = model.instructions.find((i) => i.keyword === 'FROM')!;
  const at = model.lines.lineStart(first.line);
  const eol = /\r\n/.test(model.text.slice(at, model.text.indexOf('\n', at) + 1)) ? '\r\n' : '\n';
  return {
    title: `make ${label} one ARG: 'ARG ${argName}=${pinned}' before the first FROM, used as '\${${argName}}' (${what}, ${harm}${lost})`,
    edits: [
      { start: at, end: at, text: `ARG ${argName}=${pinned}${eol}` },
      { start: site.span.start, end: site.span.end, text: `\${${argName}}` },
    ],
    applicability: 'unsafe',
  };
}

/** An ARG name for an image (`buildpack-deps` → BUILDPACK_DEPS_IMAGE) that the file does not use yet. */
function freeArgName(text: string, path: string): string {
  const base = `${(path.split('/').pop() ?? 'base').toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^(?=[0-9])/, '_')}_IMAGE`;
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base}_${n}`;
    if (!new RegExp(`\\b${name}\\b`).test(text)) return name;
  }
}
