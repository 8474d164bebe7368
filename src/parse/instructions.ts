/**
 * Dockerfile instructions read straight from the text, for the model (src/parse/dockerfile.ts): parser
 * directives and the escape character, each instruction's keyword and ranges, its arguments (escapes removed),
 * leading `--flags` with their options, the JSON strings of an exec form, FROM's image and stage name, the
 * instruction an ONBUILD triggers. Read as dockerfile-ast 0.7.1 reads them (the same instruction boundaries,
 * here-document bodies included, the same argument values and ranges, the same quirks), without building its
 * objects: building them was a third of a corpus lint (profile in the report of issue 10's speed targets).
 *
 * Two answers come from dockerfile-ast in their rarer forms, asked about one instruction: ARG/ENV properties
 * with escapes, comments or quotes across lines (plain ones, continued with ` \` or not, are read here) and
 * here-documents in instructions with the escape character or a CR (the others are read here). Only that
 * instruction's text is parsed, behind an escape directive, and its ranges are moved back into the file.
 *
 * Equivalence: test/parse/instructions.test.ts builds the model this way and from dockerfile-ast's objects
 * (test/helpers/astModel.ts, the model builder as it was) over the corpus and generated and mutated files.
 */
import type { Instruction } from 'dockerfile-ast';
import { LineIndex, type Span } from '../util/text';

let astParser: typeof import('dockerfile-ast').DockerfileParser | undefined;

/**
 * dockerfile-ast, loaded when an instruction first needs it (a cold lint of a file without quoted ARGs or
 * here-documents does not load it), with its caches (src/parse/astCache.ts).
 */
function dockerfileParser(): typeof import('dockerfile-ast').DockerfileParser {
  if (!astParser) {
    (require('./astCache') as typeof import('./astCache')).cacheDockerfileAst();
    astParser = (require('dockerfile-ast') as typeof import('dockerfile-ast')).DockerfileParser;
  }
  return astParser;
}

/** One argument: its value with escapes removed (`\$` kept), and its range in the file. */
export interface Token {
  value: string;
  span: Span;
}

export interface FlagOptionToken {
  name: string;
  value: string | null;
  valueSpan: Span | null;
}

/** A leading `--name[=value]` of RUN, COPY, ADD or FROM. */
export interface FlagToken {
  name: string;
  span: Span;
  value: string | null;
  valueSpan: Span | null;
  /** `a=b,c=d` parts of the value (RUN --mount). */
  options: FlagOptionToken[];
}

export interface PropertyToken {
  name: string;
  value: string | null;
  valueSpan: Span | null;
}

export interface HeredocToken {
  name: string;
  contentSpan: Span | null;
  /** False when the file ends before the delimiter line. */
  terminated: boolean;
}

export interface InstructionToken {
  /** Upper-cased, as written (escapes inside a keyword included, as dockerfile-ast keeps them). */
  keyword: string;
  span: Span;
  keywordSpan: Span;
  /** Every argument after the keyword, flags included. */
  args: Token[];
  /** For an ONBUILD's trigger: the ONBUILD. */
  onbuild?: InstructionToken;
}

export interface DirectiveToken {
  name: string;
  valueSpan: Span;
}

export interface DockerfileTokens {
  escape: string;
  directives: DirectiveToken[];
  instructions: InstructionToken[];
}

/** Arguments are read when first asked for: the model reads none of CMD, LABEL, EXPOSE, USER… */
class LazyInstruction implements InstructionToken {
  private scanned?: Token[];
  onbuild?: InstructionToken;

  constructor(
    private readonly text: string,
    private readonly escape: string,
    readonly keyword: string,
    readonly span: Span,
    readonly keywordSpan: Span,
  ) {}

  get args(): Token[] {
    return (this.scanned ??= scanArguments(this.text, this.keywordSpan.end, this.span.end, this.escape));
  }
}

const isBlank = (c: string) => c === ' ' || c === '\t';
const isBreak = (c: string) => c === '\r' || c === '\n';

/**
 * dockerfile-ast turns offsets into line/character positions and back; an offset between the CR and LF of a
 * CRLF comes back as the CR's. Every offset given out here is moved the same way.
 */
function settle(text: string, offset: number): number {
  return offset > 0 && text.charCodeAt(offset) === 10 && text.charCodeAt(offset - 1) === 13 ? offset - 1 : offset;
}

