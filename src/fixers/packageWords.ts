/**
 * Helpers the package fixers share (none is specific to one package tool): finding the command a finding
 * points into, the variables in effect for it, editing a word's value in place, turning a failed lookup into
 * a `left` reason, and all of that at once (`pinWord`). Used by gem-version, go-version and cargo-version;
 * npm-version and npm-ci use `replaceValue`. pip-version still has its own `envAt` (the same as `scopeAt`
 * here) and `valueEdit`, and can adopt these.
 */
import type { DockerfileModel, RunBlock } from '../parse/dockerfile';
import { propertiesOf, tokenize } from '../parse/instructions';
import type { SimpleCommand, Word } from '../parse/shell';
import { expandVars, type Scope, type VarDef } from '../parse/vars';
import type { Finding } from '../rules/types';
import { lookupPackage, type PackageContext, type ResolvedVersion } from '../resolve/packages';
import type { Fix, TextEdit } from './types';
import { NotFixed } from '../util/notFixed';

/** A finding's command: the RUN it is in, the command, and what the fixer's matcher made of it. */
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

/** Whether `w` is the word the finding reports (the rules report a package word's exact span). */
export const sameSpan = (w: Word, f: Finding) => w.span.start === f.span.start && w.span.end === f.span.end;

/**
 * The edit replacing a word's whole value by `text`, keeping its quotes (`"rails"` → `"rails:7.2.1"`, also
 * in exec form); undefined when the value is not written literally in one piece (it comes from a variable,
 * or quotes, escapes or a line continuation split it).
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

/** Each stage's ARG/ENV assignments by name, in source order (what a RUN at a given offset sees). */
interface ScopeHistory {
  /** Offsets of the FROM instructions, in order. */
  stageStarts: number[];
  /** Per stage: per name, the definitions in effect from `start` on (inherited ENV from the stage's FROM). */
  byStage: Map<string, { start: number; def: VarDef }[]>[];
}

const histories = new WeakMap<DockerfileModel, ScopeHistory>();

/** The variables in effect at one place (only looked up by name). */
export interface ScopeView {
  get(name: string): VarDef | undefined;
}

/**
 * The ARG/ENV variables in effect at a RUN (the model keeps only the values RUN words use; package tools also
 * read variables no word names, such as GOPROXY): a stage starts with the ENV of the stage it builds on,
 * `ARG X` takes the global default, ENV wins over ARG. Each assignment is recorded once (not a copy of the
 * scope per RUN, which was RUNs × variables: 1,000 RUNs among 100,000 ENVs took 2.5 GB).
 */
export function scopeAt(model: DockerfileModel, run: RunBlock): ScopeView {
  const h = scopeHistory(model);
  const at = run.span.start;
  const stage = lastBefore(h.stageStarts, at, (s) => s);
  if (stage < 0) return model.globalScope;
  const names = h.byStage[stage];
  return {
    get(name) {
      const list = names.get(name);
      const i = list ? lastBefore(list, at, (e) => e.start) : -1;
      return i >= 0 ? list![i].def : undefined;
    },
  };
}

function scopeHistory(model: DockerfileModel): ScopeHistory {
  let h = histories.get(model);
  if (h) return h;
  h = { stageStarts: [], byStage: [] };
  const stageScopes: Scope[] = [];
  let scope: Scope = new Map(model.globalScope);
  let names = new Map<string, { start: number; def: VarDef }[]>();
  const record = (name: string, def: VarDef, start: number) => {
    scope.set(name, def);
    const list = names.get(name);
    if (list) list.push({ start, def });
    else names.set(name, [{ start, def }]);
  };
  let stage = -1;
  const tokens = tokenize(model.text);
  for (const inst of tokens.instructions) {
    const keyword = inst.keyword;
    const start = inst.span.start;
    if (keyword === 'FROM') {
      stage++;
      const base = model.stages[stage]?.baseStage;
      scope = new Map();
      names = new Map();
      h.stageStarts.push(start);
      h.byStage.push(names);
      if (base !== undefined && stageScopes[base]) for (const [k, v] of stageScopes[base]) if (v.kind === 'env') record(k, v, start);
      stageScopes.push(scope);
    } else if ((keyword === 'ARG' || keyword === 'ENV') && stage >= 0) {
      for (const p of propertiesOf(model.text, inst, tokens.escape)) {
        const name = p.name;
        const raw = p.value;
        const global = keyword === 'ARG' && raw === null ? model.globalScope.get(name) : undefined;
        const kind = keyword === 'ARG' ? ('arg' as const) : ('env' as const);
        const def = global ? { ...global } : { name, kind, value: raw === null ? undefined : expandVars(raw, scope, model.escape).value };
        if (keyword === 'ARG' && scope.get(name)?.kind === 'env') continue;
        record(name, def, start);
      }
    }
  }
  histories.set(model, h);
  return h;
}

/** The index of the last item whose key is below `at` in `items` sorted by key; -1 when there is none. */
function lastBefore<T>(items: readonly T[], at: number, key: (item: T) => number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(items[mid]) < at) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
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

/** What a fixer leaves when there is no package context (no lookups allowed in this run). */
export const needsNetwork: NotFixed = new NotFixed('needs a package index lookup', 'needs-network');

/** A failed lookup as a `left` result: a NotFixed keeps its kind and message, anything else is `failed`. */
export function pinFailure(e: unknown): NotFixed {
  if (e instanceof NotFixed) return e;
  return new NotFixed(`lookup failed: ${(e as Error).message}`, 'failed');
}

export interface PinRequest {
  /** The lock key: everything the answer depends on. */
  key: string;
  /** What messages name: the word as written and where it is looked up (`'rails' (from https://rubygems.org)`). */
  subject: string;
  /** Asks the index (called at most once per key and run; not at all on a lock hit). */
  resolve: () => Promise<ResolvedVersion>;
  /** The ecosystem's version grammar: nothing else is written. */
  isValid: (version: string) => boolean;
  /** The word's new value for a version (`rails:7.2.1`). */
  text: (version: string) => string;
  /** The fix's title for that value and the lookup's explanation. */
  title: (text: string, explanation: string) => string;
}

/**
 * Looks the version up (the lock first, see lookupPackage) and writes `text(version)` over `word`'s value as
 * a safe fix; or why not: a failed lookup (`pinFailure`), a word not written in one piece (`notInOnePiece`).
 */
export async function pinWord(packages: PackageContext, source: string, word: Word, pin: PinRequest): Promise<Fix | NotFixed> {
  try {
    const r = await lookupPackage(packages, pin.key, pin.resolve, pin.isValid, pin.subject);
    const text = pin.text(r.version);
    const edit = replaceValue(source, word, text);
    if (!edit) return new NotFixed(notInOnePiece(word), 'no-fixer');
    return { title: pin.title(text, r.explanation), edits: [edit], applicability: 'safe' };
  } catch (e) {
    return pinFailure(e);
  }
}
