/**
 * Inline suppressions: `# dockrepro ignore=rule[,rule]` in the comment block directly above an
 * instruction, `# dockrepro global ignore=…` anywhere, and the same forms with `hadolint` and hadolint
 * codes (DL3008, …) for the rules that replace them. A trailing `# reason` is allowed.
 */
import type { DockerfileModel } from './parse/dockerfile';
import type { Finding, Rule } from './rules/types';

const PRAGMA = /^#\s*(dockrepro|hadolint)\s+(global\s+)?ignore\s*=\s*([A-Za-z0-9_,\s-]+?)\s*(?:#.*)?$/;

export interface Suppressions {
  isSuppressed(f: Finding): boolean;
}

export function readSuppressions(model: DockerfileModel, rules: readonly Rule[]): Suppressions {
  const global = new Set<string>();
  /** rule ids suppressed per 1-based comment line */
  const byLine = new Map<number, Set<string>>();
  for (const c of model.comments) {
    const m = PRAGMA.exec(c.text.trim());
    if (!m) continue;
    const [, tool, isGlobal, list] = m;
    const ids = new Set<string>();
    for (const code of list.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (tool === 'dockrepro') ids.add(code);
      else for (const r of rules) if (r.meta.hadolint?.includes(code.toUpperCase())) ids.add(r.meta.id);
    }
    if (isGlobal) for (const id of ids) global.add(id);
    else byLine.set(c.line, ids);
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