/** Reads the directives, instructions and arguments of a Dockerfile (BOM removed or not). Never throws. */
export function tokenize(text: string): DockerfileTokens {
  const { directives, escape, start } = readDirectives(text);
  const n = text.length;
  const instructions: InstructionToken[] = [];

  /** One instruction: its arguments are read over [keyword end, end). */
  const make = (keyword: string, start: number, keywordEnd: number, end: number): InstructionToken => {
    const span = { start: settle(text, start), end: settle(text, end) };
    const keywordSpan = { start: span.start, end: settle(text, keywordEnd) };
    return new LazyInstruction(text, escape, keyword.toUpperCase(), span, keywordSpan);
  };

  /** Where an instruction whose first line ends at `lineEnd` ends: after its here-document bodies, if any. */
  const heredocsEnd = (first: InstructionToken, lineEnd: number): number => {
    let inst: InstructionToken | undefined = first;
    if (inst.keyword === 'ONBUILD') inst = trigger(text, inst, escape);
    if (!inst || (inst.keyword !== 'ADD' && inst.keyword !== 'COPY' && inst.keyword !== 'RUN')) return lineEnd;
    let tabbed = false;
    const names: string[] = [];
    for (const a of argumentsOf(inst)) {
      if (!a.value.startsWith('<<') || a.value.length <= 2) continue;
      if (a.value.startsWith('<<-')) tabbed = true;
      const name = heredocName(a.value);
      if (name !== null) names.push(name);
    }
    let end = lineEnd;
    for (const name of names) end = heredocBodyEnd(text, name, end, tabbed);
    return end;
  };

  const breakOrEscape = escape === '\\' ? /[\\\r\n]/g : escape === '`' ? /[`\r\n]/g : undefined;

  /** The arguments from `offset` to the end of the instruction (continuations and comment lines inside it). */
  const readArguments = (keyword: string, start: number, keywordEnd: number, offset: number): InstructionToken => {
    let escaped = false;
    for (let i = offset + 1; i < n; i++) {
      if (!escaped && breakOrEscape) {
        // Outside a continuation only a line break or the escape character matters: jump to the next one.
        breakOrEscape.lastIndex = i;
        const found = breakOrEscape.exec(text);
        if (!found) break;
        i = found.index;
      }
      const c = text[i];
      if (isBreak(c)) {
        if (escaped) continue;
        const first = make(keyword, start, keywordEnd, i);
        const end = heredocsEnd(first, i);
        return end === i ? first : make(keyword, start, keywordEnd, end);
      }
      if (c === escape) {
        const next = i + 1 < n ? text[i + 1] : '';
        if (isBreak(next)) {
          escaped = true;
          i++;
        } else if (isBlank(next)) {
          let j = i + 2;
          while (j < n && isBlank(text[j])) j++;
          if (j >= n) return make(keyword, start, keywordEnd, n);
          if (isBreak(text[j])) escaped = true;
          i = j; // the character after the blanks is passed over, as dockerfile-ast does
        }
        continue;
      }
      if (c === '#') {
        if (escaped) i = lineEndAt(text, i);
        continue;
      }
      if (!isBlank(c)) escaped = false;
    }
    return make(keyword, start, keywordEnd, n);
  };

  /** The instruction starting at `start` (its first character is not blank); returns it and where it ends. */
  const readInstruction = (start: number): InstructionToken => {
    let keyword = text[start];
    let keywordEnd = -1;
    let escaped = false;
    for (let i = start + 1; i < n; i++) {
      const c = text[i];
      if (c === escape) {
        escaped = true;
        const next = i + 1 < n ? text[i + 1] : '';
        if (isBreak(next)) {
          if (keywordEnd === -1) keywordEnd = i;
          i++;
        } else if (isBlank(next)) {
          let j = i + 2;
          while (j < n && isBlank(text[j])) j++;
          keywordEnd = j < n && isBreak(text[j]) ? keywordEnd : i + 1;
          if (j >= n) return make(keyword + escape, start, keywordEnd, n);
          if (isBreak(text[j])) {
            i = j;
            continue;
          }
          keyword += escape;
          i = j - 2;
        } else {
          keywordEnd = i + 1;
          keyword += escape;
          escaped = false;
        }
      } else if (isBlank(c)) {
        if (escaped) {
          let j = i + 1;
          while (j < n && isBlank(text[j])) j++;
          if (j < n && isBreak(text[j])) {
            i = j;
            continue;
          }
          escaped = false;
        }
        if (keywordEnd === -1) keywordEnd = i;
        return readArguments(keyword, start, keywordEnd, i);
      } else if (isBreak(c)) {
        if (escaped) continue;
        return make(keyword, start, i, i);
      } else if (c === '#' && escaped) {
        continue;
      } else {
        keywordEnd = i + 1;
        keyword += c;
        escaped = false;
      }
    }
    return make(keyword, start, keywordEnd === -1 ? n : keywordEnd, n);
  };

  for (let i = start; i < n; i++) {
    const c = text[i];
    if (isBlank(c) || isBreak(c)) continue;
    if (c === '#') {
      i = lineEndAt(text, i);
      continue;
    }
    const inst = readInstruction(i);
    instructions.push(inst);
    // The end of the instruction (a line break, or the end of the file) is passed over by the loop.
    i = inst.span.end;
  }
  return { escape, directives, instructions };
}

/** Index of the first line break at or after `from` (or the text's length). */
function lineEndAt(text: string, from: number): number {
  for (let i = from + 1; i < text.length; i++) if (isBreak(text[i])) return i;
  return text.length;
}

/**
 * Parser directives: `# name=value` lines at the top of the file, until a blank line, a comment without `=`
 * or an instruction. Returns where instructions start (the line after the last directive) and the escape
 * character (the first `escape` directive whose value is `\` or a backtick).
 */
function readDirectives(text: string): { directives: DirectiveToken[]; escape: string; start: number } {
  const n = text.length;
  const directives: DirectiveToken[] = [];
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  scan: for (let i = bom; i < n; i++) {
    const c = text[i];
    if (isBlank(c)) continue;
    if (c !== '#') break;
    let nameStart = -1;
    let nameEnd = -1;
    for (let j = i + 1; j < n; j++) {
      const d = text[j];
      if (isBlank(d)) {
        if (nameStart !== -1 && nameEnd === -1) nameEnd = j;
      } else if (isBreak(d)) {
        break scan;
      } else if (d === '=') {
        if (nameEnd === -1) nameEnd = j;
        let valueStart = -1;
        let valueEnd = -1;
        let lineEnd = n;
        for (let k = j + 1; k < n; k++) {
          const e = text[k];
          if (isBreak(e)) {
            if (valueStart !== -1 && valueEnd === -1) valueEnd = k;
            lineEnd = k;
            break;
          }
          if (isBlank(e)) {
            if (valueStart !== -1 && valueEnd === -1) valueEnd = k;
          } else if (valueStart === -1) valueStart = k;
        }
        if (nameStart === -1) break scan;
        if (valueStart === -1) {
          valueStart = j + 1;
          valueEnd = lineEnd;
        } else if (valueEnd === -1) valueEnd = n;
        directives.push({ name: text.slice(nameStart, nameEnd), valueSpan: { start: settle(text, valueStart), end: settle(text, valueEnd) } });
        // Resumes after the value (after its CR, if one ends it), as dockerfile-ast does.
        i = text[valueEnd] === '\r' ? valueEnd + 1 : valueEnd;
        continue scan;
      } else if (nameStart === -1) nameStart = j;
    }
    // A comment without `=` that ends the file: no directive on it.
  }
  let escape = '\\';
  for (const d of directives) {
    if (d.name.toLowerCase() !== 'escape') continue;
    const v = text.slice(d.valueSpan.start, d.valueSpan.end);
    if (v === '\\' || v === '`') {
      escape = v;
      break;
    }
  }
  let start = bom;
  if (directives.length > 0) {
    // The start of the line after as many lines as there are directives.
    start = n;
    let line = 0;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
        if (++line === directives.length) {
          start = i + 1;
          break;
        }
      }
    }
  }
  return { directives, escape, start };
}

