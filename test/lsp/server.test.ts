/**
 * `dockrepro lsp` spoken to as an editor does: the built CLI is spawned and driven over stdio with
 * vscode-jsonrpc. Diagnostics are compared with what `dockrepro lint -f json` says of the same text, and the
 * edits of the code actions, applied to the text, with what `dockrepro fix --offline -` writes; the image
 * digest fix comes from a lock file in the repository (offline: no registry is contacted).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { runCli } from '../helpers/cli';
import { workspace } from '../helpers/workspace';
import { LockFile, lockKey } from '../../src/resolve/lock';

const BIN = resolve(__dirname, '../../bin/dockrepro');
const DIGEST = `sha256:${'d1'.repeat(32)}`;

// An emoji before a finding on its line: LSP characters are UTF-16 code units (the emoji counts two).
const TEXT = [
  'FROM python:3.12.7',
  'RUN echo "😀 é" && apt-get install -y curl',
  'RUN useradd app',
  'FORM x',
  'FROM alpine:3.20',
  '',
].join('\n');

interface Diagnostic {
  range: Range;
  severity: number;
  code?: string;
  codeDescription?: { href: string };
  source: string;
  message: string;
}
interface Range {
  start: { line: number; character: number };
  end: { line: number; character: number };
}
interface TextEdit {
  range: Range;
  newText: string;
}
interface CodeAction {
  title: string;
  kind: string;
  isPreferred?: boolean;
  diagnostics?: Diagnostic[];
  edit: { documentChanges: { textDocument: { uri: string; version: number }; edits: TextEdit[] }[] };
}

/** A repository with a config, a lock holding python:3.12.7's digest, and the Dockerfile under app/. */
function repo(): string {
  const dir = workspace({
    // The registry points nowhere: any lookup would fail (and none should be made).
    '.dockrepro.yaml': 'registries:\n  docker.io: { mirror: "127.0.0.1:9" }\nrules:\n  apt-pin: error\n  useradd-uid: { base-id: 20001 }\n',
    'app/Dockerfile': TEXT,
  });
  mkdirSync(join(dir, '.git'));
  const lock = new LockFile(join(dir, 'dockrepro.lock.json'));
  lock.set(lockKey('docker.io/library/python', '3.12.7'), { digest: DIGEST, mediaType: 'application/vnd.oci.image.index.v1+json', resolvedAt: '2024-01-01T00:00:00Z' });
  lock.save();
  return dir;
}

function apply(text: string, edits: TextEdit[]): string {
  return TextDocument.applyEdits(TextDocument.create('file:///x', 'dockerfile', 0, text), edits);
}

/** The text a range covers, counting characters as LSP does (UTF-16 code units). */
function covered(text: string, r: Range): string {
  const doc = TextDocument.create('file:///x', 'dockerfile', 0, text);
  return doc.getText(r);
}

