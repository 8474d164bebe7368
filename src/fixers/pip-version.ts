/**
 * pip-version: pins a requirement given to `pip install` (also `python -m pip`, `pipx install`, `uv pip
 * install`, `uv tool install`) to the version that install gets today: the newest one on the index that is
 * not yanked, not a pre-release (unless `--pre`), allowed by the written specifier, and installable on the
 * image's Python (Requires-Python). `flask` → `flask==3.1.0`, `"flask[async]>=2,<3"` → `"flask[async]==2.3.3"`.
 *
 * Only the specifier bytes of the word change: the name, extras, quoting and an environment marker stay as
 * written. The index comes from the command (`-i`, `--extra-index-url`), the stage's ENV/ARG
 * (`PIP_INDEX_URL`, `PIP_EXTRA_INDEX_URL`), the run's environment, or pypi.org.
 */
import { parseArgs, optionSpec, type ParsedArgs } from '../parse/args';
import type { DockerfileModel, RunBlock } from '../parse/dockerfile';
import type { SimpleCommand, Word } from '../parse/shell';
import { pipPinState } from '../parse/requirements';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { expandVars, type Scope } from '../parse/vars';
import type { Finding } from '../rules/types';
import { installCall, pipxLike, PIP_INSTALL, PIPX_INSTALL, type PipTool } from '../rules/pip-pin';
import { PinError } from '../resolve/images';
import { lookupPackage } from '../resolve/packages';
import {
  PYPI_SIMPLE,
  indexLabel,
  isValidProjectName,
  isValidVersion,
  normalizeName,
  pep440,
  pythonFromTag,
  pythonLabel,
  resolvePypi,
  type PypiOptions,
  type PypiQuery,
  type PythonVersion,
} from '../resolve/pypi';
import type { Fix, Fixer, FixerContext, NoFix, TextEdit } from './types';

/** The options of `--pip-args` that change where and what pip looks up. */
const PIP_ARGS = optionSpec(['-i', '--index-url', '--extra-index-url', '-f', '--find-links', '--python-version']);

type Tool = PipTool;

interface Located {
  run: RunBlock;
  cmd: SimpleCommand;
  tool: Tool;
  parsed: ParsedArgs;
  word: Word;
}

/** The install command and the requirement word at the finding's range. */
function locate(model: DockerfileModel, finding: Finding): Located | undefined {
  const { start, end } = finding.span;
  for (const run of model.runs) {
    if (start < run.span.start || end > run.span.end) continue;
    for (const cmd of run.commands) {
      if (start < cmd.span.start || end > cmd.span.end) continue;
      const call = installCall(cmd);
      if (!call) continue;
      const parsed = parseArgs(call.args, pipxLike(call.tool) ? PIPX_INSTALL : PIP_INSTALL);
      const words = [...parsed.operands, ...parsed.optionWords.filter((o) => o.name === '-e' || o.name === '--editable').flatMap((o) => (o.value ? [o.value] : []))];
      const word = words.find((w) => w.span.start === start && w.span.end === end);
      if (word) return { run, cmd, tool: call.tool, parsed, word };
    }
  }
  return undefined;
}

/** A requirement split where the fix edits it: `name[extras]` | specifier | `; marker`. Offsets into the value. */
interface Requirement {
  name: string;
  extras: string[];
  /** The specifier without spaces and parentheses (`>=2,<3`), '' for none. */
  specifier: string;
  /** value[specStart, specEnd) is replaced by `==version` (empty for a bare name: an insertion). */
  specStart: number;
  specEnd: number;
}

function parseRequirement(value: string): Requirement | string {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(\s*\[([^\]]*)\])?/.exec(value);
  if (!m) return `'${value}' is not a requirement dockrepro can read`;
  const name = m[1];
  if (!isValidProjectName(name)) return `'${name}' is not a valid project name (PEP 508)`;
  const extras = m[3] === undefined ? [] : m[3].split(',').map((e) => e.trim()).filter(Boolean);
  const bad = extras.find((e) => !isValidProjectName(e));
  if (bad !== undefined) return `'${bad}' is not a valid extra name (PEP 508)`;
  const specStart = m[0].length;
  const semi = value.indexOf(';', specStart);
  const part = value.slice(specStart, semi < 0 ? value.length : semi);
  const written = part.trim();
  const specEnd = written === '' ? specStart : specStart + part.trimEnd().length;
  const specifier = written.replace(/^\((.*)\)$/s, '$1').replace(/\s+/g, '');
  if (specifier !== '' && !pep440().validRange(specifier)) return `'${written}' is not a valid PEP 440 version specifier`;
  return { name, extras, specifier, specStart, specEnd };
}

