/**
 * `download-checksum` (unverified-download): `curl -fsSLo /tmp/t.tgz URL && tar -xzf /tmp/t.tgz` becomes
 * `curl -fsSLo /tmp/t.tgz URL && echo '<hex>  /tmp/t.tgz' | sha256sum -c - && tar -xzf /tmp/t.tgz`: a check of
 * the bytes the URL serves now (src/resolve/download.ts, the lock), inserted right after the download.
 *
 * Safe: a build today downloads these very bytes, so the check passes and the image is the same; a later
 * build fails when the file changed instead of using other content. Only inserted where a failed check
 * stops the RUN: the download must be followed by `&&`.
 */
import type { Fix, Fixer, FixerContext, FindingOf } from './types';
import { PLAIN, check, digestOf, downloadAt, urlOf } from './downloadCommand';
import { NotFixed } from '../util/notFixed';

async function fixOne(finding: FindingOf<'download-checksum'>, ctx: FixerContext): Promise<Fix | NotFixed> {
  const at = downloadAt(ctx.model, finding);
  const { file } = finding.fix;
  if (!at) return new NotFixed('the download command was not found at this place', 'failed');
  const { run, cmd } = at;
  if (!PLAIN.test(file)) return new NotFixed(`the file name '${file}' has characters dockrepro does not write into a check line: add the check by hand`, 'no-fixer');
  const target = urlOf(cmd);
  if (target instanceof NotFixed) return target;
  const piped = run.commands.some((c) => c !== cmd && c.pipeline === cmd.pipeline);
  const after = ctx.model.text.slice(cmd.span.end, cmd.span.end + 200);
  if (piped || !/^(?:[ \t]|\\\r?\n)*&&/.test(after)) {
    return new NotFixed(`the download is not followed by '&&': a failed check would not stop the RUN; add '&& ${check('<sha256>', file)}' by hand`, 'no-fixer');
  }
  if (!ctx.packages) return new NotFixed(`needs downloading '${target.url}'`, 'needs-network');
  const got = await digestOf(ctx, target);
  if (got instanceof NotFixed) return got;
  return {
    title: `check '${file}' against sha256 ${got.hex.slice(0, 12)}… of '${target.url}' (${got.explanation})`,
    edits: [{ start: cmd.span.end, end: cmd.span.end, text: ` && ${check(got.hex, file)}` }],
    applicability: 'safe',
  };
}

const fixer: Fixer<'download-checksum'> = {
  kind: 'download-checksum',
  fix(findings, ctx) {
    return Promise.all(findings.map((f) => fixOne(f, ctx)));
  },
};

export default fixer;
