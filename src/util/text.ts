/** Offsets are 0-based UTF-16 indexes into the file text; lines and columns shown to users are 1-based. */
export interface Span {
  start: number;
  end: number;
}

export interface Position {
  line: number;
  column: number;
}

/** Maps offsets to line/column and back, for one text. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    // Line breaks as dockerfile-ast counts them (its positions are converted here): LF, CRLF, and a lone CR.
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) this.starts.push(i + 1);
    }
  }

  /** 1-based line and column of an offset. */
  position(offset: number): Position {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo] + 1 };
  }

  /** Offset of a 0-based LSP-style position, as dockerfile-ast reports them. */
  offset(line: number, character: number): number {
    if (line >= this.starts.length) return this.text.length;
    return Math.min(this.starts[line] + character, this.text.length);
  }

  lineCount(): number {
    return this.starts.length;
  }

  /** Start offset of a 1-based line. */
  lineStart(line: number): number {
    return this.starts[Math.max(0, Math.min(line - 1, this.starts.length - 1))];
  }
}
