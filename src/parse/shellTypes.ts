/** What the shell lexer gives rules and fixers: words and simple commands with exact Dockerfile ranges. */
import type { Span } from '../util/text';
import type { Offsets } from './shellSource';

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
  valueOffsets: Offsets;
}

export interface SimpleCommand {
  /** Basename of the program after unwrapping `sudo`, `env`, …; '' when the program is not literal. */
  name: string;
  program: Word | undefined;
  /** Every word of the command as written, before unwrapping (`sudo`, `-u`, `app`, `pip`, …); no assignments. */
  words: Word[];
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
