/**
 * dockerfile-ast re-tokenizes an instruction's text every time its arguments are asked for, and asks often: a
 * RUN's constructor alone calls `getRawArguments()` about six times (getRawArgumentsContent, getArguments,
 * getFlags, getArgumentsRange each re-scan), and the parser builds every instruction twice. On the corpus (506
 * files, 5,342 instructions) that is 22,546 scans of 5.3 M characters for 0.9 M characters of text: measured,
 * ~45% of parsing plus the calls the model makes after it (getFlags, getHeredocs, getArguments).
 *
 * An instruction's raw arguments depend only on what its constructor stores (document, ranges, escape
 * character), none of which changes later, so the first scan is kept on the instance and each call returns a
 * copy: a new list (ModifiableInstruction.getArguments shifts the one it gets to drop the flags) of new
 * Arguments with new ranges (From.getRegistryRange and getImageNameRange move the ends of the range
 * getImageRange hands out, which is its first argument's). test/parse/astArguments.test.ts checks
 * the parse is the same, accessor by accessor, as an unpatched dockerfile-ast on the corpus and on generated
 * files. Applied once, to the copy of dockerfile-ast this program loads (the bundle has its own copy).
 */
import { Instruction, type Argument } from 'dockerfile-ast';

const RAW = Symbol('dockrepro.rawArguments');

type Cached = Instruction & { [RAW]?: Argument[] };

interface RangeLike {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

function copyArgument(a: Argument): Argument {
  const r = a.getRange() as RangeLike;
  const range = { start: { line: r.start.line, character: r.start.character }, end: { line: r.end.line, character: r.end.character } };
  return new (a.constructor as new (value: string, range: RangeLike) => Argument)(a.getValue(), range);
}

const PATCHED = Symbol('dockrepro.rawArgumentsCached');

/**
 * Makes `getRawArguments()` of `instructionClass` (dockerfile-ast's Instruction: a test passes another loaded
 * copy) scan an instruction once. Idempotent.
 */
export function cacheRawArguments(instructionClass: typeof Instruction = Instruction): void {
  const proto = instructionClass.prototype as unknown as { getRawArguments(this: Cached): Argument[]; [PATCHED]?: true };
  if (proto[PATCHED]) return;
  proto[PATCHED] = true;
  const scan = proto.getRawArguments;
  proto.getRawArguments = function (this: Cached): Argument[] {
    let args = this[RAW];
    if (args === undefined) this[RAW] = args = scan.call(this);
    return args.map(copyArgument);
  };
}
