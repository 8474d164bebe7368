/**
 * pip-version: pins a requirement given to `pip install` (also `python -m pip`, `pipx install`, `uv pip
 * install`, `uv tool install`) to the version that install gets today: the newest one on the index that is
 * not yanked, not a pre-release (unless `--pre`), allowed by the written specifier, and installable on the
 * image's Python (Requires-Python). `flask` → `flask==3.1.0`, `"flask[async]>=2,<3"` → `"flask[async]==2.3.3"`.
 *
 * Only the specifier bytes of the word change: the name, extras, quoting and an environment marker stay as
 * written. The index comes from the command (`-i`, `--extra-index-url`), the stage's ENV/ARG
 * (`PIP_INDEX_URL`, `PIP_EXTRA_INDEX_URL`), the run's environment, or pypi.org.
 *
 * With `--write-context`, an unpinned line of a requirements file the install reads (`pip install -r
 * requirements.txt`, the file COPYed from the build context) is pinned in that file the same way: the index
 * options of the command and those written in the requirements files (`--index-url`, `--extra-index-url`,
 * `--pre`) decide, and only the specifier bytes of the line change.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import { parseArgs, optionSpec, type ParsedArgs } from '../parse/args';
import { stageChain, type DockerfileModel, type RunBlock } from '../parse/dockerfile';
import type { SimpleCommand, Word } from '../parse/shell';
import { parseRequirementsFile, pipPinState } from '../parse/requirements';
import { copiedFrom } from '../context';
import { describeFsError } from '../discover';
import { CONTEXT_FILE_LIMIT, readRegularFile, RefusedFile } from '../util/safeRead';
import { scopeAt } from './packageWords';
import type { Finding } from '../rules/types';
import type { PipVersionRequest } from '../rules/fixRequests';
import { installCall, pipxLike, PIP_INSTALL, PIPX_INSTALL, type PipTool } from '../rules/pip-pin';
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
import type { Fix, Fixer, FixerContext, LeftReason, TextEdit, FindingOf } from './types';
import { NotFixed } from '../util/notFixed';

/** The options of `--pip-args` that change where and what pip looks up. */
const PIP_ARGS = optionSpec(['-i', '--index-url', '--extra-index-url', '-f', '--find-links', '--python-version']);

type Tool = PipTool;

/** A request for a line of a requirements file (--write-context). */
type InFileRequest = Extract<PipVersionRequest, { requirementsFile: string }>;

interface Located {
  run: RunBlock;
  cmd: SimpleCommand;
  tool: Tool;
  parsed: ParsedArgs;
  word: Word;
}

/** An install command parsed once, with its words by range: a finding is found by a look-up, not a scan. */
interface ParsedInstall {
  tool: Tool;
  parsed: ParsedArgs;
  /** Operands and `-e` values. */
  requirements: Map<string, Word>;
  /** `-r` values. */
  files: Map<string, Word>;
}

/** Per command of a model: 150k findings in one `pip install` must not each parse its 150k words again. */
const installs = new WeakMap<SimpleCommand, ParsedInstall | null>();

const rangeKey = (w: { span: { start: number; end: number } }) => `${w.span.start}:${w.span.end}`;

function parsedInstall(cmd: SimpleCommand): ParsedInstall | undefined {
  let entry = installs.get(cmd);
  if (entry === undefined) {
    const call = installCall(cmd);
    entry = null;
    if (call) {
      const parsed = parseArgs(call.args, pipxLike(call.tool) ? PIPX_INSTALL : PIP_INSTALL);
      const index = (words: Word[]) => {
        const m = new Map<string, Word>();
        for (const w of words) if (!m.has(rangeKey(w))) m.set(rangeKey(w), w);
        return m;
      };
      const values = (names: string[]) => parsed.optionWords.filter((o) => names.includes(o.name)).flatMap((o) => (o.value ? [o.value] : []));
      entry = {
        tool: call.tool,
        parsed,
        requirements: index([...parsed.operands, ...values(['-e', '--editable'])]),
        files: index(values(['-r', '--requirement'])),
      };
    }
    installs.set(cmd, entry);
  }
  return entry ?? undefined;
}

