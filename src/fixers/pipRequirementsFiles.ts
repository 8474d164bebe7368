/**
 * The requirements files a pip install reads (--write-context): read from the build context (inside it,
 * regular, UTF-8), split into logical lines as pip does, the index options written in them, and the
 * requirement on one line with the file offset of each character.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import { parseRequirementsFile } from '../parse/requirements';
import { copiedFrom } from '../context';
import { describeFsError } from '../discover';
import { CONTEXT_FILE_LIMIT, readRegularFile, RefusedFile } from '../util/safeRead';
import type { FixerContext } from './types';
import { NotFixed } from '../util/notFixed';
import { optionValue, type Located } from './pipInstall';

/** What a pin in a requirements file must leave as it is: its hashes. */
export const HASHES_HINT = 'regenerate the file with its hashes (pip-compile --generate-hashes)';

/** A logical line of a requirements file (physical lines joined at a trailing `\`), with each character's offset in the file text. */
interface LogicalLine {
  /** 1-based number of its first physical line. */
  line: number;
  text: string;
  offsets: number[];
}

/**
 * The logical lines of a requirements file, split and joined as parseRequirementsFile does (so line numbers
 * agree with the rule's): a BOM is skipped, lines end at `\n` or `\r\n`, a line ending in `\` goes on.
 */
function logicalLines(text: string): LogicalLine[] {
  const physical: { start: number; text: string }[] = [];
  let at = text.startsWith('\uFEFF') ? 1 : 0;
  for (;;) {
    const nl = text.indexOf('\n', at);
    const end = nl < 0 ? text.length : nl > at && text[nl - 1] === '\r' ? nl - 1 : nl;
    physical.push({ start: at, text: text.slice(at, end) });
    if (nl < 0) break;
    at = nl + 1;
  }
  const range = (p: { start: number; text: string }) => Array.from({ length: p.text.length }, (_, k) => p.start + k);
  const out: LogicalLine[] = [];
  for (let i = 0; i < physical.length; i++) {
    const line = i + 1;
    let chars = physical[i].text;
    let offsets = range(physical[i]);
    while (chars.endsWith('\\') && i + 1 < physical.length) {
      i++;
      chars = chars.slice(0, -1) + physical[i].text;
      offsets = [...offsets.slice(0, -1), ...range(physical[i])];
    }
    out.push({ line, text: chars, offsets });
  }
  return out;
}

/** The part of a logical line that counts: comment removed, whitespace trimmed; [start, end) into its text. */
function lineBody(l: LogicalLine): { start: number; end: number; text: string } {
  const comment = /(^|\s)#/.exec(l.text);
  let end = comment ? comment.index : l.text.length;
  let start = 0;
  while (start < end && /\s/.test(l.text[start])) start++;
  while (end > start && /\s/.test(l.text[end - 1])) end--;
  return { start, end, text: l.text.slice(start, end) };
}

/** A requirements file of the build context, read for --write-context. */
export interface ContextFile {
  rel: string;
  /** Where its edits go: the real path (two names of one file get one set of edits). */
  path: string;
  text: string;
  lines: LogicalLine[];
}

function isInside(base: string, p: string): boolean {
  const r = relative(base, p);
  return r !== '' && r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r);
}

/**
 * Reads a build-context file for editing: inside the context (also after following links), and UTF-8 that
 * decodes and encodes back to the same bytes (so the command, which reads it as UTF-8, writes only the
 * edited bytes). The text keeps a BOM: edit offsets count it, as the command's reading of the file does.
 */
export function readContextFile(root: string, rel: string): ContextFile {
  const abs = resolve(root, rel);
  if (!isInside(root, abs)) throw new NotFixed(`${rel} is outside the build context: dockrepro does not write there`, 'no-fixer');
  let path: string;
  let bytes: Buffer;
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
    path = realpathSync(abs);
    if (!isInside(realRoot, path)) throw new NotFixed(`${rel} links to a file outside the build context: dockrepro does not write there`, 'no-fixer');
    // Only a regular file of bounded size (never a FIFO or /dev/zero), checked again on the opened file.
    ({ bytes, realPath: path } = readRegularFile(path, CONTEXT_FILE_LIMIT, { realDir: realRoot, what: 'the build context' }));
  } catch (e) {
    if (e instanceof NotFixed) throw e;
    if (e instanceof RefusedFile) throw new NotFixed(`${rel} ${e.message}`, 'no-fixer');
    throw new NotFixed(`could not read ${rel}: ${describeFsError(e)}`, 'failed');
  }
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) throw new NotFixed(`${rel} is not UTF-8 text: dockrepro does not rewrite it`, 'no-fixer');
  return { rel, path, text, lines: logicalLines(text) };
}

/** What the requirements files of one install say about where pip looks, and about pinning. */
export interface Sources {
  /** The files the install reads, by context-relative path. */
  files: Map<string, ContextFile>;
  /** `--index-url` / `--extra-index-url` lines, in the order pip reads them. */
  indexOptions: { kind: 'index' | 'extra'; url: string }[];
  /** Where `--pre` is written, if it is. */
  pre?: string;
  /** Where pip's hash-checking mode is switched on (`--hash` on a line, `--require-hashes`), if it is. */
  hashes?: string;
  /** Where a constraints file is named (`-c`), if one is. */
  constraint?: string;
}

