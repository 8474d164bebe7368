/** Fixer tables and typed findings for tests that run one fixer. */
import { FIXERS } from '../../src/fixers/index';
import type { FindingOf, Fixer, FixerTable } from '../../src/fixers/types';
import type { Finding, FixKind } from '../../src/rules/types';
import { NotFixed, type LeftReason } from '../../src/util/notFixed';

/** The findings whose request is of `kind`, typed for that kind's fixer. */
export function findingsOf<K extends FixKind>(findings: readonly Finding[], kind: K): FindingOf<K>[] {
  return findings.filter((f): f is FindingOf<K> => f.fix?.kind === kind);
}

/** The fixer table with `fixer` in place of the real fixer of its kind (the other kinds keep theirs). */
export function withFixer<K extends FixKind>(fixer: Fixer<K>): FixerTable {
  return { ...FIXERS, [fixer.kind]: fixer };
}

/** A result as plain data for toEqual (which never equates an Error with an object): a NotFixed as { left, reason }. */
export function asData<T>(r: T | NotFixed): T | { left: LeftReason; reason: string } {
  return r instanceof NotFixed ? { left: r.left, reason: r.reason } : r;
}
