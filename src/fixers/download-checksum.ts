/**
 * `download-checksum` (unverified-download): `curl -fsSLo /tmp/t.tgz URL && tar -xzf /tmp/t.tgz` becomes
 * `curl -fsSLo /tmp/t.tgz URL && echo '<hex>  /tmp/t.tgz' | sha256sum -c - && tar -xzf /tmp/t.tgz`: a check of
 * the bytes the URL serves now (src/resolve/download.ts, the lock), inserted right after the download.
 *
 * Safe: a build today downloads these very bytes, so the check passes and the image is the same; a later
 * build fails when the file changed instead of using other content. Only inserted where a failed check
 * stops the RUN: the download must be followed by `&&`.
 */
import type { Finding } from '../rules/types';
import type { Fix, Fixer, FixerContext, NoFix } from './types';
import { PLAIN, check, digestOf, downloadAt, urlOf } from './downloadCommand';

async function fixOne(finding: Finding, ctx: FixerContext): Promise<Fix | NoFix> {
  const at = downloadAt(ctx.model, finding);
  const file = finding.fix?.file;
  if (!at || typeof file !== 'string') return { left: 'failed', reason: 'the download command was not found at this place' };
  const { run, cmd } = at;
  if (!PLAIN.test(file)) return { left: 'no-fixer', reason: `the file name '${file}' has characters dockrepro does not write into a check line: add the check by hand` };
  const target = urlOf(cmd);
  if ('left' in target) return target;
  const piped = run.commands.some((c) => c !== cmd && c.pipeline === cmd.pipeline);
  const after = ctx.model.text.slice(cmd.span.end, cmd.span.end + 200);
  if (piped || !/^(?:[ \t]|\\\r?\n)*&&/.test(after)) {
    return { left: 'no-fixer', reason: `the download is not followed by '&&': a failed check would not stop the RUN; add '&& ${check('<sha256>', file)}' by hand` };
  }
  if (!ctx.packages) return { left: 'needs-network', reason: `needs downloading '${target.url}'` };
  const got = await digestOf(ctx, target);
  if ('left' in got) return got;
  return {
    title: `check '${file}' against sha256 ${got.hex.slice(0, 12)}… of '${target.url}' (${got.explanation})`,
    edits: [{ start: cmd.span.end, end: cmd.span.end, text: ` && ${check(got.hex, file)}` }],
    applicability: 'safe',
  };
}

const fixer: Fixer = {
  kind: 'download-checksum',
  fix(findings, ctx) {
    return Promise.all(findings.map((f) => fixOne(f, ctx)));
  },
};

export default fixer;
