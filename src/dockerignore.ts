/**
 * `.dockerignore` as the Docker builder reads it (moby's patternmatcher), which is not `.gitignore`:
 * - one pattern per line; lines starting with `#` are comments; surrounding white space is dropped;
 * - `!` starts an exception; the last pattern that matches a path decides;
 * - patterns are anchored at the context root: a leading `/` is dropped and the pattern is cleaned
 *   (`./a//b/` → `a/b`); `foo` matches only `./foo`, never `sub/foo`;
 * - Go's filepath.Match syntax — `*` (no `/`), `?`, `[a-z]`, `[^a-z]`, `\` escapes — plus `**` for any
 *   number of folders (`**\/x`, `a/**`);
 * - a pattern that matches a folder excludes everything in it (the path or any of its parents matching is
 *   enough).
 * Not implemented: the per-Dockerfile `<name>.dockerignore` BuildKit prefers when present.
 */
import { posix } from 'node:path';

interface Pattern {
  exception: boolean;
  regex: RegExp;
}

/** A Go filepath.Match pattern (with `**`) as an anchored regular expression; undefined when malformed. */
function compile(pattern: string): RegExp | undefined {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?'; // `**/`: zero or more folders
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      i++;
      if (i >= pattern.length) return undefined;
      re += pattern[i].replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) return undefined;
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith('^');
      if (negated) body = body.slice(1);
      re += `[${negated ? '^' : ''}${body.replace(/\\(.)/g, '\\$1').replace(/[\]^]/g, '\\$&')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  try {
    return new RegExp(`^${re}$`);
  } catch {
    return undefined;
  }
}

export function parseDockerignore(text: string): Pattern[] {
  const patterns: Pattern[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const exception = line.startsWith('!');
    if (exception) line = line.slice(1).trim();
    line = posix.normalize(line).replace(/^\/+/, '').replace(/\/+$/, '');
    if (line === '' || line === '.') continue;
    const regex = compile(line);
    if (regex) patterns.push({ exception, regex });
  }
  return patterns;
}

/** Whether the context-relative `path` (`web/package-lock.json`) is left out of the build context. */
export function isExcluded(patterns: readonly Pattern[], path: string): boolean {
  const parts = posix.normalize(path).replace(/^\.?\/+/, '').split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const p of patterns) {
    if (candidates.some((c) => p.regex.test(c))) excluded = !p.exception;
  }
  return excluded;
}
