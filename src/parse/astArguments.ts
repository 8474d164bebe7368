/**
 * dockerfile-ast re-tokenizes an instruction's text every time its arguments are asked for, and asks often: a
 * RUN's constructor alone calls `getRawArguments()` about six times (getRawArgumentsContent, getArguments,
 * getFlags, getArgumentsRange each re-scan), and the parser builds every instruction twice. On the corpus (506
 * files, 5,342 instructions) that is 22,546 scans of 5.3 M characters for 0.9 M characters of text: measured,
 * ~45% of parsing plus the calls the model makes after it (getFlags, getHeredocs, getArguments).
 *
 * An instruction's raw arguments depend only on what its constructor stores (document, ranges, escape
 * character), none of which changes later, so the first scan is kept on the instance and each call returns a
 * copy of that list (callers shift the array they get: ModifiableInstruction.getArguments drops the flags).
 * The Argument objects are shared; dockerfile-ast never mutates them. test/parse/astArguments.test.ts checks
 * the parse is the same, accessor by accessor, as an unpatched dockerfile-ast on the corpus and on generated
 * files. Applied once, to the copy of dockerfile-ast this program loads (the bundle has its own copy).
 */
import { Instruction, type Argument } from 'dockerfile-ast';

const RAW = Symbol('dockrepro.rawArguments');

type Cached = Instruction & { [RAW]?: Argument[] };

let applied = false;

/** Makes `getRawArguments()` scan an instruction once. Idempotent. */
export function cacheRawArguments(): void {
  if (applied) return;
  applied = true;
  const proto = Instruction.prototype as unknown as { getRawArguments(this: Cached): Argument[] };
  const scan = proto.getRawArguments;
  proto.getRawArguments = function (this: Cached): Argument[] {
    let args = this[RAW];
    if (args === undefined) this[RAW] = args = scan.call(this);
    return args.slice();
  };
}
