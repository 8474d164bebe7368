/**
 * The fix engine: lint → fix requests → fixers → non-overlapping edits → re-parse and re-lint, in passes
 * until nothing changes (at most MAX_PASSES). A fix whose result has a new parse problem or a new finding
 * is dropped and reported, never applied. Only the edited bytes change.
 */
import { parseDockerfile, type DockerfileModel } from './parse/dockerfile';
import { lintModel, type LintOptions } from './lint';
import { applyEdits, EditSet } from './edit/apply';
import { FIXERS } from './fixers/index';
import { isFix, type ContextEdit, type Fix, type FindingOf, type FixerContext, type FixerTable, type FixResult, type LeftReason, type NodeRuntimeByHand, type TextEdit } from './fixers/types';
import type { Finding, FixKind } from './rules/types';
import type { ImagePinner } from './resolve/images';
import type { PackageContext } from './resolve/packages';
import { Lookups } from './resolve/shared';
import type { AptSettings } from './fixers/apt-version';
import type { StageBases } from './resolve/baseImage';
import { MAX_FINDINGS_PER_FILE } from './limits';
import { NotFixed } from './util/notFixed';

const MAX_PASSES = 10;

export interface FixOptions extends LintOptions {
  /** Apply unsafe fixes too (`--unsafe`). */
  unsafe: boolean;
  /** Never touch the network (`--offline`). */
  offline: boolean;
  /** First id for explicit uids/gids (config `rules.useradd-uid.base-id`). */
  baseId: number;
  /** Config `rules.pip-pin.python-version`. */
  pythonVersion?: string;
  /** Config `apk.pin`. */
  apkPin?: 'fuzzy' | 'exact';
  /** Config `apt:` (the apt-version fixer's strategy). */
  apt?: AptSettings;
  /** The fixer of each request kind (default: the table in src/fixers/index.ts). */
  fixers?: FixerTable;
  /** Resolves image references for the image fixers; without it they are left as "needs network". */
  images?: ImagePinner;
  /** Allow fixes to build-context files (`--write-context`). */
  writeContext?: boolean;
  /** Package index lookups for the package fixers; without it they are left as "needs network". */
  packages?: PackageContext;
  /** What each stage's base image holds, for a model of the file (set whenever `images` is). */
  bases?: (model: DockerfileModel) => StageBases;
  /** Lookups shared across the files of a run (see FixerContext.lookups); a fresh map when absent. */
  lookups?: Lookups;
  /** Node and npm versions from the config (`rules.npm-pin.node-version` / `npm-version`). */
  nodeRuntime?: NodeRuntimeByHand;
}

export interface AppliedFix {
  rule: string;
  title: string;
  applicability: Fix['applicability'];
  /** The build-context files a context fix edits (it is only done once the command writes them). */
  contextPaths?: string[];
}

export interface LeftFinding {
  finding: Finding;
  left: LeftReason;
  reason: string;
}

export interface FixOutcome {
  text: string;
  applied: AppliedFix[];
  /** Findings still present in `text`, each with why it was not fixed. */
  left: LeftFinding[];
  /** The model of `text` (for positions of `left`). */
  model: DockerfileModel;
  /** Edits to build-context files (`--write-context`), for the command to apply and write. */
  contextEdits: ContextEdit[];
  /** Set when the file has more findings than MAX_FINDINGS_PER_FILE: `left` holds the first ones, nothing is fixed. */
  tooManyFindings?: boolean;
}

interface Candidate {
  finding: Finding;
  fix: Fix;
}

/** Stable identity of a finding across passes (offsets move when earlier text is edited). */
function findingKey(f: Finding): string {
  return `${f.rule}\u0000${f.message}`;
}

function problemCount(model: DockerfileModel): number {
  return model.runs.reduce((n, r) => n + r.problems.length, 0) + model.copies.reduce((n, c) => n + c.problems.length, 0);
}

