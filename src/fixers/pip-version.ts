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
 *
 * This file is the fixer; the install command and the word a finding points at are read by pipInstall.ts,
 * where and for which Python pip looks by pipIndex.ts, the requirements files by pipRequirementsFiles.ts.
 */
import type { SimpleCommand } from '../parse/shell';
import { pipPinState } from '../parse/requirements';
import type { Finding } from '../rules/types';
import type { PipVersionRequest } from '../findings/fixRequests';
import { lookupPackage } from '../resolve/packages';
import { indexLabel, isValidVersion, normalizeName, pythonLabel, resolvePypi, type PypiOptions, type PypiQuery } from '../resolve/pypi';
import type { Fix, Fixer, FixerContext, TextEdit, FindingOf } from './types';
import { NotFixed } from '../util/notFixed';
import { locate, locateRequirementsOption, parseRequirement, valueEdit, type Located, type Requirement } from './pipInstall';
import { lookupFor, stagePython, type StagePython } from './pipIndex';
import { HASHES_HINT, readContextFile, requirementAt, requirementSources, type ContextFile, type Sources } from './pipRequirementsFiles';

/** A request for a line of a requirements file (--write-context). */
type InFileRequest = Extract<PipVersionRequest, { requirementsFile: string }>;

/** Why a requirements-file line is left without --write-context, and how to pin it instead. */
function requirementsFileReason(request: InFileRequest): NotFixed {
  const { requirementsFile: file, line, package: name } = request;
  return new NotFixed(
    `the requirement is in ${file}${line === undefined ? '' : ` (line ${line})`}, a build-context file: 'dockrepro fix --write-context' pins it there, ` +
      `or pin line ${line ?? '?'} of ${file} as '${name}==<version>' by hand (or generate the file with pip-compile --generate-hashes)`,
    'no-fixer',
  );
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
    return await lookupPackage(packages, key, () => resolvePypi(packages, { ...query, ...options }), isValidVersion, subject);
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
