/**
 * `add-checksum`: `ADD https://…/tool.tgz /opt/` becomes `ADD --checksum=sha256:<hex> https://…/tool.tgz /opt/`,
 * the sha256 of what the URL serves now (downloaded once per run, or read from the lock: src/resolve/download.ts).
 * A malformed `--checksum` gets the digest in its place. The flag needs Dockerfile frontend 1.6 or newer:
 * a file whose `# syntax=` names an older (or an unknown) frontend is left with that reason; a file without
 * one uses its builder's built-in frontend, which is 1.6 or newer since BuildKit 0.12 (Docker Engine 25).
 */
import type { CopyBlock, DockerfileModel } from '../parse/dockerfile';
import { AUTOMATIC_ARGS } from '../parse/vars';
import type { Finding } from '../rules/types';
import { lookupDownload } from '../resolve/download';
import type { Fix, Fixer, FixerContext, TextEdit, FindingOf } from './types';
import { NotFixed } from '../util/notFixed';

const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
const FRONTENDS = new Set(['docker.io/docker/dockerfile', 'docker.io/docker/dockerfile-upstream']);
/** Tags of docker/dockerfile that float along the newest 1.x (or labs) release: 1.6 or newer today. */
const FLOATING = /^(?:latest|labs|1|1-labs)$/;

/** Whether the file's frontend accepts `ADD --checksum` for an HTTP source: a note for the title, or why not. */
export function checksumFrontend(model: DockerfileModel): { note: string } | NotFixed {
  const site = model.imageSites.find((s) => s.kind === 'syntax');
  if (!site) return { note: 'the built-in frontend of BuildKit 0.12+ / Docker Engine 25+ accepts it' };
  const ref = site.ref;
  const written = `# syntax=${site.raw}`;
  if (!ref || !FRONTENDS.has(ref.normalizedName)) {
    return new NotFixed(`'${written}' is not a docker/dockerfile frontend dockrepro knows: whether it accepts ADD --checksum (docker/dockerfile 1.6+) is not known; add the checksum by hand`, 'no-fixer');
  }
  if (ref.tag === undefined) {
    if (ref.digest) return new NotFixed(`'${written}' names the frontend by digest only: its version is not known; ADD --checksum needs docker/dockerfile 1.6 or newer`, 'no-fixer');
    return { note: `'${written}' is the newest frontend` };
  }
  if (FLOATING.test(ref.tag)) return { note: `'${written}' follows the newest 1.x frontend` };
  const m = /^1\.(\d+)(?:\.\d+)?(?:-labs)?$/.exec(ref.tag);
  if (m && Number(m[1]) >= 6) return { note: `'${written}' is 1.6 or newer` };
  return new NotFixed(`'${written}' is older than docker/dockerfile 1.6, the first frontend that accepts ADD --checksum: raise it (e.g. docker/dockerfile:1.6 or :1), then fix again`, 'no-fixer');
}

/** The ADD instruction a finding is in. */
function addOf(model: DockerfileModel, f: Finding): CopyBlock | undefined {
  return model.copies.find((c) => c.keyword === 'ADD' && c.span.start <= f.span.start && f.span.end <= c.span.end);
}

/** The edit that writes `digest` as the ADD's checksum: a new flag after the keyword, or in place of a malformed value. */
function checksumEdit(model: DockerfileModel, add: CopyBlock, digest: string): { edit: TextEdit; before?: string } | undefined {
  const flag = add.flags.get('checksum');
  if (!flag) return { edit: { start: add.keywordSpan.end, end: add.keywordSpan.end, text: ` --checksum=${digest}` } };
  const text = model.text.slice(flag.span.start, flag.span.end);
  // `--checksum` with no `=`: the span is the whole flag.
  if (flag.raw === undefined) return text.toLowerCase() === '--checksum' ? { edit: { start: flag.span.start, end: flag.span.end, text: `--checksum=${digest}` } } : undefined;
  if (text !== flag.raw) return undefined; // not written in one piece (a continuation inside it)
  return { edit: { start: flag.span.start, end: flag.span.end, text: digest }, before: flag.raw };
}

async function fixOne(finding: FindingOf<'add-checksum'>, ctx: FixerContext, frontend: { note: string } | NotFixed): Promise<Fix | NotFixed> {
  const { url } = finding.fix;
  const add = addOf(ctx.model, finding);
  if (!add) return new NotFixed('the ADD instruction was not found at this place', 'failed');
  if (!/^https?:\/\//i.test(url)) return new NotFixed(`'${url}' is not an http(s) URL`, 'no-fixer');
  if (add.sources.length !== 1) return new NotFixed('BuildKit accepts --checksum only on an ADD with one source: split this ADD into one per URL, then fix again', 'no-fixer');
  if (frontend instanceof NotFixed) return frontend;
  const src = add.sources[0];
  const vars = [...src.raw.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
  const automatic = vars.filter((v) => AUTOMATIC_ARGS.has(v));
  if (automatic.length > 0) {
    return new NotFixed(`the URL depends on ${automatic.map((v) => `$${v}`).join(', ')}, which BuildKit sets per platform: one checksum cannot fit every platform; write one ADD per platform or check the file in a RUN`, 'no-fixer');
  }
  if (!ctx.packages) return new NotFixed(`needs downloading '${url}'`, 'needs-network');
  let got;
  try {
    got = await lookupDownload(ctx.packages, { url });
  } catch (e) {
    if (e instanceof NotFixed) return e;
    throw e;
  }
  if (!SHA256_DIGEST.test(got.digest)) return new NotFixed(`the digest of '${url}' is malformed: '${got.digest}'`, 'failed');
  const edit = checksumEdit(ctx.model, add, got.digest);
  if (!edit) return new NotFixed('the --checksum flag is not written in one piece: write the digest by hand', 'no-fixer');
  const how = `${got.explanation}, ${got.size} bytes; ${frontend.note}`;
  const fromArgs = vars.length > 0 ? `; the URL comes from ${vars.map((v) => `$${v}`).join(', ')}: a --build-arg that changes it now fails the checksum` : '';
  const sameAsWritten = edit.before !== undefined && [edit.before.toLowerCase(), `sha256:${edit.before.toLowerCase()}`].includes(got.digest);
  if (edit.before !== undefined && !sameAsWritten) {
    // A checksum the build refuses today becomes one it accepts: that changes the build.
    return { title: `replace --checksum '${edit.before}' of ADD '${url}' by ${got.digest} (${how})${fromArgs}`, edits: [edit.edit], applicability: 'unsafe' };
  }
  const title = edit.before !== undefined ? `write --checksum of ADD '${url}' as ${got.digest} (${how})` : `add --checksum=${got.digest} to ADD '${url}' (${how})${fromArgs}`;
  return { title, edits: [edit.edit], applicability: vars.length > 0 ? 'unsafe' : 'safe' };
}

const fixer: Fixer<'add-checksum'> = {
  kind: 'add-checksum',
  fix(findings, ctx) {
    const frontend = checksumFrontend(ctx.model);
    return Promise.all(findings.map((f) => fixOne(f, ctx, frontend)));
  },
};

export default fixer;
