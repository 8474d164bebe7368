/**
 * `script-checksum` (curl-pipe-shell): `curl -fsSL URL | sh -s -- -y` becomes
 * `curl -fsSL URL > /tmp/i.sh && echo '<hex>  /tmp/i.sh' | sha256sum -c - && sh /tmp/i.sh -y && rm -f /tmp/i.sh`:
 * the script is saved, checked against the sha256 of what the URL serves now (src/resolve/download.ts, the
 * lock), then run by the same interpreter with the same options and arguments. Also `sh -c "$(curl …)"` and
 * `bash <(curl …)`. The download command and everything else in the RUN stay byte-identical.
 *
 * Unsafe: the script now sees its file name as `$0`, a failed download stops the RUN (a pipe ran an empty
 * script), and the installer may still download more things itself. Left: a URL from a variable, several
 * URLs, request options dockrepro does not repeat (headers, credentials, data), a redirect curl would not
 * follow (no `-L`), interpreters whose program operand is not simple to replace.
 */
import type { SimpleCommand, Word } from '../parse/shell';
import { SHELL, interpreter } from '../parse/tools/interpreter';
import type { Fix, Fixer, FixerContext, FindingOf } from './types';
import { PLAIN, check, digestOf, downloadAt, urlOf } from './downloadCommand';
import { NotFixed } from '../util/notFixed';

/** Where the script is saved: /tmp and the URL's file name when it is a plain one. */
function scriptPath(url: string): string {
  const name = new URL(url).pathname.split('/').pop() ?? '';
  return `/tmp/${/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name) ? name : 'installer'}`;
}

/**
 * The interpreter's arguments with the script file in place of standard input (`sh -s -- -y` → `sh FILE -y`),
 * as written text; undefined when the words are not simple enough to rewrite.
 */
function argsWithFile(interp: SimpleCommand, file: string): string[] | undefined {
  const spec = interpreter(interp);
  if (!spec) return undefined;
  const raws = interp.args.map((w) => w.raw);
  if (spec !== SHELL) {
    // python3 - args, perl - args, or no operand at all.
    if (raws.length === 0) return [file];
    if (interp.args[0].value === '-') return [file, ...raws.slice(1)];
    return undefined;
  }
  const out: string[] = [];
  for (let i = 0; i < interp.args.length; i++) {
    const w: Word = interp.args[i];
    const v = w.value;
    if (v === undefined) return undefined;
    if (v === '--' || v === '-') return [...out, file, ...raws.slice(i + 1)];
    if (v.startsWith('--')) {
      if (spec.longValue.includes(v)) out.push(w.raw, interp.args[++i]?.raw ?? '');
      else out.push(w.raw);
      continue;
    }
    if (v.length > 1 && (v[0] === '-' || v[0] === '+')) {
      if (/c/.test(v.slice(1))) return undefined;
      // `-s` makes the shell read stdin: dropped (also from a bundle such as `-es`, when written plainly).
      const kept = v[0] + v.slice(1).replace(/s/g, '');
      if (kept !== v && w.raw !== v) return undefined;
      if (kept.length > 1) out.push(kept === v ? w.raw : kept);
      // `-o pipefail`: the option's value is the next word.
      if (/[oO]$/.test(v)) out.push(interp.args[++i]?.raw ?? '');
      continue;
    }
    return [...out, file, ...raws.slice(i)];
  }
  return [...out, file];
}

