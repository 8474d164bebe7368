/**
 * `go-version`: `go install example.com/mod/cmd/x@latest` (or with no version) becomes
 * `example.com/mod/cmd/x@v1.4.2`, the version the module proxy gives for that query today. Only the
 * package word changes (its quotes stay). The proxy list is the command's GOPROXY: an assignment on the
 * command or an `export` earlier in the RUN, then ENV/ARG of the Dockerfile, then the run's environment,
 * else `https://proxy.golang.org,direct`.
 *
 * Also home of the small helpers the gem and cargo fixers share: finding a finding's command, the variables
 * in effect for it, and editing a word's value in place.
 */
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { optionSpec, parseArgs } from '../parse/args';
import type { DockerfileModel, RunBlock } from '../parse/dockerfile';
import type { SimpleCommand, Word } from '../parse/shell';
import { expandVars, type Scope } from '../parse/vars';
import type { Finding } from '../rules/types';
import { PinError } from '../resolve/images';
import { lookupPackage } from '../resolve/packages';
import { DEFAULT_GOPROXY, formatGoproxy, isGoPath, isGoVersion, parseGoproxy, resolveGoPackage, type GoQuery } from '../resolve/goproxy';
import type { Fix, Fixer, FixerContext, NoFix, TextEdit } from './types';

// ---- shared helpers (gem-version and cargo-version use them too) ----

export interface Located<T> {
  run: RunBlock;
  cmd: SimpleCommand;
  match: T;
}

/** The command named `program` in the RUN holding `finding` for which `match` recognises the finding's word. */
export function locate<T>(model: DockerfileModel, finding: Finding, program: string, match: (cmd: SimpleCommand) => T | undefined): Located<T> | undefined {
  for (const run of model.runs) {
    if (finding.span.start < run.span.start || finding.span.end > run.span.end) continue;
    for (const cmd of run.commands) {
      if (cmd.name !== program) continue;
      const m = match(cmd);
      if (m !== undefined) return { run, cmd, match: m };
    }
  }
  return undefined;
}

export const sameSpan = (w: Word, f: Finding) => w.span.start === f.span.start && w.span.end === f.span.end;

/**
 * The edit replacing a word's whole value by `text`, keeping its quotes (`"rails"` → `"rails:7.2.1"`);
 * undefined when the value is not written literally in one piece (it comes from a variable, or quotes,
 * escapes or a line continuation split it).
 */
export function replaceValue(source: string, word: Word, text: string): TextEdit | undefined {
  const v = word.value;
  const offs = word.valueOffsets;
  if (v === undefined || v.length === 0 || offs.length !== v.length) return undefined;
  for (let i = 0; i < v.length; i++) if (offs[i] !== offs[0] + i || source[offs[i]] !== v[i]) return undefined;
  return { start: offs[0], end: offs[0] + v.length, text };
}

/** Why a word cannot be edited in place, for `left` reasons. */
export function notInOnePiece(word: Word): string {
  return word.vars.length > 0
    ? `'${word.raw}' comes from ${word.vars.map((v) => `$${v}`).join(', ')}: pin it where the variable is defined`
    : `'${word.raw}' is not written in one piece (quotes or escapes inside it): pin it by hand`;
}

interface PropertyLike {
  getName(): string;
  getValue(): string | null;
}

const scopes = new WeakMap<DockerfileModel, { start: number; scope: Scope }[]>();

/**
 * The ARG/ENV variables in effect at a RUN (the model keeps only the values RUN words use; package tools also
 * read variables no word names, such as GOPROXY): a stage starts with the ENV of the stage it builds on,
 * `ARG X` takes the global default, ENV wins over ARG.
 */
