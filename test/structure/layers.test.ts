/**
 * Every import in src/ points down (docs/design.md, "One direction of flow"): each module belongs to a layer,
 * may import only from its own layer or a lower one, and no modules import each other in a cycle (not even
 * through a lazy `require`). Read from the source text with the TypeScript parser: `import … from`,
 * `import type`, `export … from`, `import x = require(…)`, `require('./x')`, `import('./x')` and
 * `typeof import('./x')` all count, type-only imports included (a type is a dependency too).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

const root = resolve(__dirname, '../..');
const src = join(root, 'src');

/**
 * Lowest first. A module's layer is that of the longest entry matching its path (a folder ends in `/`).
 * Folders sit where their main part sits; single files are placed by what they import today and who needs
 * them, and the reason is written beside each.
 */
const LAYERS: ReadonlyArray<readonly [layer: string, paths: readonly string[]]> = [
  ['util', [
    'util/',
    'limits.ts', 'include.ts', 'dockerfileName.ts', 'dockerignore.ts', 'trust.ts', // leaves: import nothing from src/
    'edit/write.ts', // the atomic write, also used by the lock file (resolve/lock.ts): imports only util/
  ]],
  ['parse', [
    'parse/', // the Dockerfile model, shell commands, image references, per-tool option tables (parse/tools/)
    'context.ts', // the build context (files COPY reads): an input of the rules, like the model
    'resolve/lock.ts', // the lock file: read by lint (image-lock rule) before any resolver; imports parse/ and util/
  ]],
  ['rules', [
    'rules/',
    'findings/', // what rules and fixers share about a finding: the fix requests, how image sites are named
    'ruleIds.ts', 'suppress.ts', // rule ids and `# dockrepro-ignore` comments: read the rule list
    'lint.ts', // runs the rules on one model
  ]],
  ['config', [
    'configValue.ts', 'config.ts', 'hadolintConfig.ts', 'userConfig.ts', // read rule ids and severities; resolvers read them
    'discover.ts', // finds Dockerfiles and their config
    'resolve/archives.ts', // archive mirror prefixes: a config value (imports nothing)
  ]],
  ['resolve', [
    'resolve/', // the network: registries, package indexes, downloads
    'accounts/', // an image's users and groups, and replaying the commands that add them
  ]],
  ['fixers', ['fixers/']],
  ['fix', ['fix.ts', 'edit/']],
  ['run/report', [
    'run.ts', 'lintSettings.ts', 'parallel.ts', // lint files, on one thread or several
    'report/',
    'verify/', // `dockrepro verify`: builds and compares
  ]],
  ['cli', [
    'cli.ts', 'fixCommand.ts', 'main.ts', 'cliIo.ts', // commands, options, exit codes
    'lsp/', // the language server, a command of its own
  ]],
];


function layerOf(file: string): number {
  let best = -1;
  let length = -1;
  LAYERS.forEach(([, paths], index) => {
    for (const path of paths) {
      const matches = path.endsWith('/') ? file.startsWith(path) : file === path;
      if (matches && path.length > length) { best = index; length = path.length; }
    }
  });
  return best;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

interface Import { from: string; to: string; line: number; text: string }

/** The modules of src/ that `file` imports (paths relative to src/), with the line that says so. */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const add = (specifier: ts.Node | undefined, at: ts.Node): void => {
    if (!specifier || !ts.isStringLiteralLike(specifier) || !specifier.text.startsWith('.')) return;
    const base = resolve(dirname(file), specifier.text);
    const target = [`${base}.ts`, join(base, 'index.ts'), base].find((p) => p.startsWith(src) && existsSync(p) && p.endsWith('.ts'));
    if (!target) return; // package.json and other files outside src/ are no modules of ours
    const line = sf.getLineAndCharacterOfPosition(at.getStart(sf)).line + 1;
    found.push({ from: relative(src, file), to: relative(src, target), line, text: at.getText(sf).split('\n')[0] });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier, node);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression, node);
    else if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) add(node.arguments[0], node);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal, node);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

const files = sourceFiles(src).map((f) => relative(src, f)).sort();
const imports = files.flatMap((f) => importsOf(join(src, f)));
const named = (i: Import): string => `src/${i.from}:${i.line} imports src/${i.to} (${i.text})`;
it('reads imports of every kind', () => {
  // Guards the reader itself: lazy requires and `export … from` must be seen, or cycles would hide.
  expect(files.length).toBeGreaterThan(100);
  expect(imports.some((i) => i.text.includes('require('))).toBe(true);
  expect(imports.some((i) => i.text.startsWith('export'))).toBe(true);
  expect(imports.some((i) => i.text.startsWith('import type'))).toBe(true);
});

it('places every module of src/ in a layer', () => {
  expect(files.filter((f) => layerOf(f) < 0)).toEqual([]);
});

it('imports only from the same or a lower layer', () => {
  const upward = imports
    .filter((i) => layerOf(i.to) > layerOf(i.from))
    .map((i) => `${named(i)}: layer ${LAYERS[layerOf(i.from)][0]} → ${LAYERS[layerOf(i.to)][0]}`);
  expect(upward).toEqual([]);
});

it('has no import cycle', () => {
  const edges = new Map<string, Import[]>(files.map((f) => [f, []]));
  for (const i of imports) edges.get(i.from)!.push(i);
  // Depth-first search; a back edge to a module on the current path closes a cycle, printed import by import.
  const state = new Map<string, 'open' | 'done'>();
  const path: Import[] = [];
  const cycles: string[] = [];
  const walk = (file: string): void => {
    state.set(file, 'open');
    for (const i of edges.get(file)!) {
      if (state.get(i.to) === 'open') {
        const start = path.findIndex((p) => p.from === i.to);
        cycles.push([...path.slice(start < 0 ? path.length : start), i].map(named).join('\n  → '));
      } else if (!state.has(i.to)) {
        path.push(i);
        walk(i.to);
        path.pop();
      }
    }
    state.set(file, 'done');
  };
  for (const f of files) if (!state.has(f)) walk(f);
  expect(cycles).toEqual([]);
});

it('keeps rule files to themselves: only the registry imports a rule', () => {
  // What a rule shares with fixers, resolvers or other rules (option tables, tag predicates, labels) lives
  // in a lower module both import, so a rule file can change without reaching into the fix.
  const ruleFiles = new Set(imports.filter((i) => i.from === 'rules/index.ts' && i.to !== 'rules/types.ts').map((i) => i.to));
  expect(ruleFiles.size).toBeGreaterThan(10);
  const reaching = imports.filter((i) => ruleFiles.has(i.to) && i.from !== 'rules/index.ts').map(named);
  expect(reaching).toEqual([]);
});