/** The install command holding the word at the finding's range, among its requirements or its `-r` files. */
function findInstall(model: DockerfileModel, finding: Finding, words: 'requirements' | 'files'): Located | undefined {
  const { start, end } = finding.span;
  for (const run of model.runs) {
    if (start < run.span.start || end > run.span.end) continue;
    for (const cmd of run.commands) {
      if (start < cmd.span.start || end > cmd.span.end) continue;
      const install = parsedInstall(cmd);
      const word = install?.[words].get(rangeKey(finding));
      if (install && word) return { run, cmd, tool: install.tool, parsed: install.parsed, word };
    }
  }
  return undefined;
}

/** The install command and the requirement word at the finding's range (an operand or an `-e` value). */
function locate(model: DockerfileModel, finding: Finding): Located | undefined {
  return findInstall(model, finding, 'requirements');
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
  const scope = scopeAt(model, loc.run);
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

function known(name: string, v: { value: string | undefined } | undefined): string | undefined {
  if (v && v.value === undefined) throw new NotFixed(`${name} depends on a value that is not known (an ARG without a default?)`, 'no-fixer');
  return v?.value;
}

function optionValue(name: string, w: Word | undefined): string {
  if (w?.value === undefined) throw new NotFixed(`the value of ${name} is not known`, 'no-fixer');
  return w.value;
}

/** `3.8`, `38`, `3.8.1` (pip's `--python-version`) as a Python version. */
function pythonOption(value: string, source: string): PythonVersion | undefined {
  const m = /^(\d)(?:\.?(\d+))(?:\.(\d+))?$/.exec(value);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: m[3] === undefined ? undefined : Number(m[3]), impl: 'cp', source };
}

/**
 * Where and how the install at `loc` looks a requirement up. For a line of a requirements file, `files` adds
 * the options written in the files that install reads (in the order pip reads them).
 */