export async function fixText(original: string, fixOptions: FixOptions): Promise<FixOutcome> {
  const options = { ...fixOptions, lookups: fixOptions.lookups ?? new Lookups() };
  let text = original;
  const applied: AppliedFix[] = [];
  /** Fixes dropped by verification, by finding key: not tried again. */
  const dropped = new Map<string, NotFixed>();
  const history = [text];
  let model = parseDockerfile(text);
  let findings = lintModel(model, options);
  // A file past the per-file limit is left as it is: fixing only some of its findings would make a second
  // run fix more (fix twice must be fix once), and fixing all of them is what the limit is there to avoid.
  if (findings.length > MAX_FINDINGS_PER_FILE) {
    const reason = `not fixed: the file has more than ${MAX_FINDINGS_PER_FILE} findings`;
    const left = findings.slice(0, MAX_FINDINGS_PER_FILE).map((finding): LeftFinding => ({ finding, left: 'failed', reason }));
    return { text, applied: [], left, model, contextEdits: [], tooManyFindings: true };
  }
  let reasons = new Map<Finding, NotFixed>();
  /** Findings fixed in a build-context file: still reported by the Dockerfile's lint until that file is written. */
  const fixedInContext = new Set<string>();
  const contextEdits: ContextEdit[] = [];

  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const gathered = await gather(model, findings, options, dropped, fixedInContext);
    reasons = gathered.reasons;
    for (const c of gathered.inContext) {
      fixedInContext.add(findingKey(c.finding));
      contextEdits.push(...c.fix.contextEdits!);
      applied.push({ rule: c.finding.rule, title: c.fix.title, applicability: c.fix.applicability, contextPaths: c.fix.contextEdits!.map((e) => e.path) });
    }
    const selected = selectNonOverlapping(gathered.candidates);
    if (selected.length === 0) break;

    const result = verified(text, model, findings, selected, options, dropped);
    if (!result) continue; // the dropped fixes are recorded; the next pass gathers the rest
    // A cycle (A → B → A) would never settle: stop at the first repeat.
    if (history.includes(result.text)) break;
    history.push(result.text);
    for (const c of result.accepted) applied.push({ rule: c.finding.rule, title: c.fix.title, applicability: c.fix.applicability });
    // The verification already parsed and linted the new text: it is the next pass's starting point.
    ({ text, model, findings } = result);
    if (pass === MAX_PASSES - 1) reasons = (await gather(model, findings, options, dropped, fixedInContext)).reasons;
  }

  const left = findings.filter((f) => !fixedInContext.has(findingKey(f))).map((finding): LeftFinding => {
    const why = reasons.get(finding) ?? dropped.get(findingKey(finding)) ?? new NotFixed('no automatic fix for this rule', 'no-fixer');
    return { finding, left: why.left, reason: why.reason };
  });
  return { text, applied, left, model, contextEdits };
}

/**
 * One pass of the fixers over `text`: each fix that is good on its own (it re-parses and re-lints without a
 * new problem), with its edits into `text`. For an editor's quick fixes, one per finding; `fixText` does all.
 */
export async function singleFixes(text: string, fixOptions: FixOptions): Promise<{ finding: Finding; fix: Fix }[]> {
  const options = { ...fixOptions, lookups: fixOptions.lookups ?? new Lookups() };
  const model = parseDockerfile(text);
  const findings = lintModel(model, options);
  const { candidates } = await gather(model, findings, options, new Map(), new Set());
  return candidates.filter((c) => verified(text, model, findings, [c], options, new Map()) !== undefined);
}

/**
 * Asks the fixers for a fix of every finding that has a fix request; records why the others have none. The
 * one place a fixer's answer becomes a fix to try or a reason the finding is left (a NotFixed).
 */
async function gather(
  model: DockerfileModel,
  findings: Finding[],
  options: FixOptions & { lookups: Lookups },
  dropped: Map<string, NotFixed>,
  fixedInContext: Set<string>,
) {
  const reasons = new Map<Finding, NotFixed>();
  const candidates: Candidate[] = [];
  const inContext: Candidate[] = [];
  const byKind = new Map<FixKind, Finding[]>();
  for (const f of findings) {
    const earlier = dropped.get(findingKey(f));
    if (fixedInContext.has(findingKey(f))) continue;
    if (earlier) reasons.set(f, earlier);
    else if (!f.fix) reasons.set(f, new NotFixed('no automatic fix for this rule', 'no-fixer'));
    else {
      const list = byKind.get(f.fix.kind) ?? [];
      list.push(f);
      byKind.set(f.fix.kind, list);
    }
  }
  for (const [kind, list] of byKind) {
    let results: FixResult[];
    try {
      results = await fixBatch(options.fixers ?? FIXERS, kind, list, {
        model,
        buildContext: options.buildContext,
        baseId: options.baseId,
        pythonVersion: options.pythonVersion,
        apkPin: options.apkPin,
        apt: options.apt,
        lookups: options.lookups,
        findings,
        images: options.images,
        bases: options.bases?.(model),
        packages: options.packages,
        writeContext: options.writeContext,
        nodeRuntime: options.nodeRuntime,
      });
    } catch (e) {
      results = list.map(() => new NotFixed(`fixer '${kind}' failed: ${(e as Error).message}`, 'failed'));
    }
    list.forEach((finding, i) => {
      const r = results[i] ?? new NotFixed(`fixer '${kind}' gave no result`, 'failed');
      if (!isFix(r)) reasons.set(finding, r);
      else if (r.applicability === 'unsafe' && !options.unsafe) {
        reasons.set(finding, new NotFixed(`${r.title} (an unsafe fix: it may change what gets built; use --unsafe)`, 'unsafe'));
      } else if (r.contextEdits?.length && options.writeContext) inContext.push({ finding, fix: r });
      else if (r.edits.length > 0) candidates.push({ finding, fix: r });
    });
  }
  return { candidates, reasons, inContext };
}

