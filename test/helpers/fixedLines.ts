/**
 * How a fix may change a file's lines, shared by the fuzz properties and the corpus fix test: every fix edits
 * within lines it touches, except the source-date-epoch fix, which inserts one whole line
 * `ARG SOURCE_DATE_EPOCH` after a FROM instruction (ending as that line ends; at the end of a file without a
 * final line break, a break and the ARG). So: the fixed text, with those inserted lines taken out, has the
 * original's line count, and differs in at most one line per other fix.
 */
import type { AppliedFix } from '../../src/fix';

const ARG_LINE = /^ARG SOURCE_DATE_EPOCH\r?$/;

export interface LineChanges {
  /** Lines `ARG SOURCE_DATE_EPOCH` the fix inserted (split at '\n'; in a CR-only file the ARG stays within a line). */
  inserted: number;
  /** Original lines that differ, as [1-based line, before, after]. */
  changed: (readonly [number, string, string])[];
}

/** Aligns the fixed text's lines with the original's, taking out inserted ARG lines; throws when that cannot explain the difference. */
export function lineChanges(text: string, fixed: string, applied: readonly AppliedFix[]): LineChanges {
  const a = text.split('\n');
  const b = fixed.split('\n');
  const epochFixes = applied.filter((f) => f.rule === 'source-date-epoch').length;
  const extra = b.length - a.length;
  if (extra < 0 || extra > epochFixes) throw new Error(`fix changed the line count ${a.length} → ${b.length} with ${epochFixes} ARG SOURCE_DATE_EPOCH insertions`);
  const changed: (readonly [number, string, string])[] = [];
  let skip = extra;
  let j = 0;
  for (let i = 0; i < a.length; i++, j++) {
    // An inserted line is an ARG line where the original has none; the original's own ARG lines match themselves.
    while (skip > 0 && a[i] !== b[j] && ARG_LINE.test(b[j])) {
      j++;
      skip--;
    }
    if (a[i] !== b[j]) changed.push([i + 1, a[i], b[j]] as const);
  }
  // An ARG added at the end of a file without a final line break.
  for (; j < b.length; j++, skip--) {
    if (!ARG_LINE.test(b[j]) || skip <= 0) throw new Error(`fix added the line ${JSON.stringify(b[j])}, not ARG SOURCE_DATE_EPOCH`);
  }
  if (skip !== 0) throw new Error(`fix added ${extra} lines, and ${skip} of them are not ARG SOURCE_DATE_EPOCH lines after a FROM`);
  return { inserted: extra, changed };
}
