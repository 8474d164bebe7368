/**
 * Extra Dockerfile names from `--glob` and the config's `include:`, added to the names folder walks take
 * (src/dockerfileName.ts). A pattern without `/` matches a file's name in any folder (`*__Dockerfile`,
 * `*.df`); a pattern with `/` matches the path relative to its base folder (`docker/*`, `**\/build/*`): the
 * folder the user named for `--glob`, the config file's folder for `include:`. picomatch is loaded only when
 * there are patterns.
 */
import { basename, relative, sep } from 'node:path';

/** Matches an absolute file path. */
export type IncludeMatcher = (absPath: string) => boolean;

/** Why a pattern is refused, or undefined when it is usable. */
export function patternProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string' || pattern.trim() === '') return 'expected a non-empty glob pattern';
  if (pattern.startsWith('!')) return 'negated patterns are not supported (leave files out with ignore-paths or .gitignore)';
  if (pattern.startsWith('/')) return 'patterns are relative: drop the leading /';
  if (pattern.split('/').includes('..')) return "patterns cannot leave their folder ('..')";
  return undefined;
}

/** A matcher for usable patterns (check them with patternProblem first) relative to `base`. */
export function includeMatcher(patterns: readonly string[], base: string): IncludeMatcher {
  if (patterns.length === 0) return () => false;
  const picomatch = require('picomatch') as typeof import('picomatch');
  const clean = patterns.map((p) => p.replace(/^(\.\/)+/, ''));
  const byName = clean.filter((p) => !p.includes('/'));
  const byPath = clean.filter((p) => p.includes('/'));
  const options = { dot: true };
  const nameMatch = byName.length ? picomatch(byName, options) : undefined;
  const pathMatch = byPath.length ? picomatch(byPath, options) : undefined;
  return (abs) => {
    if (nameMatch?.(basename(abs))) return true;
    if (!pathMatch) return false;
    const rel = relative(base, abs);
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`)) return false;
    return pathMatch(rel.split(sep).join('/'));
  };
}
