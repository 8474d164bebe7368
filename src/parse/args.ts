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
      if (eq >= 0) {
        const valueWord: Word = { ...w, value: v.slice(eq + 1), valueOffsets: w.valueOffsets.slice(eq + 1) };
        out.options.set(name, valueWord);
        out.optionWords.push({ name, word: w, value: valueWord });
      } else if (spec.withValue.has(name) && i + 1 < args.length) {
        out.options.set(name, args[i + 1]);
        out.optionWords.push({ name, word: w, value: args[i + 1] });
        i++;
      } else {
        out.options.set(name, true);
        out.optionWords.push({ name, word: w });
      }
      continue;
    }
    // Short options, possibly bundled (`-yq`), the last one possibly taking a value (`-tNAME`, `-t NAME`).
    for (let j = 1; j < v.length; j++) {
      const name = `-${v[j]}`;
      if (spec.withValue.has(name)) {
        if (j + 1 < v.length) {
          const valueWord: Word = { ...w, value: v.slice(j + 1), valueOffsets: w.valueOffsets.slice(j + 1) };
          out.options.set(name, valueWord);
          out.optionWords.push({ name, word: w, value: valueWord });
        } else if (i + 1 < args.length) {
          out.options.set(name, args[i + 1]);
          out.optionWords.push({ name, word: w, value: args[i + 1] });
          i++;
        } else {
          out.options.set(name, true);
          out.optionWords.push({ name, word: w });
        }
        break;
      }
      out.options.set(name, true);
      out.optionWords.push({ name, word: w });
    }
  }
  return out;
}