/**
 * The arguments in [from, to): words split at blanks, line continuations joined, comment lines inside a
 * continuation skipped, escapes removed (an escaped `$` keeps its escape for variable expansion). Ranges end
 * before a continuation's escape.
 */
function scanArguments(text: string, from: number, to: number, escape: string): Token[] {
  const args: Token[] = [];
  let found = -1; // where the current argument starts
  let marker = -1; // the escape that ended it, when a continuation did
  let value = '';
  let piece = -1; // start of the run of literal characters not yet added to `value`
  let escaping = false; // inside a line continuation (after an escaped line break, before the next word)
  let blankInContinuation = false;
  let comment = false;
  let lineStart = false;
  const escapeCode = escape.charCodeAt(0);
  const flushPiece = (end: number) => {
    if (piece !== -1) value += text.slice(piece, end);
    piece = -1;
  };
  const push = (end: number) => {
    // An argument closed before it started (an escape before blanks, then a word, in a continuation) starts,
    // as in dockerfile-ast, one character before the arguments.
    const start = found === -1 ? Math.max(0, from - 1) : found;
    args.push({ value, span: { start: settle(text, start), end: settle(text, end) } });
    value = '';
    found = -1;
    marker = -1;
  };
  for (let i = from; i < to; i++) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      flushPiece(i);
      if (escaping) {
        if (c === '\r' || c === '\n') {
          blankInContinuation = false;
          if (comment) {
            comment = false;
            lineStart = true;
          }
        } else blankInContinuation = true;
        continue;
      }
      if (found !== -1) push(marker === -1 ? i : marker);
    } else if (c === escape) {
      flushPiece(i);
      const next = i + 1 < to ? text[i + 1] : '';
      if (next === ' ' || next === '\t') {
        let j = i + 2;
        while (j < to && isBlank(text[j])) j++;
        if (j < to) {
          if (isBreak(text[j])) {
            if (text[j] === '\r') j++;
            comment = false;
            escaping = true;
            lineStart = true;
            if (found !== -1) marker = i;
            i = j;
          } else {
            marker = i;
            if (found === -1) i = j - 1;
          }
        }
      } else if (isBreak(next)) {
        comment = false;
        escaping = true;
        lineStart = true;
        if (found !== -1 && marker === -1) marker = i;
        i += next === '\r' ? 2 : 1;
      } else {
        if (blankInContinuation && marker !== -1) push(marker);
        marker = -1;
        blankInContinuation = false;
        escaping = false;
        if (next === '') break;
        value += next === '$' ? c + next : next;
        if (found === -1) found = i;
        i++;
      }
    } else if (!comment) {
      if (lineStart && c === '#') comment = true;
      else {
        if (blankInContinuation && marker !== -1) {
          flushPiece(i);
          push(marker);
        }
        blankInContinuation = false;
        escaping = false;
        marker = -1;
        if (piece === -1) piece = i;
        if (found === -1) found = i;
        // The rest of the word up to a blank, a line break or an escape needs no state change: skipped at once.
        while (i + 1 < to) {
          const k = text.charCodeAt(i + 1);
          if (k === 32 || k === 9 || k === 10 || k === 13 || k === escapeCode) break;
          i++;
        }
      }
      lineStart = false;
    }
  }
  flushPiece(to);
  if (found !== -1) push(marker === -1 ? to : marker);
  return args;
}

