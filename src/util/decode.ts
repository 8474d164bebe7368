/** Turns file bytes into Dockerfile text, or a clear reason why they are not one. */

export type Decoded =
  | { kind: 'text'; text: string; bom: boolean }
  | { kind: 'empty' }
  | { kind: 'invalid'; reason: string };

export function decodeDockerfile(bytes: Buffer): Decoded {
  if (bytes.length === 0) return { kind: 'empty' };
  const utf16 = utf16Order(bytes);
  if (utf16) return { kind: 'invalid', reason: `UTF-16 (${utf16}) text, not UTF-8: BuildKit reads UTF-8 only; save the file as UTF-8` };
  const nul = bytes.indexOf(0);
  if (nul >= 0) return { kind: 'invalid', reason: `binary file (NUL byte at offset ${nul}), not a Dockerfile` };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const line = countLines(bytes, at);
    return { kind: 'invalid', reason: `invalid UTF-8 at byte ${at} (line ${line}); save the file as UTF-8` };
  }
  const bom = text.charCodeAt(0) === 0xfeff;
  if (bom) text = text.slice(1);
  if (text.trim() === '') return { kind: 'empty' };
  return { kind: 'text', text, bom };
}

/**
 * The byte order of a UTF-16 file: its byte-order mark, or (without one) ASCII text whose every other byte
 * is NUL, as editors on Windows write it. Undefined for anything else.
 */
function utf16Order(b: Buffer): 'little-endian' | 'big-endian' | undefined {
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return 'little-endian';
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return 'big-endian';
  const n = Math.min(b.length - (b.length % 2), 64);
  if (n < 4) return undefined;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i += 2) {
    if (b[i] === 0 && b[i + 1] !== 0) evenNul++;
    if (b[i + 1] === 0 && b[i] !== 0) oddNul++;
  }
  if (oddNul === n / 2) return 'little-endian';
  if (evenNul === n / 2) return 'big-endian';
  return undefined;
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len === 0 || i + len > b.length) return i;
    for (let k = 1; k < len; k++) if ((b[i + k] & 0xc0) !== 0x80) return i;
    // Overlong forms and surrogates are rejected by the decoder too; checking the whole sequence is enough here.
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(i, i + len));
    } catch {
      return i;
    }
    i += len;
  }
  return i;
}

function countLines(b: Buffer, end: number): number {
  let n = 1;
  for (let i = 0; i < end; i++) if (b[i] === 10) n++;
  return n;
}
