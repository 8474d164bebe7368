import { parseArgs } from '../parse/args';
import { CURL, WGET } from '../parse/tools/download';
import { interpreter, SHELL, type InterpreterSpec } from '../parse/tools/interpreter';
import type { SimpleCommand, Word } from '../parse/shell';
import type { RunBlock } from '../parse/dockerfile';
import type { Span } from '../util/text';
import { defineRule } from './types';

const STDOUT = new Set(['-', '/dev/stdout', '/proc/self/fd/1']);

/** True when the download goes to standard output (where a pipe or `$(…)` can hand it to an interpreter). */
function downloadsToStdout(cmd: SimpleCommand): boolean {
  if (cmd.name === 'wget') {
    const opts = parseArgs(cmd.args, WGET).options;
    const out = opts.get('-O') ?? opts.get('--output-document');
    return out !== undefined && out !== true && out.value !== undefined && STDOUT.has(out.value);
  }
  const opts = parseArgs(cmd.args, CURL).options;
  if (opts.has('-O') || opts.has('--remote-name') || opts.has('--remote-name-all')) return false;
  const out = opts.get('-o') ?? opts.get('--output');
  return out === undefined || (out !== true && out.value !== undefined && STDOUT.has(out.value));
}

/** Where an interpreter takes its program from: standard input, a word (inline code or a file), or elsewhere (`-m mod`). */
type Program = { stdin: true } | { stdin: false; word?: Word };

function programOf(args: Word[], spec: InterpreterSpec): Program {
  let shellCode = false;
  let stdinForced = false;
  for (let i = 0; i < args.length; i++) {
    let v = args[i].value;
    if (v === '--') {
      if (++i >= args.length || spec.argsAfterDashes) break;
      v = args[i].value === '-' ? '-' : '';
    } else if (v !== undefined && v.startsWith('--')) {
      const eq = v.indexOf('=');
      const name = eq >= 0 ? v.slice(0, eq) : v;
      const value = eq >= 0 ? args[i] : args[i + 1];
      if (spec.code.includes(name)) return { stdin: false, word: value };
      if (spec.longValue.includes(name) && eq < 0) i++;
      continue;
    } else if (v !== undefined && v.length > 1 && (v[0] === '-' || (v[0] === '+' && spec === SHELL))) {
      for (let j = 1; j < v.length; j++) {
        const o = `-${v[j]}`;
        const attached = j + 1 < v.length;
        if (/[0-9]/.test(v[j])) continue; // perl -l0, -0777: numeric arguments, not options
        if (spec.code.includes(o) && spec.codeIsOperand) shellCode = true;
        else if (spec.code.includes(o) || spec.other.includes(o)) return { stdin: false, word: attached ? args[i] : args[i + 1] };
        else if (o === spec.stdinOption) stdinForced = true;
        else if (spec.value.includes(v[j])) {
          if (!attached) i++;
          break;
        }
      }
      continue;
    }
    // The first operand: the program text (sh -c), '-' for stdin, or a script file.
    if (shellCode) return { stdin: false, word: args[i] };
    if (stdinForced || v === '-') return { stdin: true };
    return { stdin: false, word: args[i] };
  }
  return shellCode ? { stdin: false } : { stdin: true };
}

const within = (inner: Span, outer: Span) => outer.start <= inner.start && inner.end <= outer.end;

/** How `outer` runs the output of `dl` nested in it (`bash <(curl …)`, `sh -c "$(curl …)"`, `eval`, `.`), if it does. */
function runsNested(outer: SimpleCommand, dl: SimpleCommand): string | undefined {
  const holder = outer.args.find((a) => within(dl.span, a.span));
  if (outer.name === 'eval') return holder ? 'eval' : undefined;
  if (outer.name === '.' || outer.name === 'source') return holder && holder === outer.args[0] ? outer.name : undefined;
  const spec = interpreter(outer);
  if (!spec) return undefined;
  const program = programOf(outer.args, spec);
  if (holder) return !program.stdin && program.word === holder ? outer.name : undefined;
  // Not an argument: a redirection such as `bash < <(curl …)` feeds standard input.
  const elsewhere = [...outer.assignments, ...(outer.program ? [outer.program] : [])].some((w) => within(dl.span, w.span));
  return program.stdin && !elsewhere ? outer.name : undefined;
}

/** The interpreter that reads `dl`'s output through a pipe (`curl … | sh`, also via `| tee f |`), if any. */
function pipedInto(run: RunBlock, dl: SimpleCommand): string | undefined {
  const later = run.commands
    .filter((c) => c.pipeline === dl.pipeline && c.pipeIndex > dl.pipeIndex)
    .sort((a, b) => a.pipeIndex - b.pipeIndex);
  for (const c of later) {
    const spec = interpreter(c);
    // `| xargs sh` gives the data as arguments (file names), not as the program.
    if (spec && !c.wrappers.includes('xargs') && programOf(c.args, spec).stdin) return c.name;
  }
  return undefined;
}

export default defineRule({
  meta: {
    id: 'curl-pipe-shell',
    summary: 'Do not pipe a download into a shell or interpreter',
    severity: 'warning',
    fixable: ['script-checksum'],
  },
  check(ctx) {
    for (const { cmd, run } of ctx.commands('curl', 'wget')) {
      if (!downloadsToStdout(cmd)) continue;
      const piped = pipedInto(run, cmd);
      const nested = piped ? undefined : cmd.parent && runsNested(cmd.parent, cmd);
      const runner = piped ?? nested;
      if (!runner) continue;
      const how = piped ? `is piped into '${piped}'` : `is run by '${nested}'`;
      ctx.report({
        message: `${cmd.name} output ${how} without any check: download to a file, verify its sha256 (sha256sum -c), then run the file`,
        span: cmd.span,
        // The fixer (src/fixers/script-checksum.ts) finds the command again at this span.
        fix: { kind: 'script-checksum', form: piped ? 'pipe' : 'nested', interpreter: runner },
      });
    }
  },
});
