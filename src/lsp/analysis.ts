/**
 * What the language server knows about one document, computed by the CLI's own code paths: `lint -` with the
 * document's path as --stdin-filename (its folder is the build context, config is found from it), and
 * `fix --offline -` for the edits. Offsets become LSP positions (UTF-16 code units, as the offsets are).
 * Nothing here writes a file: the lock is read, never saved; build-context files are never edited.
 */
import { dirname } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  DiagnosticSeverity,
  type Diagnostic,
  type Range,
  type TextEdit as LspTextEdit,
} from 'vscode-languageserver';
import { diffLines } from 'diff';
import { lintFile, parseNotes, stdinTarget, type LintRun } from '../run';
import { ConfigError, ConfigFinder } from '../config';
import { parseDockerfile } from '../parse/dockerfile';
import { decodeDockerfile } from '../util/decode';
import { singleFixes } from '../fix';
import { fixOne, fixOptions } from '../fixCommand';
import { Resolvers } from '../resolve/resolvers';
import type { Finding, Severity } from '../rules/types';
import type { TextEdit } from '../fixers/types';

/** Where each rule's page is (the same pages SARIF's helpUri points to). */
export const RULE_DOCS = 'https://github.com/dockrepro/dockrepro/blob/main/docs/rules/';

export const SOURCE = 'dockrepro';

/** The `dockrepro` section of the editor's settings. */
export interface Settings {
  /** Offer unsafe fixes too (they may change what gets built), as `fix --unsafe`. */
  unsafe: boolean;
  /** Let fixes look up registries and package indexes; off: only what the lock file holds (`fix --offline`). */
  network: boolean;
  /** Rule ids switched off, as `--disable`. */
  disable: string[];
}

export const DEFAULT_SETTINGS: Settings = { unsafe: false, network: false, disable: [] };

/** A document: its text, and the file it is (undefined for an unsaved buffer: no build context). */
export interface DocumentInput {
  text: string;
  path?: string;
  /** Where config is searched for an unsaved buffer (the server's working folder). */
  cwd: string;
}

/** One quick fix: the finding's diagnostic and the edits to the document. */
export interface QuickFix {
  title: string;
  safe: boolean;
  diagnostic: Diagnostic;
  edits: LspTextEdit[];
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  style: DiagnosticSeverity.Hint,
};

/** The lint run the CLI would make for `lint - --stdin-filename <path> --disable <ids>`. */
function target(doc: DocumentInput, settings: Settings) {
  const finder = new ConfigFinder(); // fresh each time: .dockrepro.yaml may have been edited since
  const run: LintRun = { disabled: new Set(settings.disable), findConfig: (dir) => finder.find(dir) };
  return stdinTarget(doc.cwd, doc.path, run);
}

/** The editor's text minus a byte-order mark: what the offsets of findings and fixes refer to. */
const bomLength = (text: string) => (text.charCodeAt(0) === 0xfeff ? 1 : 0);

export function diagnostics(doc: DocumentInput, settings: Settings): Diagnostic[] {
  const positions = TextDocument.create('file:///x', 'dockerfile', 0, doc.text);
  const shift = bomLength(doc.text);
  const t = target(doc, settings);
  let result;
  try {
    result = lintFile(t.abs, t.name, () => Buffer.from(doc.text, 'utf8'), t.run, true)!;
  } catch (e) {
    if (e instanceof ConfigError) return [fileDiagnostic(DiagnosticSeverity.Error, `config: ${e.message}`)];
    throw e;
  }
  const out = result.findings.map((f) => findingDiagnostic(f, positions, shift));
  if (result.error !== undefined) out.push(fileDiagnostic(DiagnosticSeverity.Error, result.error));
  if (result.notice !== undefined && result.lines) {
    // Parse notes are joined into one line for the CLI; here each goes to its own line.
    const decoded = decodeDockerfile(Buffer.from(doc.text, 'utf8'));
    if (decoded.kind === 'text') {
      for (const note of parseNotes(parseDockerfile(decoded.text))) out.push(noteDiagnostic(note, positions));
    }
  }
  return out;
}

export function findingDiagnostic(f: Finding, positions: TextDocument, shift: number): Diagnostic {
  return {
    range: { start: positions.positionAt(f.span.start + shift), end: positions.positionAt(Math.max(f.span.start, f.span.end) + shift) },
    severity: SEVERITY[f.severity],
    code: f.rule,
    codeDescription: { href: `${RULE_DOCS}${f.rule}.md` },
    source: SOURCE,
    message: f.message,
  };
}

function fileDiagnostic(severity: DiagnosticSeverity, message: string): Diagnostic {
  return { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity, source: SOURCE, message };
}

