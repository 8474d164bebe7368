/**
 * The shell lexer: one class, tuned for speed on the corpus (character-code tables, a plain-word fast path,
 * offsets views instead of copies). Measure `npm run bench` before and after changing it; its behaviour is
 * described in ./shell.ts and differential-tested against tree-sitter-bash (test/parse/shell-diff.test.ts).
 */
import type { Span } from '../util/text';
import { sliceOffsets, type Source } from './shellSource';
import type { ShellParse, SimpleCommand, VarLookup, Word } from './shellTypes';
import { SHELLS, basename, isAssignment, unwrap } from './shellUnwrap';

const OPERATOR_CHARS = new Set([';', '&', '|', '(', ')', '<', '>']);
/** Characters that end or complicate a word; anything else is a literal character of it. */
const WORD_SPECIAL = new Set([' ', '\t', '\n', '\r', ';', '&', '|', '(', ')', '<', '>', '\\', "'", '"', '$', '`']);
/** WORD_SPECIAL by character code (all ASCII), for the plain-word scan: a table read, not a one-character string and a Set lookup per character. */
const WORD_SPECIAL_CODES = new Uint8Array(128);
for (const c of WORD_SPECIAL) WORD_SPECIAL_CODES[c.charCodeAt(0)] = 1;
/** What may follow a plain word for the fast path to apply (`(` and `<(`/`>(` need the full reader). */
const PLAIN_WORD_END = new Set([' ', '\t', '\n', '\r', ';', '&', '|', ')']);
/** Keywords that may precede a command in the same simple-command slot. */
const PREFIX_KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{', 'time']);
/** Keywords that close a compound command; they are not programs. */
const CLOSING_KEYWORDS = new Set(['fi', 'done', '}', 'esac']);

interface PendingHeredoc {
  delimiter: string;
  stripTabs: boolean;
  /** A quoted delimiter (`<<'EOF'`) makes the body literal: no substitutions run in it. */
  quoted: boolean;
  command: CommandBuilder;
}

interface CommandBuilder {
  words: Word[];
  cmd: SimpleCommand;
}

/** What `/\s/` matches, by character code: JavaScript's white space and line terminators. */
export function isSpaceCode(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff;
}

/** What `/[\s;&|()<>]/` matches (the end of a keyword or word), by character code: no regular expression per character. */
export function isWordBreak(code: number): boolean {
  return code === 0x3b || code === 0x26 || code === 0x7c || code === 0x28 || code === 0x29 || code === 0x3c || code === 0x3e || isSpaceCode(code);
}

const isDigit = (code: number) => code >= 0x30 && code <= 0x39;

let pipelineCounter = 0;

/** Deeper nesting of (…), $(…), `…` or ${…} is not a real script: stop rather than overflow the stack. */
const MAX_NESTING = 100;

export class Lexer {
  private pendingHeredocs: PendingHeredoc[] = [];
  /** Lexing the inside of `…`: the first backquote not preceded by a backslash ends it, even in quotes. */
  private inBackquotes = false;
  /** Variables assigned by the script itself (`X=1; pip install a==$X`). */
  private readonly local = new Map<string, string | undefined>();

  constructor(
    private readonly src: Source,
    private readonly outerLookup: VarLookup,
    private readonly result: ShellParse,
    private readonly parent: SimpleCommand | undefined,
    private readonly wrappers: string[],
    /** How deep this lexer is nested in others (plus `${…}` levels being read). */
    private depth = 0,
  ) {}

  private lookup = (name: string): string | undefined =>
    this.local.has(name) ? this.local.get(name) : this.outerLookup(name);

  /** Parses commands until `stop` (')' or '`') or the end; returns the position after the stop character. */
  parseList(pos: number, stop: string | null): number {
    const t = this.src.text;
    this.inBackquotes = stop === '`';
    if (this.depth > MAX_NESTING) {
      this.result.problems.push('nesting too deep');
      return t.length;
    }
    let current: CommandBuilder | undefined;
    let pipeline = ++pipelineCounter;
    let pipeIndex = 0;
    let caseState: 'none' | 'word' | 'in' | 'pattern' = 'none';
    const caseStack: number[] = [];

    const finish = (pipeNext: boolean) => {
      if (current) this.emit(current);
      current = undefined;
      if (pipeNext) pipeIndex++;
      else {
        pipeline = ++pipelineCounter;
        pipeIndex = 0;
      }
    };

    while (pos < t.length) {
      const c = t[pos];
      if (c === ' ' || c === '\t' || c === '\r') {
        pos++;
        continue;
      }
      if (c === '\\' && t[pos + 1] === '\n') {
        pos += 2;
        continue;
      }
      if (c === '\\' && t[pos + 1] === '\r' && t[pos + 2] === '\n') {
        pos += 3;
        continue;
      }
      if (c === '#') {
        while (pos < t.length && t[pos] !== '\n' && !(this.inBackquotes && t[pos] === '`')) pos++;
        continue;
      }
      if (c === '\n') {
        finish(false);
        pos = this.readHeredocBodies(pos + 1);
        continue;
      }
      if (stop !== null && c === stop) {
        finish(false);
        return pos + 1;
      }
      if (caseState === 'pattern' && !current) {
        // A case item pattern: `a|b)` or `(a)`; skip it, or end the case at `esac`.
        if (t.startsWith('esac', pos) && this.isWordEnd(pos + 4)) {
          pos += 4;
          caseState = caseStack.length ? (caseStack.pop(), 'pattern') : 'none';
          if (caseStack.length === 0) caseState = 'none';
          continue;
        }
        if (c === '(') pos++;
        pos = this.skipPattern(pos);
        caseState = 'in';
        continue;
      }
      if (c === ';' || c === '&' || c === '|') {
        const two = t.slice(pos, pos + 2);
        if (two === ';;' || two === ';&') {
          finish(false);
          pos += t.startsWith(';;&', pos) ? 3 : 2;
          if (caseStack.length) caseState = 'pattern';
          continue;
        }
        if (two === '&&' || two === '||') {
          finish(false);
          pos += 2;
          continue;
        }
        if (two === '|&' || c === '|') {
          finish(true);
          pos += two === '|&' ? 2 : 1;
          continue;
        }
        if (c === '&' && t[pos + 1] === '>') {
          pos = this.readRedirect(pos, current);
          continue;
        }
        finish(false);
        pos++;
        continue;
      }
      if (c === '(' && !current) {
        if (t[pos + 1] === '(') {
          pos = this.skipArithmetic(pos + 2);
          continue;
        }
        pos = this.child(this.parent, []).parseList(pos + 1, ')');
        continue;
      }
      if (c === '(' && current && t[pos + 1] === ')') {
        // `name() { …; }` function definition: the name is not a command.
        current = undefined;
        pos += 2;
        continue;
      }
      if (c === '(' && current) {
        // `echo a(b)` is a syntax error in sh; lex the parenthesised part as a subshell and move on.
        this.result.problems.push("unexpected '('");
        finish(false);
        pos = this.child(this.parent, []).parseList(pos + 1, ')');
        continue;
      }
      if (c === ')') {
        // Unbalanced `)` (e.g. a case pattern we did not see as one): treat as a separator.
        finish(false);
        pos++;
        continue;
      }
      if ((c === '<' || c === '>') && t[pos + 1] === '(') {
        current ??= this.newCommand(pos, pipeline, pipeIndex);
        const w = this.readWord(pos, current);
        current.words.push(w.word);
        pos = w.end;
        continue;
      }
      if (c === '<' || c === '>' || (c >= '0' && c <= '9' && this.isRedirectAhead(pos))) {
        current ??= this.newCommand(pos, pipeline, pipeIndex);
        pos = this.readRedirect(pos, current);
        continue;
      }
      // A word.
      const atCommandStart = !current || (current.words.length === 0 && current.cmd.assignments.length === 0);
      if (atCommandStart && !current) {
        const kw = this.peekKeyword(pos);
        if (kw !== undefined) {
          if (PREFIX_KEYWORDS.has(kw) || CLOSING_KEYWORDS.has(kw)) {
            pos += kw.length;
            continue;
          }
          if (kw === 'for' || kw === 'select') {
            pos = this.skipToSeparator(pos + kw.length);
            continue;
          }
          if (kw === 'function') {
            pos = this.skipToSeparatorOrBrace(pos + kw.length);
            continue;
          }
          if (kw === 'case') {
            pos = this.skipCaseHead(pos + 4);
            caseStack.push(1);
            caseState = 'pattern';
            continue;
          }
          if (kw === '[[') {
            pos = this.skipDoubleBracket(pos + 2);
            continue;
          }
        }
      }
      current ??= this.newCommand(pos, pipeline, pipeIndex);
      const { word, end } = this.readWord(pos, current);
      if (end === pos) {
        // Cannot happen with the operator cases above; a guard so that odd input never hangs the linter.
        this.result.problems.push(`unexpected '${c}'`);
        pos++;
        continue;
      }
      pos = end;
      if (current.words.length === 0 && isAssignment(word.raw)) {
        current.cmd.assignments.push(word);
      } else {
        current.words.push(word);
      }
    }
    if (stop !== null) this.result.problems.push(`missing '${stop}'`);
    finish(false);
    if (this.pendingHeredocs.length) {
      this.result.problems.push(`unterminated here-document '${this.pendingHeredocs[0].delimiter}'`);
      this.pendingHeredocs = [];
    }
    return pos;
  }

  /** Runs a nested read (a `${…}` in a `${…}`, …); absurdly deep nesting ends the lexing instead of the stack. */
  private nested(read: () => number): number {
    if (this.depth >= MAX_NESTING) {
      this.result.problems.push('nesting too deep');
      return this.src.text.length;
    }
    this.depth++;
    try {
      return read();
    } finally {
      this.depth--;
    }
  }

  private child(parent: SimpleCommand | undefined, wrappers: string[], src: Source = this.src): Lexer {
    return new Lexer(src, this.lookup, this.result, parent, wrappers, this.depth + 1);
  }

  private newCommand(pos: number, pipeline: number, pipeIndex: number): CommandBuilder {
    const offset = this.src.offsets[pos];
    return {
      words: [],
      cmd: {
        name: '',
        program: undefined,
        words: [],
        args: [],
        assignments: [],
        span: { start: offset, end: offset },
        pipeline,
        pipeIndex,
        parent: this.parent,
        wrappers: [...this.wrappers],
      },
    };
  }

  private emit(b: CommandBuilder): void {
    const cmd = b.cmd;
    const last = b.words[b.words.length - 1] ?? cmd.assignments[cmd.assignments.length - 1];
    if (last) cmd.span.end = Math.max(cmd.span.end, last.span.end);
    if (b.words.length === 0) {
      // A bare assignment (`X=1`) sets a shell variable for later commands.
      for (const a of cmd.assignments) this.setLocal(a);
      return;
    }
    const words = b.words;
    cmd.words = words;
    cmd.program = words[0];
    cmd.args = words.slice(1);
    unwrap(cmd, (inner, sub) => this.reparse(inner, sub));
    cmd.name = cmd.program?.value !== undefined ? basename(cmd.program.value) : '';
    if (cmd.name === 'export' || cmd.name === 'readonly' || cmd.name === 'declare' || cmd.name === 'local') {
      for (const a of cmd.args) if (isAssignment(a.raw)) this.setLocal(a);
    }
    this.result.commands.push(cmd);
  }

  emitWords(words: Word[], span: Span): void {
    const b = this.newCommand(0, ++pipelineCounter, 0);
    b.cmd.span = { ...span };
    b.words.push(...words);
    this.emit(b);
  }

  /** Lexes the value of a `sh -c` string as a script of its own. */
  private reparse(word: Word, cmd: SimpleCommand): void {
    if (word.value === undefined) return;
    const last = word.valueOffsets[word.valueOffsets.length - 1];
    const src: Source = { text: word.value, offsets: [...word.valueOffsets, last === undefined ? word.span.end : last + 1] };
    this.child(cmd.parent, [...cmd.wrappers], src).parseList(0, null);
  }

  private setLocal(word: Word): void {
    const eq = word.raw.indexOf('=');
    const name = word.raw.slice(0, eq).replace(/\+$/, '');
    const value = word.value === undefined ? undefined : word.value.slice(word.value.indexOf('=') + 1);
    this.local.set(name, value);
  }

  private isWordEnd(pos: number): boolean {
    const t = this.src.text;
    return pos >= t.length || isWordBreak(t.charCodeAt(pos));
  }

  private peekKeyword(pos: number): string | undefined {
    const t = this.src.text;
    let end = pos;
    // No keyword is longer than 8 characters: a longer word is not scanned to its end (a 100k-character word
    // seen from every nesting level was quadratic).
    while (end < t.length && end - pos <= 8 && !isWordBreak(t.charCodeAt(end))) end++;
    const w = t.slice(pos, end);
    if (w === '[[' || PREFIX_KEYWORDS.has(w) || CLOSING_KEYWORDS.has(w)) return w;
    if (w === 'for' || w === 'select' || w === 'case' || w === 'function') return w;
    return undefined;
  }

  private isRedirectAhead(pos: number): boolean {
    const t = this.src.text;
    let i = pos;
    while (i < t.length && isDigit(t.charCodeAt(i))) i++;
    return (t[i] === '<' || t[i] === '>') && (pos === 0 || /[\s;&|()]/.test(t[pos - 1]));
  }

  /** Reads a redirection and its target word; registers here-documents. */
  private readRedirect(pos: number, current: CommandBuilder | undefined): number {
    const t = this.src.text;
    while (isDigit(t.charCodeAt(pos))) pos++;
    if (t.startsWith('<<<', pos)) pos += 3;
    else if (t.startsWith('<<', pos)) {
      pos += 2;
      const stripTabs = t[pos] === '-';
      if (stripTabs) pos++;
      while (t[pos] === ' ' || t[pos] === '\t') pos++;
      const { word, end } = this.readWord(pos, current);
      const delimiter = word.raw.replace(/['"\\]/g, '');
      const quoted = delimiter !== word.raw;
      if (current) this.pendingHeredocs.push({ delimiter, stripTabs, quoted, command: current });
      return end;
    } else if (t.startsWith('&>>', pos)) pos += 3;
    else if (t.startsWith('&>', pos) || t.startsWith('>>', pos) || t.startsWith('>&', pos)) pos += 2;
    else if (t.startsWith('<&', pos) || t.startsWith('<>', pos) || t.startsWith('>|', pos)) pos += 2;
    else pos += 1;
    while (t[pos] === ' ' || t[pos] === '\t') pos++;
    if (pos >= t.length || /[\n;&|)]/.test(t[pos])) return pos;
    return this.readWord(pos, current).end;
  }

  /** After a newline: consumes the bodies of pending here-documents. Bodies fed to a shell are lexed as scripts. */
  private readHeredocBodies(pos: number): number {
    const t = this.src.text;
    while (this.pendingHeredocs.length) {
      const h = this.pendingHeredocs.shift()!;
      const bodyStart = pos;
      let bodyEnd = -1;
      while (pos < t.length) {
        let lineEnd = t.indexOf('\n', pos);
        if (lineEnd < 0) lineEnd = t.length;
        let line = t.slice(pos, lineEnd).replace(/\r$/, '');
        if (h.stripTabs) line = line.replace(/^\t+/, '');
        if (line === h.delimiter) {
          bodyEnd = pos;
          pos = Math.min(lineEnd + 1, t.length);
          break;
        }
        pos = Math.min(lineEnd + 1, t.length);
        if (lineEnd === t.length) break;
      }
      if (bodyEnd < 0) {
        this.result.problems.push(`unterminated here-document '${h.delimiter}'`);
        bodyEnd = t.length;
      }
      const target = h.command;
      const program = target.words[0]?.value;
      const isShell = program !== undefined && SHELLS.has(basename(program)) &&
        !target.words.slice(1).some((w) => w.value === '-c');
      if (isShell) {
        const sub: Source = {
          text: t.slice(bodyStart, bodyEnd),
          offsets: sliceOffsets(this.src.offsets, bodyStart, bodyEnd + 1),
        };
        this.child(target.cmd.parent, [...this.wrappers, `${basename(program)} <<`], sub).parseList(0, null);
      } else if (!h.quoted) {
        // The body is data, but the shell runs the substitutions in it (`deb … $(lsb_release -cs) main`).
        this.lexSubstitutions(bodyStart, bodyEnd, target);
      }
    }
    return pos;
  }

  private skipToSeparator(pos: number): number {
    const t = this.src.text;
    while (pos < t.length && (t[pos] === ' ' || t[pos] === '\t')) pos++;
    // `for ((i = 0; i < n; i++))`: the semicolons are inside the arithmetic.
    if (t.startsWith('((', pos)) return this.skipArithmetic(pos + 2);
    while (pos < t.length && t[pos] !== ';' && t[pos] !== '\n' && !this.atClosingBackquote(pos)) {
      const c = t[pos];
      if (c === '"' || c === "'" || c === '$' || c === '`' || c === '\\' || ((c === '<' || c === '>') && t[pos + 1] === '(')) {
        pos = this.readWord(pos, undefined).end;
      } else pos++;
    }
    return pos;
  }

  /** Inside `…`, the first unescaped backquote ends the substitution: every construct stops there. */
  private atClosingBackquote(pos: number): boolean {
    return this.inBackquotes && this.src.text[pos] === '`';
  }

  private skipToSeparatorOrBrace(pos: number): number {
    const t = this.src.text;
    while (pos < t.length && !/[;\n{(]/.test(t[pos]) && !this.atClosingBackquote(pos)) pos++;
    if (t[pos] === '(' && t[pos + 1] === ')') pos += 2;
    return pos;
  }

  /** Skips `WORD in` after `case`. */
  private skipCaseHead(pos: number): number {
    const t = this.src.text;
    while (pos < t.length && /\s/.test(t[pos])) pos++;
    pos = this.readWord(pos, undefined).end;
    while (pos < t.length && /\s/.test(t[pos])) pos++;
    if (t.startsWith('in', pos) && this.isWordEnd(pos + 2)) pos += 2;
    return pos;
  }

  /** Skips a case pattern up to and including its unquoted `)`. */
  private skipPattern(pos: number): number {
    const t = this.src.text;
    while (pos < t.length && t[pos] !== ')' && !this.atClosingBackquote(pos)) {
      if (t[pos] === '"' || t[pos] === "'" || t[pos] === '$' || t[pos] === '\\') pos = this.readWord(pos, undefined).end;
      else pos++;
    }
    return t[pos] === ')' ? pos + 1 : Math.min(pos, t.length);
  }

  private skipDoubleBracket(pos: number): number {
    const t = this.src.text;
    while (pos < t.length && !(t.startsWith(']]', pos) && this.isWordEnd(pos + 2)) && !this.atClosingBackquote(pos)) {
      if (t[pos] === '"' || t[pos] === "'" || t[pos] === '$' || t[pos] === '\\' || t[pos] === '`') {
        pos = this.readWord(pos, undefined).end;
      } else pos++;
    }
    return Math.min(pos + 2, t.length);
  }

  /** Lexes the commands of the `$(…)` and backquotes in an unquoted here-document body (quotes are literal there). */
  private lexSubstitutions(pos: number, end: number, owner: CommandBuilder): void {
    const t = this.src.text;
    while (pos < end) {
      const c = t[pos];
      if (c === '\\') pos += 2;
      else if (c === '$' && (t[pos + 1] === '(' || t[pos + 1] === '{')) pos = this.readExpansion(pos, owner, true).end;
      else if (c === '`') pos = this.child(owner.cmd, []).parseList(pos + 1, '`');
      else pos++;
    }
  }

  /** Skips the elements of an array assignment `name=( … )`, starting after `(`; substitutions in them are lexed. */
  private skipArray(pos: number, owner: CommandBuilder | undefined): number {
    const t = this.src.text;
    // Split elements go to a scratch command: they are not words of the command the assignment belongs to.
    const scratch = owner && { words: [], cmd: owner.cmd };
    while (pos < t.length && !this.atClosingBackquote(pos)) {
      const c = t[pos];
      if (c === ')') return pos + 1;
      if (/\s/.test(c)) pos++;
      else if (c === '#' && /\s/.test(t[pos - 1])) pos = t.indexOf('\n', pos) < 0 ? t.length : t.indexOf('\n', pos);
      else {
        const end = this.readWord(pos, scratch).end;
        pos = end > pos ? end : pos + 1;
      }
    }
    this.result.problems.push("missing ')'");
    return pos;
  }

  /** Skips `(( … ))` or `$(( … ))` arithmetic, starting after the opening parentheses; lexes the commands in it. */
  private skipArithmetic(pos: number, owner?: CommandBuilder): number {
    const t = this.src.text;
    let depth = 2;
    while (pos < t.length && depth > 0) {
      const c = t[pos];
      if (c === '$' && t[pos + 1] === '(') {
        const at = pos;
        pos = this.nested(() => this.readExpansion(at, owner, true).end);
        continue;
      }
      if (c === '`') {
        pos = this.child(owner?.cmd, []).parseList(pos + 1, '`');
        continue;
      }
      if (c === '(') depth++;
      else if (c === ')') depth--;
      pos++;
    }
    return pos;
  }

  /**
   * Reads one word starting at `pos`. Nested commands ($(…), `…`, <(…)) are lexed with `owner` as parent.
   * An unquoted expansion whose value has blanks would be split by the shell; `splitFields` handles that.
   */
  private readWord(pos: number, owner: CommandBuilder | undefined): { word: Word; end: number } {
    const t = this.src.text;
    const off = this.src.offsets;
    const start = pos;
    // Fast path for the common plain word (no quotes, escapes or expansions): no per-character bookkeeping.
    let plainEnd = pos;
    for (let code = t.charCodeAt(plainEnd); plainEnd < t.length && (code >= 128 || WORD_SPECIAL_CODES[code] === 0); code = t.charCodeAt(plainEnd)) plainEnd++;
    const next = t[plainEnd];
    if (plainEnd > pos && (next === undefined || PLAIN_WORD_END.has(next) || ((next === '<' || next === '>') && t[plainEnd + 1] !== '('))) {
      const raw = t.slice(pos, plainEnd);
      const span = { start: off[pos], end: off[plainEnd - 1] + 1 };
      return { word: { raw, value: raw, span, vars: [], valueOffsets: sliceOffsets(off, pos, plainEnd) }, end: plainEnd };
    }
    let value = '';
    const valueOffsets: number[] = [];
    let known = true;
    const vars: string[] = [];
    /** Per character of `value`, whether an unquoted expansion gave it (the shell splits those at blanks); made at the first such character. */
    let splittable: boolean[] | undefined;

    const add = (s: string, at: number, fromUnquotedExpansion = false) => {
      if (fromUnquotedExpansion && !splittable && s.length) splittable = new Array<boolean>(value.length).fill(false);
      value += s;
      for (let i = 0; i < s.length; i++) {
        valueOffsets.push(off[at]);
        splittable?.push(fromUnquotedExpansion);
      }
    };
    /** Characters t[from, to) taken as they are, each at its own offset. */
    const addRange = (from: number, to: number) => {
      value += t.slice(from, to);
      for (let i = from; i < to; i++) {
        valueOffsets.push(off[i]);
        splittable?.push(false);
      }
    };
    const expand = (quoted: boolean): void => {
      const r = this.readExpansion(pos, owner, quoted);
      if (r.name) vars.push(r.name);
      if (r.value === undefined) known = false;
      else add(r.value, pos, !quoted);
      pos = r.end;
    };

    while (pos < t.length) {
      const c = t[pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') break;
      if (OPERATOR_CHARS.has(c)) {
        if ((c === '<' || c === '>') && t[pos + 1] === '(') {
          // Process substitution, also inside a word as bash has it (`--file=<(curl …)`, `A=<(cmd)`).
          const parent = owner?.cmd;
          pos = this.child(parent, []).parseList(pos + 2, ')');
          known = false;
          continue;
        }
        if (c === '(' && /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=$/.test(t.slice(start, pos))) {
          // `name=(a b c)`: an array assignment is one word, whatever its elements.
          const at = pos + 1;
          pos = this.nested(() => this.skipArray(at, owner));
          known = false;
          continue;
        }
        break;
      }
      if (c === '\\') {
        if (t[pos + 1] === '\n') {
          pos += 2;
          continue;
        }
        if (pos + 1 < t.length) add(t[pos + 1], pos + 1);
        pos += 2;
        continue;
      }
      if (c === "'") {
        let close = t.indexOf("'", pos + 1);
        const backquote = this.inBackquotes ? t.indexOf('`', pos + 1) : -1;
        if (backquote >= 0 && (close < 0 || backquote < close)) close = -1;
        const end = close < 0 ? (backquote >= 0 ? backquote : t.length) : close;
        if (close < 0) this.result.problems.push('unterminated single quote');
        addRange(pos + 1, end);
        pos = close < 0 ? end : end + 1;
        continue;
      }
      if (c === '"') {
        pos++;
        while (pos < t.length && t[pos] !== '"') {
          const d = t[pos];
          if (d === '\\' && pos + 1 < t.length) {
            const n = t[pos + 1];
            if (n === '\n') pos += 2;
            else if (n === '$' || n === '`' || n === '"' || n === '\\') {
              add(n, pos + 1);
              pos += 2;
            } else {
              add(d, pos);
              pos++;
            }
          } else if (d === '$') {
            expand(true);
          } else if (d === '`') {
            if (this.inBackquotes) break;
            pos = this.child(owner?.cmd, []).parseList(pos + 1, '`');
            known = false;
          } else {
            // A run of plain characters up to the next one that means something inside double quotes.
            const from = pos;
            for (pos++; pos < t.length; pos++) {
              const code = t.charCodeAt(pos);
              if (code === 0x22 || code === 0x5c || code === 0x24 || code === 0x60) break; // " \ $ `
            }
            addRange(from, pos);
          }
        }
        if (t[pos] === '"') pos++;
        else this.result.problems.push('unterminated double quote');
        continue;
      }
      if (c === '$') {
        if (t[pos + 1] === "'") {
          pos = this.readAnsiC(pos + 2, add);
          continue;
        }
        expand(false);
        continue;
      }
      if (c === '`') {
        if (this.inBackquotes) break;
        pos = this.child(owner?.cmd, []).parseList(pos + 1, '`');
        known = false;
        continue;
      }
      // A run of characters that are the word's own (none of WORD_SPECIAL).
      const from = pos;
      for (pos++; pos < t.length; pos++) {
        const code = t.charCodeAt(pos);
        if (code < 128 && WORD_SPECIAL_CODES[code] === 1) break;
      }
      addRange(from, pos);
    }
    // The word ends after its last character: a line continuation right after it is not part of it, and
    // off[pos] would be the first character of the next line when the continuation was joined away.
    let last = Math.min(pos, t.length);
    while (last - 2 > start && t[last - 1] === '\n' && t[last - 2] === '\\') last -= 2;
    const word: Word = {
      raw: t.slice(start, last),
      value: known ? value : undefined,
      span: { start: off[start], end: last > start ? off[last - 1] + 1 : off[start] },
      vars,
      valueOffsets,
    };
    if (owner && known && splittable?.some((s, i) => s && /\s/.test(value[i]))) {
      // Unquoted expansion with blanks: the shell splits it into several words.
      const parts = splitFields(word, splittable);
      for (let i = 0; i < parts.length - 1; i++) owner.words.push(parts[i]);
      return { word: parts[parts.length - 1] ?? word, end: pos };
    }
    return { word, end: Math.min(pos, t.length) };
  }

  private readAnsiC(pos: number, add: (s: string, at: number) => void): number {
    const t = this.src.text;
    const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', e: '\x1b' };
    while (pos < t.length && t[pos] !== "'") {
      if (t[pos] === '\\' && pos + 1 < t.length) {
        add(escapes[t[pos + 1]] ?? `\\${t[pos + 1]}`, pos);
        pos += 2;
      } else {
        add(t[pos], pos);
        pos++;
      }
    }
    return pos + 1;
  }

  /** Reads `$name`, `${…}`, `$(…)` or `$((…))` at `pos` (which holds `$`); `quoted`: inside "…" or a here-document. */
  private readExpansion(
    pos: number,
    owner: CommandBuilder | undefined,
    quoted: boolean,
  ): { value: string | undefined; end: number; name?: string } {
    const t = this.src.text;
    const n = t[pos + 1];
    if (n === '(') {
      if (t[pos + 2] === '(') return { value: undefined, end: this.skipArithmetic(pos + 3, owner) };
      const end = this.child(owner?.cmd, []).parseList(pos + 2, ')');
      return { value: undefined, end };
    }
    if (n === '{') return this.readBraced(pos + 2, owner, quoted);
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(t.slice(pos + 1, pos + 200));
    if (m) return { value: this.lookup(m[0]), end: pos + 1 + m[0].length, name: m[0] };
    if (n !== undefined && /[0-9@*#?$!-]/.test(n)) return { value: undefined, end: pos + 2 };
    return { value: '$', end: pos + 1 };
  }

  /** Reads the inside of `${…}` starting after `${`. Supports `:-`, `-`, `:+`, `+`, `:=`; the rest is unknown. */
  private readBraced(
    pos: number,
    owner: CommandBuilder | undefined,
    quoted: boolean,
  ): { value: string | undefined; end: number; name?: string } {
    const t = this.src.text;
    const m = /^(#?)([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])/.exec(t.slice(pos, pos + 200));
    const close = this.matchingBrace(pos, owner, quoted);
    if (!m) return { value: undefined, end: close };
    const name = m[2];
    let p = pos + m[0].length;
    const current = /^[A-Za-z_]/.test(name) ? this.lookup(name) : undefined;
    if (m[1] === '#') return { value: current === undefined ? undefined : String(current.length), end: close, name };
    if (t[p] === '}') return { value: current, end: p + 1, name };
    const op = /^(:-|:=|:\+|:\?|-|=|\+|\?)/.exec(t.slice(p, p + 2))?.[0];
    if (!op) return { value: undefined, end: close, name };
    p += op.length;
    const inner = t.slice(p, close - 1);
    const simple = /^[^$`"'\\]*$/.test(inner) ? inner : undefined;
    const isSet = current !== undefined;
    switch (op) {
      case ':-':
      case '-':
      case ':=':
      case '=':
        // An ARG without a default is unknown, not empty: only a known value decides.
        if (isSet) return { value: current === '' && op.startsWith(':') ? simple : current, end: close, name };
        return { value: undefined, end: close, name };
      case ':+':
      case '+':
        return { value: isSet ? (current === '' && op === ':+' ? '' : simple) : undefined, end: close, name };
      default:
        return { value: undefined, end: close, name };
    }
  }

  /**
   * Position after the `}` that closes a `${` whose content starts at `pos`. On the way, quotes are
   * honoured (a `'` is literal when the expansion is in double quotes: "${A:-don't}") and the commands of
   * `$(…)` and backquotes in the operand are lexed: they run when it is expanded (`${V:-$(cat /version)}`).
   */
  private matchingBrace(pos: number, owner: CommandBuilder | undefined, quoted: boolean): number {
    const t = this.src.text;
    let depth = 1;
    let inDouble = false;
    while (pos < t.length) {
      const c = t[pos];
      const literalQuote = quoted || inDouble;
      if (c === '\\') pos += 2;
      else if (c === "'" && !literalQuote) {
        const close = t.indexOf("'", pos + 1);
        pos = close < 0 ? t.length : close + 1;
      } else if (c === '$' && t[pos + 1] === "'" && !literalQuote) {
        pos = this.readAnsiC(pos + 2, () => undefined);
      } else if (c === '"') {
        inDouble = !inDouble;
        pos++;
      } else if (c === '$' && (t[pos + 1] === '(' || t[pos + 1] === '{')) {
        const at = pos;
        pos = this.nested(() => this.readExpansion(at, owner, literalQuote).end);
      } else if (c === '`') {
        if (this.inBackquotes) break;
        pos = this.child(owner?.cmd, []).parseList(pos + 1, '`');
      } else if (c === '{' && !inDouble) {
        depth++;
        pos++;
      } else if (c === '}' && !inDouble) {
        depth--;
        pos++;
        if (depth === 0) return pos;
      } else pos++;
    }
    this.result.problems.push("missing '}'");
    return Math.min(pos, t.length);
  }
}

function splitFields(word: Word, splittable: boolean[]): Word[] {
  const parts: Word[] = [];
  const v = word.value!;
  let i = 0;
  while (i < v.length) {
    while (i < v.length && splittable[i] && /\s/.test(v[i])) i++;
    if (i >= v.length) break;
    const s = i;
    while (i < v.length && !(splittable[i] && /\s/.test(v[i]))) i++;
    parts.push({ ...word, value: v.slice(s, i), valueOffsets: sliceOffsets(word.valueOffsets, s, i) });
  }
  return parts;
}