/** The name a `<<NAME` / `<<-"NAME"` argument declares; null when it declares none. */
function heredocName(value: string): string | null {
  let v = value.slice(2);
  if (v[0] === '-') v = v.slice(1);
  for (const q of ['"', "'"]) {
    if (v[0] !== q) continue;
    if (v[v.length - 1] !== q) return null;
    v = v.slice(1, v.length - 1);
  }
  return v[0] === '<' ? null : v;
}

/**
 * Where a here-document body that starts at `from` ends: at the line break after a line that is exactly
 * `name` (leading tabs allowed when `tabbed`), else at the end of the file.
 */
function heredocBodyEnd(text: string, name: string, from: number, tabbed: boolean): number {
  let word = -1;
  let lineStart = true;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === ' ' || (c === '\t' && !tabbed)) lineStart = false;
    else if (c === '\t') continue;
    else if (isBreak(c)) {
      if (word !== -1 && text.slice(word, i) === name) return i;
      word = -1;
      lineStart = true;
    } else if (lineStart) {
      word = i;
      lineStart = false;
    }
  }
  return text.length;
}

/** Keywords whose leading `--words` are flags (the others: none). */
const FLAGGED = new Set(['RUN', 'COPY', 'ADD', 'FROM']);

/** The leading flags: each argument starting with `--`, until one without `--` anywhere in it. */
export function flagsOf(text: string, inst: InstructionToken): FlagToken[] {
  if (!FLAGGED.has(inst.keyword)) return [];
  const flags: FlagToken[] = [];
  for (const a of inst.args) {
    const value = a.value;
    const dashes = value.indexOf('--');
    if (dashes === -1) break;
    if (dashes !== 0) continue;
    const raw = text.slice(a.span.start, a.span.end);
    const eqRaw = raw.indexOf('=');
    const eq = value.indexOf('=');
    if (eqRaw === -1) flags.push({ name: value.substring(2), span: a.span, value: null, valueSpan: null, options: [] });
    else if (eqRaw === value.length - 1) {
      flags.push({ name: value.substring(2, eqRaw), span: a.span, value: '', valueSpan: { start: a.span.end, end: a.span.end }, options: [] });
    } else {
      const flagValue = value.substring(eq + 1);
      const valueSpan = { start: settle(text, a.span.start + eqRaw + 1), end: a.span.end };
      flags.push({ name: value.substring(2, eq), span: a.span, value: flagValue, valueSpan, options: flagOptions(text, flagValue, valueSpan.start) });
    }
  }
  return flags;
}

