import type { DockerfileModel, InstructionInfo } from '../parse/dockerfile';
import { logicalLine } from '../parse/dockerfile';
import type { Span } from '../util/text';
import { defineRule, type Report } from './types';
import { nearest } from '../util/nearest';

/**
 * What BuildKit's Dockerfile parser and its instruction parser refuse, with BuildKit's own messages (moby/buildkit
 * frontend/dockerfile/parser and instructions/parse.go), so the editor shows the error `docker build` would stop
 * at. BuildKit stops at the first; this reports every one. Things BuildKit accepts (malformed JSON falls back to
 * shell form; a lone CR; unbalanced shell quotes that fail only when the RUN runs) stay notes (src/run.ts).
 */

const INSTRUCTIONS = [
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER',
  'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
];
const EXACTLY_ONE = new Set(['MAINTAINER', 'WORKDIR', 'USER', 'STOPSIGNAL']);
const AT_LEAST_ONE = new Set(['EXPOSE', 'VOLUME', 'ARG', 'ONBUILD', 'SHELL', 'HEALTHCHECK', 'ENV', 'LABEL']);
/** Instructions whose arguments may be a JSON array (BuildKit's parseMaybeJSON / parseMaybeJSONToList). */
const JSON_FORM = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'ADD', 'COPY', 'VOLUME']);
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

/** A piece of the instruction's logical line (continuations joined) and where it is in the file. */
interface Piece {
  text: string;
  span: Span;
}

export default defineRule({
  meta: {
    id: 'syntax',
    summary: 'Dockerfile syntax BuildKit refuses: no instructions, unknown instructions, missing arguments, bad JSON arrays',
    severity: 'error',
    fixable: [],
  },
  check(ctx) {
    const { model } = ctx;
    const escape = invalidEscape(model);
    if (escape) ctx.report({ message: `invalid escape token '${escape.value}' does not match \` or \\`, span: escape.span });
    if (model.instructions.length === 0) {
      ctx.report({ message: 'file with no instructions', span: { start: 0, end: 0 } });
      return;
    }
    let seenFrom = false;
    let beforeFrom = false;
    for (const inst of model.instructions) {
      const keyword = keywordPiece(model, inst);
      if (inst.keyword === 'FROM') seenFrom = true;
      else if (!seenFrom && inst.keyword !== 'ARG' && INSTRUCTIONS.includes(inst.keyword)) {
        ctx.report({ message: 'no build stage in current context', span: keyword.span });
        beforeFrom = true;
      }
      for (const r of checkInstruction(model, inst.keyword, keyword, argumentsOf(model, inst, keyword.span.end))) ctx.report(r);
    }
    // BuildKit reads a here-document to its delimiter line; a file that ends first does not parse.
    for (const block of [...model.runs, ...model.copies]) {
      if (block.unterminatedHeredoc === undefined) continue;
      const inst = model.instructions.find((i) => i.span.start <= block.span.start && block.span.start <= i.span.end);
      if (inst) ctx.report({ message: 'unterminated heredoc', span: keywordPiece(model, inst).span });
    }
    // Only ARGs (or only unknown instructions): BuildKit gets through parsing and finds nothing to build.
    if (!seenFrom && !beforeFrom) ctx.report({ message: 'dockerfile contains no stages to build', span: keywordPiece(model, model.instructions[0]).span });
  },
});

function keywordPiece(model: DockerfileModel, inst: InstructionInfo): Piece {
  const m = /^[^\s]+/.exec(model.text.slice(inst.span.start, inst.span.end));
  const end = inst.span.start + (m ? m[0].length : 0);
  return { text: model.text.slice(inst.span.start, end), span: { start: inst.span.start, end } };
}

/**
 * The instruction's logical line after the keyword, with BuildKit's leading `--flags` removed, as a string
 * whose every character maps to a file offset.
 */
function argumentsOf(model: DockerfileModel, inst: InstructionInfo, from: number): Line {
  const end = inst.span.end;
  // One physical line (most instructions): no continuation to join, offsets are direct.
  const newline = model.text.indexOf('\n', from);
  if (newline < 0 || newline >= end) return skipFlags(trimmed({ text: model.text.slice(from, end).replace(/\r$/, ''), at: (i) => from + i }));
  return skipFlags(trimmed(logicalLine(model.text, from, end, model.escape)));
}

