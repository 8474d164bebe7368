/**
 * A small POSIX-shell lexer that turns a RUN body into simple commands with exact source ranges.
 *
 * Hand-written rather than tree-sitter-bash: loading the tree-sitter wasm costs ~30 ms and stalls exit,
 * which alone breaks the 1.5x-of-bare-node start-up budget of the editor and pre-commit hooks. It is
 * differential-tested against tree-sitter-bash on every RUN body of the corpus (test/parse/shell-diff.test.ts).
 *
 * It understands what decides command boundaries and argument words: quoting and escapes, `&& || ; | &`,
 * newlines, subshells and groups, `$(…)`, backticks, `<(…)`, `${…}` with defaults, here-documents (data,
 * unless fed to a shell; the substitutions in an unquoted one still run), compound-command keywords, prefix
 * assignments and arrays. Commands nested anywhere (in a `${X:-$(…)}` operand, `$(( ))`, a `for` list) are
 * found. Wrappers (`sudo`, `env`, `sh -c '…'`, …) are unwrapped so rules see the real program.
 * Odd input never throws or hangs: what cannot be lexed is reported in `problems`.
 *
 * The pieces: ./shellTypes.ts (the types rules import, re-exported here), ./shellSource.ts (the text and its
 * offsets), ./shellLexer.ts (the lexer class), ./shellUnwrap.ts (wrappers). Rules import from this module.
 */
import { Lexer } from './shellLexer';
import { sourceFromText, type Source } from './shellSource';
import type { ShellParse, VarLookup, Word } from './shellTypes';

export type { ShellParse, SimpleCommand, VarLookup, Word } from './shellTypes';
export { allocOffsets, sourceFromText, type Offsets, type Source } from './shellSource';
export { isSpaceCode, isWordBreak } from './shellLexer';
export { basename } from './shellUnwrap';

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