/** `name=value` options split at commas (as dockerfile-ast splits them, `=` and `,` inside values included). */
function flagOptions(text: string, value: string, offset: number): FlagOptionToken[] {
  const options: FlagOptionToken[] = [];
  const option = (nameStart: number, valueStart: number, end: number): FlagOptionToken =>
    valueStart === -1
      ? { name: value.substring(nameStart, end), value: null, valueSpan: null }
      : {
          name: value.substring(nameStart, valueStart - 1),
          value: value.substring(valueStart, end),
          valueSpan: { start: settle(text, offset + valueStart), end: settle(text, offset + end) },
        };
  let nameStart = -1;
  let valueStart = -1;
  let hasOptions = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '=') {
      hasOptions = true;
      if (valueStart === -1) valueStart = i + 1;
    } else if (c === ',') {
      options.push(option(nameStart, valueStart, i));
      nameStart = -1;
      valueStart = -1;
    } else if (nameStart === -1) nameStart = i;
  }
  if (hasOptions && nameStart !== -1) options.push(option(nameStart, valueStart, value.length));
  return options;
}

/** The arguments after the flags (for keywords without flags, all of them). */
export function argumentsOf(inst: InstructionToken, flagCount?: number): Token[] {
  if (!FLAGGED.has(inst.keyword)) return inst.args;
  const skip = flagCount ?? leadingFlagCount(inst);
  return skip === 0 ? inst.args : inst.args.slice(skip);
}

function leadingFlagCount(inst: InstructionToken): number {
  let count = 0;
  for (const a of inst.args) {
    const dashes = a.value.indexOf('--');
    if (dashes === -1) break;
    if (dashes === 0) count++;
  }
  return count;
}

/**
 * The ranges of the JSON strings of an exec form (`["a", "b"]`), the quotes included, as far as the text
 * reads as a JSON array of strings; undefined when there are none (shell form).
 */
export function jsonStrings(text: string, inst: InstructionToken): Span[] | undefined {
  const args = argumentsOf(inst);
  if (args.length === 0) return undefined;
  if (args.length === 1 && args[0].value === '[]') return undefined;
  if (args.length === 2 && args[0].value === '[' && args[1].value === ']') return undefined;
  const from = args[0].span.start;
  const to = args[args.length - 1].span.end;
  const strings: Span[] = [];
  let start = -1;
  let last = '';
  let quoted = false;
  scan: for (let i = from; i < to; i++) {
    const c = text[i];
    switch (c) {
      case '[':
        if (last === '') last = '[';
        else if (!quoted) break scan;
        break;
      case '"':
        if (last === '[' || last === ',') {
          start = i;
          quoted = true;
          last = '"';
        } else if (last === '"' && quoted) {
          quoted = false;
          strings.push({ start: settle(text, start), end: settle(text, i + 1) });
        } else break scan;
        break;
      case ',':
        if (quoted) break;
        if (last !== '"') break scan;
        last = ',';
        break;
      case ']':
        if (!quoted && last !== '') break scan;
        break;
      case ' ':
      case '\t':
        break;
      case '\\': {
        const next = i + 1 < to ? text[i + 1] : '';
        if (quoted) {
          if (next === '"' || next === '\\') {
            i++;
            continue scan;
          }
          if (next !== ' ' && next !== '\t') {
            i += next === '\r' ? 2 : 1;
            continue scan;
          }
        }
        // A backslash before blanks and a line break continues the array; anything else ends it.
        let j = quoted ? i + 2 : i + 1;
        while (j < to && isBlank(text[j])) j++;
        if (j < to && isBreak(text[j])) {
          i = text[j] === '\r' ? j + 1 : j;
          continue scan;
        }
        break scan;
      }
      default:
        if (!quoted) break scan;
    }
  }
  return strings.length ? strings : undefined;
}