/**
 * The edit replacing value[a, b) of `word` by `text` (an insertion after value[a-1] when a == b), or
 * undefined when those characters are not written literally in one piece (they come from a variable, or
 * quotes and escapes split them).
 */
function valueEdit(source: string, word: Word, a: number, b: number, text: string): TextEdit | undefined {
  const v = word.value!;
  const offs = word.valueOffsets;
  if (offs.length !== v.length) return undefined;
  const literal = (i: number) => source[offs[i]] === v[i];
  if (a === b) {
    if (a === 0 || !literal(a - 1)) return undefined;
    const at = offs[a - 1] + 1;
    return { start: at, end: at, text };
  }
  for (let i = a; i < b; i++) if (!literal(i) || (i > a && offs[i] !== offs[i - 1] + 1)) return undefined;
  return { start: offs[a], end: offs[b - 1] + 1, text };
}

interface PropertyLike {
  getName(): string;
  getValue(): string | null;
}

const scopesByModel = new WeakMap<DockerfileModel, { start: number; scope: Scope }[]>();

/**
 * The ARG/ENV variables in effect at each RUN, by the rules the model follows: a stage starts empty or with
 * the ENV of the stage it builds on, `ARG X` takes the global default, ENV wins over ARG. (The model keeps
 * only the values RUN words use; pip also reads variables no word names, such as PIP_INDEX_URL.)
 */
function envAt(model: DockerfileModel, run: RunBlock): Scope {
  let snapshots = scopesByModel.get(model);
  if (!snapshots) {
    snapshots = [];
    const df = DockerfileParser.parse(model.text);
    const stageScopes: Scope[] = [];
    let scope: Scope = new Map(model.globalScope);
    let stage = -1;
    for (const inst of df.getInstructions() as Instruction[]) {
      const keyword = inst.getKeyword().toUpperCase();
      const r = inst.getRange();
      const start = model.lines.offset(r.start.line, r.start.character);
      if (keyword === 'FROM') {
        stage++;
        const base = model.stages[stage]?.baseStage;
        scope = new Map();
        if (base !== undefined && stageScopes[base]) for (const [k, v] of stageScopes[base]) if (v.kind === 'env') scope.set(k, v);
        stageScopes.push(scope);
      } else if ((keyword === 'ARG' || keyword === 'ENV') && stage >= 0) {
        for (const p of (inst as unknown as { getProperties(): PropertyLike[] }).getProperties()) {
          const name = p.getName();
          const raw = p.getValue();
          const global = keyword === 'ARG' && raw === null ? model.globalScope.get(name) : undefined;
          const def = global
            ? { ...global }
            : { name, kind: keyword === 'ARG' ? ('arg' as const) : ('env' as const), value: raw === null ? undefined : expandVars(raw, scope, model.escape).value };
          if (keyword === 'ARG' && scope.get(name)?.kind === 'env') continue;
          scope.set(name, def);
        }
      } else if (keyword === 'RUN' || keyword === 'ONBUILD') {
        snapshots.push({ start, scope: new Map(scope) });
      }
    }
    scopesByModel.set(model, snapshots);
  }
  let found: Scope = new Map();
  for (const s of snapshots) if (s.start <= run.span.start) found = s.scope;
  return found;
}

/** What the command and its environment say about where and how pip looks. */
interface Lookup {
  indexes: string[];
  strategy: PypiQuery['strategy'];
  pre: boolean;
  python?: PythonVersion;
}

const TRUE = /^(1|true|yes|on|y)$/i;

/** Variables read from the environment `dockrepro fix` runs in when the Dockerfile does not set them. */
const HOST_VARS = new Set(['PIP_INDEX_URL', 'PIP_EXTRA_INDEX_URL', 'UV_INDEX_URL', 'UV_DEFAULT_INDEX', 'UV_INDEX', 'UV_EXTRA_INDEX_URL']);

