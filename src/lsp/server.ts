/**
 * `dockrepro lsp`: a language server over stdio. Diagnostics are `dockrepro lint` of the editor's text (offline,
 * as rules always are), debounced while typing and at once on open and save. Code actions are the fixes of
 * `dockrepro fix --offline` (image digests from the lock file; the network only when the `network` setting
 * allows it): a quick fix per finding, and the whole fix as `source.fixAll.dockrepro` for fix-on-save. The
 * server never writes a file. Loaded only by the `lsp` command: lint's start-up does not pay for it.
 */
import { fileURLToPath } from 'node:url';
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  TextDocuments,
  TextDocumentSyncKind,
  createConnection,
  type CodeAction,
  type Connection,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { DEFAULT_SETTINGS, diagnostics, fixAll, quickFixes, type DocumentInput, type QuickFix, type Settings } from './analysis';
import { RULES } from '../rules/index';

/** How long typing must pause before the document is linted again. */
export const DEBOUNCE_MS = 200;

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.dockrepro`;

export interface ServerIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Serves until the client sends `exit` (the library then ends the process: 0 after `shutdown`, else 1). */
export function startLanguageServer(io: ServerIo): Connection {
  const connection = createConnection(io.input, io.output);
  const documents = new TextDocuments(TextDocument);
  const timers = new Map<string, NodeJS.Timeout>();
  /** Settings by document URI, asked once per document until the client says they changed. */
  const settingsCache = new Map<string, Promise<Settings>>();
  /** Fixes of a document version with the settings they were made with (code actions come often). */
  const fixCache = new Map<string, { version: number; settings: Settings; quick: Promise<QuickFix[]>; all: Promise<TextEdit[]> }>();
  let pullSettings = false;
  let pushedSettings: unknown;
  let versionedEdits = false;

  connection.onInitialize((params) => {
    pullSettings = !!params.capabilities.workspace?.configuration;
    versionedEdits = !!params.capabilities.workspace?.workspaceEdit?.documentChanges;
    // Clients without workspace/configuration (or before it answers) may pass settings here.
    const init = params.initializationOptions as { dockrepro?: unknown } | undefined;
    pushedSettings = init?.dockrepro ?? init;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] },
      },
      serverInfo: { name: 'dockrepro', version: (require('../../package.json') as { version: string }).version },
    };
  });

  connection.onInitialized(() => {
    if (pullSettings) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'dockrepro' }).catch(() => undefined);
  });

  /** Counts settings changes, so a publish that began under older settings can tell. */
  let settingsGeneration = 0;
  connection.onDidChangeConfiguration((change) => {
    const pushed = (change.settings as { dockrepro?: unknown } | null)?.dockrepro;
    if (pushed !== undefined) pushedSettings = pushed;
    settingsCache.clear();
    fixCache.clear();
    settingsGeneration++;
    for (const doc of documents.all()) void publish(doc);
  });

  function settingsFor(uri: string): Promise<Settings> {
    let s = settingsCache.get(uri);
    if (!s) {
      s = (pullSettings ? connection.workspace.getConfiguration({ scopeUri: uri, section: 'dockrepro' }) : Promise.resolve(undefined))
        .catch(() => undefined)
        .then((pulled) => readSettings(pulled ?? pushedSettings, (m) => connection.console.warn(m)));
      settingsCache.set(uri, s);
    }
    return s;
  }

  function input(doc: TextDocument): DocumentInput {
    let path: string | undefined;
    if (doc.uri.startsWith('file:')) {
      try {
        path = fileURLToPath(doc.uri);
      } catch {
        path = undefined;
      }
    }
    return { text: doc.getText(), path, cwd: io.cwd };
  }

  async function publish(doc: TextDocument): Promise<void> {
    clearTimeout(timers.get(doc.uri));
    timers.delete(doc.uri);
    const generation = settingsGeneration;
    const settings = await settingsFor(doc.uri);
    // Settings changed while they were asked for: the publish started by that change sends the diagnostics,
    // so stale ones cannot arrive after (and overwrite) the fresh ones.
    if (generation !== settingsGeneration) return;
    // The document may have changed or closed while the settings were asked for: lint what is there now.
    const now = documents.get(doc.uri);
    if (!now) return;
    try {
      await connection.sendDiagnostics({ uri: now.uri, version: now.version, diagnostics: diagnostics(input(now), settings) });
    } catch (e) {
      connection.console.error(`dockrepro: could not lint ${now.uri}: ${(e as Error).message}`);
    }
  }

  documents.onDidOpen((e) => void publish(e.document));
  documents.onDidSave((e) => void publish(e.document));
  documents.onDidChangeContent((e) => {
    clearTimeout(timers.get(e.document.uri));
    timers.set(e.document.uri, setTimeout(() => void publish(e.document), DEBOUNCE_MS));
  });
  documents.onDidClose((e) => {
    clearTimeout(timers.get(e.document.uri));
    timers.delete(e.document.uri);
    fixCache.delete(e.document.uri);
    settingsCache.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  async function fixesFor(doc: TextDocument) {
    const settings = await settingsFor(doc.uri);
    let entry = fixCache.get(doc.uri);
    if (!entry || entry.version !== doc.version || entry.settings !== settings) {
      const d = input(doc);
      entry = { version: doc.version, settings, quick: quickFixes(d, settings, io.env), all: fixAll(d, settings, io.env) };
      fixCache.set(doc.uri, entry);
    }
    return entry;
  }

  connection.onCodeAction(async (params): Promise<CodeAction[]> => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc) return [];
    const only = params.context.only;
    const wants = (kind: string) => !only || only.some((k) => kind === k || kind.startsWith(`${k}.`));
    const fixes = await fixesFor(doc);
    const edit = (edits: TextEdit[]): WorkspaceEdit =>
      versionedEdits ? { documentChanges: [{ textDocument: { uri: doc.uri, version: doc.version }, edits }] } : { changes: { [doc.uri]: edits } };
    const actions: CodeAction[] = [];
    if (wants(CodeActionKind.QuickFix)) {
      const quick = (await fixes.quick).filter((q) => intersects(q.diagnostic.range, params.range));
      for (const q of quick) {
        actions.push({ title: `${q.title}${q.safe ? '' : ' (unsafe)'}`, kind: CodeActionKind.QuickFix, diagnostics: [q.diagnostic], isPreferred: q.safe, edit: edit(q.edits) });
      }
      const all = await fixes.all;
      if (quick.length && all.length) actions.push({ title: 'Fix all dockrepro problems', kind: CodeActionKind.QuickFix, edit: edit(all) });
    }
    if (wants(FIX_ALL_KIND)) {
      const all = await fixes.all;
      if (all.length) actions.push({ title: 'Fix all dockrepro problems', kind: FIX_ALL_KIND, edit: edit(all) });
    }
    return actions;
  });

  documents.listen(connection);
  connection.listen();
  return connection;
}

/** The settings from what the client gave (anything: it is the user's JSON); wrong values fall back, with a warning. */
export function readSettings(raw: unknown, warn: (message: string) => void): Settings {
  const s: Settings = { ...DEFAULT_SETTINGS, disable: [] };
  if (raw === null || typeof raw !== 'object') return s;
  const r = raw as Record<string, unknown>;
  for (const key of ['unsafe', 'network'] as const) {
    if (r[key] === undefined) continue;
    if (typeof r[key] === 'boolean') s[key] = r[key];
    else warn(`dockrepro: setting '${key}' must be true or false`);
  }
  if (Array.isArray(r.disable)) {
    for (const id of r.disable) {
      if (typeof id === 'string' && RULES.some((rule) => rule.meta.id === id)) s.disable.push(id);
      else warn(`dockrepro: setting 'disable': unknown rule '${String(id)}' (see 'dockrepro rules')`);
    }
  }
  return s;
}

function intersects(a: { start: Pos; end: Pos }, b: { start: Pos; end: Pos }): boolean {
  return !(before(a.end, b.start) || before(b.end, a.start));
}

type Pos = { line: number; character: number };
const before = (p: Pos, q: Pos) => p.line < q.line || (p.line === q.line && p.character < q.character);