/** FROM's image argument and `AS name` (as written), after the flags. */
export function fromParts(text: string, inst: InstructionToken): { image: Span | null; stage: string | null } {
  const args = argumentsOf(inst);
  return {
    image: args.length ? args[0].span : null,
    stage: args.length > 2 && args[1].value.toUpperCase() === 'AS' ? text.slice(args[2].span.start, args[2].span.end) : null,
  };
}

/** The instruction an ONBUILD runs (its first argument is the keyword); undefined without one. */
export function trigger(text: string, onbuild: InstructionToken, escape: string): InstructionToken | undefined {
  const first = onbuild.args[0];
  if (!first) return undefined;
  const keyword = text.slice(first.span.start, first.span.end).toUpperCase();
  const span = { start: first.span.start, end: onbuild.span.end };
  const triggered = new LazyInstruction(text, escape, keyword, span, first.span);
  triggered.onbuild = onbuild;
  return triggered;
}

/** dockerfile-ast's object for one instruction, parsed alone (behind the file's escape directive). */
function astInstruction(text: string, inst: InstructionToken, escape: string): { node: Instruction; span(r: AstRange): Span } {
  const outer = inst.onbuild ?? inst;
  const prefix = `# escape=${escape}\n`;
  const source = prefix + text.slice(outer.span.start, outer.span.end);
  const lines = new LineIndex(source);
  const parsed = dockerfileParser().parse(source).getInstructions()[0];
  const node = inst.onbuild ? (parsed as unknown as { getTriggerInstruction(): Instruction }).getTriggerInstruction() : parsed;
  const shift = outer.span.start - prefix.length;
  const at = (p: AstRange['start']) => lines.offset(p.line, p.character) + shift;
  return { node, span: (r) => ({ start: at(r.start), end: at(r.end) }) };
}

interface AstRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** ARG/ENV `name=value` pairs (or `ENV name value`), values unquoted and unescaped. */
export function propertiesOf(text: string, inst: InstructionToken, escape: string): PropertyToken[] {
  return plainProperties(text, inst, escape) ?? astProperties(text, inst, escape);
}

/**
 * Properties of an ARG/ENV written without escapes, comments, or blanks and quotes inside `${…}` (nearly all of
 * them), on one line or continued over lines with ` \` (a blank before the escape character, only blanks after
 * it, a line with a word after it: the usual `ENV A=1 \` list); undefined for the others. Its words are split
 * at blanks outside quotes (an unclosed quote runs to the end of the line, a quote must close on its line when
 * the instruction continues); a name and a value lose one pair of enclosing quotes. Continued lines were a
 * third of the ARG/ENV that dockerfile-ast answered: in a corpus lint each of those re-parses the instruction
 * with rarely run (cold) code, ~100 ms of a 1.2 s cold lint of the corpus.
 */
