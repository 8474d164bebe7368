/**
 * tree-sitter-bash as a reference parser for the differential test of the hand-written shell lexer.
 * Test-only: the wasm is loaded from bytes (Language.load(path) uses a dynamic import that jest refuses).
 */
import { readFileSync } from 'node:fs';
import { Language, Parser, type Node } from 'web-tree-sitter';

/** Loads web-tree-sitter and the bash grammar once; async, so call it from `beforeAll`. */
export async function loadBashParser(): Promise<Parser> {
  await Parser.init();
  const language = await Language.load(readFileSync(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm')));
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/** A word of a command: its range in the parsed text (UTF-16 indices, like JS strings) and its text. */
export interface TsWord {
  start: number;
  end: number;
  text: string;
}

/** One simple command as tree-sitter sees it: prefix assignments, then the program and its arguments. */
export interface TsCommand {
  start: number;
  end: number;
  assignments: TsWord[];
  words: TsWord[];
}

/** A here-document body whose command is a shell reading its script from stdin (`bash <<EOF`). */
export interface TsShellHeredoc {
  start: number;
  end: number;
  text: string;
}

export interface TsScript {
  /** In source order; includes the commands of `$(…)` in unquoted here-document bodies that are data. */
  commands: TsCommand[];
  /** Here-document bodies fed to a shell: scripts of their own, to be parsed separately. */
  shellHeredocs: TsShellHeredoc[];
  /** ERROR and MISSING nodes (tree-sitter could not parse part of the text). */
  errors: TsWord[];
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh']);

/** Leaves of a `[ … ]` expression that are words to the `[` program (operands and operators alike). */
const TEST_OPERANDS = new Set([
  'word', 'string', 'raw_string', 'ansi_c_string', 'translated_string', 'simple_expansion', 'expansion',
  'command_substitution', 'process_substitution', 'arithmetic_expansion', 'concatenation', 'number',
  'brace_expression', 'regex', 'extglob_pattern', 'test_operator',
]);

const wordOf = (n: Node): TsWord => ({ start: n.startIndex, end: n.endIndex, text: n.text });

/** The words `[ … ]` receives: tree-sitter nests them in expressions, the shell just sees words. */
function testWords(n: Node, out: TsWord[]): void {
  if (TEST_OPERANDS.has(n.type) || n.childCount === 0) {
    out.push(wordOf(n));
    return;
  }
  for (const c of n.children) if (c) testWords(c, out);
}

function simpleCommand(n: Node): TsCommand {
  const cmd: TsCommand = { start: n.startIndex, end: n.endIndex, assignments: [], words: [] };
  const children = n.children;
  for (let i = 0; i < children.length; i++) {
    const c = children[i];
    if (!c) continue;
    const field = n.fieldNameForChild(i);
    if (n.type === 'command') {
      if (c.type === 'variable_assignment' && cmd.words.length === 0) cmd.assignments.push(wordOf(c));
      else if (field === 'name' || field === 'argument') cmd.words.push(wordOf(c));
    } else if (n.type === 'test_command') {
      testWords(c, cmd.words);
    } else if (c.type !== 'comment' && !/redirect$/.test(c.type)) {
      // declaration_command / unset_command: the keyword and every operand are words.
      cmd.words.push(wordOf(c));
    }
  }
  return cmd;
}

/** Operand-like nodes a redirection may (wrongly) swallow. */
const OPERANDS = new Set([...TEST_OPERANDS].filter((t) => t !== 'test_operator' && t !== 'regex'));

/**
 * The command a redirection belongs to. tree-sitter often hangs a redirection on the enclosing list or
 * pipeline (`a && bash <<EOF` gives `redirected_statement(list, heredoc_redirect)`), so take the command
 * that ends last before it, with only blanks and other redirections in between.
 */
function redirectOwner(redirect: Node, commands: Map<number, TsCommand>, text: string): TsCommand | undefined {
  const parent = redirect.parent;
  if (parent && commands.has(parent.id)) return commands.get(parent.id);
  let best: TsCommand | undefined;
  for (const c of commands.values()) {
    if (c.end <= redirect.startIndex && (!best || c.end > best.end || (c.end === best.end && c.start < best.start))) best = c;
  }
  if (!best) return undefined;
  const between = text.slice(best.end, redirect.startIndex);
  return /^(\s|[0-9]*[<>][>&|]?\s*[^\s;&|()<>]+)*$/.test(between) ? best : undefined;
}

/**
 * tree-sitter-bash lets a redirection swallow the words after its target: `echo >&2 "msg"` gives
 * `file_redirect(>&, 2, "msg")`, `cat <<EOF x` gives `heredoc_redirect(EOF, x)`. To the shell those words
 * are arguments of the command, so give them back to it.
 */
function swallowedWords(redirect: Node): Node[] {
  const operands = redirect.namedChildren.filter((c): c is Node => !!c && OPERANDS.has(c.type));
  // `3>&-` closes a descriptor: it has no target word, so every operand is swallowed.
  const closes = redirect.children.some((c) => c?.type === '>&-' || c?.type === '<&-');
  return redirect.type === 'heredoc_redirect' || closes ? operands : operands.slice(1);
}

/**
 * Nodes with nothing between them are one shell word. tree-sitter-bash sometimes splits one: in
 * `nginx-$NGINX_VERSION` it reads `-$` as a literal `$` ending the word (`nginx-$` + `NGINX_VERSION`).
 */
function joinAdjacent(c: TsCommand, text: string): void {
  // tree-sitter sometimes leaves a backslash-blank out of the word it ends (`${V}\ ` before `)`, or
  // `A=''\ foo` split in two); to the shell it is an escaped blank, part of the word.
  const extend = (w: TsWord): TsWord => {
    let end = w.end;
    while (text[end] === '\\' && (text[end + 1] === ' ' || text[end + 1] === '\t')) end += 2;
    return end === w.end ? w : { start: w.start, end, text: text.slice(w.start, end) };
  };
  c.assignments = c.assignments.map(extend);
  c.words = c.words.map(extend);
  const words: TsWord[] = [];
  let assignments = 0;
  c.assignments.forEach((w, i) => {
    const prev = words[words.length - 1];
    if (prev && prev.end === w.start) words[words.length - 1] = { start: prev.start, end: w.end, text: prev.text + w.text };
    else words.push(w);
    if (i === c.assignments.length - 1) assignments = words.length;
  });
  for (const w of c.words) {
    const prev = words[words.length - 1];
    // A=$(x)`y` can come out as an assignment and a program: still one assignment word.
    if (prev && prev.end === w.start) words[words.length - 1] = { start: prev.start, end: w.end, text: prev.text + w.text };
    else words.push(w);
  }
  c.assignments = words.slice(0, assignments);
  c.words = words.slice(assignments);
}

/**
 * Collects every simple command of a script, at any depth (substitutions, subshells, compound bodies):
 * `command` nodes, and the shell's other simple commands that tree-sitter names apart (`export`/`local`/
 * `declare`/`readonly`, `unset`, `[ … ]`). `[[ … ]]` is a compound command, not a program: left out.
 */
export function treeSitterScript(parser: Parser, text: string): TsScript {
  const tree = parser.parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree');
  const out: TsScript = { commands: [], shellHeredocs: [], errors: [] };
  const byNode = new Map<number, TsCommand>();
  /** The here-document body each command is in (tree-sitter parses the substitutions of unquoted ones). */
  const bodyOf = new Map<TsCommand, number>();
  const redirects: Node[] = [];
  const visit = (n: Node, body: number | undefined): void => {
    if (n.isError || n.isMissing) out.errors.push(wordOf(n));
    const isCommand =
      n.type === 'command' || n.type === 'declaration_command' || n.type === 'unset_command' ||
      (n.type === 'test_command' && n.text.startsWith('[') && !n.text.startsWith('[['));
    if (isCommand) {
      const cmd = simpleCommand(n);
      byNode.set(n.id, cmd);
      if (body !== undefined) bodyOf.set(cmd, body);
    }
    if (/redirect$/.test(n.type)) redirects.push(n);
    for (const c of n.children) if (c) visit(c, n.type === 'heredoc_body' ? n.id : body);
  };
  visit(tree.rootNode, undefined);
  const fedToShell = new Set<number>();
  for (const r of redirects) {
    const extra = swallowedWords(r);
    const owner = redirectOwner(r, byNode, text);
    if (extra.length && !owner) out.errors.push({ ...wordOf(r), text: `words after a redirection with no command: ${r.text}` });
    if (owner) {
      owner.words.push(...extra.map(wordOf));
      owner.words.sort((a, b) => a.start - b.start);
    }
    const body = r.type === 'heredoc_redirect' ? r.children.find((c) => c?.type === 'heredoc_body') : undefined;
    if (!body || !owner || owner.words.length === 0) continue;
    const program = owner.words[0].text.replace(/^.*\//, '');
    if (SHELLS.has(program) && !owner.words.some((w) => w.text === '-c')) {
      // The body is a script of its own: its commands come from parsing it, not from its substitutions.
      fedToShell.add(body.id);
      out.shellHeredocs.push({ start: body.startIndex, end: body.endIndex, text: body.text });
    }
  }
  out.commands = [...byNode.values()]
    .filter((c) => !fedToShell.has(bodyOf.get(c) ?? -1))
    .sort((a, b) => a.start - b.start);
  for (const c of out.commands) joinAdjacent(c, text);
  tree.delete();
  return out;
}
