/** Applying text edits: everything outside an edit stays byte for byte as it was. */
import type { TextEdit } from '../fixers/types';

/** True when two edits touch the same text; two edits starting at one offset conflict too (order unclear). */
export function overlaps(a: TextEdit, b: TextEdit): boolean {
  return (a.start < b.end && b.start < a.end) || a.start === b.start;
}

/** Applies non-overlapping edits to `text`. Throws on overlapping edits: callers must select first. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.start < at || e.end < e.start || e.end > text.length) throw new Error(`overlapping or invalid edit at ${e.start}-${e.end}`);
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}