function lookupFor(ctx: FixerContext, model: DockerfileModel, loc: Located, files?: Sources): Omit<Lookup, 'python'> & { pythonOption?: PythonVersion } {
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
  if (noIndex) throw new NotFixed('--no-index: packages come only from --find-links, which dockrepro cannot see', 'no-fixer');
  const findLinks = has('-f', '--find-links') || (uv ? env('UV_FIND_LINKS') : env('PIP_FIND_LINKS')) !== undefined;
  if (findLinks) throw new NotFixed('--find-links adds a source dockrepro does not read: the version pip picks may come from there', 'no-fixer');

  let pythonOpt: PythonVersion | undefined;
  const pv = values('--python-version', ...(uv ? ['-p', '--python'] : []))[0];
  if (pv !== undefined) pythonOpt = pythonOption(pv, `--python-version ${pv}`);
  // `python3.11 -m pip`, `pip3.11`: that interpreter, whatever the image's default one is.
  const named = /^(?:python|pip)(\d\.\d+)$/.exec(loc.cmd.name)?.[1];
  if (!pythonOpt && named !== undefined) pythonOpt = pythonOption(named, loc.cmd.name);

  const httpOnly = (urls: string[]) => {
    for (const u of urls) if (!/^https?:\/\//i.test(u)) throw new NotFixed(`the index '${u}' is not an http(s) URL`, 'no-fixer');
    return urls;
  };

  if (files && !uv && TRUE.test(known('PIP_REQUIRE_HASHES', env('PIP_REQUIRE_HASHES')) ?? '')) {
    throw new NotFixed(`PIP_REQUIRE_HASHES is set (hash-checking mode): a pin without its hashes would not install; ${HASHES_HINT}`, 'no-fixer');
  }

  if (!uv) {
    const index = values('-i', '--index-url').pop() ?? known('PIP_INDEX_URL', env('PIP_INDEX_URL')) ?? PYPI_SIMPLE;
    // pip adds the command's --extra-index-url to the ones its environment gives.
    let urls = [index, ...list('PIP_EXTRA_INDEX_URL'), ...values('--extra-index-url')];
    // Then each option line of the requirements files, in order: `--index-url` replaces every index so far
    // (the command's extra ones too), `--extra-index-url` adds one (pip's req_file.handle_option_line).
    for (const op of files?.indexOptions ?? []) urls = op.kind === 'index' ? [op.url] : [...urls, op.url];
    const pre = has('--pre') || TRUE.test(known('PIP_PRE', env('PIP_PRE')) ?? '') || !!files?.pre;
    return { indexes: httpOnly(dedupe(urls)), strategy: 'best-match', pre, pythonOption: pythonOpt };
  }
  // uv: --index / --extra-index-url come before the default index, earlier ones first; the first index that
  // has the project is the only one used unless --index-strategy unsafe-best-match. Index options of
  // requirements files come after the command's (uv's IndexLocations::combine): their extra indexes follow
  // the command's, their --index-url is the default only when the command and environment set none.
  const fileIndexes = dedupe((files?.indexOptions ?? []).filter((o) => o.kind === 'index').map((o) => o.url));
  if (fileIndexes.length > 1) throw new NotFixed(`the requirements files set ${fileIndexes.length} different --index-url values (uv stops with an error)`, 'no-fixer');
  if (files?.pre) throw new NotFixed(`--pre in ${files.pre}: uv does not read it there the way pip does; pin the line by hand`, 'no-fixer');
  const index =
    values('--default-index', '-i', '--index-url').pop() ?? known('UV_DEFAULT_INDEX', env('UV_DEFAULT_INDEX')) ?? known('UV_INDEX_URL', env('UV_INDEX_URL')) ?? fileIndexes[0] ?? PYPI_SIMPLE;
  const extras = [
    ...[...values('--index', '--extra-index-url'), ...list('UV_INDEX'), ...list('UV_EXTRA_INDEX_URL')].map((e) => e.replace(/^[A-Za-z0-9_.-]+=(?=https?:)/i, '')),
    ...(files?.indexOptions ?? []).filter((o) => o.kind === 'extra').map((o) => o.url),
  ];
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

const PYTHON_IMAGES = new Map<string, PythonVersion['impl']>([['python', 'cp'], ['pypy', 'pp']]);

/** Where Debian, Ubuntu, Alpine, Fedora and the official python images keep an interpreter's library folder. */
const PYTHON_LIB_DIRS = ['/usr/local/lib', '/usr/lib'];
/** Programs whose installation in the Dockerfile brings a Python the image does not have. */
const INSTALLS_PYTHON = /^(?:python3?(?:\.\d+)?(?:-(?:pip|dev|minimal|full|venv))?|py3-pip|pypy3?)(?:[=<>~].*)?$/;

/** The Python of a stage as far as it can be known, or why it cannot (the finding is then left with that reason). */
type StagePython = PythonVersion | { unknown: string; left: LeftReason };

/**
 * The Python that `pip` of a stage runs on, read from the stage's base image: `PYTHON_VERSION` in its config
 * (official python images), else the one interpreter whose library folder the image ships (`/usr/lib/python3.5`).
 * When the registry cannot be read, an official image's tag still tells (`python:3.7.3-stretch`, or the
 * precise tag the lock has for `python:3`). `rules.pip-pin.python-version` answers when nothing else does.
 */
async function stagePython(ctx: FixerContext, stage: number): Promise<StagePython> {
  const s = stageChain(ctx.model, stage)[0];
  const site = ctx.model.imageSites.find((i) => i.kind === 'from' && i.stage === s);
  const configured = ctx.pythonVersion === undefined ? undefined : pythonFromTag(ctx.pythonVersion);
  const byHand = (why: string, left: LeftReason): StagePython =>
    configured
      ? { ...configured, impl: 'cp', source: `rules.pip-pin.python-version ${ctx.pythonVersion}` }
      : { unknown: `Python version of this stage unknown: ${why}; set it by hand with rules.pip-pin.python-version in .dockrepro.yaml (e.g. "3.11") or --python-version on the command`, left };
  let unreadable: { why: string; left: LeftReason } | undefined;
  if (ctx.bases) {
    try {
      const config = await ctx.bases.config(stage);
      const fromEnv = pythonFromTag(config.env.PYTHON_VERSION);
      // An interpreter of another version installed by the Dockerfile may be the one `pip` runs: not knowable here.
      const shipped = (v: { major: number; minor: number; patch?: number }, source: string): StagePython => {
        const other = pythonInstall(ctx.model, stage);
        const installed = other && /(?:^|\s)python(\d+)\.(\d+)/.exec(other);
        if (installed && (Number(installed[1]) !== v.major || Number(installed[2]) !== v.minor)) {
          return byHand(`${config.image} ships Python ${v.major}.${v.minor} and the Dockerfile installs another (${other})`, 'no-fixer');
        }
        return { ...v, impl: 'cp', source };
      };
      if (fromEnv) return shipped(fromEnv, `PYTHON_VERSION=${config.env.PYTHON_VERSION} in the config of ${config.image}`);
      const files = await ctx.bases.files(stage, { dirs: PYTHON_LIB_DIRS });
      const found = new Map<string, string>();
      for (const dir of PYTHON_LIB_DIRS) {
        for (const name of files.dirs.get(dir) ?? []) if (/^python\d+\.\d+$/.test(name) && !found.has(name)) found.set(name, `${dir}/${name}`);
      }
      if (found.size === 1) {
        const [[name, path]] = [...found];
        return shipped(pythonFromTag(name.slice('python'.length))!, `${path} in ${config.image}`);
      }
      if (found.size > 1) return byHand(`${config.image} ships several Pythons (${[...found.values()].join(', ')})`, 'no-fixer');
      const installer = pythonInstall(ctx.model, stage);
      return byHand(`${config.image} ships no Python${installer ? ` and the Dockerfile installs one (${installer})` : ''}`, 'no-fixer');
    } catch (e) {
      if (!(e instanceof NotFixed)) throw e;
      unreadable = { why: `the base image could not be read (${e.message})`, left: e.left };
    }
  }
  // Without the image itself, only an official python image's own tag tells.
  const ref = site?.ref;
  const impl = ref && PYTHON_IMAGES.get(ref.path.split('/').pop()!);
  if (!ref || !impl) return byHand(unreadable?.why ?? (site ? `${site.value ?? site.raw} is not read without a registry lookup` : 'the stage has no base image'), unreadable?.left ?? 'no-fixer');
  let v = pythonFromTag(ref.tag);
  let via = '';
  if (!v && ctx.images) {
    try {
      const pin = await ctx.images.pin(ref, site!.platform);
      if (pin.tag !== undefined) {
        v = pythonFromTag(pin.tag);
        via = ` (${pin.tag} today)`;
      }
    } catch (e) {
      if (!(e instanceof NotFixed)) throw e;
      unreadable ??= { why: `the precise tag of ${site!.value} could not be looked up (${e.message})`, left: e.left };
    }
  }
  if (!v) return byHand(unreadable?.why ?? `the tag of ${site!.value} does not name a Python version`, unreadable?.left ?? 'no-fixer');
  return { ...v, impl, source: `FROM ${site!.value}${via}` };
}

/** The package that installs a Python in this stage or the stages it builds on (`python3.11`, `python3-pip`), if any. */
function pythonInstall(model: DockerfileModel, stage: number): string | undefined {
  const chain = new Set(stageChain(model, stage));
  for (const run of model.runs) {
    if (!chain.has(run.stage)) continue;
    for (const cmd of run.commands) {
      if (!['apt-get', 'apt', 'apk', 'dnf', 'yum', 'microdnf', 'zypper'].includes(cmd.name)) continue;
      const words = cmd.args.filter((a) => a.value !== undefined && INSTALLS_PYTHON.test(a.value));
      // A versioned interpreter (`python3.11`) says more than `python3-pip`.
      const word = words.find((a) => /^python\d+\.\d+/.test(a.value!)) ?? words[0];
      if (word) return `${cmd.name} … ${word.value}`;
    }
  }
  return undefined;
}

const HASHES_HINT = 'regenerate the file with its hashes (pip-compile --generate-hashes)';

function requirementsFileReason(request: InFileRequest): NotFixed {
  const { requirementsFile: file, line, package: name } = request;
  return new NotFixed(
    `the requirement is in ${file}${line === undefined ? '' : ` (line ${line})`}, a build-context file: 'dockrepro fix --write-context' pins it there, ` +
      `or pin line ${line ?? '?'} of ${file} as '${name}==<version>' by hand (or generate the file with pip-compile --generate-hashes)`,
    'no-fixer',
  );
}

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
interface ContextFile {
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
function readContextFile(root: string, rel: string): ContextFile {
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
interface Sources {
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
function requirementSources(ctx: FixerContext, loc: Located, read: (rel: string) => ContextFile): Sources {
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
function requirementAt(file: ContextFile, line: number): { spec: string; offsets: number[]; hashes: boolean } | string {
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

/** The install command whose `-r` value word is at the finding's range (the rule reports file lines there). */
function locateRequirementsOption(model: DockerfileModel, finding: Finding): Located | undefined {
  return findInstall(model, finding, 'files');
}

/** State shared by the findings of one fixer call: files read once, each install's sources worked out once. */
interface Session {
  pythons: Map<number, Promise<StagePython>>;
  files: Map<string, ContextFile | NotFixed>;
  sources: Map<SimpleCommand, Sources | NotFixed>;
}

/** The version `req` resolves to for the install at `loc`, or why there is none. */
async function resolveFor(
  ctx: FixerContext,
  loc: Located,
  req: Requirement,
  /** The requirement as the user wrote it, for messages. */
  written: string,
  options: PypiOptions,
  session: Session,
  files?: Sources,
): Promise<{ version: string; explanation: string } | NotFixed> {
  if (!ctx.packages) return new NotFixed('needs a package index lookup', 'needs-network');
  const packages = ctx.packages;

  let lookup: ReturnType<typeof lookupFor>;
  try {
    lookup = lookupFor(ctx, ctx.model, loc, files);
  } catch (e) {
    if (e instanceof NotFixed) return e;
    throw e;
  }
  let python = lookup.pythonOption;
  if (!python) {
    let p = session.pythons.get(loc.run.stage);
    if (!p) {
      p = stagePython(ctx, loc.run.stage);
      session.pythons.set(loc.run.stage, p);
    }
    const known = await p;
    // A pin for an unknown Python may not install on the real one: a wrong pin is worse than none.
    if ('unknown' in known) return new NotFixed(known.unknown, known.left);
    python = known;
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
    const subject = `'${written}' (${python ? `Python ${pythonLabel(python)}, ` : ''}index ${query.indexes.map(indexLabel).join(', ')})`;
    return await lookupPackage(packages, key, () => resolvePypi(packages.http, query, options, packages.lookups), isValidVersion, subject);
  } catch (e) {
    if (e instanceof NotFixed) return e;
    throw e;
  }
}

/** A requirement on a line of a requirements file the install reads (--write-context): an edit of that file. */
async function fixInFile(finding: Finding, request: InFileRequest, ctx: FixerContext, options: PypiOptions, session: Session): Promise<Fix | NotFixed> {
  if (!ctx.writeContext || !ctx.buildContext) return requirementsFileReason(request);
  const { requirementsFile: rel, line } = request;
  const root = ctx.buildContext.dir;
  const loc = locateRequirementsOption(ctx.model, finding);
  if (!loc) return new NotFixed(`the pip install -r that reads ${rel} was not found at this place`, 'failed');

  let sources = session.sources.get(loc.cmd);
  if (!sources) {
    const read = (r: string): ContextFile => {
      let f = session.files.get(r);
      if (!f) {
        try {
          f = readContextFile(root, r);
        } catch (e) {
          if (!(e instanceof NotFixed)) throw e;
          f = e;
        }
        session.files.set(r, f);
      }
      if (f instanceof NotFixed) throw f;
      return f;
    };
    try {
      sources = requirementSources(ctx, loc, read);
    } catch (e) {
      if (!(e instanceof NotFixed)) throw e;
      sources = e;
    }
    session.sources.set(loc.cmd, sources);
  }
  if (sources instanceof NotFixed) return sources;
  const file = sources.files.get(rel);
  if (!file) return new NotFixed(`${rel} is not among the files this install reads`, 'failed');

  const at = requirementAt(file, line);
  if (typeof at === 'string') return new NotFixed(at, 'failed');
  const { spec } = at;
  const state = pipPinState(spec);
  if (state.pinned) return new NotFixed(`'${spec}' (${rel} line ${line}) is already pinned`, 'failed');
  if (state.name === undefined) {
    return new NotFixed(`'${spec}' (${rel} line ${line}) is installed from a URL or VCS: pin it to a full commit id or add a '#sha256=' hash by hand`, 'no-fixer');
  }
  if (normalizeName(state.name) !== normalizeName(request.package)) {
    return new NotFixed(`line ${line} of ${rel} now reads '${spec}' (has the file changed?)`, 'failed');
  }
  if (at.hashes) return new NotFixed(`'${spec}' (${rel} line ${line}) has --hash: a new pin needs the hashes of that version too; ${HASHES_HINT}`, 'no-fixer');
  if (sources.hashes) {
    return new NotFixed(`${sources.hashes} puts pip in hash-checking mode: '${spec}' (${rel} line ${line}) pinned without its hashes would not install; ${HASHES_HINT}`, 'no-fixer');
  }
  if (sources.constraint) return new NotFixed(`${sources.constraint}: the constraints also decide the version of '${spec}' (${rel} line ${line}); pin it by hand`, 'no-fixer');
  if (spec.includes('${')) return new NotFixed(`'${spec}' (${rel} line ${line}) uses a variable expanded at build time: pin it by hand`, 'no-fixer');
  const req = parseRequirement(spec);
  if (typeof req === 'string') return new NotFixed(`${req} (${rel} line ${line})`, 'no-fixer');

  const resolved = await resolveFor(ctx, loc, req, spec, options, session, sources);
  if (resolved instanceof NotFixed) return resolved;
  const pin = `==${resolved.version}`;
  // An insertion goes right after the name (or extras); a specifier split by a `\` line break is replaced whole.
  const offs = at.offsets;
  const edit: TextEdit =
    req.specStart === req.specEnd
      ? { start: offs[req.specStart - 1] + 1, end: offs[req.specStart - 1] + 1, text: pin }
      : { start: offs[req.specStart], end: offs[req.specEnd - 1] + 1, text: pin };
  const after = spec.slice(0, req.specStart) + pin + spec.slice(req.specEnd);
  return {
    title: `pin pip requirement '${spec}' → '${after}' in ${rel} line ${line} (${resolved.explanation})`,
    edits: [],
    contextEdits: [{ path: file.path, root: ctx.buildContext.dir, edits: [edit], expected: file.text }],
    applicability: 'safe',
  };
}

async function fixOne(finding: FindingOf<'pip-version'>, ctx: FixerContext, options: PypiOptions, session: Session): Promise<Fix | NotFixed> {
  if (finding.fix.requirementsFile !== undefined) return fixInFile(finding, finding.fix, ctx, options, session);
  const loc = locate(ctx.model, finding);
  if (!loc || loc.word.value === undefined) return new NotFixed('the pip install requirement was not found at this place', 'failed');
  const value = loc.word.value;
  const state = pipPinState(value);
  if (state.pinned) return new NotFixed(`'${value}' is already pinned`, 'failed');
  if (state.name === undefined) {
    return new NotFixed(`'${value}' is installed from a URL or VCS: pin it to a full commit id or add a '#sha256=' hash by hand`, 'no-fixer');
  }
  const req = parseRequirement(value);
  if (typeof req === 'string') return new NotFixed(req, 'no-fixer');
  // The edit is worked out before any lookup: a word that cannot be edited needs no network.
  const probe = valueEdit(ctx.model.text, loc.word, req.specStart, req.specEnd, '==0');
  if (!probe) {
    const from = loc.word.vars.length ? ` comes from $${loc.word.vars.join(', $')}: pin it where the variable is set` : ' is not written in one piece (quotes or escapes inside it): pin it by hand';
    return new NotFixed(`'${value}'${from}`, 'no-fixer');
  }
  const resolved = await resolveFor(ctx, loc, req, value, options, session);
  if (resolved instanceof NotFixed) return resolved;
  const pin = `==${resolved.version}`;
  const edit = valueEdit(ctx.model.text, loc.word, req.specStart, req.specEnd, pin)!;
  const after = value.slice(0, req.specStart) + pin + value.slice(req.specEnd);
  return { title: `pin pip requirement '${value}' → '${after}' (${resolved.explanation})`, edits: [edit], applicability: 'safe' };
}

/** The fixer with its index options (tests point the JSON API of their fixture index at a local server). */
export function createPipVersionFixer(options: PypiOptions = {}): Fixer<'pip-version'> {
  return {
    kind: 'pip-version',
    async fix(findings, ctx) {
      const session: Session = { pythons: new Map(), files: new Map(), sources: new Map() };
      return Promise.all(
        findings.map((f) =>
          fixOne(f, ctx, options, session).catch((e: Error): NotFixed => (new NotFixed(`pip-version: ${e.message}`, 'failed'))),
        ),
      );
    },
  };
}

const fixer: Fixer<'pip-version'> = createPipVersionFixer();

export default fixer;
