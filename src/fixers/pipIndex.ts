/**
 * Where and for which Python the pip install of a pip-version finding looks: the indexes, strategy and
 * pre-release choice from the command, its environment and the requirements files it reads, and the Python
 * of the stage (the base image's, its tag, or the config). Reads the image through ctx; looks nothing up on
 * the index itself.
 */
import { parseArgs } from '../parse/args';
import { stageChain, type DockerfileModel } from '../parse/dockerfile';
import type { Word } from '../parse/shell';
import { scopeAt } from './packageWords';
import { PYPI_SIMPLE, indexLabel, pythonFromTag, type PypiQuery, type PythonVersion } from '../resolve/pypi';
import type { FixerContext, LeftReason } from './types';
import { NotFixed } from '../util/notFixed';
import { known, optionValue, PIP_ARGS, type Located } from './pipInstall';
import { HASHES_HINT, type Sources } from './pipRequirementsFiles';

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
export function lookupFor(ctx: FixerContext, model: DockerfileModel, loc: Located, files?: Sources): Omit<Lookup, 'python'> & { pythonOption?: PythonVersion } {
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
export type StagePython = PythonVersion | { unknown: string; left: LeftReason };

/**
 * The Python that `pip` of a stage runs on, read from the stage's base image: `PYTHON_VERSION` in its config
 * (official python images), else the one interpreter whose library folder the image ships (`/usr/lib/python3.5`).
 * When the registry cannot be read, an official image's tag still tells (`python:3.7.3-stretch`, or the
 * precise tag the lock has for `python:3`). `rules.pip-pin.python-version` answers when nothing else does.
 */
export async function stagePython(ctx: FixerContext, stage: number): Promise<StagePython> {
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
