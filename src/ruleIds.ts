/**
 * What a rule id written by a user means: a dockrepro id, a hadolint code (DL3008) mapped through the rules'
 * `hadolint` lists, a hadolint or ShellCheck code with no dockrepro equivalent (accepted, with a note: a
 * migrating user's lists are full of them), or a typo (with the nearest id as a suggestion). Used by
 * `--rules`/`--disable`, config files and pragmas, so all of them accept the same spellings.
 */
import { RULES } from './rules/index';
import { nearest } from './util/nearest';

export type RuleIdMeaning =
  /** `ids`: the dockrepro rules meant. `alsoCovers`: hadolint codes those rules check besides the one written. */
  | { kind: 'rules'; ids: string[]; alsoCovers: string[] }
  /** A hadolint (DLxxxx) or ShellCheck (SCxxxx) code no dockrepro rule replaces. */
  | { kind: 'foreign'; code: string }
  | { kind: 'unknown'; suggestion?: string };

const FOREIGN_CODE = /^(?:DL|SC)\d{4}$/i;

export function ruleIdMeaning(written: string): RuleIdMeaning {
  const id = written.trim();
  if (RULES.some((r) => r.meta.id === id)) return { kind: 'rules', ids: [id], alsoCovers: [] };
  const code = id.toUpperCase();
  const replacing = RULES.filter((r) => r.meta.hadolint?.includes(code));
  if (replacing.length) {
    const alsoCovers = [...new Set(replacing.flatMap((r) => r.meta.hadolint ?? []))].filter((c) => c !== code);
    return { kind: 'rules', ids: replacing.map((r) => r.meta.id), alsoCovers };
  }
  if (FOREIGN_CODE.test(id)) return { kind: 'foreign', code };
  return { kind: 'unknown', suggestion: nearestRuleId(id) };
}

/** `unknown rule 'apt-pinn' (did you mean 'apt-pin'?)`. */
export function unknownRuleMessage(written: string, suggestion: string | undefined): string {
  return `unknown rule '${written}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}`;
}

/** The result of reading a list of ids: the dockrepro rules meant, and what the user should be told. */
export interface RuleIdList {
  ids: string[];
  /** Codes with no dockrepro equivalent, as written. */
  foreign: string[];
  /** Ids that mean nothing, each with its message (with a suggestion when one is close). */
  unknown: string[];
  /** `DL3007 is part of image-tag, which also checks DL3006`: where a code switches more than it names. */
  widened: string[];
}

export function readRuleIds(written: readonly string[]): RuleIdList {
  const out: RuleIdList = { ids: [], foreign: [], unknown: [], widened: [] };
  for (const w of written) {
    const meaning = ruleIdMeaning(w);
    if (meaning.kind === 'rules') {
      for (const id of meaning.ids) if (!out.ids.includes(id)) out.ids.push(id);
      const unnamed = meaning.alsoCovers.filter((c) => !written.some((x) => x.trim().toUpperCase() === c));
      if (unnamed.length) out.widened.push(`${w.trim()} is part of ${meaning.ids.join(', ')}, which also checks ${unnamed.join(', ')}`);
    } else if (meaning.kind === 'foreign') out.foreign.push(w.trim());
    else out.unknown.push(unknownRuleMessage(w.trim(), meaning.suggestion));
  }
  return out;
}

/** `DL3059, SC2086 have no dockrepro equivalent` / `DL3059 has …`; undefined for none. */
export function foreignNote(codes: readonly string[]): string | undefined {
  if (!codes.length) return undefined;
  return `${codes.join(', ')} ${codes.length === 1 ? 'has' : 'have'} no dockrepro equivalent (ignored)`;
}

/** The rule id (or hadolint code) closest to `id` by edit distance, when close enough to be a typo. */
export function nearestRuleId(id: string): string | undefined {
  return nearest(id, RULES.flatMap((r) => [r.meta.id, ...(r.meta.hadolint ?? [])]));
}

/** `--rules`/`--disable`: the rule ids meant, or why the value is refused; notes go to stderr. */
export function ruleIdsOption(flag: string, value: string | undefined): { ids?: string[]; error?: string; notes: string[] } {
  if (value === undefined) return { notes: [] };
  const written = value.split(',').map((s) => s.trim()).filter(Boolean);
  const list = readRuleIds(written);
  if (list.unknown.length) return { error: `${flag}: ${list.unknown.join('; ')} (see 'dockrepro rules')`, notes: [] };
  const notes = [...list.widened, ...[foreignNote(list.foreign)].filter((n): n is string => !!n)].map((n) => `${flag}: ${n}`);
  // `--rules DL3059` alone would run nothing and pass: refuse it rather than report a clean result.
  if (!written.length) return { error: `${flag}: an empty list (name at least one rule id; see 'dockrepro rules')`, notes: [] };
  if (flag === '--rules' && !list.ids.length) return { error: `${flag}: no dockrepro rule among ${written.join(', ')}`, notes };
  return { ids: list.ids, notes };
}
