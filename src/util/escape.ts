/**
 * Text from outside (Dockerfile contents, file names, registry and index answers) shown to a person: on a
 * terminal an ESC recolours or clears the screen and a newline fakes another line of output (in GitHub
 * Actions a line starting `::error::` is a workflow command); bidi overrides make text read differently
 * from what it is. Every reporter and the `fix` summary pass such text through here.
 */

/**
 * C0 and C1 controls, DEL, line/paragraph separators, bidi embeddings, overrides, isolates and marks,
 * the non-characters U+FFFE/U+FFFF, and lone surrogates.
 */
const UNPRINTABLE =
  /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The same, less tab, CR and LF: for formats that encode line breaks their own way (GitHub's `%0A`, XML's `&#10;`). */
const UNPRINTABLE_BUT_WHITESPACE =
  /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `\xNN` below U+0100, `\uNNNN` above: visible, and what the character was stays readable. */
function visible(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line of plain output: every control character (newlines too) and bidi control written as an escape. */
export function printable(s: string): string {
  return s.replace(UNPRINTABLE, visible);
}

/** As `printable`, but tab, CR and LF are left for the caller's format to encode. */
export function printableKeepingWhitespace(s: string): string {
  return s.replace(UNPRINTABLE_BUT_WHITESPACE, visible);
}

/**
 * JSON text whose bytes are safe on a terminal while the data stays exact: JSON.stringify already writes C0
 * controls and lone surrogates as `\u` escapes, but leaves DEL, C1 controls (U+009B is a CSI) and bidi
 * controls raw. They can only occur inside strings, so escaping them in the whole text keeps it valid JSON
 * that parses to the same values.
 */
export function terminalSafeJson(json: string): string {
  // Tested first: nearly every text has none, and a test allocates nothing.
  if (!RAW_IN_JSON.test(json)) return json;
  return json.replace(RAW_IN_JSON_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const RAW_IN_JSON = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff]/;
const RAW_IN_JSON_ALL = new RegExp(RAW_IN_JSON.source, 'g');
