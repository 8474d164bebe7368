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

/**
 * Edits taken so far, kept sorted by start and without duplicates, so that a clash is found by binary search:
 * a file with 16k findings must not compare every fix with every other.
 */
export class EditSet {
  private readonly edits: TextEdit[] = [];
  private readonly keys = new Set<string>();

  /** True when `e` overlaps an edit taken so far (the very same edit does not clash). */
  clashes(e: TextEdit): boolean {
    if (this.keys.has(editKey(e))) return false;
    // Taken edits never overlap one another, so only the one before `e` can reach into it and those after
    // it start in order: stop at the first that starts past its end.
    let i = this.lowerBound(e.start);
    if (i > 0 && overlaps(this.edits[i - 1], e)) return true;
    for (; i < this.edits.length && (this.edits[i].start < e.end || this.edits[i].start === e.start); i++) {
      if (overlaps(this.edits[i], e)) return true;
    }
    return false;
  }

  add(e: TextEdit): void {
    const key = editKey(e);
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.edits.splice(this.lowerBound(e.start), 0, e);
  }

  /** Each distinct edit once. */
  all(): TextEdit[] {
    return [...this.edits];
  }

  private lowerBound(start: number): number {
    let lo = 0;
    let hi = this.edits.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.edits[mid].start < start) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function editKey(e: TextEdit): string {
  return `${e.start}\u0000${e.end}\u0000${e.text}`;
}
