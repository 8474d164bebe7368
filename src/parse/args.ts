/**
 * Splits a command's arguments into options and operands using a per-tool table of the options that take
 * a value, so `pip install --retries 5 flask` sees `flask` as the only package (hadolint's drop lists
 * miss such flags one by one).
 */
import type { Word } from './shell';

export interface OptionSpec {
  /** Options that take a value (`--index-url URL` or `--index-url=URL`; short ones also `-iURL`). */
  withValue: ReadonlySet<string>;
}

export interface ParsedArgs {
  /** Non-option arguments in order. */
  operands: Word[];
  /** Options by name (`--index-url`, `-i`) with their value word, or `true` for switches. */
  options: Map<string, Word | true>;
  /** Options in order, with the word where each appears. */
  optionWords: { name: string; word: Word; value?: Word }[];
}

export function optionSpec(withValue: string[]): OptionSpec {
  return { withValue: new Set(withValue) };
}

/** Parses `args` (options may appear anywhere; `--` ends them). Unknown values count as operands. */
export function parseArgs(args: Word[], spec: OptionSpec): ParsedArgs {
  const out: ParsedArgs = { operands: [], options: new Map(), optionWords: [] };
  for (let i = 0; i < args.length; i++) {
    const w = args[i];
    const v = w.value;
    if (v === '--') {
      out.operands.push(...args.slice(i + 1));
      break;
    }
    if (v === undefined || !v.startsWith('-') || v === '-') {
      out.operands.push(w);
      continue;
    }
    if (v.startsWith('--')) {
      const eq = v.indexOf('=');
      const name = eq >= 0 ? v.slice(0, eq) : v;
      if (eq >= 0) record(out, name, w, tail(w, eq + 1));
      else if (spec.withValue.has(name) && i + 1 < args.length) record(out, name, w, args[++i]);
      else record(out, name, w);
      continue;
    }
    // Short options, possibly bundled (`-yq`), the last one possibly taking a value (`-tNAME`, `-t NAME`).
    for (let j = 1; j < v.length; j++) {
      const name = `-${v[j]}`;
      if (!spec.withValue.has(name)) {
        record(out, name, w);
        continue;
      }
      if (j + 1 < v.length) record(out, name, w, tail(w, j + 1));
      else if (i + 1 < args.length) record(out, name, w, args[++i]);
      else record(out, name, w);
      break;
    }
  }
  return out;
}

function record(out: ParsedArgs, name: string, word: Word, value?: Word): void {
  out.options.set(name, value ?? true);
  out.optionWords.push(value ? { name, word, value } : { name, word });
}

/** The part of a word from character `from` of its value on (`URL` of `--index-url=URL`), with its own range. */
function tail(w: Word, from: number): Word {
  const value = w.value!.slice(from);
  const offsets = w.valueOffsets.slice(from);
  const start = offsets.length ? offsets[0] : w.span.end;
  const end = offsets.length ? Math.max(offsets[offsets.length - 1] + 1, start) : w.span.end;
  // Characters from an expansion all map to the expansion's start: keep the word's end then.
  return { ...w, value, valueOffsets: offsets, span: { start, end: end <= start ? w.span.end : Math.max(end, start) } };
}

/** `'git'`, or `'git' (from $PKGS)` when the word came from a variable, so the user finds where to pin. */
export function operandLabel(word: Word, value: string): string {
  return word.vars.length > 0 && word.raw !== value ? `'${value}' (from ${word.raw})` : `'${value}'`;
}
