/**
 * Differential comparison of the shell lexer with tree-sitter-bash: for one script, the simple commands
 * each side finds, as lists of words (`raw@start-end`, Dockerfile offsets), matched as multisets.
 *
 * Where tree-sitter's tree is not what the shell does, or the lexer deliberately does more, the comparison
 * is normalised here or in treeSitterBash.ts, each with its reason. Everything else must agree exactly.
 */
import type { Parser } from 'web-tree-sitter';
import type { SimpleCommand, Source, Word } from '../../src/parse/shell';
import { treeSitterScript, type TsCommand, type TsWord } from './treeSitterBash';

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh']);

/** A command reduced to what both sides can tell: where it starts and its words. */
export interface DiffCommand {
  start: number;
  words: string[];
}

export interface ScriptDiff {
  /** Commands only the lexer found. */
  lexerOnly: DiffCommand[];
  /** Commands only tree-sitter found. */
  treeSitterOnly: DiffCommand[];
  /** Where tree-sitter could not parse (ERROR/MISSING nodes), as `text@offset`. */
  treeSitterErrors: string[];
  /** Commands compared (lexer side). */
  compared: number;
}

/** `raw@start-end`: the word as written and where it is in the Dockerfile. */
const key = (raw: string, start: number, end: number) => `${raw}@${start}-${end}`;

/** Shown in reports: the word as written. */
export const wordText = (k: string) => k.replace(/@\d+-\d+$/, '');

function fromLexer(c: SimpleCommand): DiffCommand {
  const words: string[] = [];
  let prev: Word | undefined;
  for (const w of [...c.assignments, ...c.words]) {
    // An unquoted expansion with blanks becomes one Word per field, all with the span of the expansion;
    // tree-sitter (like the source) has one word there.
    if (prev && prev.span.start === w.span.start && prev.span.end === w.span.end && prev.raw === w.raw) continue;
    words.push(key(w.raw, w.span.start, w.span.end));
    prev = w;
  }
  return { start: c.span.start, words };
}

function fromTreeSitter(c: TsCommand, src: Source): DiffCommand {
  // A word ends after its last character, as in the lexer (a joined line continuation may follow it).
  const k = (w: TsWord) =>
    key(w.text, src.offsets[w.start], w.end > w.start ? src.offsets[w.end - 1] + 1 : src.offsets[w.start]);
  return { start: src.offsets[c.start], words: [...c.assignments.map(k), ...c.words.map(k)] };
}

/**
 * tree-sitter-bash cannot parse a here-document redirection before the command name (`RUN <<EOT bash`, a
 * BuildKit idiom; valid shell): it reports an ERROR and reads the body as commands. Hand it the equivalent
 * `bash <<EOT` instead, a permutation of the first line that keeps every character's Dockerfile offset.
 */
function withHeredocAfterCommand(src: Source): Source {
  const m = /^([ \t]*)(<<-?[ \t]*(["']?)[A-Za-z_][\w.-]*\3)([ \t]+)([^\n;&|()<>]*)/.exec(src.text);
  if (!m || m[5].trim() === '') return src;
  const [all, lead, redirect, , gap, command] = m;
  const at = (from: number, length: number) => src.offsets.slice(from, from + length);
  const r = lead.length;
  const c = r + redirect.length + gap.length;
  return {
    text: lead + command + gap + redirect + src.text.slice(all.length),
    offsets: [
      ...at(0, r),
      ...at(c, command.length),
      ...at(r + redirect.length, gap.length),
      ...at(r, redirect.length),
      ...src.offsets.slice(all.length),
    ],
  };
}

/** tree-sitter's commands for a script, plus those of here-document bodies it feeds to a shell. */
function treeSitterCommands(parser: Parser, src: Source, out: DiffCommand[], errors: string[]): void {
  src = withHeredocAfterCommand(src);
  const script = treeSitterScript(parser, src.text);
  for (const c of script.commands) out.push(fromTreeSitter(c, src));
  for (const e of script.errors) errors.push(`${e.text}@${src.offsets[e.start]}`);
  for (const h of script.shellHeredocs) {
    treeSitterCommands(parser, { text: h.text, offsets: src.offsets.slice(h.start, h.end + 1) }, out, errors);
  }
}

/**
 * Compares the lexer's commands for `src` (all of them, nested ones included) with tree-sitter's.
 *
 * Deliberate difference: the lexer lexes the string of `sh -c '…'` as a script (tree-sitter sees a string).
 * The test parses that same string with tree-sitter too, so those commands are compared as well. Which
 * commands are `sh -c` is the lexer's decision (after unwrapping `sudo`/`env`/…; unit-tested separately).
 */
export function diffScript(parser: Parser, src: Source, lexed: SimpleCommand[]): ScriptDiff {
  const expected: DiffCommand[] = [];
  const treeSitterErrors: string[] = [];
  treeSitterCommands(parser, src, expected, treeSitterErrors);
  for (const c of lexed) {
    if (!SHELLS.has(c.name)) continue;
    // The same test as the lexer's unwrap(): `sh [-eux] -c 'script'`.
    const idx = c.args.findIndex((a) => a.value !== undefined && /^-[a-z]*c[a-z]*$/.test(a.value));
    const script = c.args[idx + 1];
    if (idx < 0 || !script || script.value === undefined) continue;
    const last = script.valueOffsets[script.valueOffsets.length - 1];
    const offsets = [...script.valueOffsets, last === undefined ? script.span.end : last + 1];
    treeSitterCommands(parser, { text: script.value, offsets }, expected, treeSitterErrors);
  }

  const actual = lexed.map(fromLexer);
  const remaining = new Map<string, number>();
  for (const c of expected) remaining.set(c.words.join(' '), (remaining.get(c.words.join(' ')) ?? 0) + 1);
  const lexerOnly = actual.filter((c) => {
    const n = remaining.get(c.words.join(' ')) ?? 0;
    remaining.set(c.words.join(' '), n - 1);
    return n <= 0;
  });
  const treeSitterOnly = expected.filter((c) => {
    const n = remaining.get(c.words.join(' ')) ?? 0;
    remaining.set(c.words.join(' '), n - 1);
    return n > 0;
  });
  return { lexerOnly, treeSitterOnly, treeSitterErrors, compared: actual.length };
}
