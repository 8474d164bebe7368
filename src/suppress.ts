/**
 * Inline suppressions: `# dockrepro ignore=rule[,rule]` in the comment block directly above an
 * instruction, `# dockrepro global ignore=…` anywhere, and the same forms with `hadolint`. Either tool's
 * pragma takes dockrepro ids and the hadolint codes they replace (DL3008, …; src/ruleIds.ts). Text after the
 * id list is a reason (`# hadolint ignore=DL3008 reason: x`, `-- pinned upstream`, `# why`).
 */
import type { DockerfileModel } from './parse/dockerfile';
import type { Finding } from './rules/types';
import { ruleIdMeaning, unknownRuleMessage } from './ruleIds';

/** The id list is words joined by commas; anything after whitespace is the reason. */
const PRAGMA = /^#\s*(dockrepro|hadolint)\s+(global\s+)?ignore\s*=\s*([A-Za-z0-9_.-]+(?:\s*,\s*[A-Za-z0-9_.-]+)*)(?:[\s#].*)?$/;

export interface Suppressions {
  isSuppressed(f: Finding): boolean;
}

interface Pragma {
  line: number;
  global: boolean;
  /** dockrepro rule ids it suppresses. */
  ids: Set<string>;
  /** What is wrong with it, for a note. */
  problems: string[];
}

/** Read once per file: lint asks for its suppressions and for its notes. */
const pragmasOf = new WeakMap<DockerfileModel, Pragma[]>();

function readPragmas(model: DockerfileModel): Pragma[] {
  let pragmas = pragmasOf.get(model);
  if (!pragmas) pragmasOf.set(model, (pragmas = scanPragmas(model)));
  return pragmas;
}

function scanPragmas(model: DockerfileModel): Pragma[] {
  const pragmas: Pragma[] = [];
  for (const c of model.comments) {
    const m = PRAGMA.exec(c.text.trim());
    if (!m) {
      if (/^#\s*dockrepro\s+(global\s+)?ignore\b/.test(c.text)) pragmas.push({ line: c.line, global: false, ids: new Set(), problems: ['not understood as a pragma (expected # dockrepro ignore=rule[,rule] [reason])'] });
      continue;
    }
    const [, tool, isGlobal, list] = m;
    const pragma: Pragma = { line: c.line, global: !!isGlobal, ids: new Set(), problems: [] };
    const foreign: string[] = [];
    for (const code of list.split(',').map((s) => s.trim()).filter(Boolean)) {
      const meaning = ruleIdMeaning(code);
      if (meaning.kind === 'rules') for (const id of meaning.ids) pragma.ids.add(id);
      else if (meaning.kind === 'unknown') pragma.problems.push(`${unknownRuleMessage(code, meaning.suggestion)} in an ignore pragma`);
      // hadolint's and ShellCheck's own codes in a hadolint pragma are for hadolint: no note.
      else if (tool === 'dockrepro') foreign.push(code);
    }
    if (foreign.length) pragma.problems.push(`${foreign.join(', ')} in an ignore pragma: no dockrepro equivalent`);
    pragmas.push(pragma);
  }
  return pragmas;
}

/** Notes for pragmas that name no rule or are misspelt: otherwise they would silently suppress nothing. */
export function pragmaNotes(model: DockerfileModel): string[] {
  return readPragmas(model).flatMap((p) => p.problems.map((problem) => `line ${p.line}: ${problem}`));
}

export function readSuppressions(model: DockerfileModel): Suppressions {
  const global = new Set<string>();
  /** rule ids suppressed per 1-based comment line */
  const byLine = new Map<number, Set<string>>();
  for (const p of readPragmas(model)) {
    if (p.global) for (const id of p.ids) global.add(id);
    else byLine.set(p.line, p.ids);
  }
  // Most files have no pragma: then nothing is suppressed, and no finding needs its instruction looked up.
  if (global.size === 0 && byLine.size === 0) return { isSuppressed: () => false };
  const commentLines = new Set(model.comments.map((c) => c.line));
  /** Rule ids suppressed for the instruction starting on `line`: the comment block right above it. */
  const forInstruction = (line: number): Set<string> => {
    const ids = new Set<string>();
    for (let l = line - 1; l >= 1 && commentLines.has(l); l--) for (const id of byLine.get(l) ?? []) ids.add(id);
    return ids;
  };
  const cache = new Map<number, Set<string>>();
  return {
    isSuppressed(f: Finding): boolean {
      if (global.has(f.rule)) return true;
      const inst = instructionAt(model, f.span.start);
      // A `# syntax=` directive sits before any instruction: only global pragmas apply.
      if (!inst) return false;
      let ids = cache.get(inst.line);
      if (!ids) cache.set(inst.line, (ids = forInstruction(inst.line)));
      return ids.has(f.rule);
    },
  };
}

/** The instruction containing `offset` (instructions are in source order, so binary search). */
function instructionAt(model: DockerfileModel, offset: number): DockerfileModel['instructions'][number] | undefined {
  const list = model.instructions;
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].span.end < offset) lo = mid + 1;
    else if (list[mid].span.start > offset) hi = mid - 1;
    else return list[mid];
  }
  return undefined;
}