async function fixOne(finding: FindingOf<'script-checksum'>, ctx: FixerContext): Promise<Fix | NotFixed> {
  const at = downloadAt(ctx.model, finding);
  if (!at) return new NotFixed('the download command was not found at this place', 'failed');
  const { run, cmd } = at;
  const text = ctx.model.text;
  const target = urlOf(cmd);
  if (target instanceof NotFixed) return target;
  const file = scriptPath(target.url);

  // What to rewrite: [start, end) of the RUN text, and the interpreter command to run the file with.
  let start: number;
  let end: number;
  let joint: string;
  let interp: SimpleCommand;
  if (finding.fix.form === 'pipe') {
    const next = run.commands.filter((c) => c.pipeline === cmd.pipeline && c.pipeIndex > cmd.pipeIndex);
    if (next.length !== 1 || next[0].pipeIndex !== cmd.pipeIndex + 1) return new NotFixed('the download goes through other commands before the interpreter: rewrite it by hand', 'no-fixer');
    interp = next[0];
    const between = text.slice(cmd.span.end, interp.span.start);
    if (!/^(?:[ \t]|\\\r?\n)*\|(?:[ \t\n]|\\\r?\n)*$/.test(between)) return new NotFixed('the pipe into the interpreter is not written plainly: rewrite it by hand', 'no-fixer');
    [start, end, joint] = [cmd.span.end, interp.span.end, between];
  } else {
    interp = cmd.parent!;
    const holder = interp?.args.find((a) => a.span.start <= cmd.span.start && cmd.span.end <= a.span.end);
    const inner = text.slice(cmd.span.start, cmd.span.end);
    const shape = holder && interpreter(interp) === SHELL && interp.args.length === 2 && interp.args[0].value === '-c' && holder === interp.args[1] && (holder.raw === `"$(${inner})"` || holder.raw === `"\`${inner}\`"`);
    const fed = holder && interpreter(interp) && holder === interp.args[0] && holder.raw === `<(${inner})`;
    if (!interp || !(shape || fed)) return new NotFixed("only `sh -c \"$(curl …)\"` and `bash <(curl …)` are rewritten among nested downloads: rewrite this one by hand", 'no-fixer');
    // The download moves in front; the interpreter keeps its program word and runs the file.
    const program = interp.program!;
    const rest = fed ? interp.args.slice(1).map((w) => w.raw) : [];
    const newInterp = `${text.slice(interp.span.start, program.span.end)} ${[file, ...rest].join(' ')}`;
    if (!ctx.packages) return new NotFixed(`needs downloading '${target.url}'`, 'needs-network');
    const got = await digestOf(ctx, target);
    if (got instanceof NotFixed) return got;
    const replacement = `${inner} > ${file} && ${check(got.hex, file)} && ${newInterp} && rm -f ${file}`;
    return fixFor(interp.span.start, interp.span.end, replacement, target.url, got);
  }
  const args = argsWithFile(interp, file);
  if (!args || !interp.program || !PLAIN.test(file)) return new NotFixed(`the options of '${interp.name}' are not simple to rewrite: save the script, check it and run it by hand`, 'no-fixer');
  const lastArgEnd = interp.args.length > 0 ? interp.args[interp.args.length - 1].span.end : interp.program.span.end;
  const newInterp = `${text.slice(interp.span.start, interp.program.span.end)} ${args.join(' ')}${text.slice(lastArgEnd, interp.span.end)}`;
  if (!ctx.packages) return new NotFixed(`needs downloading '${target.url}'`, 'needs-network');
  const got = await digestOf(ctx, target);
  if (got instanceof NotFixed) return got;
  const replacement = ` > ${file}${joint.replace('|', `&& ${check(got.hex, file)} &&`)}${newInterp} && rm -f ${file}`;
  return fixFor(start, end, replacement, target.url, got);
}

function fixFor(start: number, end: number, text: string, url: string, got: { hex: string; explanation: string }): Fix {
  return {
    title: `save '${url}', check its sha256 ${got.hex.slice(0, 12)}… (${got.explanation}), then run it`,
    edits: [{ start, end, text }],
    applicability: 'unsafe',
  };
}

const fixer: Fixer<'script-checksum'> = {
  kind: 'script-checksum',
  fix(findings, ctx) {
    return Promise.all(findings.map((f) => fixOne(f, ctx)));
  },
};

export default fixer;
