/**
 * The properties every input must keep, shared by the bounded run in the suite and `npm run fuzz`:
 * lint never throws and stays under a time bound; the offline fix (unsafe on, no resolvers) never throws,
 * is idempotent, changes only lines its fixes touch (inserting no line but `ARG SOURCE_DATE_EPOCH` after a FROM),
 * and keeps the other instructions and the parse problems.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeDockerfile } from '../../src/util/decode';
import { parseDockerfile, type DockerfileModel } from '../../src/parse/dockerfile';
import { lintModel } from '../../src/lint';
import { parseNotes } from '../../src/run';
import { fixText } from '../../src/fix';
import { RULES } from '../../src/rules/index';
import { BuildContext } from '../../src/context';
import { lineChanges } from '../helpers/fixedLines';

/**
 * Per-input bound for lint (decode + parse + rules + notes): a base plus an allowance per KB, so that work
 * growing linearly with the input passes and anything quadratic on the big inputs does not. Generous for a
 * loaded 2-core machine under jest (parsing 3,000 RUN lines takes ~0.6 s there, ~0.1 s in the built CLI).
 */
export const LINT_MS = Number(process.env.FUZZ_LINT_MS ?? 2000);
export const LINT_MS_PER_KB = Number(process.env.FUZZ_LINT_MS_PER_KB ?? 40);

/** A build context with files the generated COPYs name, so context-aware rules and fixers have work. */
export function fuzzContext(): BuildContext {
  const dir = mkdtempSync(join(tmpdir(), 'dockrepro-fuzz-'));
  writeFileSync(join(dir, 'requirements.txt'), 'flask\nrequests>=2\n-r other.txt\n');
  writeFileSync(join(dir, 'other.txt'), 'numpy==1.26.4\nclick\n');
  writeFileSync(join(dir, 'package.json'), '{"name":"x","version":"1.0.0","dependencies":{"left-pad":"^1.3.0"}}\n');
  writeFileSync(join(dir, 'package-lock.json'), '{"name":"x","lockfileVersion":3,"packages":{}}\n');
  return new BuildContext(dir);
}

function problems(m: DockerfileModel): number {
  return m.runs.reduce((n, r) => n + r.problems.length, 0) + m.copies.reduce((n, c) => n + c.problems.length, 0);
}

/** Lints file bytes the way `dockrepro lint` does; throws (failing the property) on any error or overrun. */
export function checkLint(bytes: Buffer, buildContext?: BuildContext): void {
  const started = performance.now();
  const decoded = decodeDockerfile(bytes);
  if (decoded.kind === 'text') {
    const model = parseDockerfile(decoded.text);
    checkModel(model);
    const findings = lintModel(model, { rules: RULES, buildContext });
    for (const f of findings) {
      if (!(f.span.start >= 0 && f.span.start <= f.span.end && f.span.end <= model.text.length)) {
        throw new Error(`finding ${f.rule} has span ${f.span.start}..${f.span.end} outside the text (${model.text.length})`);
      }
    }
    parseNotes(model);
  }
  const ms = performance.now() - started;
  const bound = LINT_MS + (LINT_MS_PER_KB * bytes.length) / 1024;
  if (ms > bound) throw new Error(`lint took ${Math.round(ms)} ms (bound ${Math.round(bound)} ms) for ${bytes.length} bytes`);
}

/**
 * The model's ranges point at what they name: each instruction's range starts with its keyword. (Ranges come
 * from dockerfile-ast's line/column positions: they are only right when both agree on where lines break.)
 */
export function checkModel(model: DockerfileModel): void {
  for (const i of model.instructions) {
    const at = model.text.slice(i.span.start, i.span.start + i.keyword.length);
    if (at.toUpperCase() !== i.keyword) {
      throw new Error(`instruction ${i.keyword} (line ${i.line}) has a range starting at ${JSON.stringify(model.text.slice(i.span.start, i.span.start + 20))}`);
    }
  }
}

/** The offline fix with every fixer, unsafe fixes on, and no resolvers (nothing from the network). */
export function fixOffline(text: string, buildContext?: BuildContext) {
  return fixText(text, { rules: RULES, unsafe: true, offline: true, baseId: 10001, buildContext });
}

/** Fixes `text` and checks the fix properties; throws a readable error naming the one that broke. */
export async function checkFix(text: string, buildContext?: BuildContext): Promise<void> {
  const first = await fixOffline(text, buildContext);
  const again = await fixOffline(first.text, buildContext);
  if (again.text !== first.text) {
    throw new Error(`fix is not idempotent:\n--- once\n${JSON.stringify(first.text)}\n--- twice\n${JSON.stringify(again.text)}`);
  }
  if (first.text === text) {
    if (first.applied.length) throw new Error(`fixes reported applied (${first.applied.map((a) => a.title).join('; ')}) but the text is unchanged`);
    return;
  }
  // Every line no applied fix touched is identical: the line count is kept except for whole lines
  // `ARG SOURCE_DATE_EPOCH` the source-date-epoch fix inserts after a FROM, and the other fixes change at most
  // one line each (an inserted ARG line changes none).
  const { inserted, changed } = lineChanges(text, first.text, first.applied);
  if (changed.length > first.applied.length - inserted) {
    throw new Error(`fix changed ${changed.length} lines for ${first.applied.length} fixes (${inserted} inserted ARG lines): ${JSON.stringify(changed)}`);
  }
  for (const [line, x, y] of changed) {
    // Outside the edit: the line's ending (CRLF kept) and its leading indentation stay.
    if (x.endsWith('\r') !== y.endsWith('\r')) throw new Error(`line ${line} lost or gained its CR: ${JSON.stringify([x, y])}`);
  }
  const before = parseDockerfile(text);
  const after = parseDockerfile(first.text);
  // Each source-date-epoch fix adds its one instruction (also in a CR-only file, where it adds no '\n' line).
  const epochFixes = first.applied.filter((f) => f.rule === 'source-date-epoch').length;
  if (after.instructions.length !== before.instructions.length + epochFixes) {
    throw new Error(`fix changed the instruction count ${before.instructions.length} → ${after.instructions.length} (${epochFixes} ARG SOURCE_DATE_EPOCH added)`);
  }
  if (problems(after) > problems(before)) throw new Error(`fix added parse problems: ${JSON.stringify(after.runs.flatMap((r) => r.problems))}`);
  if (after.escape !== before.escape) throw new Error(`fix changed the escape character`);
}

/** Runs and seed: fixed in the suite (reproducible), from the environment for `npm run fuzz`. */
export function fuzzParameters(defaultRuns: number): { numRuns: number; seed: number; verbose: number } {
  const numRuns = Number(process.env.FUZZ_RUNS ?? defaultRuns);
  const seed = Number(process.env.FUZZ_SEED ?? 20260610);
  return { numRuns, seed, verbose: 1 };
}