describe('dockrepro lsp (spawned, JSON-RPC over stdio)', () => {
  let child: ChildProcess;
  let rpc: MessageConnection;
  let dir: string;
  let uri: string;
  let settings: Record<string, unknown> = {};
  const published: { uri: string; version?: number; diagnostics: Diagnostic[]; at: number }[] = [];
  const configurationAsked: unknown[] = [];
  /** How many diagnostics had arrived when each configuration request came (messages arrive in order). */
  const publishedWhenAsked: number[] = [];

  /** The first publication for `version` (of the Dockerfile) that arrives after `since`. */
  async function diagnosticsFor(version: number, since = 0): Promise<{ diagnostics: Diagnostic[]; at: number }> {
    for (let waited = 0; waited < 10_000; waited += 10) {
      const p = published.find((d) => d.uri === uri && d.version === version && d.at >= since);
      if (p) return p;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no diagnostics for version ${version}`);
  }

  const codeActions = (range: Range, only?: string[]) =>
    rpc.sendRequest('textDocument/codeAction', { textDocument: { uri }, range, context: { diagnostics: [], only } }) as Promise<CodeAction[]>;
  const WHOLE: Range = { start: { line: 0, character: 0 }, end: { line: 99, character: 0 } };
  const editsOf = (a: CodeAction) => {
    expect(a.edit.documentChanges).toHaveLength(1);
    expect(a.edit.documentChanges[0].textDocument.uri).toBe(uri);
    return a.edit.documentChanges[0].edits;
  };
  const fixOutput = async (extra: string[]) =>
    (await runCli(['fix', '--offline', ...extra, '-', '--stdin-filename', 'app/Dockerfile'], { cwd: dir, stdin: TEXT, env: { HOME: dir } })).stdout;

  beforeAll(async () => {
    if (!existsSync(resolve(__dirname, '../../dist/lsp/server.js'))) throw new Error('dist/lsp/server.js is missing: run `npm run build` first');
    dir = repo();
    uri = pathToFileURL(join(dir, 'app/Dockerfile')).href;
    child = spawn(process.execPath, [BIN, 'lsp', '--stdio'], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir }, stdio: ['pipe', 'pipe', 'inherit'] });
    rpc = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    rpc.onNotification('textDocument/publishDiagnostics', (p: { uri: string; version?: number; diagnostics: Diagnostic[] }) => {
      published.push({ ...p, at: Date.now() });
    });
    rpc.onRequest('workspace/configuration', (p: { items: { section?: string; scopeUri?: string }[] }) => {
      configurationAsked.push(p);
      publishedWhenAsked.push(published.length);
      return p.items.map((i) => (i.section === 'dockrepro' ? settings : null));
    });
    rpc.onRequest('client/registerCapability', () => null);
    rpc.listen();
    const init = (await rpc.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(dir).href,
      capabilities: { workspace: { configuration: true, workspaceEdit: { documentChanges: true }, didChangeConfiguration: { dynamicRegistration: true } } },
    })) as { capabilities: { codeActionProvider: { codeActionKinds: string[] } } };
    expect(init.capabilities.codeActionProvider.codeActionKinds).toEqual(['quickfix', 'source.fixAll.dockrepro']);
    await rpc.sendNotification('initialized', {});
  }, 20_000);

  afterAll(() => {
    rpc?.dispose();
    if (child && child.exitCode === null) child.kill();
  });

  it('on open: the findings of `lint` for the same text, with exact ranges, rule ids linking their pages, and the parse note', async () => {
    const opened = Date.now();
    await rpc.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'dockerfile', version: 1, text: TEXT } });
    const { diagnostics, at } = await diagnosticsFor(1);
    // Logged, not asserted (the machine is shared): how long an editor waits for the first diagnostics.
    console.log(`lsp: diagnostics ${at - opened} ms after didOpen`);
    expect(configurationAsked).toContainEqual({ items: [{ scopeUri: uri, section: 'dockrepro' }] });

    const lint = await runCli(['lint', '-f', 'json', '-', '--stdin-filename', 'app/Dockerfile'], { cwd: dir, stdin: TEXT, env: { HOME: dir } });
    const findings = JSON.parse(lint.stdout).files[0].findings as { rule: string; severity: string; message: string; line: number; column: number; endLine: number; endColumn: number }[];
    // useradd writes the day into /etc/shadow: source-date-epoch (info). The apt-get install of stage 0 leaves no
    // apt-cleanup finding: the image is built from the alpine stage, which does not copy those logs.
    expect(findings.map((f) => f.rule)).toEqual(['image-digest', 'apt-pin', 'source-date-epoch', 'useradd-uid', 'syntax', 'image-digest', 'image-tag']);
    const severity: Record<string, number> = { error: 1, warning: 2, info: 3, style: 4 };
    const fromLint = findings.map((f) => ({
      range: { start: { line: f.line - 1, character: f.column - 1 }, end: { line: f.endLine - 1, character: f.endColumn - 1 } },
      severity: severity[f.severity],
      code: f.rule,
      codeDescription: { href: `https://github.com/dockrepro/dockrepro/blob/main/docs/rules/${f.rule}.md` },
      source: 'dockrepro',
      message: f.message,
    }));
    const withCode = diagnostics.filter((d) => d.code !== undefined);
    expect(withCode).toEqual(fromLint);
    // The config's severity override applies (apt-pin: error), and the ranges cover the very text named.
    expect(withCode[1].severity).toBe(1);
    expect(withCode.map((d) => covered(TEXT, d.range))).toEqual(['python:3.12.7', 'curl', 'useradd', 'app', 'FORM', 'alpine:3.20', 'alpine:3.20']);
    expect(withCode[2].severity).toBe(3);
    expect(withCode[1].range.start.character).toBe(TEXT.split('\n')[1].indexOf('curl'));
    // Each rule id links a page that exists.
    for (const d of withCode) expect(existsSync(resolve(__dirname, '../../docs/rules', `${d.code}.md`))).toBe(true);
    // The unknown instruction is an error BuildKit stops at (rule syntax, over the word), not a note.
    expect(withCode[4]).toMatchObject({ code: 'syntax', severity: 1, message: 'unknown instruction: FORM (did you mean FROM?)' });
    expect(diagnostics.filter((d) => d.code === undefined)).toEqual([]);
  });

  it('code actions: a quick fix for the digest in the lock; fix all equals `fix --offline -`; no network, no unsafe fix by default', async () => {
    const actions = await codeActions(WHOLE);
    const quick = actions.filter((a) => a.kind === 'quickfix' && a.diagnostics?.length);
    // Only python:3.12.7 is in the lock (alpine would need the network); useradd's fix is unsafe; the ARG SOURCE_DATE_EPOCH fix is safe and offline.
    expect(quick.map((a) => a.diagnostics![0].code)).toEqual(['image-digest', 'source-date-epoch']);
    expect(quick[0].isPreferred).toBe(true);
    expect(quick[0].diagnostics![0].range).toEqual({ start: { line: 0, character: 5 }, end: { line: 0, character: 18 } });
    const expected = await fixOutput([]);
    expect(expected).toContain(`FROM python:3.12.7@${DIGEST}\n`);
    // The edit is minimal: it inserts the digest and touches nothing else.
    expect(editsOf(quick[0])).toEqual([{ range: { start: { line: 0, character: 18 }, end: { line: 0, character: 18 } }, newText: `@${DIGEST}` }]);
    // The ARG: a whole line inserted after the FROM, nothing else touched.
    expect(editsOf(quick[1])).toEqual([{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, newText: 'ARG SOURCE_DATE_EPOCH\n' }]);
    expect(apply(TEXT, [...editsOf(quick[0]), ...editsOf(quick[1])])).toBe(expected);

    const fixAll = await codeActions(WHOLE, ['source.fixAll']);
    expect(fixAll.map((a) => a.kind)).toEqual(['source.fixAll.dockrepro']);
    expect(apply(TEXT, editsOf(fixAll[0]))).toBe(expected);
    expect(fixAll[0].edit.documentChanges[0].textDocument.version).toBe(1);
    // A range without a fixable finding offers no quick fix.
    expect(await codeActions({ start: { line: 1, character: 0 }, end: { line: 1, character: 5 } }, ['quickfix'])).toEqual([]);
  });

  it('settings from workspace/configuration: unsafe fixes (with the config base-id) and disabled rules, after didChangeConfiguration', async () => {
    settings = { unsafe: true, disable: ['apt-pin'] };
    const asked = configurationAsked.length;
    await rpc.sendNotification('workspace/didChangeConfiguration', { settings: null });
    try {
      // The diagnostics sent after the server asked for the new settings (a debounced publish of the old
      // ones may still arrive before that request; by time alone the two can fall in the same millisecond).
      for (let waited = 0; configurationAsked.length === asked && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
      let fresh: (typeof published)[number] | undefined;
      for (let waited = 0; !fresh && waited < 10_000; waited += 10) {
        fresh = published.slice(publishedWhenAsked[asked]).find((d) => d.uri === uri && d.version === 1);
        if (!fresh) await new Promise((r) => setTimeout(r, 10));
      }
      const { diagnostics } = fresh!;
      expect(diagnostics.map((d) => d.code).filter(Boolean)).toEqual(['image-digest', 'source-date-epoch', 'useradd-uid', 'syntax', 'image-digest', 'image-tag']);

      const quick = (await codeActions({ start: { line: 2, character: 0 }, end: { line: 2, character: 15 } }, ['quickfix'])).filter((a) => a.diagnostics?.length);
      expect(quick.map((a) => [a.diagnostics![0].code, a.title, a.isPreferred])).toEqual([
        ['source-date-epoch', 'declare ARG SOURCE_DATE_EPOCH in stage 0', true],
        ['useradd-uid', "add --uid 20001 to useradd 'app' (unsafe)", false],
      ]);
      const fixAll = await codeActions(WHOLE, ['source.fixAll.dockrepro']);
      const expected = await fixOutput(['--unsafe', '--disable', 'apt-pin']);
      expect(expected).toContain('RUN useradd --uid 20001 app\n');
      expect(apply(TEXT, editsOf(fixAll[0]))).toBe(expected);
    } finally {
      settings = {};
      const reset = Date.now();
      await rpc.sendNotification('workspace/didChangeConfiguration', { settings: null });
      await diagnosticsFor(1, reset);
    }
  });

  it('didChange: diagnostics follow the edited text, debounced', async () => {
    const fixed = TEXT.replace('python:3.12.7', `python:3.12.7@${DIGEST}`);
    const sent = Date.now();
    await rpc.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 0, character: 18 }, end: { line: 0, character: 18 } }, text: `@${DIGEST}` }],
    });
    const { diagnostics, at } = await diagnosticsFor(2);
    expect(at - sent).toBeGreaterThanOrEqual(150); // waited for typing to pause (200 ms; timers may fire a little early)
    const lint = await runCli(['lint', '-f', 'json', '-', '--stdin-filename', 'app/Dockerfile'], { cwd: dir, stdin: fixed, env: { HOME: dir } });
    expect(diagnostics.map((d) => d.code).filter(Boolean)).toEqual(JSON.parse(lint.stdout).files[0].findings.map((f: { rule: string }) => f.rule));
    expect(diagnostics.filter((d) => d.code === 'image-digest').map((d) => covered(fixed, d.range))).toEqual(['alpine:3.20']);
  });

  it('never writes a file: the Dockerfile and the lock are as they were', () => {
    expect(readFileSync(join(dir, 'app/Dockerfile'), 'utf8')).toBe(TEXT);
    expect(JSON.parse(readFileSync(join(dir, 'dockrepro.lock.json'), 'utf8')).images).toEqual({
      'docker.io/library/python:3.12.7': { digest: DIGEST, mediaType: 'application/vnd.oci.image.index.v1+json', resolvedAt: '2024-01-01T00:00:00Z' },
    });
  });

  it('shutdown and exit: the process ends with 0', async () => {
    await rpc.sendRequest('shutdown');
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await rpc.sendNotification('exit');
    expect(await exited).toBe(0);
  });
});

