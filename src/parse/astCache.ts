/**
 * Two caches inside dockerfile-ast, which repeats work its answers do not need repeated (measured on the
 * corpus: 506 files, 5,342 instructions, 0.9 M characters):
 *
 * 1. An instruction re-tokenizes its text every time its arguments are asked for, and they are asked for
 *    often: a RUN's constructor alone calls `getRawArguments()` about six times (getRawArgumentsContent,
 *    getArguments, getFlags, getArgumentsRange each re-scan). The corpus took 22,546 scans of 5.3 M characters,
 *    ~45% of the parse plus the calls the model makes after it (getFlags, getHeredocs, getArguments). The raw
 *    arguments depend only on what the constructor stores (document, ranges, escape character), none of which
 *    changes later, so the first scan is kept on the instance and each call returns a new list
 *    (ModifiableInstruction.getArguments shifts the one it gets to drop the flags; getExpandedArguments
 *    replaces elements). The Arguments are shared except in FROM, which gets new ones with new ranges:
 *    From.getRegistryRange and getImageNameRange move the ends of the range getImageRange hands out, its
 *    first argument's (the only writes to a range in dockerfile-ast 0.7.1).
 * 2. The parser builds every instruction with arguments twice: once to look for here-documents, then again,
 *    from the same positions unless a here-document body followed, to keep. When the second build has the same
 *    inputs as the first (same parse, keyword, offsets, escape character), the first instance is kept: nothing
 *    was stored on it in between but the caches above. A second parse saves ~40% again.
 *
 * 3. `Util.isUTF8BOM(char)`, asked twice per parse, encodes its argument into a new Buffer and copies that into
 *    a Uint8Array to compare three bytes: the bytes are EF BB BF exactly when the first UTF-16 unit is U+FEFF
 *    (no other unit, lone surrogates included, encodes to them), which one charCodeAt says.
 *
 * All give the same answers as dockerfile-ast as published: test/parse/astCache.test.ts compares every
 * argument-free getter, three calls deep, with an unpatched copy on the corpus and on generated and mutated
 * files. Applied once, to the copy of dockerfile-ast this program loads (the bundle has its own copy).
 */
import { From, Instruction, type Argument } from 'dockerfile-ast';
import { Parser } from 'dockerfile-ast/lib/parser';
import { Util } from 'dockerfile-ast/lib/util';

const RAW = Symbol('dockrepro.rawArguments');
const LAST = Symbol('dockrepro.lastInstruction');
const PATCHED = Symbol('dockrepro.cached');

interface RangeLike {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

function copyArgument(a: Argument): Argument {
  const r = a.getRange() as RangeLike;
  const range = { start: { line: r.start.line, character: r.start.character }, end: { line: r.end.line, character: r.end.character } };
  return new (a.constructor as new (value: string, range: RangeLike) => Argument)(a.getValue(), range);
}

type InstructionProto = { getRawArguments(this: { [RAW]?: Argument[] }): Argument[]; [PATCHED]?: true };

interface Built {
  document: unknown;
  dockerfile: unknown;
  escapeChar: string;
  keyword: string;
  start: number;
  instructionEnd: number;
  end: number;
  instruction: Instruction;
}

type ParserSelf = { document: unknown; escapeChar: string; [LAST]?: Built };
type CreateInstruction = (this: ParserSelf, dockerfile: unknown, keyword: string, start: number, instructionEnd: number, end: number) => Instruction;
type ParserProto = { createInstruction: CreateInstruction; [PATCHED]?: true };

/**
 * Installs the caches in dockerfile-ast's `Instruction` and `Parser` classes (and `From`), and the BOM test in `Util` (a test passes another loaded
 * copy's). Idempotent.
 */
export function cacheDockerfileAst(
  classes: { Instruction: unknown; From: unknown; Parser: unknown; Util: unknown } = { Instruction, From, Parser, Util },
): void {
  const inst = (classes.Instruction as { prototype: InstructionProto }).prototype;
  if (!inst[PATCHED]) {
    inst[PATCHED] = true;
    const scan = inst.getRawArguments;
    const from = classes.From as abstract new (...args: never[]) => unknown;
    inst.getRawArguments = function () {
      let args = this[RAW];
      if (args === undefined) this[RAW] = args = scan.call(this);
      return this instanceof from ? args.map(copyArgument) : args.slice();
    };
  }
  const parser = (classes.Parser as { prototype: ParserProto }).prototype;
  if (!parser[PATCHED]) {
    parser[PATCHED] = true;
    const create = parser.createInstruction;
    parser.createInstruction = function (dockerfile, keyword, start, instructionEnd, end) {
      const last = this[LAST];
      this[LAST] = undefined;
      if (
        last !== undefined && last.document === this.document && last.dockerfile === dockerfile && last.escapeChar === this.escapeChar &&
        last.keyword === keyword && last.start === start && last.instructionEnd === instructionEnd && last.end === end
      ) {
        return last.instruction;
      }
      const instruction = create.call(this, dockerfile, keyword, start, instructionEnd, end);
      this[LAST] = { document: this.document, dockerfile, escapeChar: this.escapeChar, keyword, start, instructionEnd, end, instruction };
      return instruction;
    };
  }
  const util = classes.Util as { isUTF8BOM(char: string): boolean; [PATCHED]?: true };
  if (!util[PATCHED]) {
    util[PATCHED] = true;
    util.isUTF8BOM = (char: string) => char.charCodeAt(0) === 0xfeff;
  }
}
