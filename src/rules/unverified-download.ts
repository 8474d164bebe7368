import { posix } from 'node:path';
import { parseArgs } from '../parse/args';
import type { RunBlock } from '../parse/dockerfile';
import type { SimpleCommand, Word } from '../parse/shell';
import { CURL, WGET } from '../parse/tools/download';
import { interpreter } from '../parse/tools/interpreter';
import { defineRule } from './types';

const STDOUT = new Set(['-', '/dev/stdout', '/proc/self/fd/1']);
/** Programs that check a file's digest or signature: one of them in the RUN counts as a check (of any file). */
const CHECKERS = /^(?:sha(?:1|224|256|384|512)sum|shasum|md5sum|b2sum|b3sum|cksum|gpg2?|gpgv2?|cosign|minisign|signify|openssl|rpmkeys|dpkg-sig|slsa-verifier)$/;

/** The URL's last path segment (what `curl -O` and `wget` name the file), if it is one. */
function urlBasename(url: string | undefined): string | undefined {
  if (!url || !/^https?:\/\//i.test(url)) return undefined;
  try {
    const name = new URL(url).pathname.split('/').pop();
    return name ? decodeURIComponent(name) : undefined;
  } catch {
    return undefined;
  }
}

/** Where a curl or wget command saves what it downloads, with the URL; undefined for stdout or when unknown. */
function savedFile(cmd: SimpleCommand): { file: string; url: string } | undefined {
  if (cmd.name === 'wget') {
    const p = parseArgs(cmd.args, WGET);
    const url = p.operands.length === 1 ? p.operands[0].value : undefined;
    if (!url || !/^https?:\/\//i.test(url)) return undefined;
    const out = p.options.get('-O') ?? p.options.get('--output-document');
    if (out === true) return undefined;
    if (out) return out.value && !STDOUT.has(out.value) ? { file: out.value, url } : undefined;
    const name = urlBasename(url);
    const dir = p.options.get('-P') ?? p.options.get('--directory-prefix');
    if (!name || dir === true || (dir && dir.value === undefined)) return undefined;
    return { file: dir ? posix.join(dir.value!, name) : name, url };
  }
  const p = parseArgs(cmd.args, CURL);
  const urls = p.operands.filter((w) => w.value !== undefined && /^https?:\/\//i.test(w.value));
  if (urls.length !== 1 || p.options.has('-J') || p.options.has('--remote-header-name')) return undefined;
  const url = urls[0].value!;
  const out = p.options.get('-o') ?? p.options.get('--output');
  let file: string | undefined;
  if (out && out !== true) file = out.value && !STDOUT.has(out.value) ? out.value : undefined;
  else if (p.options.has('-O') || p.options.has('--remote-name')) file = urlBasename(url);
  const dir = p.options.get('--output-dir');
  if (!file || dir === true || (dir && dir.value === undefined)) return undefined;
  return { file: dir ? posix.join(dir.value!, file) : file, url };
}

/** Whether two spellings name the same file (`x`, `./x`, `/w/x` with WORKDIR /w). */
function sameFile(a: string, b: string, workdir: string | undefined): boolean {
  const abs = (p: string) => (p.startsWith('/') ? posix.normalize(p) : workdir ? posix.join(workdir, p) : posix.normalize(p));
  return abs(a) === abs(b);
}

const TAR_EXTRACT = /^(?:-?[A-Za-z]*x[A-Za-z]*|--extract|--get)$/;
const RPM_INSTALL = /^-[A-Za-z]*[iUF][A-Za-z]*$|^--(?:install|upgrade|freshen)$/;

/** How `cmd` uses `file` to run or install something, or undefined. */
function useOf(cmd: SimpleCommand, file: string, workdir: string | undefined): string | undefined {
  const is = (w: Word | undefined) => w?.value !== undefined && sameFile(w.value, file, workdir);
  const has = () => cmd.args.some(is) || cmd.args.some((w) => w.value !== undefined && /^--file=/.test(w.value) && sameFile(w.value.slice(7), file, workdir));
  if (cmd.program && is(cmd.program)) return 'is run';
  const spec = interpreter(cmd);
  if (spec && cmd.args.length > 0 && is(cmd.args.find((w) => !w.value?.startsWith('-')))) return `is run by '${cmd.name}'`;
  switch (cmd.name) {
    case 'tar':
    case 'bsdtar':
      return cmd.args.some((w) => w.value !== undefined && TAR_EXTRACT.test(w.value)) && has() ? 'is unpacked by tar' : undefined;
    case 'unzip':
    case '7z':
    case 'gunzip':
    case 'bunzip2':
    case 'unxz':
      return has() ? `is unpacked by ${cmd.name}` : undefined;
    case 'dpkg':
      return cmd.args.some((w) => w.value === '-i' || w.value === '--install') && has() ? 'is installed by dpkg' : undefined;
    case 'rpm':
      return cmd.args.some((w) => w.value !== undefined && RPM_INSTALL.test(w.value)) && has() ? 'is installed by rpm' : undefined;
    case 'apt':
    case 'apt-get':
    case 'dnf':
    case 'yum':
    case 'microdnf':
    case 'zypper':
    case 'apk':
      return has() ? `is installed by ${cmd.name}` : undefined;
    case 'chmod':
      return cmd.args.some((w) => w.value !== undefined && (/^[ugoa]*\+[rwX]*x/.test(w.value) || /^[0-7]?[0-7]*[1357][0-7]*$/.test(w.value))) && has() ? 'is made executable' : undefined;
    default:
      return undefined;
  }
}

function report(run: RunBlock, dl: SimpleCommand): { file: string; url: string; use: string } | undefined {
  const saved = savedFile(dl);
  if (!saved) return undefined;
  const later = run.commands.filter((c) => c.span.start >= dl.span.end);
  // Any digest or signature tool in the RUN counts as a check: it is not followed which file it reads.
  if (run.commands.some((c) => CHECKERS.test(c.name))) return undefined;
  for (const c of later) {
    const use = useOf(c, saved.file, run.workdir);
    if (use) return { ...saved, use };
  }
  return undefined;
}

export default defineRule({
  meta: {
    id: 'unverified-download',
    summary: 'Check a downloaded file (sha256sum -c) before running, unpacking or installing it',
    severity: 'warning',
    fixable: ['download-checksum'],
  },
  check(ctx) {
    for (const { cmd, run } of ctx.commands('curl', 'wget')) {
      const found = report(run, cmd);
      if (!found) continue;
      ctx.report({
        message: `${cmd.name} downloads '${found.url}' to '${found.file}', which ${found.use} without a checksum check: verify it first (echo '<sha256>  ${found.file}' | sha256sum -c -)`,
        span: cmd.span,
        fix: { kind: 'download-checksum', file: found.file, url: found.url },
      });
    }
  },
});