/** A parse note ("line 3: unknown instruction 'FORM'") on the whole of its line. */
function noteDiagnostic(note: string, positions: TextDocument): Diagnostic {
  const m = /^line (\d+): (.*)$/s.exec(note);
  if (!m) return fileDiagnostic(DiagnosticSeverity.Information, note);
  const line = Math.min(Number(m[1]) - 1, positions.lineCount - 1);
  const end = positions.offsetAt({ line: line + 1, character: 0 });
  const text = positions.getText({ start: { line, character: 0 }, end: positions.positionAt(end) }).replace(/\r?\n$|\r$/, '');
  const range: Range = { start: { line, character: 0 }, end: { line, character: text.length } };
  return { range, severity: DiagnosticSeverity.Information, source: SOURCE, message: m[2] };
}

/** The resolvers of one request: the lock as `fix` finds it, the network only when the settings allow it. */
function resolvers(settings: Settings, env: NodeJS.ProcessEnv): Resolvers {
  return new Resolvers({ offline: !settings.network, refresh: false }, env);
}

/** A quick fix per fixable finding, each on its own (as `fix` would make it first), against the document's text. */
export async function quickFixes(doc: DocumentInput, settings: Settings, env: NodeJS.ProcessEnv): Promise<QuickFix[]> {
  const decoded = decodeDockerfile(Buffer.from(doc.text, 'utf8'));
  if (decoded.kind !== 'text') return [];
  const t = target(doc, settings);
  const flags = { unsafe: settings.unsafe, offline: !settings.network, writeContext: false };
  let fixes;
  try {
    const config = t.run.findConfig(dirname(t.abs));
    const options = fixOptions(t.abs, config, t.run, true, flags, resolvers(settings, env));
    fixes = await singleFixes(decoded.text, options);
    // A build-context file refused (a link out of the context) was taken as missing: offer nothing, as `fix` does.
    if (options.buildContext?.refused.length) return [];
  } catch {
    return []; // a broken config or lock is already a diagnostic
  }
  const positions = TextDocument.create('file:///x', 'dockerfile', 0, doc.text);
  const shift = bomLength(doc.text);
  return fixes.map(({ finding, fix }) => ({
    title: fix.title,
    safe: fix.applicability === 'safe',
    diagnostic: findingDiagnostic(finding, positions, shift),
    edits: fix.edits.map((e) => lspEdit(trimmed(decoded.text, e), positions, shift)),
  }));
}

/** Every fix `dockrepro fix -` would make for the document, as minimal edits to its text. */
export async function fixAll(doc: DocumentInput, settings: Settings, env: NodeJS.ProcessEnv): Promise<LspTextEdit[]> {
  const t = target(doc, settings);
  const flags = { unsafe: settings.unsafe, offline: !settings.network, writeContext: false };
  let output: Buffer | undefined;
  try {
    ({ output } = await fixOne(t.abs, t.name, Buffer.from(doc.text, 'utf8'), flags, t.run, true, resolvers(settings, env)));
  } catch {
    return [];
  }
  if (!output) return [];
  const positions = TextDocument.create('file:///x', 'dockerfile', 0, doc.text);
  return minimalEdits(doc.text, output.toString('utf8')).map((e) => lspEdit(e, positions, 0));
}

function lspEdit(e: TextEdit, positions: TextDocument, shift: number): LspTextEdit {
  return { range: { start: positions.positionAt(e.start + shift), end: positions.positionAt(e.end + shift) }, newText: e.text };
}

/**
 * Edits that turn `before` into `after`, one per changed block of lines, each trimmed to the characters that
 * differ: an editor applying them keeps its cursor, folds and marks everywhere else.
 */
export function minimalEdits(before: string, after: string): TextEdit[] {
  const edits: TextEdit[] = [];
  let at = 0; // offset in `before`
  let pending: { start: number; removed: string; added: string } | undefined;
  const flush = () => {
    if (!pending) return;
    edits.push(trimmed(before, { start: pending.start, end: pending.start + pending.removed.length, text: pending.added }));
    pending = undefined;
  };
  for (const part of diffLines(before, after)) {
    if (!part.added && !part.removed) {
      flush();
      at += part.value.length;
      continue;
    }
    pending ??= { start: at, removed: '', added: '' };
    if (part.removed) {
      pending.removed += part.value;
      at += part.value.length;
    } else pending.added += part.value;
  }
  flush();
  return edits;
}

/** An edit without the characters it would write unchanged at either end (a digest appended stays an insertion). */
export function trimmed(text: string, e: TextEdit): TextEdit {
  const removed = text.slice(e.start, e.end);
  const added = e.text;
  let prefix = 0;
  while (prefix < removed.length && prefix < added.length && removed.charCodeAt(prefix) === added.charCodeAt(prefix)) prefix++;
  // Never split a surrogate pair: an edit boundary between its halves is not a character position.
  if (prefix > 0 && isHighSurrogate(removed.charCodeAt(prefix - 1))) prefix--;
  let suffix = 0;
  const room = Math.min(removed.length, added.length) - prefix;
  while (suffix < room && removed.charCodeAt(removed.length - 1 - suffix) === added.charCodeAt(added.length - 1 - suffix)) suffix++;
  if (suffix > 0 && isLowSurrogate(removed.charCodeAt(removed.length - suffix))) suffix--;
  return { start: e.start + prefix, end: e.end - suffix, text: added.slice(prefix, added.length - suffix) };
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;
