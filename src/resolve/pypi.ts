/**
 * The Python package index side of the pip fixer: which versions of a project an index offers, with the
 * facts pip filters them by (yanked files, `Requires-Python`, wheel tags), and the version an unpinned
 * `pip install` would pick today.
 *
 * Indexes are read through the simple repository API: PEP 691 JSON when the server offers it
 * (`Accept: application/vnd.pypi.simple.v1+json, text/html;q=0.1`), else PEP 503 HTML anchors
 * (`data-requires-python`, PEP 592 `data-yanked`). Versions come from file names (wheel and sdist naming;
 * files that cannot be parsed are ignored, as pip ignores them). For pypi.org the project JSON API
 * (`/pypi/<name>/json`, whose `releases` name each version) is read instead, falling back to the simple API
 * if the document has no `releases`.
 */
import { RegistryError, type HttpClient } from './http';
import { NotFixed } from '../util/notFixed';
import type { ResolveContext } from './context';
import { LookupKind } from './shared';
import type { ResolvedVersion } from './packages';

export const PYPI_SIMPLE = 'https://pypi.org/simple/';
export const SIMPLE_ACCEPT = 'application/vnd.pypi.simple.v1+json, text/html;q=0.1';
/** Bodies of project pages: large projects (boto3, …) have tens of thousands of files. */
const MAX_PAGE_BYTES = 64 * 1024 * 1024;

/** PEP 503 normalized name: lowercase, runs of `-`, `_`, `.` → `-`. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** PEP 508 project name (also extras): letters and digits at both ends, `.`, `_`, `-` inside. */
export function isValidProjectName(name: string): boolean {
  return /^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$/.test(name);
}

/** A PEP 440 version that is safe to write after `==` (no spaces, no shell characters). */
export function isValidVersion(version: string): boolean {
  if (!/^[A-Za-z0-9][A-Za-z0-9.+_!-]{0,127}$/.test(version)) return false;
  return pep440().valid(version) !== null;
}

type Pep440 = typeof import('@renovatebot/pep440');
let pep440Module: Pep440 | undefined;
/** @renovatebot/pep440, loaded on first use (it is external to the bundle and only the pip fixer needs it). */
export function pep440(): Pep440 {
  pep440Module ??= require('@renovatebot/pep440') as Pep440;
  return pep440Module;
}

/** One downloadable file of a project, with what pip decides by. */
export interface DistFile {
  filename: string;
  version: string;
  /** `Requires-Python` as the index gives it (undefined: none given). */
  requiresPython?: string;
  yanked: boolean;
  /** Wheel tags (`py3`, `none`, `any`), split at dots; undefined for sdists. */
  wheel?: { python: string[]; abi: string[]; platform: string[] };
}

const SDIST_SUFFIXES = ['.tar.gz', '.tar.bz2', '.tar.xz', '.tgz', '.tbz', '.txz', '.tar', '.zip'];

/** The version in a wheel or sdist file name of `project` (normalized); undefined when it cannot be parsed. */
export function parseFilename(filename: string, project: string): Pick<DistFile, 'version' | 'wheel'> | undefined {
  const valid = (v: string) => (v !== '' && pep440().valid(v) !== null ? v : undefined);
  if (filename.toLowerCase().endsWith('.whl')) {
    // {distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl
    const parts = filename.slice(0, -4).split('-');
    if (parts.length !== 5 && parts.length !== 6) return undefined;
    if (normalizeName(parts[0]) !== project) return undefined;
    const version = valid(parts[1]);
    if (!version) return undefined;
    const [python, abi, platform] = parts.slice(-3).map((t) => t.split('.'));
    return { version, wheel: { python, abi, platform } };
  }
  const suffix = SDIST_SUFFIXES.find((s) => filename.toLowerCase().endsWith(s));
  if (!suffix) return undefined; // eggs, installers, signatures: not something pip installs
  const stem = filename.slice(0, -suffix.length);
  // Old sdists keep the project's spelling, dashes included (`python-dateutil-2.8.2.tar.gz`).
  for (let i = stem.indexOf('-'); i > 0; i = stem.indexOf('-', i + 1)) {
    if (normalizeName(stem.slice(0, i)) !== project) continue;
    const version = valid(stem.slice(i + 1));
    if (version) return { version };
  }
  return undefined;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

export function unescapeHtml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
    }
    return ENTITIES[e.toLowerCase()] ?? all;
  });
}

