/**
 * A small POSIX-shell lexer that turns a RUN body into simple commands with exact source ranges.
 *
 * Hand-written rather than tree-sitter-bash: loading the tree-sitter wasm costs ~30 ms and stalls exit,
 * which alone breaks the 1.5x-of-bare-node start-up budget of the editor and pre-commit hooks. It is
 * differential-tested against tree-sitter-bash on every RUN body of the corpus (test/parse/shell-diff.test.ts).
 *
 * It understands what decides command boundaries and argument words: quoting and escapes, `&& || ; | &`,
 * newlines, subshells and groups, `$(…)`, backticks, `<(…)`, `${…}` with defaults, here-documents (data,
 * unless fed to a shell), compound-command keywords, and prefix assignments. Wrappers (`sudo`, `env`,
 * `sh -c '…'`, …) are unwrapped so rules see the real program.
 */
import type { Span } from '../util/text';

/** A script text plus, for every character, its offset in the Dockerfile (one extra entry for the end). */
export interface Source {
  text: string;
  offsets: number[];
}

/** What a variable lookup knows: a string value, or `undefined` when the value is not known statically. */
export type VarLookup = (name: string) => string | undefined;

export interface Word {
  /** The word as written, quotes included. */
  raw: string;
  /** Value after quote removal and expansion; undefined when it depends on something unknown ($(…), unset variable). */
  value: string | undefined;
  /** Range of the word in the Dockerfile. */
  span: Span;
  /** Variables the value was built from (for fixers that rewrite the ARG/ENV that defines them). */
  vars: string[];
  /** Dockerfile offset of each character of `value` (characters from an expansion map to the expansion). */
  valueOffsets: number[];
}

export interface SimpleCommand {
  /** Basename of the program after unwrapping `sudo`, `env`, …; '' when the program is not literal. */
  name: string;
  program: Word | undefined;
  /** Arguments after the program. */
  args: Word[];
  /** `VAR=value` words before the program. */
  assignments: Word[];
  span: Span;
  /** Commands joined by `|` share a pipeline id; pipeIndex is the position in it. */
  pipeline: number;
  pipeIndex: number;
  /** The command whose argument or input this command is nested in (`sh -c "$(curl …)"`, `bash <(curl …)`). */
  parent?: SimpleCommand;
  /** Wrappers that were removed, outermost first (`sudo`, `env`, `sh -c`). */
  wrappers: string[];
}