/** The fixer of `kind` on the findings of that kind. */
async function fixBatch<K extends FixKind>(fixers: FixerTable, kind: K, findings: Finding[], ctx: FixerContext): Promise<FixResult[]> {
  const fixer = fixers[kind];
  return fixer.fix(findings.filter((f): f is FindingOf<K> => f.fix?.kind === kind), ctx);
}

/** The edits of several fixes, each identical edit once. */
function uniqueEdits(candidates: Candidate[]): TextEdit[] {
  const seen = new Set<string>();
  const out: TextEdit[] = [];
  for (const c of candidates) {
    for (const e of c.fix.edits) {
      const key = `${e.start}\u0000${e.end}\u0000${e.text}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(e);
      }
    }
  }
  return out;
}

/** Fixes in source order whose edits overlap no fix taken before; the rest wait for the next pass. */
function selectNonOverlapping(candidates: Candidate[]): Candidate[] {
  const start = (c: Candidate) => c.fix.edits.reduce((m, e) => Math.min(m, e.start), Infinity);
  const taken = new EditSet();
  const selected: Candidate[] = [];
  for (const c of candidates.map((c) => ({ c, at: start(c) })).sort((a, b) => a.at - b.at).map((x) => x.c)) {
    // Two fixes making the very same edit (image-tag and image-digest both pinning one reference) do not clash.
    if (c.fix.edits.some((e) => taken.clashes(e))) continue;
    selected.push(c);
    for (const e of c.fix.edits) taken.add(e);
  }
  return selected;
}

interface Checked {
  accepted: Candidate[];
  text: string;
  model: DockerfileModel;
  findings: Finding[];
}

/**
 * The fixes whose result re-parses without new problems and re-lints without new findings, with that
 * result. All together first (the common case: one re-lint); if that fails, each on its own, and the good
 * ones together again.
 */
function verified(
  text: string,
  model: DockerfileModel,
  findings: Finding[],
  selected: Candidate[],
  options: FixOptions,
  dropped: Map<string, NotFixed>,
): Checked | undefined {
  const before = countKeys(findings);
  const problems = problemCount(model);
  const check = (accepted: Candidate[]): Checked | string => {
    let next: string;
    try {
      next = applyEdits(text, uniqueEdits(accepted));
    } catch (e) {
      return (e as Error).message;
    }
    const m = parseDockerfile(next);
    if (problemCount(m) > problems) return 'the result does not parse';
    const after = lintModel(m, options);
    for (const [key, n] of countKeys(after)) {
      if (n > (before.get(key) ?? 0)) return `the result has a new finding: ${key.split('\u0000')[1]}`;
    }
    return { accepted, text: next, model: m, findings: after };
  };
  const all = check(selected);
  if (typeof all !== 'string') return all;
  const good: Checked[] = [];
  for (const c of selected) {
    const alone = check([c]);
    if (typeof alone !== 'string') good.push(alone);
    else dropped.set(findingKey(c.finding), new NotFixed(`fix dropped (${c.fix.title}): ${alone}`, 'failed'));
  }
  if (good.length <= 1) return good[0];
  // Each is fine alone; if they still clash together, keep the first and let the next pass retry the rest.
  const together = check(good.flatMap((g) => g.accepted));
  return typeof together === 'string' ? good[0] : together;
}

function countKeys(findings: Finding[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const f of findings) m.set(findingKey(f), (m.get(findingKey(f)) ?? 0) + 1);
  return m;
}