interface Line {
  text: string;
  /** File offset of character `i` (i may be text.length: the end). */
  at(i: number): number;
}

function sub(line: Line, start: number, end = line.text.length): Line {
  return { text: line.text.slice(start, end), at: (i) => line.at(start + i) };
}

function trimmed(line: Line): Line {
  const start = line.text.length - line.text.trimStart().length;
  return sub(line, start, line.text.trimEnd().length);
}

function spanOf(line: Line, start: number, end: number): Span {
  return end > start ? { start: line.at(start), end: line.at(end - 1) + 1 } : { start: line.at(start), end: line.at(start) };
}

/** Leading `--name[=value]` words are flags for every instruction (BuildKit's extractBuilderFlags). */
function skipFlags(line: Line): Line {
  let rest = line;
  while (rest.text.startsWith('--')) {
    const word = words(rest, '\\', 1)[0];
    rest = trimmed(sub(rest, word.end));
  }
  return rest;
}

/** `/\s/.test(c)` for one character: ASCII by its code (a regex call per character showed in profiles), the rest by the regex. */
function isSpace(c: string): boolean {
  const n = c.charCodeAt(0);
  return n < 128 ? n === 32 || (n >= 9 && n <= 13) : /\s/.test(c);
}

interface Word {
  text: string;
  start: number;
  end: number;
}

/**
 * Whitespace-separated words; quotes group, the escape character escapes (BuildKit's parseWords). At most
 * `limit` words: a flag needs only the first, and reading all the words of a long RUN for each of its flags
 * was most of this rule's time.
 */
function words(line: Line, escape: string, limit = Infinity): Word[] {
  const out: Word[] = [];
  const s = line.text;
  let i = 0;
  while (i < s.length && out.length < limit) {
    while (i < s.length && isSpace(s[i])) i++;
    if (i >= s.length) break;
    const start = i;
    let quote = '';
    for (; i < s.length; i++) {
      const c = s[i];
      if (quote) {
        if (c === quote) quote = '';
        else if (c === escape && quote !== "'") i++;
      } else if (isSpace(c)) break;
      else if (c === '"' || c === "'") quote = c;
      else if (c === escape) i++;
    }
    i = Math.min(i, s.length);
    out.push({ text: s.slice(start, i), start, end: i });
  }
  return out;
}