/** Options of requirements-file lines that take a value (pip's req_file parser). */
const FILE_VALUE_OPTIONS = new Set([
  '-i', '--index-url', '--extra-index-url', '-f', '--find-links', '-r', '--requirement', '-c', '--constraint',
  '-e', '--editable', '--trusted-host', '--use-feature', '--only-binary', '--no-binary', '--config-settings',
  '--global-option', '--hash',
]);

/** The options of an option line (`--index-url URL`, `--extra-index-url=URL`, `-iURL`, several on one line). */
function lineOptions(body: string): { name: string; value?: string }[] {
  const tokens = body.split(/\s+/).filter(Boolean);
  const out: { name: string; value?: string }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    let name = t;
    let value: string | undefined;
    const long = /^(--[A-Za-z-]+)=(.*)$/.exec(t);
    if (long) [, name, value] = long;
    else if (/^-[A-Za-z]./.test(t)) [name, value] = [t.slice(0, 2), t.slice(2)];
    if (FILE_VALUE_OPTIONS.has(name) && value === undefined) value = tokens[++i];
    out.push({ name, value });
  }
  return out;
}

const EDITABLE = /^(-e|--editable)(?:\s*=\s*|\s+)/;

/**
 * Reads every requirements file the install reads (each `-r` of the command, then `-r` lines inside them,
 * where pip finds them) and collects their options. Every one must be a file COPYed from the build context:
 * an unknown file may set the index.
 */
export function requirementSources(ctx: FixerContext, loc: Located, read: (rel: string) => ContextFile): Sources {
  const out: Sources = { files: new Map(), indexOptions: [] };
  // Reads one file; at each `-r` it yields the included path and goes on once that file has been read.
  const readFile = function* (imagePath: string): Generator<string, void> {
    if (imagePath.includes('${')) throw new NotFixed(`the requirements file '${imagePath}' depends on a variable expanded at build time`, 'no-fixer');
    const rel = copiedFrom(ctx.model, loc.run, imagePath);
    if (rel === undefined) throw new NotFixed(`the install also reads ${imagePath}, which is not COPYed from the build context: its index options are unknown`, 'no-fixer');
    if (out.files.has(rel)) return;
    const file = read(rel);
    out.files.set(rel, file);
    for (const l of file.lines) {
      const body = lineBody(l).text;
      const where = `${rel} line ${l.line}`;
      if (body === '') continue;
      if (!body.startsWith('-') || EDITABLE.test(body)) {
        if (/\s--hash[=\s]/.test(body)) out.hashes ??= `--hash in ${where}`;
        continue;
      }
      for (const o of lineOptions(body)) {
        const url = () => {
          if (o.value === undefined || o.value.includes('${')) throw new NotFixed(`the value of ${o.name} in ${where} is not known (a variable expanded at build time?)`, 'no-fixer');
          return o.value;
        };
        switch (o.name) {
          case '-i':
          case '--index-url':
            out.indexOptions.push({ kind: 'index', url: url() });
            break;
          case '--extra-index-url':
            out.indexOptions.push({ kind: 'extra', url: url() });
            break;
          case '--no-index':
            throw new NotFixed(`--no-index in ${where}: packages come only from --find-links, which dockrepro cannot see`, 'no-fixer');
          case '-f':
          case '--find-links':
            throw new NotFixed(`--find-links in ${where} adds a source dockrepro does not read: the version pip picks may come from there`, 'no-fixer');
          case '--pre':
            out.pre ??= where;
            break;
          case '--require-hashes':
            out.hashes ??= `--require-hashes in ${where}`;
            break;
          case '-c':
          case '--constraint':
            out.constraint ??= `-c ${o.value ?? ''} in ${where}`;
            break;
          case '-r':
          case '--requirement': {
            // Relative to the file that names it, as pip does.
            const inc = o.value ?? '';
            yield inc.startsWith('/') ? inc : posix.join(posix.dirname(imagePath), inc);
            break;
          }
        }
      }
    }
  };
  // A stack of files being read, not recursion: a chain of thousands of includes is input.
  const visit = (imagePath: string) => {
    const open = [readFile(imagePath)];
    while (open.length > 0) {
      const step = open[open.length - 1].next();
      if (step.done) open.pop();
      else open.push(readFile(step.value));
    }
  };
  for (const o of loc.parsed.optionWords) if (o.name === '-r' || o.name === '--requirement') visit(optionValue(o.name, o.value));
  return out;
}

/** The requirement on a line: its text (as parseRequirementsFile reads it) and the file offset of each character. */
export function requirementAt(file: ContextFile, line: number): { spec: string; offsets: number[]; hashes: boolean } | string {
  const l = file.lines.find((x) => x.line === line);
  const parsed = parseRequirementsFile(file.text).find((x) => x.line === line);
  if (!l || !parsed || parsed.include) return `line ${line} of ${file.rel} is not a requirement (has the file changed?)`;
  let { start, end } = lineBody(l);
  const editable = EDITABLE.exec(l.text.slice(start, end));
  if (editable) start += editable[0].length;
  // Per-requirement options (`--hash=…`, `--config-settings …`) follow the requirement.
  const option = /\s+--\S/.exec(l.text.slice(start, end));
  if (option) end = start + option.index;
  const spec = l.text.slice(start, end).trimEnd();
  if (spec !== parsed.spec) return `line ${line} of ${file.rel} is not laid out in a way dockrepro can edit: pin it by hand`;
  return { spec, offsets: l.offsets.slice(start, start + spec.length), hashes: parsed.hashes };
}