export interface ShellParse {
  commands: SimpleCommand[];
  /** Syntax problems found (unterminated quote, …); commands are still returned. */
  problems: string[];
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh']);
const OPERATOR_CHARS = new Set([';', '&', '|', '(', ')', '<', '>']);
/** Keywords that may precede a command in the same simple-command slot. */
const PREFIX_KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{', 'time']);
/** Keywords that close a compound command; they are not programs. */
const CLOSING_KEYWORDS = new Set(['fi', 'done', '}', 'esac']);

interface PendingHeredoc {
  delimiter: string;
  stripTabs: boolean;
  command: CommandBuilder;
}

interface CommandBuilder {
  words: Word[];
  cmd: SimpleCommand;
}

let pipelineCounter = 0;

export function sourceFromText(text: string, startOffset: number): Source {
  const offsets = new Array<number>(text.length + 1);
  for (let i = 0; i <= text.length; i++) offsets[i] = startOffset + i;
  return { text, offsets };
}

/** Parses a script and returns its simple commands in source order. */
export function parseShell(src: Source, lookup: VarLookup): ShellParse {
  const result: ShellParse = { commands: [], problems: [] };
  new Lexer(src, lookup, result, undefined, []).parseList(0, null);
  result.commands.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  return result;
}

/** Exec-form RUN: the argv is one command (still unwrapped, so `["sh","-c","…"]` is lexed). */
export function commandsFromArgv(words: Word[], lookup: VarLookup): ShellParse {
  const result: ShellParse = { commands: [], problems: [] };
  if (words.length === 0) return result;
  const lexer = new Lexer(sourceFromText('', words[0].span.start), lookup, result, undefined, []);
  lexer.emitWords(words, { start: words[0].span.start, end: words[words.length - 1].span.end });
  result.commands.sort((a, b) => a.span.start - b.span.start);
  return result;
}

class Lexer {
  private pendingHeredocs: PendingHeredoc[] = [];
  /** Variables assigned by the script itself (`X=1; pip install a==$X`). */
  private readonly local = new Map<string, string | undefined>();

  constructor(
    private readonly src: Source,
    private readonly outerLookup: VarLookup,
    private readonly result: ShellParse,
    private readonly parent: SimpleCommand | undefined,
    private readonly wrappers: string[],
  ) {}

  private lookup = (name: string): string | undefined =>
    this.local.has(name) ? this.local.get(name) : this.outerLookup(name);

  /** Parses commands until `stop` (')' or '`') or the end; returns the position after the stop character. */
  parseList(pos: number, stop: string | null): number {
    const t = this.src.text;
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
        while (pos < t.length && t[pos] !== '\n') pos++;
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
      if (c === '<' || c === '>' || (/[0-9]/.test(c) && this.isRedirectAhead(pos))) {
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

  private child(parent: SimpleCommand | undefined, wrappers: string[], src: Source = this.src): Lexer {
    return new Lexer(src, this.lookup, this.result, parent, wrappers);
  }

  private newCommand(pos: number, pipeline: number, pipeIndex: number): CommandBuilder {
    const offset = this.src.offsets[pos];
    return {
      words: [],
      cmd: {
        name: '',
        program: undefined,
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
    const c = this.src.text[pos];
    return c === undefined || /[\s;&|()<>]/.test(c);
  }

  private peekKeyword(pos: number): string | undefined {
    const t = this.src.text;
    let end = pos;
    while (end < t.length && !/[\s;&|()<>]/.test(t[end])) end++;
    const w = t.slice(pos, end);
    if (w === '[[' || PREFIX_KEYWORDS.has(w) || CLOSING_KEYWORDS.has(w)) return w;
    if (w === 'for' || w === 'select' || w === 'case' || w === 'function') return w;
    return undefined;
  }

  private isRedirectAhead(pos: number): boolean {
    const t = this.src.text;
    let i = pos;
    while (i < t.length && /[0-9]/.test(t[i])) i++;
    return (t[i] === '<' || t[i] === '>') && (pos === 0 || /[\s;&|()]/.test(t[pos - 1]));
  }

  /** Reads a redirection and its target word; registers here-documents. */
  private readRedirect(pos: number, current: CommandBuilder | undefined): number {
    const t = this.src.text;
    while (/[0-9]/.test(t[pos])) pos++;
    if (t.startsWith('<<<', pos)) pos += 3;
    else if (t.startsWith('<<', pos)) {
      pos += 2;
      const stripTabs = t[pos] === '-';
      if (stripTabs) pos++;
      while (t[pos] === ' ' || t[pos] === '\t') pos++;
      const { word, end } = this.readWord(pos, current);
      const delimiter = word.raw.replace(/['"\\]/g, '');
      if (current) this.pendingHeredocs.push({ delimiter, stripTabs, command: current });
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
          offsets: this.src.offsets.slice(bodyStart, bodyEnd + 1),
        };
        this.child(target.cmd.parent, [...this.wrappers, `${basename(program)} <<`], sub).parseList(0, null);
      }
    }
    return pos;
  }

  private skipToSeparator(pos: number): number {
    const t = this.src.text;
    while (pos < t.length && t[pos] !== ';' && t[pos] !== '\n') {
      if (t[pos] === '"' || t[pos] === "'" || t[pos] === '$' || t[pos] === '`' || t[pos] === '\\') {
        pos = this.readWord(pos, undefined).end;
      } else pos++;
    }
    return pos;
  }

  private skipToSeparatorOrBrace(pos: number): number {
    const t = this.src.text;
    while (pos < t.length && !/[;\n{(]/.test(t[pos])) pos++;
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
    while (pos < t.length && t[pos] !== ')') {
      if (t[pos] === '"' || t[pos] === "'" || t[pos] === '$' || t[pos] === '\\') pos = this.readWord(pos, undefined).end;
      else pos++;
    }
    return pos + 1;
  }

  private skipDoubleBracket(pos: number): number {
    const t = this.src.text;
    while (pos < t.length && !(t.startsWith(']]', pos) && this.isWordEnd(pos + 2))) {
      if (t[pos] === '"' || t[pos] === "'" || t[pos] === '$' || t[pos] === '\\' || t[pos] === '`') {
        pos = this.readWord(pos, undefined).end;
      } else pos++;
    }
    return Math.min(pos + 2, t.length);
  }

  /** Skips `(( … ))` or `$(( … ))` arithmetic, starting after the opening parentheses. */
  private skipArithmetic(pos: number): number {
    const t = this.src.text;
    let depth = 2;
    while (pos < t.length && depth > 0) {
      if (t[pos] === '(') depth++;
      else if (t[pos] === ')') depth--;
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
    let value = '';
    const valueOffsets: number[] = [];
    let known = true;
    const vars: string[] = [];
    const splittable: boolean[] = [];

    const add = (s: string, at: number, fromUnquotedExpansion = false) => {
      for (let i = 0; i < s.length; i++) {
        value += s[i];
        valueOffsets.push(off[at]);
        splittable.push(fromUnquotedExpansion);
      }
    };
    const expand = (quoted: boolean): void => {
      const r = this.readExpansion(pos, owner);
      if (r.name) vars.push(r.name);
      if (r.value === undefined) known = false;
      else add(r.value, pos, !quoted);
      pos = r.end;
    };

    while (pos < t.length) {
      const c = t[pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') break;
      if (OPERATOR_CHARS.has(c)) {
        if ((c === '<' || c === '>') && t[pos + 1] === '(' && pos === start) {
          const parent = owner?.cmd;
          pos = this.child(parent, []).parseList(pos + 2, ')');
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
        const close = t.indexOf("'", pos + 1);
        const end = close < 0 ? t.length : close;
        if (close < 0) this.result.problems.push('unterminated single quote');
        for (let i = pos + 1; i < end; i++) add(t[i], i);
        pos = end + 1;
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
            pos = this.child(owner?.cmd, []).parseList(pos + 1, '`');
            known = false;
          } else {
            add(d, pos);
            pos++;
          }
        }
        if (pos >= t.length) this.result.problems.push('unterminated double quote');
        pos++;
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
        pos = this.child(owner?.cmd, []).parseList(pos + 1, '`');
        known = false;
        continue;
      }
      add(c, pos);
      pos++;
    }
    const word: Word = {
      raw: t.slice(start, pos),
      value: known ? value : undefined,
      span: { start: off[start], end: off[Math.min(pos, t.length)] },
      vars,
      valueOffsets,
    };
    if (owner && known && splittable.some((s, i) => s && /\s/.test(value[i]))) {
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

  /** Reads `$name`, `${…}`, `$(…)` or `$((…))` at `pos` (which holds `$`). */
  private readExpansion(pos: number, owner: CommandBuilder | undefined): { value: string | undefined; end: number; name?: string } {
    const t = this.src.text;
    const n = t[pos + 1];
    if (n === '(') {
      if (t[pos + 2] === '(') return { value: undefined, end: this.skipArithmetic(pos + 3) };
      const end = this.child(owner?.cmd, []).parseList(pos + 2, ')');
      return { value: undefined, end };
    }
    if (n === '{') return this.readBraced(pos + 2, owner);
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(t.slice(pos + 1, pos + 200));
    if (m) return { value: this.lookup(m[0]), end: pos + 1 + m[0].length, name: m[0] };
    if (n !== undefined && /[0-9@*#?$!-]/.test(n)) return { value: undefined, end: pos + 2 };
    return { value: '$', end: pos + 1 };
  }

  /** Reads the inside of `${…}` starting after `${`. Supports `:-`, `-`, `:+`, `+`, `:=`; the rest is unknown. */
  private readBraced(pos: number, owner: CommandBuilder | undefined): { value: string | undefined; end: number; name?: string } {
    const t = this.src.text;
    const m = /^(#?)([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])/.exec(t.slice(pos, pos + 200));
    const close = this.matchingBrace(pos);
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

  /** Position after the `}` that closes a `${` whose content starts at `pos`. */
  private matchingBrace(pos: number): number {
    const t = this.src.text;
    let depth = 1;
    while (pos < t.length) {
      const c = t[pos];
      if (c === '\\') pos += 2;
      else if (c === "'") pos = t.indexOf("'", pos + 1) < 0 ? t.length : t.indexOf("'", pos + 1) + 1;
      else if (c === '{') {
        depth++;
        pos++;
      } else if (c === '}') {
        depth--;
        pos++;
        if (depth === 0) return pos;
      } else pos++;
    }
    this.result.problems.push("missing '}'");
    return pos;
  }
}

function isAssignment(raw: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(raw);
}

export function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i >= 0 ? p.slice(i + 1) : p;
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
    parts.push({ ...word, value: v.slice(s, i), valueOffsets: word.valueOffsets.slice(s, i) });
  }
  return parts;
}

/** Options of wrapper programs that take a value (so the value is not mistaken for the wrapped program). */
const WRAPPER_VALUE_FLAGS: Record<string, Set<string>> = {
  sudo: new Set(['-u', '-g', '-h', '-p', '-C', '-D', '-r', '-t', '-U', '--user', '--group', '--host', '--prompt', '--chdir']),
  env: new Set(['-u', '-C', '--unset', '--chdir', '-S', '--split-string']),
  nice: new Set(['-n', '--adjustment']),
  timeout: new Set(['-s', '-k', '--signal', '--kill-after']),
  xargs: new Set(['-n', '-I', '-P', '-L', '-d', '-a', '-s', '-E', '-i', '--max-args', '--max-procs', '--delimiter', '--arg-file']),
  stdbuf: new Set(['-i', '-o', '-e']),
  nohup: new Set(),
  command: new Set(),
  exec: new Set(['-a']),
  builtin: new Set(),
  time: new Set(['-f', '-o']),
  chronic: new Set(),
  busybox: new Set(),
  gosu: new Set(),
  'su-exec': new Set(),
};

/** Replaces wrapper programs by the program they run; `sh -c '…'` strings are handed to `reparse`. */
function unwrap(cmd: SimpleCommand, reparse: (inner: Word, cmd: SimpleCommand) => void): void {
  for (let guard = 0; guard < 8 && cmd.program; guard++) {
    const name = cmd.program.value === undefined ? '' : basename(cmd.program.value);
    const valueFlags = WRAPPER_VALUE_FLAGS[name];
    if (valueFlags) {
      let i = 0;
      const args = cmd.args;
      // gosu/su-exec take a user first; timeout takes a duration.
      const positionalsToSkip = name === 'gosu' || name === 'su-exec' || name === 'timeout' ? 1 : 0;
      let skipped = 0;
      while (i < args.length) {
        const v = args[i].value ?? '';
        if (v === '--') {
          i++;
          break;
        }
        if (v.startsWith('-') && v.length > 1) {
          i += valueFlags.has(v) ? 2 : 1;
          continue;
        }
        if (name === 'env' || name === 'sudo') {
          if (isAssignment(v)) {
            i++;
            continue;
          }
        }
        if (skipped < positionalsToSkip) {
          skipped++;
          i++;
          continue;
        }
        break;
      }
      if (i >= args.length) return;
      cmd.wrappers.push(name);
      cmd.program = args[i];
      cmd.args = args.slice(i + 1);
      continue;
    }
    if (SHELLS.has(name)) {
      // sh [-eux] -c 'script' [name args…]
      const idx = cmd.args.findIndex((a) => a.value !== undefined && /^-[a-z]*c[a-z]*$/.test(a.value));
      if (idx >= 0 && cmd.args[idx + 1]) {
        const shellWrapped = { ...cmd, wrappers: [...cmd.wrappers, `${name} -c`] };
        reparse(cmd.args[idx + 1], shellWrapped);
      }
      return;
    }
    return;
  }
}