/** The array a JSON-form argument list decodes to, when it is one (anything else is shell form to BuildKit). */
function jsonArray(text: string): unknown[] | undefined {
  if (!text.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `trigger`: the instruction after ONBUILD, which BuildKit's parser reads (JSON arrays, ENV/LABEL pairs) but
 * whose arguments are only checked when a child image builds FROM this one.
 */
function checkInstruction(model: DockerfileModel, keyword: string, kw: Piece, args: Line, trigger = false): Report<never>[] {
  const whole = args.text ? spanOf(args, 0, args.text.length) : kw.span;
  const report = (message: string, span: Span = whole): Report<never>[] => [{ message, span }];
  if (trigger) {
    if (JSON_FORM.has(keyword) && jsonArray(args.text)?.some((v) => typeof v !== 'string')) return report('when using JSON array syntax, arrays must be comprised of strings only');
    return keyword === 'ENV' || keyword === 'LABEL' ? checkNameValues(keyword, args, model.escape).filter((r) => !r.message.endsWith('can not be blank')) : [];
  }
  if (!INSTRUCTIONS.includes(keyword)) {
    const guess = nearestInstruction(keyword);
    return report(`unknown instruction: ${kw.text}${guess ? ` (did you mean ${guess}?)` : ''}`, kw.span);
  }
  const json = JSON_FORM.has(keyword) ? jsonArray(args.text) : undefined;
  if (json?.some((v) => typeof v !== 'string')) return report('when using JSON array syntax, arrays must be comprised of strings only');
  if (args.text === '') {
    if (EXACTLY_ONE.has(keyword)) return report(`${keyword} requires exactly one argument`, kw.span);
    if (AT_LEAST_ONE.has(keyword)) return report(`${keyword} requires at least one argument`, kw.span);
  }
  switch (keyword) {
    case 'ENV':
    case 'LABEL':
      return checkNameValues(keyword, args, model.escape);
    case 'FROM': {
      const w = words(args, model.escape);
      if (w.length === 3 && w[1].text.toLowerCase() === 'as') {
        if (!STAGE_NAME.test(w[2].text.toLowerCase())) {
          return report(`invalid name for build stage: "${w[2].text}", name can't start with a number or contain symbols`, spanOf(args, w[2].start, w[2].end));
        }
        return [];
      }
      return w.length === 1 ? [] : report('FROM requires either one or three arguments');
    }
    case 'COPY':
    case 'ADD':
      return (json ? json.length : args.text.split(/\s+/).length) < 2 ? report(`${keyword} requires at least two arguments, but only one was provided. Destination could not be determined`) : [];
    case 'SHELL':
      return json ? (json.length ? [] : report('SHELL requires at least one argument')) : report('SHELL requires the arguments to be in JSON form');
    case 'ONBUILD': {
      const trigger = words(args, model.escape)[0];
      const name = trigger.text.toUpperCase();
      if (name === 'ONBUILD') return report('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed', spanOf(args, trigger.start, trigger.end));
      if (name === 'MAINTAINER' || name === 'FROM') return report(`${name} isn't allowed as an ONBUILD trigger`, spanOf(args, trigger.start, trigger.end));
      const triggerArgs = skipFlags(trimmed(sub(args, trigger.end)));
      return checkInstruction(model, name, { text: trigger.text, span: spanOf(args, trigger.start, trigger.end) }, triggerArgs, true);
    }
    case 'HEALTHCHECK': {
      const [type, ...rest] = words(args, model.escape);
      const name = type.text.toUpperCase();
      if (name === 'NONE') return rest.length ? report('HEALTHCHECK NONE takes no arguments') : [];
      if (name !== 'CMD') return report(`Unknown type "${name}" in HEALTHCHECK (try CMD)`, spanOf(args, type.start, type.end));
      const command = trimmed(sub(args, type.end));
      const jsonCommand = jsonArray(command.text);
      if (jsonCommand?.some((v) => typeof v !== 'string')) return report('when using JSON array syntax, arrays must be comprised of strings only');
      return (jsonCommand ? jsonCommand.length === 0 : command.text === '') ? report('Missing command after HEALTHCHECK CMD', spanOf(args, type.start, type.end)) : [];
    }
    default:
      return [];
  }
}

/** ENV and LABEL: `KEY value` (old form, needs a value) or `k=v k2=v2` (every word an assignment). */
function checkNameValues(keyword: string, args: Line, escape: string): Report<never>[] {
  const w = words(args, escape);
  if (w.length === 0) return [];
  if (!w[0].text.includes('=')) {
    return w.length < 2 ? [{ message: `${keyword} must have two arguments`, span: spanOf(args, w[0].start, w[0].end) }] : [];
  }
  const out: Report<never>[] = [];
  for (const word of w) {
    const span = spanOf(args, word.start, word.end);
    if (!word.text.includes('=')) out.push({ message: `Syntax error - can't find = in ${JSON.stringify(word.text)}. Must be of the form: name=value`, span });
    else if (word.text.startsWith('=')) out.push({ message: `${keyword} names can not be blank`, span });
  }
  return out;
}

/** The instruction a misspelt keyword was probably meant to be (one or two letters off). */
function nearestInstruction(keyword: string): string | undefined {
  return nearest(keyword, INSTRUCTIONS, 2);
}

/**
 * A `# escape=` parser directive whose value is not `\` or `` ` ``. Directives are the leading lines of the form
 * `# name=value` (the first other line, or an unknown name, ends them).
 */
function invalidEscape(model: DockerfileModel): { value: string; span: Span } | undefined {
  // Sticky: each directive is tried only where it must start (the file's start, then the next line), not
  // searched for through the whole file.
  const re = /^[ \t]*#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(\S.*?)[ \t]*\r?$/my;
  let expected = 0;
  for (let m = re.exec(model.text); m && m.index === expected; re.lastIndex = expected, m = re.exec(model.text)) {
    const name = m[1].toLowerCase();
    if (name === 'escape' && m[2] !== '\\' && m[2] !== '`') {
      const start = m.index + m[0].lastIndexOf(m[2], m[0].length - (m[0].endsWith('\r') ? 1 : 0));
      return { value: m[2], span: { start, end: start + m[2].length } };
    }
    if (name !== 'escape' && name !== 'syntax' && name !== 'check') return undefined;
    expected = m.index + m[0].length + 1;
  }
  return undefined;
}
