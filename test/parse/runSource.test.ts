/**
 * runSource (a RUN's text for the shell, every character mapped to its file offset) must equal the plain
 * character-by-character join it replaced, and logicalLine (its first line, for rule syntax, without an
 * offsets array) must agree with it: same text, same offset for every character and for the end. Checked on every instruction of the corpus, from several starts, and on every
 * slice of small texts made of what steers them (continuations, comments, CRLF, here-documents).
 */
import { readFileSync } from 'node:fs';
import { logicalLine, parseDockerfile, runSource } from '../../src/parse/dockerfile';
import { corpusFiles, itWithCorpus } from '../helpers/corpus';

/**
 * The join as it was written before it was made fast: character by character, an offset pushed per
 * character. runSource must give the same text and offsets.
 */
function reference(text: string, start: number, end: number, escape: string): { text: string; offsets: number[]; firstLine: string } {
  let out = '';
  const offsets: number[] = [];
  const copy = (from: number, to: number) => {
    for (let k = from; k < to; k++) {
      out += text[k];
      offsets.push(k);
    }
  };
  let i = start;
  let runStart = start;
  let firstLineEnd = -1;
  while (i < end) {
    const c = text[i];
    if (c === escape) {
      let j = i + 1;
      while (text[j] === ' ' || text[j] === '\t') j++;
      if (text[j] === '\r') j++;
      if (text[j] === '\n' || j >= end) {
        copy(runStart, i);
        i = j + 1;
        for (;;) {
          let k = i;
          while (k < end && (text[k] === ' ' || text[k] === '\t')) k++;
          if (k < end && text[k] === '#') {
            while (k < end && text[k] !== '\n') k++;
            i = k + 1;
          } else if (k < end && (text[k] === '\n' || (text[k] === '\r' && text[k + 1] === '\n'))) {
            i = text[k] === '\r' ? k + 2 : k + 1;
          } else break;
        }
        runStart = i;
        continue;
      }
    }
    if (c === '\n') {
      copy(runStart, i);
      firstLineEnd = out.length;
      runStart = i;
      break;
    }
    i++;
  }
  if (firstLineEnd < 0) {
    copy(runStart, Math.min(i, end));
    runStart = end;
  }
  copy(runStart, end);
  offsets.push(end);
  return { text: out, offsets, firstLine: firstLineEnd < 0 ? out : out.slice(0, firstLineEnd) };
}

/** What differs between runSource and logicalLine on text[start, end), or '' when they agree. */
function disagreement(text: string, start: number, end: number, escape: string): string {
  const { source, firstLine } = runSource(text, start, end, escape);
  const line = logicalLine(text, start, end, escape);
  const where = JSON.stringify(text.slice(start, end));
  const ref = reference(text, start, end, escape);
  if (source.text !== ref.text || firstLine !== ref.firstLine || source.offsets.join() !== ref.offsets.join()) return `runSource of ${where}`;
  if (line.text !== firstLine || !source.text.startsWith(firstLine)) return `text of ${where}`;
  if (source.offsets.length !== source.text.length + 1) return `offsets length of ${where}`;
  for (let i = 0; i <= firstLine.length; i++) if (line.at(i) !== source.offsets[i]) return `offset ${i} of ${where}`;
  // Every character is the file's character at its offset (continuations are dropped, never rewritten).
  for (let i = 0; i < source.text.length; i++) if (source.text[i] !== text[source.offsets[i]]) return `character ${i} of ${where}`;
  return '';
}

itWithCorpus('agree on every instruction of the corpus', () => {
  let n = 0;
  const failures: string[] = [];
  const files = corpusFiles();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const model = parseDockerfile(text);
    for (const inst of model.instructions) {
      const { start, end } = inst.span;
      for (const from of [start, start + inst.keyword.length, Math.floor((start + end) / 2)]) {
        const d = disagreement(text, Math.min(from, end), end, model.escape);
        if (d) failures.push(d);
        n++;
      }
    }
  }
  expect(failures).toEqual([]);
  if (files.length) expect(n).toBeGreaterThan(1000);
});

it('agree on every slice of texts with continuations, comments, CRLF and here-documents', () => {
  const texts = ['RUN a \\\n  # c\n\n b', 'RUN a \\', 'RUN a \\ \t\r\n b\r\n', 'RUN <<EOF\nx\nEOF\n', 'RUN a`\n b', '\\\n\\\n', 'RUN x \\\r\n\r\n#y\n z <<E\nbody\nE'];
  const failures: string[] = [];
  for (const text of texts) {
    for (let s = 0; s <= text.length; s++) {
      for (let e = s; e <= text.length; e++) for (const escape of ['\\', '`']) failures.push(disagreement(text, s, e, escape));
    }
  }
  expect(failures.filter((f) => f)).toEqual([]);
});
