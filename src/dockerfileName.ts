/**
 * Which file names folder walks take as Dockerfiles, and a cheap check of a file's first bytes for the
 * names they do not take (so a tree of unusually named Dockerfiles is not skipped without a word).
 *
 * Taken (case-insensitive unless said):
 * - `Dockerfile`, `Containerfile`;
 * - `Dockerfile.<variant>`, `<name>.Dockerfile` (and Containerfile), unless the other part is a template,
 *   backup, document, script, source or data extension (`Dockerfile.j2`, `Dockerfile.md`, `dockerfile.go`);
 * - `Dockerfile-<variant>`, `Dockerfile_<variant>` spelt with a capital D or C (`Dockerfile-windows`): lower
 *   case `dockerfile-lint`, `dockerfile_gen` are more often tools than Dockerfiles;
 * - any of these after a flattened path prefix `a__b__` (`src__api__Dockerfile`, as tree dumps name files).
 * Not taken: `<name>-Dockerfile`, `<name>_dockerfile` (`build-dockerfile`, `update_dockerfile` are usually
 * scripts). Those, and other names mentioning a Dockerfile, are checked by content for a note instead.
 */

/** Templates and backups of a Dockerfile: never Dockerfiles themselves, and never worth a note. */
const DERIVED = /\.(template|tmpl|tpl|j2|jinja2?|in|erb|mustache|hbs|gotmpl|orig|rej|bak|old|swp|tmp|dockerignore)$|~$/i;
/** Other kinds of file named after Dockerfiles (docs, scripts, sources, data, archives). */
const OTHER_KIND = /\.(md|markdown|txt|rst|adoc|html?|sh|bash|zsh|ps1|bat|cmd|ya?ml|json|toml|ini|xml|csv|go|py|js|mjs|cjs|ts|mts|cts|jsx|tsx|rs|rb|java|kt|scala|c|h|cc|cpp|cs|php|pl|lua|vim|el|snap|patch|diff|lock|log|gz|tgz|tar|zip|png|svg|pdf)$/i;

/** The name forms taken, for messages. */
export const DOCKERFILE_NAME_FORMS = 'Dockerfile, Dockerfile.*, *.Dockerfile, Dockerfile-*, Containerfile…, also after a flattened a__b__ prefix';

export function isDockerfileName(name: string): boolean {
  // Most names in a tree never mention one: answer them without the regular expressions below.
  if (!mentionsDockerfile(name)) return false;
  if (isDockerfileForm(name)) return true;
  const flat = name.lastIndexOf('__');
  return flat >= 0 && isDockerfileForm(name.slice(flat + 2));
}

function isDockerfileForm(name: string): boolean {
  const lower = name.toLowerCase();
  if (lower === 'dockerfile' || lower === 'containerfile') return true;
  if (DERIVED.test(name) || OTHER_KIND.test(name)) return false;
  if (/^(Dockerfile|Containerfile)[-_]./.test(name)) return true;
  return lower.startsWith('dockerfile.') || lower.startsWith('containerfile.') || lower.endsWith('.dockerfile') || lower.endsWith('.containerfile');
}

/**
 * A name not taken that still says "Dockerfile" and is not a template or backup: worth reading its first bytes
 * (startsLikeDockerfile) to tell the user it was left out.
 */
export function isNearMissName(name: string): boolean {
  return mentionsDockerfile(name) && !DERIVED.test(name) && !isDockerfileName(name);
}

function mentionsDockerfile(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.includes('dockerfile') || lower.includes('containerfile');
}

/** Bytes read from a near miss: the first instruction is within them in any real Dockerfile. */
export const SNIFF_BYTES = 4096;

/**
 * Whether text begins as a Dockerfile does: comments and parser directives, then FROM (or ARG, allowed before
 * it). Scripts (`#!` then commands), Go or Python sources and Markdown prose all fail; so do templates.
 */
export function startsLikeDockerfile(head: Buffer): boolean {
  if (head.includes(0)) return false;
  const text = head.toString('latin1').replace(/^\xef\xbb\xbf/, '');
  if (/\{\{|\{%|<%/.test(text)) return false;
  for (const line of text.split(/\r\n|\r|\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    return /^(FROM|ARG)\s+\S/i.test(trimmed);
  }
  return false;
}