function scopeAt(model: DockerfileModel, run: RunBlock): Scope {
  let snapshots = scopes.get(model);
  if (!snapshots) {
    snapshots = [];
    const stageScopes: Scope[] = [];
    let scope: Scope = new Map(model.globalScope);
    let stage = -1;
    for (const inst of DockerfileParser.parse(model.text).getInstructions() as Instruction[]) {
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
          const kind = keyword === 'ARG' ? ('arg' as const) : ('env' as const);
          const def = global ? { ...global } : { name, kind, value: raw === null ? undefined : expandVars(raw, scope, model.escape).value };
          if (keyword === 'ARG' && scope.get(name)?.kind === 'env') continue;
          scope.set(name, def);
        }
      } else if (keyword === 'RUN' || keyword === 'ONBUILD') {
        snapshots.push({ start, scope: new Map(scope) });
      }
    }
    scopes.set(model, snapshots);
  }
  let found: Scope = new Map();
  for (const s of snapshots) if (s.start <= run.span.start) found = s.scope;
  return found;
}

export interface Setting {
  /** undefined: set, but to something not known statically. */
  value: string | undefined;
  /** Where it was set: `the command`, `ENV GOPROXY`, `the environment`. */
  from: string;
}

/**
 * A variable as the command sees it: its own assignments (`GOPROXY=… go install`, `env GOPROXY=… go`), an
 * `export` earlier in the RUN, the Dockerfile's ENV/ARG, then the environment of the run (`env`). An ARG
 * without a default counts as unset (a --build-arg value is not known here; give it in the environment).
 */
export function variable(model: DockerfileModel, loc: Located<unknown>, env: NodeJS.ProcessEnv | undefined, name: string): Setting | undefined {
  let own: Setting | undefined;
  const assign = (w: Word, from: string) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(w.raw);
    if (m && m[1] === name) own = { value: w.value === undefined ? undefined : w.value.slice(w.value.indexOf('=') + 1), from };
  };
  for (const c of loc.run.commands) {
    if (c.span.start >= loc.cmd.span.start) break;
    if (c.name === 'export') c.args.forEach((w) => assign(w, 'an export in the RUN'));
  }
  loc.cmd.assignments.forEach((w) => assign(w, 'the command'));
  for (const w of loc.cmd.words) {
    if (w === loc.cmd.program) break;
    assign(w, 'the command');
  }
  if (own) return own;
  const def = scopeAt(model, loc.run).get(name);
  if (def && !(def.kind === 'arg' && def.value === undefined)) return { value: def.value, from: `${def.kind.toUpperCase()} ${name}` };
  const host = env?.[name];
  return host === undefined || host === '' ? undefined : { value: host, from: 'the environment' };
}

export const needsNetwork: NoFix = { left: 'needs-network', reason: 'needs a package index lookup' };

export function pinFailure(e: unknown): NoFix {
  if (e instanceof PinError) return { left: e.left, reason: e.message };
  return { left: 'failed', reason: `lookup failed: ${(e as Error).message}` };
}

// ---- go ----

/** go's flags with a value (as in go-pin: single-dash words read as `--name`). */
const GO_FLAGS = optionSpec([
  '--C', '--p', '--o', '--asmflags', '--buildmode', '--compiler', '--gccgoflags', '--gcflags', '--installsuffix',
  '--ldflags', '--mod', '--modfile', '--overlay', '--pgo', '--pkgdir', '--tags', '--toolexec', '--exec',
  '--covermode', '--coverpkg', '--coverprofile',
]);

function longFlags(args: Word[]): Word[] {
  return args.map((w) => (w.value && /^-[^-]/.test(w.value) ? { ...w, value: `-${w.value}`, valueOffsets: [w.valueOffsets[0], ...w.valueOffsets] } : w));
}

/** A `GOPRIVATE`/`GONOPROXY` glob list matches a path when a pattern matches its leading elements. */
export function matchesPrefixGlobs(globs: string, path: string): boolean {
  const elems = path.split('/');
  return globs.split(',').map((g) => g.trim().replace(/\/+$/, '')).filter(Boolean).some((g) => {
    const n = g.split('/').length;
    if (elems.length < n) return false;
    const re = new RegExp(`^${g.split('').map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`);
    return re.test(elems.slice(0, n).join('/'));
  });
}

