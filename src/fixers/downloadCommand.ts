/**
 * What the fixers of downloads in RUN share (script-checksum, download-checksum): the curl or wget command a
 * finding points at, the one URL it fetches (or why dockrepro's own download would not be the same), the
 * digest of that URL today (src/resolve/download.ts) and the `sha256sum -c` line that checks a file.
 */
import { parseArgs } from '../parse/args';
import type { DockerfileModel, RunBlock } from '../parse/dockerfile';
import type { SimpleCommand } from '../parse/shell';
import { CURL, WGET } from '../parse/tools/download';
import type { Finding } from '../rules/types';
import { lookupDownload } from '../resolve/download';
import type { FixerContext } from './types';
import { NotFixed } from '../util/notFixed';

const SHA256_DIGEST = /^sha256:([0-9a-f]{64})$/;
/** Request options that change what the server sends: the download here would not be the one of the build. */
const CURL_REQUEST_OPTIONS = ['-H', '--header', '-u', '--user', '-b', '--cookie', '-d', '--data', '--data-raw', '--data-binary', '--data-urlencode', '-F', '--form', '-X', '--request', '-K', '--config', '-r', '--range', '-C', '--continue-at', '-z', '--time-cond', '-e', '--referer', '--oauth2-bearer', '--netrc-file', '-n', '--netrc', '-T', '--upload-file'];
const WGET_REQUEST_OPTIONS = ['--header', '--user', '--password', '--post-data', '--post-file', '-i', '--input-file', '-e', '--execute', '--load-cookies', '--body-data', '--method'];
/** A word written as is: safe to paste into a shell command unquoted. */
export const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** The download command a finding points at (the rule reports its exact span). */
export function downloadAt(model: DockerfileModel, f: Finding): { run: RunBlock; cmd: SimpleCommand } | undefined {
  for (const run of model.runs) {
    const cmd = run.commands.find((c) => c.span.start === f.span.start && c.span.end === f.span.end && (c.name === 'curl' || c.name === 'wget'));
    if (cmd) return { run, cmd };
  }
  return undefined;
}

/** The one URL a curl or wget command fetches, or why it cannot be told. */
export function urlOf(cmd: SimpleCommand): { url: string; follows: boolean } | NotFixed {
  const parsed = parseArgs(cmd.args, cmd.name === 'wget' ? WGET : CURL);
  const forbidden = (cmd.name === 'wget' ? WGET_REQUEST_OPTIONS : CURL_REQUEST_OPTIONS).filter((o) => parsed.options.has(o));
  if (forbidden.length > 0) return new NotFixed(`${cmd.name} sends ${forbidden.join(', ')}: dockrepro downloads without them, so its digest may not be of what the build gets; check the script by hand`, 'no-fixer');
  const urlOption = parsed.options.get('--url');
  const words = [...parsed.operands, ...(urlOption && urlOption !== true ? [urlOption] : [])];
  if (words.length !== 1) return new NotFixed(`${cmd.name} fetches ${words.length} URLs here: dockrepro checks one script per command`, 'no-fixer');
  const w = words[0];
  if (w.value === undefined || w.vars.length > 0) return new NotFixed(`the URL '${w.raw}' comes from a variable: download the script to a file and check it by hand`, 'no-fixer');
  if (!/^https?:\/\/[^\s'"\\]+$/i.test(w.value)) return new NotFixed(`'${w.value}' is not an http(s) URL dockrepro downloads`, 'no-fixer');
  // wget follows redirects by default; curl only with -L.
  return { url: w.value, follows: cmd.name === 'wget' || parsed.options.has('-L') || parsed.options.has('--location') };
}

/** `echo '<hex>  FILE' | sha256sum -c -`: coreutils and busybox both read this line (two spaces). */
export const check = (hex: string, file: string) => `echo '${hex}  ${file}' | sha256sum -c -`;

export async function digestOf(ctx: FixerContext, target: { url: string; follows: boolean }): Promise<{ hex: string; explanation: string } | NotFixed> {
  try {
    const got = await lookupDownload(ctx.packages!, { url: target.url });
    const hex = SHA256_DIGEST.exec(got.digest)?.[1];
    if (!hex) return new NotFixed(`the digest of '${target.url}' is malformed: '${got.digest}'`, 'failed');
    if (got.finalUrl !== target.url && !target.follows) {
      return new NotFixed(`'${target.url}' redirects to '${got.finalUrl}' and curl has no -L: the build saves the redirect answer, not the script`, 'no-fixer');
    }
    return { hex, explanation: `${got.explanation}, ${got.size} bytes` };
  } catch (e) {
    if (e instanceof NotFixed) return e;
    throw e;
  }
}