/** A variable as the install sees it: the command's own assignments, then `export` earlier in the RUN, ENV/ARG, the run's environment. */
function environment(ctx: FixerContext, model: DockerfileModel, loc: Located): (name: string) => { value: string | undefined } | undefined {
  const own = new Map<string, string | undefined>();
  const assign = (w: Word) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(w.raw);
    if (m) own.set(m[1], w.value === undefined ? undefined : w.value.slice(w.value.indexOf('=') + 1));
  };
  for (const c of loc.run.commands) {
    if (c.span.start >= loc.cmd.span.start) break;
    if (c.name === 'export') c.args.forEach(assign);
  }
  loc.cmd.assignments.forEach(assign);
  // `env X=1 pip install …`: assignments among the words before the program.
  for (const w of loc.cmd.words) {
    if (w === loc.cmd.program) break;
    assign(w);
  }
  const scope = envAt(model, loc.run);
  return (name) => {
    if (own.has(name)) return { value: own.get(name) };
    const def = scope.get(name);
    // `ARG X` without a default: unset unless --build-arg gives one (the build then differs anyway).
    if (def && !(def.kind === 'arg' && def.value === undefined)) return { value: def.value };
    // The run's own environment says where to look (a mirror), not how the image's pip behaves.
    const host = HOST_VARS.has(name) ? ctx.packages?.env[name] : undefined;
    return host === undefined || host === '' ? undefined : { value: host };
  };
}

class Unfixable extends Error {}

function known(name: string, v: { value: string | undefined } | undefined): string | undefined {
  if (v && v.value === undefined) throw new Unfixable(`${name} depends on a value that is not known (an ARG without a default?)`);
  return v?.value;
}

function optionValue(name: string, w: Word | undefined): string {
  if (w?.value === undefined) throw new Unfixable(`the value of ${name} is not known`);
  return w.value;
}

/** `3.8`, `38`, `3.8.1` (pip's `--python-version`) as a Python version. */
function pythonOption(value: string, source: string): PythonVersion | undefined {
  const m = /^(\d)(?:\.?(\d+))(?:\.(\d+))?$/.exec(value);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: m[3] === undefined ? undefined : Number(m[3]), impl: 'cp', source };
}