function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.set(m[1].toLowerCase(), unescapeHtml(m[2] ?? m[3] ?? m[4] ?? ''));
  return out;
}

/** The file name a link points at: the last path segment of its URL, decoded. */
function linkFilename(href: string, base: string): string | undefined {
  try {
    const path = new URL(href, base).pathname;
    return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1)) || undefined;
  } catch {
    return undefined;
  }
}

function withVersion(raw: { filename: string; requiresPython?: string; yanked: boolean }, project: string): DistFile | undefined {
  const parsed = parseFilename(raw.filename, project);
  return parsed && { ...raw, ...parsed };
}

/** A PEP 503 project page: every anchor is a file; `data-requires-python` is HTML-escaped, `data-yanked` marks a yanked one. */
export function parseSimpleHtml(html: string, url: string, project: string): DistFile[] {
  const files: DistFile[] = [];
  // Quoted attribute values may hold a raw `>` (not every index escapes `>=3.8`).
  const re = /<a\b((?:[^>"']|"[^"]*"|'[^']*')*)>([\s\S]*?)<\/a\s*>/gi;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    const attrs = attributes(m[1]);
    const href = attrs.get('href');
    const filename = href ? linkFilename(href, url) : unescapeHtml(m[2].trim());
    if (!filename) continue;
    const requiresPython = attrs.get('data-requires-python');
    const file = withVersion({ filename, requiresPython: requiresPython || undefined, yanked: attrs.has('data-yanked') }, project);
    if (file) files.push(file);
  }
  return files;
}

const malformed = (url: string, why: string) => new RegistryError(`${url}: ${why}`, 'malformed', 200, url);

/** A PEP 691 project document: `{"meta": {"api-version": "1.x"}, "files": [{"filename", "requires-python", "yanked"}]}`. */
export function parseSimpleJson(body: string, url: string, project: string): DistFile[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw malformed(url, 'the index answer is not valid JSON');
  }
  const d = doc as { meta?: { 'api-version'?: unknown }; files?: unknown } | null;
  if (typeof d !== 'object' || d === null || Array.isArray(d)) throw malformed(url, 'the index answer is not a JSON object');
  const api = d.meta?.['api-version'];
  if (typeof api === 'string' && !/^1(\.|$)/.test(api)) {
    throw new RegistryError(`${url}: simple API version ${api} is not supported (1.x is)`, 'unsupported', 200, url);
  }
  if (!Array.isArray(d.files)) throw malformed(url, "the index answer has no 'files' list (PEP 691)");
  const files: DistFile[] = [];
  for (const f of d.files as unknown[]) {
    const e = f as { filename?: unknown; 'requires-python'?: unknown; yanked?: unknown } | null;
    if (typeof e !== 'object' || e === null || typeof e.filename !== 'string') throw malformed(url, "a file entry has no 'filename'");
    const rp = e['requires-python'];
    // PEP 691: `yanked` is false, true, or the reason (a string, even an empty one, means yanked).
    const file = withVersion({ filename: e.filename, requiresPython: typeof rp === 'string' && rp ? rp : undefined, yanked: e.yanked === true || typeof e.yanked === 'string' }, project);
    if (file) files.push(file);
  }
  return files;
}

/**
 * The PyPI project JSON (`/pypi/<name>/json`): `releases` maps each version to its files
 * (`filename`, `requires_python`, `yanked`). Undefined when the document has no `releases` (PyPI may drop them).
 */
export function parseJsonApi(body: string, url: string, project: string): DistFile[] | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw malformed(url, 'the answer is not valid JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw malformed(url, 'the answer is not a JSON object');
  const releases = (doc as { releases?: unknown }).releases;
  if (releases === undefined) return undefined;
  if (typeof releases !== 'object' || releases === null || Array.isArray(releases)) throw malformed(url, "'releases' is not an object");
  const files: DistFile[] = [];
  for (const [version, list] of Object.entries(releases as Record<string, unknown>)) {
    if (!Array.isArray(list)) throw malformed(url, `releases["${version}"] is not a list`);
    if (pep440().valid(version) === null) continue; // a legacy version pip would not consider either
    for (const f of list as unknown[]) {
      const e = f as { filename?: unknown; requires_python?: unknown; yanked?: unknown } | null;
      if (typeof e !== 'object' || e === null || typeof e.filename !== 'string') throw malformed(url, `a file of release ${version} has no 'filename'`);
      const parsed = parseFilename(e.filename, project);
      const rp = e.requires_python;
      files.push({
        filename: e.filename,
        version,
        requiresPython: typeof rp === 'string' && rp ? rp : undefined,
        yanked: e.yanked === true,
        wheel: parsed?.wheel,
      });
    }
  }
  return files;
}

/** An index URL without credentials (for lock keys and messages) and the Authorization they stand for. */
export function splitCredentials(indexUrl: string): { url: string; authorization?: string } {
  let u: URL;
  try {
    u = new URL(indexUrl);
  } catch {
    return { url: indexUrl };
  }
  if (!u.username && !u.password) return { url: indexUrl };
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  return { url: u.toString(), authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` };
}

/** `https://host/simple` (no trailing slash, no credentials): how an index is named in keys and messages. */
export function indexLabel(indexUrl: string): string {
  return splitCredentials(indexUrl).url.replace(/\/+$/, '');
}

/** The project page of an index: `<index>/<normalized name>/`, as pip builds it. */
export function projectUrl(indexUrl: string, project: string): string {
  return `${indexUrl.replace(/\/+$/, '')}/${encodeURIComponent(project)}/`;
}

export interface PypiOptions {
  /**
   * The base of the project JSON API for an index (`https://pypi.org/pypi` for `https://pypi.org/simple`),
   * or undefined to use the simple API. Default: pypi.org only.
   */
  jsonApi?: (indexUrl: string) => string | undefined;
}

export function defaultJsonApi(indexUrl: string): string | undefined {
  return indexLabel(indexUrl) === 'https://pypi.org/simple' ? 'https://pypi.org/pypi' : undefined;
}

/** The files one index offers for `project`; a RegistryError 'not-found' when it does not know the project. */
export async function indexFiles(http: HttpClient, indexUrl: string, project: string, options: PypiOptions = {}): Promise<DistFile[]> {
  const { url: base, authorization } = splitCredentials(indexUrl);
  const auth: Record<string, string> = authorization ? { Authorization: authorization } : {};
  const api = (options.jsonApi ?? defaultJsonApi)(base);
  if (api) {
    const url = `${api.replace(/\/+$/, '')}/${encodeURIComponent(project)}/json`;
    const res = await http.get(url, { Accept: 'application/json', ...auth }, MAX_PAGE_BYTES, 'project');
    const files = parseJsonApi(res.body.toString('utf8'), url, project);
    if (files) return files;
  }
  const url = projectUrl(base, project);
  const res = await http.get(url, { Accept: SIMPLE_ACCEPT, ...auth }, MAX_PAGE_BYTES, 'project');
  const body = res.body.toString('utf8');
  const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/vnd.pypi.simple.v1+json' || type === 'application/json') return parseSimpleJson(body, res.url, project);
  if (type === 'text/html' || type === 'application/vnd.pypi.simple.v1+html' || type === 'application/xhtml+xml') return parseSimpleHtml(body, res.url, project);
  // A static host with an odd type: go by the first character.
  const first = body.trimStart()[0];
  if (first === '{') return parseSimpleJson(body, res.url, project);
  if (first === '<') return parseSimpleHtml(body, res.url, project);
  throw malformed(url, `the index answered ${type || 'no content type'}, neither PEP 691 JSON nor HTML`);
}

/** The Python a requirement is installed for: from the image tag (`3.7.3`, `3.12`) or `--python-version`. */
export interface PythonVersion {
  major: number;
  minor: number;
  /** Known only when the tag names it (`python:3.7.3-stretch`). */
  patch?: number;
  /** CPython (`python` images) or PyPy (`pypy` images): which wheel python tags fit. */
  impl: 'cp' | 'pp';
  /** Where it was read (`FROM python:3.7.3-stretch`), for explanations. */
  source: string;
}

export function pythonLabel(py: PythonVersion): string {
  return py.patch === undefined ? `${py.major}.${py.minor}` : `${py.major}.${py.minor}.${py.patch}`;
}

/** `3.7.3-stretch` → 3.7.3, `3.12-slim` → 3.12, `3.10-7.3.17` (pypy) → 3.10; `3`, `slim`, `latest` → undefined. */
export function pythonFromTag(tag: string | undefined): { major: number; minor: number; patch?: number } | undefined {
  const m = tag === undefined ? null : /^(\d+)\.(\d+)(?:\.(\d+))?(?!\d)/.exec(tag);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: m[3] === undefined ? undefined : Number(m[3]) };
}

const rpCache = new Map<string, boolean>();

/**
 * Whether a `Requires-Python` accepts the Python. With only a minor version known, it accepts when some
 * patch release of that minor satisfies it (`>=3.6.2` accepts 3.6: the image's tag tracks the newest patch).
 * An invalid specifier is ignored, as pip ignores it.
 */
export function acceptsPython(requiresPython: string, py: PythonVersion): boolean {
  const key = `${requiresPython}\u0000${pythonLabel(py)}`;
  let ok = rpCache.get(key);
  if (ok === undefined) {
    const p = pep440();
    const spec = requiresPython.trim().replace(/,\s*$/, '');
    if (!p.validRange(spec)) ok = true;
    else if (py.patch !== undefined) ok = p.satisfies(pythonLabel(py), spec, { prereleases: true });
    else {
      ok = false;
      for (let patch = 0; patch <= 30 && !ok; patch++) ok = p.satisfies(`${py.major}.${py.minor}.${patch}`, spec, { prereleases: true });
    }
    if (rpCache.size > 10_000) rpCache.clear();
    rpCache.set(key, ok);
  }
  return ok;
}

const FOREIGN_PLATFORM = /^(win|macosx|ios|android)/;

/** Whether pip on Linux with this Python could install a wheel with these tags (sdists always can). */
export function wheelFits(wheel: NonNullable<DistFile['wheel']>, py: PythonVersion | undefined): boolean {
  if (wheel.platform.every((p) => FOREIGN_PLATFORM.test(p))) return false;
  if (!py) return true;
  const abi3 = wheel.abi.includes('abi3');
  return wheel.python.some((tag) => {
    const m = /^([a-z]+)(\d)(\d*)$/.exec(tag);
    if (!m || Number(m[2]) !== py.major) return false;
    const minor = m[3] === '' ? undefined : Number(m[3]);
    if (m[1] === 'py') return minor === undefined || minor <= py.minor;
    if (m[1] !== py.impl) return false;
    if (minor === undefined) return true;
    return minor === py.minor || (abi3 && minor <= py.minor);
  });
}

export interface PypiQuery extends PypiOptions {
  /** Normalized project name. */
  project: string;
  /** The written specifier without spaces or parentheses (`>=2,<3`), '' for none. */
  specifier: string;
  /** `--pre`: pre-releases count like releases. */
  pre: boolean;
  /** Undefined when the image's Python is not known: Requires-Python is then not applied. */
  python?: PythonVersion;
  /** Index URLs in priority order (pip: the index, then the extra ones). */
  indexes: string[];
  /**
   * best-match: the newest version on any index (pip); first-index: only the first index that knows the
   * project counts (uv's default).
   */
  strategy: 'best-match' | 'first-index';
}

/** A project's files on one index, once per run. */
const PYPI_PROJECT = new LookupKind<DistFile[]>('pypi-project');

/** The files `project` has on the indexes, by the query's strategy; one request per index page per run. */
async function gatherFiles(ctx: ResolveContext, q: PypiQuery): Promise<DistFile[]> {
  const fetchOne = (index: string): Promise<DistFile[]> =>
    ctx.lookups.once(PYPI_PROJECT, `${indexLabel(index)}/${q.project}`, () => indexFiles(ctx.http, index, q.project, { jsonApi: q.jsonApi }));
  const notFound = (e: unknown) => e instanceof RegistryError && e.kind === 'not-found';
  const missing = () => {
    const where = q.indexes.map(indexLabel).join(', ');
    return new NotFixed(`'${q.project}' was not found on ${q.indexes.length > 1 ? `any of ${where}` : where}`, 'failed');
  };
  if (q.strategy === 'first-index') {
    for (const index of q.indexes) {
      try {
        return await fetchOne(index);
      } catch (e) {
        if (!notFound(e)) throw e;
      }
    }
    throw missing();
  }
  const settled = await Promise.allSettled(q.indexes.map(fetchOne));
  // pip skips an index that does not know the project; any other failure leaves the answer incomplete.
  const failed = settled.find((s) => s.status === 'rejected' && !notFound(s.reason));
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const found = settled.filter((s): s is PromiseFulfilledResult<DistFile[]> => s.status === 'fulfilled');
  if (found.length === 0) throw missing();
  return found.flatMap((s) => s.value);
}

/** The newest of `versions` that the specifier allows (pre-releases only with --pre, or when nothing else fits). */
function newest(versions: string[], specifier: string, pre: boolean): string | undefined {
  const p = pep440();
  const allowed = p.filter(versions, specifier, pre ? { prereleases: true } : {});
  return allowed.sort(p.compare).pop();
}

/**
 * The version an unpinned install gets today: the newest version, not yanked, allowed by the specifier, not
 * a pre-release (unless --pre, or nothing else fits), with at least one file that installs on the image's
 * Python (Requires-Python and wheel tags).
 */
export function chooseVersion(files: DistFile[], q: PypiQuery): ResolvedVersion | string {
  const usable = new Set<string>();
  const anyPython = new Set<string>();
  const needs = new Map<string, string>();
  for (const f of files) {
    if (f.yanked) continue;
    if (f.wheel && !wheelFits(f.wheel, undefined)) continue;
    anyPython.add(f.version);
    if (q.python && f.requiresPython && !acceptsPython(f.requiresPython, q.python)) {
      needs.set(f.version, f.requiresPython);
      continue;
    }
    if (q.python && f.wheel && !wheelFits(f.wheel, q.python)) continue;
    usable.add(f.version);
  }
  const version = newest([...usable], q.specifier, q.pre);
  const range = q.specifier ? ` matching '${q.specifier}'` : '';
  const forPython = q.python ? ` for Python ${pythonLabel(q.python)}` : '';
  if (!version) {
    const why = files.length === 0 ? 'has no wheel or sdist files' : `has no release${range} that is not yanked${q.python ? ` and installs on Python ${pythonLabel(q.python)}` : ''}`;
    return `'${q.project}' ${why} on ${q.indexes.map(indexLabel).join(', ')}`;
  }
  let explanation = `newest release${range}${forPython}`;
  if (!q.python) explanation += '; Python version unknown';
  else {
    const ignoringPython = newest([...anyPython], q.specifier, q.pre);
    if (ignoringPython && ignoringPython !== version && pep440().gt(ignoringPython, version)) {
      const rp = needs.get(ignoringPython);
      explanation += `; ${ignoringPython} ${rp ? `requires Python ${rp}` : 'has no file for it'}`;
    }
  }
  if (q.pre) explanation += ', pre-releases allowed';
  if (q.indexes.length > 1) explanation += q.strategy === 'first-index' ? `, from the first of ${q.indexes.length} indexes that has it` : `, from the union of ${q.indexes.length} indexes`;
  return { version, explanation };
}

/** Looks the project up and chooses the version (a NotFixed 'failed' when nothing fits). */
export async function resolvePypi(ctx: ResolveContext, q: PypiQuery): Promise<ResolvedVersion> {
  const files = await gatherFiles(ctx, q);
  const chosen = chooseVersion(files, q);
  if (typeof chosen === 'string') throw new NotFixed(chosen, 'failed');
  return chosen;
}