function plainProperties(text: string, inst: InstructionToken, escape: string): PropertyToken[] | undefined {
  const start = inst.keywordSpan.end;
  let end = inst.span.end;
  let continued = false;
  /** The quote open at `i` ('' outside quotes). */
  let quote = '';
  for (let i = start; i < end; i++) {
    const c = text[i];
    if (c === '\r' || c === '#') return undefined;
    if (c === '\n') {
      // Reached only through a continuation (below): a bare line break inside the instruction is not plain.
      return undefined;
    }
    if (c === escape) {
      // ` \` + blanks + line break, and a line with a word next: read as a blank.
      if (i === start || !isBlank(text[i - 1])) return undefined;
      let j = i + 1;
      while (j < end && isBlank(text[j])) j++;
      if (j >= end || text[j] !== '\n') return undefined;
      let k = j + 1;
      while (k < end && isBlank(text[k])) k++;
      if (k >= end || text[k] === '\n' || text[k] === '\r') return undefined;
      continued = true;
      i = j;
      continue;
    }
    if (quote === '' && (c === '"' || c === "'")) {
      // A quote closes on its line (dockerfile-ast reads a quote on across lines), or runs to the end.
      const close = text.indexOf(c, i + 1);
      const lineEnd = text.indexOf('\n', i + 1);
      if ((close === -1 || close >= end || (lineEnd !== -1 && lineEnd < close)) && lineEnd !== -1 && lineEnd < end) return undefined;
      quote = c;
      continue;
    }
    if (c === quote) {
      // After a closing quote a tab is not plain (dockerfile-ast then joins words differently after a continuation).
      if (text[i + 1] === '\t') return undefined;
      quote = '';
      continue;
    }
    if (c === '$' && text[i + 1] === '{') {
      let j = i + 2;
      while (j < end && text[j] !== '}' && text[j] !== '"' && text[j] !== "'" && text[j] !== '\n' && text[j] !== escape && !isBlank(text[j])) j++;
      if (j >= end || text[j] !== '}') return undefined;
      i = j;
    }
  }
  /** A blank, a line break or a continuing escape (checked above) between words. */
  const isGap = (ch: string) => isBlank(ch) || ch === '\n' || (continued && ch === escape);
  while (end > start && isBlank(text[end - 1])) end--;
  const words: Span[] = [];
  let i = start;
  while (i < end) {
    while (i < end && isGap(text[i])) i++;
    if (i >= end) break;
    const wordStart = i;
    while (i < end && !isGap(text[i])) {
      const c = text[i];
      if (c === '"' || c === "'") {
        const close = text.indexOf(c, i + 1);
        if (close === -1 || close >= end) i = end;
        else i = close + 1;
      } else i++;
    }
    words.push({ start: wordStart, end: i });
  }
  // `ENV name value words…` continued over lines: the value keeps the continuations (dockerfile-ast's answer).
  if (continued && words.length > 2 && !text.slice(words[0].start, words[0].end).includes('=')) return undefined;
  if (words.length === 0) return [];
  const raw = (w: Span) => text.slice(w.start, w.end);
  const own = (w: Span): PropertyToken => {
    const written = raw(w);
    const eq = written.indexOf('=');
    const first = written[0];
    if (eq === -1 || ((first === '"' || first === "'") && written[eq - 1] !== first)) return { name: unquoted(written), value: null, valueSpan: null };
    const valueSpan = { start: w.start + eq + 1, end: w.end };
    return { name: unquoted(written.slice(0, eq)), value: unquoted(raw(valueSpan)), valueSpan };
  };
  if (raw(words[0]).includes('=') || words.length === 1) return words.map(own);
  // `ENV name value words…`: the value is the rest of the line.
  const valueSpan = { start: words[1].start, end: words[words.length - 1].end };
  return [{ name: unquoted(raw(words[0])), value: unquoted(raw(valueSpan)), valueSpan }];
}

/** A name or value without one pair of enclosing quotes (`'x'`, `"x"`; a lone quote stays). */
function unquoted(v: string): string {
  const first = v[0];
  return v.length > 1 && (first === "'" || first === '"') && v[v.length - 1] === first ? v.slice(1, v.length - 1) : v;
}

function astProperties(text: string, inst: InstructionToken, escape: string): PropertyToken[] {
  const { node, span } = astInstruction(text, inst, escape);
  const props = (node as unknown as { getProperties(): { getName(): string; getValue(): string | null; getValueRange(): AstRange | null }[] }).getProperties();
  return props.map((p) => {
    const r = p.getValueRange();
    return { name: p.getName(), value: p.getValue(), valueSpan: r ? span(r) : null };
  });
}

/** The here-documents of a RUN, COPY or ADD (none unless an argument after the flags starts with `<<`). */
export function heredocsOf(text: string, inst: InstructionToken, escape: string): HeredocToken[] {
  const args = argumentsOf(inst);
  if (!args.some((a) => a.value.startsWith('<<'))) return [];
  return plainHeredocs(text, inst, args, escape) ?? astHeredocs(text, inst, escape);
}