function lookupFor(ctx: FixerContext, model: DockerfileModel, loc: Located): Omit<Lookup, 'python'> & { pythonOption?: PythonVersion } {
  const env = environment(ctx, model, loc);
  const opts: { name: string; value?: string }[] = [];
  for (const o of loc.parsed.optionWords) {
    const takes = o.value !== undefined;
    opts.push({ name: o.name, value: takes ? optionValue(o.name, o.value) : undefined });
    if (o.name === '--pip-args') {
      const words = optionValue(o.name, o.value).split(/\s+/).filter(Boolean);
      const fake = words.map((value): Word => ({ raw: value, value, span: o.word.span, vars: [], valueOffsets: [] }));
      for (const p of parseArgs(fake, PIP_ARGS).optionWords) opts.push({ name: p.name, value: p.value?.value });
    }
  }
  const has = (...names: string[]) => opts.some((o) => names.includes(o.name));
  const values = (...names: string[]) => opts.filter((o) => names.includes(o.name) && o.value !== undefined).map((o) => o.value!);
  const list = (name: string) => (known(name, env(name)) ?? '').split(/\s+/).filter(Boolean);
  const uv = loc.tool === 'uv-pip' || loc.tool === 'uv-tool';

  const noIndex = has('--no-index') || (!uv && TRUE.test(known('PIP_NO_INDEX', env('PIP_NO_INDEX')) ?? '')) || (uv && TRUE.test(known('UV_NO_INDEX', env('UV_NO_INDEX')) ?? ''));
  if (noIndex) throw new Unfixable('--no-index: packages come only from --find-links, which dockrepro cannot see');
  const findLinks = has('-f', '--find-links') || (uv ? env('UV_FIND_LINKS') : env('PIP_FIND_LINKS')) !== undefined;
  if (findLinks) throw new Unfixable('--find-links adds a source dockrepro does not read: the version pip picks may come from there');

  let pythonOpt: PythonVersion | undefined;
  const pv = values('--python-version', ...(uv ? ['-p', '--python'] : []))[0];
  if (pv !== undefined) pythonOpt = pythonOption(pv, `--python-version ${pv}`);
  // `python3.11 -m pip`, `pip3.11`: that interpreter, whatever the image's default one is.
  const named = /^(?:python|pip)(\d\.\d+)$/.exec(loc.cmd.name)?.[1];
  if (!pythonOpt && named !== undefined) pythonOpt = pythonOption(named, loc.cmd.name);

  const httpOnly = (urls: string[]) => {
    for (const u of urls) if (!/^https?:\/\//i.test(u)) throw new Unfixable(`the index '${u}' is not an http(s) URL`);
    return urls;
  };

  if (!uv) {
    const index = values('-i', '--index-url').pop() ?? known('PIP_INDEX_URL', env('PIP_INDEX_URL')) ?? PYPI_SIMPLE;
    // pip adds the command's --extra-index-url to the ones its environment gives.
    const extras = [...list('PIP_EXTRA_INDEX_URL'), ...values('--extra-index-url')];
    const pre = has('--pre') || TRUE.test(known('PIP_PRE', env('PIP_PRE')) ?? '');
    return { indexes: httpOnly(dedupe([index, ...extras])), strategy: 'best-match', pre, pythonOption: pythonOpt };
  }
  // uv: --index / --extra-index-url come before the default index, earlier ones first; the first index that
  // has the project is the only one used unless --index-strategy unsafe-best-match.
  const index = values('--default-index', '-i', '--index-url').pop() ?? known('UV_DEFAULT_INDEX', env('UV_DEFAULT_INDEX')) ?? known('UV_INDEX_URL', env('UV_INDEX_URL')) ?? PYPI_SIMPLE;
  const extras = [...values('--index', '--extra-index-url'), ...list('UV_INDEX'), ...list('UV_EXTRA_INDEX_URL')].map((e) => e.replace(/^[A-Za-z0-9_.-]+=(?=https?:)/i, ''));
  const strategy = values('--index-strategy').pop() ?? known('UV_INDEX_STRATEGY', env('UV_INDEX_STRATEGY'));
  const prerelease = values('--prerelease').pop() ?? known('UV_PRERELEASE', env('UV_PRERELEASE'));
  return {
    indexes: httpOnly(dedupe([...extras, index])),
    strategy: strategy === 'unsafe-best-match' ? 'best-match' : 'first-index',
    pre: has('--pre') || prerelease === 'allow',
    pythonOption: pythonOpt,
  };
}

function dedupe(urls: string[]): string[] {
  const seen = new Set<string>();
  return urls.filter((u) => {
    const k = indexLabel(u);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The stage whose FROM names an image: `FROM build` is followed to the stage it builds on. */
function rootStage(model: DockerfileModel, stage: number): number {
  for (let i = 0, s = stage; i <= model.stages.length; i++) {
    const base = model.stages[s]?.baseStage;
    if (base === undefined) return s;
    s = base;
  }
  return stage;
}

const PYTHON_IMAGES = new Map<string, PythonVersion['impl']>([['python', 'cp'], ['pypy', 'pp']]);

/**
 * The Python of the image a stage is built on: `python:3.7.3-stretch` → 3.7.3, `python:3.12-slim` → 3.12,
 * `python:3` → the precise tag the image pinner finds for it (its lock, or the registry); undefined when
 * the image is not a python image or its version cannot be told.
 */
async function imagePython(ctx: FixerContext, stage: number): Promise<PythonVersion | undefined> {
  const s = rootStage(ctx.model, stage);
  const site = ctx.model.imageSites.find((i) => i.kind === 'from' && i.stage === s);
  const ref = site?.ref;
  if (!ref) return undefined;
  const impl = PYTHON_IMAGES.get(ref.path.split('/').pop()!);
  if (!impl) return undefined;
  let v = pythonFromTag(ref.tag);
  let via = '';
  if (!v && ctx.images) {
    try {
      const pin = await ctx.images.pin(ref);
      if (pin.tag !== undefined) {
        v = pythonFromTag(pin.tag);
        via = ` (${pin.tag} today)`;
      }
    } catch {
      // the image fixers report registry problems; the Python version is then unknown
    }
  }
  return v && { ...v, impl, source: `FROM ${site!.value}${via}` };
}

function requirementsFileReason(finding: Finding): NoFix {
  const file = String(finding.fix!.requirementsFile);
  const line = typeof finding.fix!.line === 'number' ? finding.fix!.line : undefined;
  const name = typeof finding.fix!.package === 'string' ? finding.fix!.package : '<name>';
  return {
    left: 'no-fixer',
    reason: `the requirement is in ${file}${line === undefined ? '' : ` (line ${line})`}, a build-context file dockrepro does not edit: pin line ${line ?? '?'} of ${file} as '${name}==<version>' (or generate it with pip-compile --generate-hashes)`,
  };
}

async function fixOne(finding: Finding, ctx: FixerContext, options: PypiOptions, pythons: Map<number, Promise<PythonVersion | undefined>>): Promise<Fix | NoFix> {
  if (finding.fix?.requirementsFile !== undefined) return requirementsFileReason(finding);
  const loc = locate(ctx.model, finding);
  if (!loc || loc.word.value === undefined) return { left: 'failed', reason: 'the pip install requirement was not found at this place' };
  const value = loc.word.value;
  const state = pipPinState(value);
  if (state.pinned) return { left: 'failed', reason: `'${value}' is already pinned` };
  if (state.name === undefined) {
    return { left: 'no-fixer', reason: `'${value}' is installed from a URL or VCS: pin it to a full commit id or add a '#sha256=' hash by hand` };
  }
  const req = parseRequirement(value);
  if (typeof req === 'string') return { left: 'no-fixer', reason: req };
  // The edit is worked out before any lookup: a word that cannot be edited needs no network.
  const probe = valueEdit(ctx.model.text, loc.word, req.specStart, req.specEnd, '==0');
  if (!probe) {
    const from = loc.word.vars.length ? ` comes from $${loc.word.vars.join(', $')}: pin it where the variable is set` : ' is not written in one piece (quotes or escapes inside it): pin it by hand';
    return { left: 'no-fixer', reason: `'${value}'${from}` };
  }
  if (!ctx.packages) return { left: 'needs-network', reason: 'needs a package index lookup' };
  const packages = ctx.packages;

  let lookup: ReturnType<typeof lookupFor>;
  try {
    lookup = lookupFor(ctx, ctx.model, loc);
  } catch (e) {
    if (e instanceof Unfixable) return { left: 'no-fixer', reason: e.message };
    throw e;
  }
  let python = lookup.pythonOption;
  if (!python) {
    let p = pythons.get(loc.run.stage);
    if (!p) {
      p = imagePython(ctx, loc.run.stage);
      pythons.set(loc.run.stage, p);
    }
    python = await p;
  }
  const project = normalizeName(req.name);
  const query: PypiQuery = { project, specifier: req.specifier, pre: lookup.pre, python, indexes: lookup.indexes, strategy: lookup.strategy };
  const key = [
    `pypi:${project}${req.specifier ? ` ${req.specifier}` : ''}`,
    `py${python ? pythonLabel(python) : 'any'}`,
    ...(query.pre ? ['pre'] : []),
    ...(query.indexes.length > 1 ? [query.strategy] : []),
    ...query.indexes.map(indexLabel),
  ].join(' ');
  try {
    const resolved = await lookupPackage(packages, key, () => resolvePypi(packages.http, query, options, packages.lookups), isValidVersion);
    const pin = `==${resolved.version}`;
    const edit = valueEdit(ctx.model.text, loc.word, req.specStart, req.specEnd, pin)!;
    const after = value.slice(0, req.specStart) + pin + value.slice(req.specEnd);
    return { title: `pin pip requirement '${value}' → '${after}' (${resolved.explanation})`, edits: [edit], applicability: 'safe' };
  } catch (e) {
    if (e instanceof PinError) return { left: e.left, reason: e.message };
    throw e;
  }
}

/** The fixer with its index options (tests point the JSON API of their fixture index at a local server). */
export function createPipVersionFixer(options: PypiOptions = {}): Fixer {
  return {
    kind: 'pip-version',
    async fix(findings, ctx) {
      const pythons = new Map<number, Promise<PythonVersion | undefined>>();
      return Promise.all(
        findings.map((f) =>
          fixOne(f, ctx, options, pythons).catch((e: Error): NoFix => ({ left: 'failed', reason: `pip-version: ${e.message}` })),
        ),
      );
    },
  };
}

const fixer: Fixer = createPipVersionFixer();

export default fixer;