/** What `go <sub> pkg@q` asks for, or why it is left. */
function classify(q: string | undefined): { query: GoQuery; key: string } | NoFix {
  // `go get pkg` means `@upgrade`: the newest release unless go.mod already requires a newer pre-release.
  if (q === undefined || q === 'latest' || q === 'upgrade') return { query: { kind: 'latest' }, key: 'latest' };
  if (q === 'patch') return { left: 'no-fixer', reason: "'@patch' is relative to the version the main module's go.mod requires, which dockrepro does not read" };
  if (q === 'none') return { left: 'no-fixer', reason: "'@none' removes the requirement: there is no version to pin" };
  if (/^v\d+(\.\d+)?$/.test(q)) return { query: { kind: 'prefix', prefix: q }, key: q };
  if (/^[<>]/.test(q)) return { left: 'no-fixer', reason: `the comparison query '@${q}' is not resolved automatically: pick a version by hand` };
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(q)) return { query: { kind: 'revision', revision: q }, key: q };
  return { left: 'no-fixer', reason: `'@${q}' is not a branch, tag or commit dockrepro can ask the proxy about` };
}

async function fixOne(finding: Finding, ctx: FixerContext): Promise<Fix | NoFix> {
  const loc = locate(ctx.model, finding, 'go', (cmd) => {
    const parsed = parseArgs(longFlags(cmd.args), GO_FLAGS);
    const word = parsed.operands.slice(1).find((w) => sameSpan(w, finding));
    return word ? { word } : undefined;
  });
  if (!loc || loc.match.word.value === undefined) return { left: 'failed', reason: 'the go command was not found at this place' };
  const { word } = loc.match;
  const spec = word.value!;
  const at = spec.indexOf('@');
  const path = at < 0 ? spec : spec.slice(0, at);
  if (!isGoPath(path)) return { left: 'no-fixer', reason: `'${path}' is not a package path dockrepro can look up` };
  const kind = classify(at < 0 ? undefined : spec.slice(at + 1));
  if ('left' in kind) return kind;
  if (!ctx.packages) return needsNetwork;

  const env = ctx.packages.env;
  for (const name of ['GONOPROXY', 'GOPRIVATE']) {
    const s = variable(ctx.model, loc, env, name);
    if (s?.value && matchesPrefixGlobs(s.value, path)) {
      return { left: 'no-fixer', reason: `${name}=${s.value} (${s.from}) makes go fetch '${path}' from version control, which dockrepro does not query` };
    }
    if (s && name === 'GONOPROXY') break; // GONOPROXY set: GOPRIVATE no longer decides
  }
  const setting = variable(ctx.model, loc, env, 'GOPROXY');
  if (setting && setting.value === undefined) return { left: 'no-fixer', reason: `GOPROXY (${setting.from}) is not known statically` };
  const goproxy = setting?.value ?? DEFAULT_GOPROXY;
  const proxies = parseGoproxy(goproxy);
  if (proxies.length === 0) proxies.push(...parseGoproxy(DEFAULT_GOPROXY));
  if (proxies[0].kind === 'off') return { left: 'no-fixer', reason: `GOPROXY=${goproxy} (${setting?.from}) forbids module downloads` };
  if (proxies[0].kind === 'direct') {
    return { left: 'no-fixer', reason: `GOPROXY=${goproxy} (${setting?.from}) makes go fetch modules from version control, which dockrepro does not query` };
  }
  const bad = proxies.find((p) => p.kind === 'url' && !/^https?:\/\//.test(p.url));
  if (bad && bad.kind === 'url') return { left: 'no-fixer', reason: `GOPROXY entry '${bad.url}' is not an http(s) proxy dockrepro can ask` };

  const key = `go:${path}@${kind.key} ${formatGoproxy(proxies)}`;
  const packages = ctx.packages;
  try {
    const r = await lookupPackage(packages, key, () => resolveGoPackage(packages.http, proxies, path, kind.query), isGoVersion);
    const pinned = `${path}@${r.version}`;
    const edit = replaceValue(ctx.model.text, word, pinned);
    if (!edit) return { left: 'no-fixer', reason: notInOnePiece(word) };
    return { title: `pin go package '${spec}' → '${pinned}' (${r.explanation})`, edits: [edit], applicability: 'safe' };
  } catch (e) {
    return pinFailure(e);
  }
}

const fixer: Fixer = {
  kind: 'go-version',
  fix(findings, ctx) {
    return Promise.all(findings.map((f) => fixOne(f, ctx)));
  },
};

export default fixer;