/** `<<NAME`, `<<-NAME`, `<<"NAME"`, `<<'NAME'` with a plain name: the only forms plainHeredocs reads. */
const PLAIN_HEREDOC = /^<<-?(["']?)([A-Za-z0-9_][A-Za-z0-9_.-]*)\1$/;

/**
 * The here-documents of an instruction without the escape character or a CR in it (three in four of the
 * corpus's), read as dockerfile-ast's Instruction.getHeredocs reads them; undefined for the others (escaped
 * line breaks, CRLF, quoting in names, ONBUILD, one line only), which dockerfile-ast answers. Measured: parsing
 * the instruction again with dockerfile-ast for its here-documents was ~8% of a warm corpus parse and more of a
 * cold one (its code runs for these files only, so it is rarely compiled); this is a single pass over the
 * text. Without escapes and CRs its positions are plain offsets, and every line break ends a line.
 */
function plainHeredocs(text: string, inst: InstructionToken, args: Token[], escape: string): HeredocToken[] | undefined {
  if (inst.onbuild || args.length === 0) return undefined;
  const start = args[0].span.start;
  const end = inst.span.end;
  for (let i = inst.span.start; i < end; i++) {
    const c = text[i];
    if (c === escape || c === '\r') return undefined;
  }
  /** A here-document's name when its argument has one of the plain forms. */
  const named = (a: Token): { name: string; tabbed: boolean } | undefined => {
    const m = PLAIN_HEREDOC.exec(text.slice(a.span.start, a.span.end));
    return m ? { name: m[2], tabbed: a.value.startsWith('<<-') } : undefined;
  };
  /** dockerfile-ast's delimiter test: the line is the name exactly (after leading tabs for `<<-`). */
  const isDelimiter = (h: { name: string; tabbed: boolean }, lineStart: number, lineEnd: number): boolean => {
    let from = lineStart;
    if (h.tabbed) while (from < lineEnd && text[from] === '\t') from++;
    return lineEnd - from === h.name.length && text.startsWith(h.name, from);
  };
  const defined: { name: string; tabbed: boolean }[] = [];
  const heredocs: HeredocToken[] = [];
  let processed = false;
  let contentStart = -1;
  let contentEnd = -1;
  let lineStart = -1;
  for (let i = start; i < end; i++) {
    if (text[i] !== '\n') {
      if (processed) {
        if (contentStart === -1) contentStart = i;
        if (lineStart === -1) lineStart = i;
      }
      continue;
    }
    if (!processed) {
      // The first line break: the here-documents are the `<<` arguments before it.
      for (const a of args) {
        if (a.span.start >= i) break;
        if (!a.value.startsWith('<<')) continue;
        const h = named(a);
        if (!h) return undefined;
        defined.push(h);
      }
      processed = true;
      continue;
    }
    if (contentStart === -1) contentStart = i;
    contentEnd = i;
    const h = defined[heredocs.length];
    if (!h) return undefined; // a line past the last here-document: left to dockerfile-ast
    // An empty line is no delimiter: dockerfile-ast then compares a range from before the arguments to here.
    if (lineStart !== -1 && isDelimiter(h, lineStart, i)) {
      heredocs.push({ name: h.name, contentSpan: { start: contentStart, end: lineStart - 1 }, terminated: true });
      contentStart = -1;
    }
    lineStart = -1;
  }
  const last = defined[heredocs.length];
  if (!processed || !last || contentStart === -1) return undefined;
  if (lineStart === -1 || !isDelimiter(last, lineStart, end)) heredocs.push({ name: last.name, contentSpan: { start: contentStart, end }, terminated: false });
  else heredocs.push({ name: last.name, contentSpan: contentEnd === -1 ? null : { start: contentStart, end: contentEnd }, terminated: true });
  for (let k = heredocs.length; k < defined.length; k++) heredocs.push({ name: defined[k].name, contentSpan: null, terminated: false });
  return heredocs;
}

function astHeredocs(text: string, inst: InstructionToken, escape: string): HeredocToken[] {
  const { node, span } = astInstruction(text, inst, escape);
  const heredocs = (node as unknown as { getHeredocs(): { getName(): string; getContentRange(): AstRange | null; getDelimiterRange(): AstRange | null }[] }).getHeredocs();
  return heredocs.map((h) => {
    const c = h.getContentRange();
    return { name: h.getName(), contentSpan: c ? span(c) : null, terminated: h.getDelimiterRange() !== null };
  });
}
