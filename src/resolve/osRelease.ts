/**
 * os-release(5): which distribution and release a base image is, read from the image's own
 * `/etc/os-release` (or `/usr/lib/os-release`, which the former usually links to). The OS package fixers
 * (apt, apk, rpm) start here, never from the image's name.
 */
import type { ImageFiles } from './baseImage';

export interface OsRelease {
  /** `ID`, lower case; `linux` when absent, as os-release(5) says. */
  id: string;
  /** `ID_LIKE`, split on spaces. */
  idLike: string[];
  /** `VERSION_ID`. */
  versionId?: string;
  /** `VERSION_CODENAME`, else `UBUNTU_CODENAME`. */
  codename?: string;
  /** Every `KEY=value`, unquoted. */
  fields: Readonly<Record<string, string>>;
  /** The file that answered. */
  path: string;
}

/** Where os-release(5) says to look, in order. */
export const OS_RELEASE_FILES: readonly string[] = ['/etc/os-release', '/usr/lib/os-release'];

/**
 * Parses os-release text: `KEY=value` lines, the value optionally in single or double quotes (shell-like: in
 * double quotes `\` escapes `"`, `$`, `` ` `` and `\`); comments, blank lines and malformed lines are skipped.
 */
export function parseOsRelease(text: string, path: string): OsRelease {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    const value = unquote(m[2].trim());
    if (value !== undefined) fields[m[1]] = value;
  }
  const codename = fields.VERSION_CODENAME || fields.UBUNTU_CODENAME;
  return {
    id: (fields.ID || 'linux').toLowerCase(),
    idLike: (fields.ID_LIKE ?? '').toLowerCase().split(/\s+/).filter(Boolean),
    versionId: fields.VERSION_ID || undefined,
    codename: codename || undefined,
    fields,
    path,
  };
}

function unquote(v: string): string | undefined {
  if (v.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\.)*)"$/.exec(v);
    return m ? m[1].replace(/\\(["$`\\])/g, '$1') : undefined;
  }
  if (v.startsWith("'")) {
    const m = /^'([^']*)'$/.exec(v);
    return m ? m[1] : undefined;
  }
  // Unquoted: a word without spaces or shell specials (a trailing comment is not part of the format).
  return /^[^\s"'`$\\]*$/.test(v) ? v : undefined;
}

/** The first of OS_RELEASE_FILES present in an answer of StageBases.files; undefined when none is. */
export function osReleaseOf(files: ImageFiles): OsRelease | undefined {
  for (const path of OS_RELEASE_FILES) {
    const text = files.files.get(path);
    if (text !== undefined) return parseOsRelease(text, path);
  }
  return undefined;
}
