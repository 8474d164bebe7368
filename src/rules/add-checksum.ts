import type { CopyBlock, FileOperand } from '../parse/dockerfile';
import type { Span } from '../util/text';
import { defineRule, type RuleContext } from './types';
import type { AddChecksumRequest, GitCommitRequest } from '../findings/fixRequests';

/** BuildKit verifies HTTP sources against a sha256 content digest only, spelled exactly like this. */
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
/** A full git object id: SHA-1 (40) or SHA-256 repositories (64). BuildKit compares it case-sensitively. */
const FULL_COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** BuildKit's scp-style git address (`git@github.com:o/r.git`): user@host:path[?query][#fragment]. */
const SCP_STYLE = /^[A-Za-z0-9_-]+@[A-Za-z0-9.-]+:/;

type Flag = { value: string | undefined; span: Span };

interface GitSource {
  /** The repository address without query and fragment (what `git ls-remote` takes). */
  remote: string;
  /** Branch, tag or commit from `#ref[:subdir]` or `?ref=`/`?tag=`/`?branch=`. */
  ref?: string;
  refKind?: 'tag' | 'branch';
  /** `?checksum=` / `?commit=` (Dockerfile 1.18+). */
  checksum?: string;
}

/** Splits `?query#fragment` off a URL-ish string. */
function splitUrl(s: string): { base: string; query: string; fragment: string } {
  const hash = s.indexOf('#');
  const fragment = hash >= 0 ? s.slice(hash + 1) : '';
  const beforeHash = hash >= 0 ? s.slice(0, hash) : s;
  const q = beforeHash.indexOf('?');
  return { base: q >= 0 ? beforeHash.slice(0, q) : beforeHash, query: q >= 0 ? beforeHash.slice(q + 1) : '', fragment };
}

/**
 * The git source an ADD operand names, following BuildKit's rules: `git://` and `ssh://` URLs,
 * scp-style `user@host:path`, and http(s) URLs whose path ends in `.git` (other http(s) URLs are files).
 */
function parseGitSource(src: string): GitSource | undefined {
  const parts = splitUrl(src);
  if (/^https?:\/\//i.test(src)) {
    let path: string;
    try {
      path = new URL(parts.base).pathname;
    } catch {
      return undefined;
    }
    if (!path.endsWith('.git')) return undefined;
  } else if (!/^(git|ssh):\/\//i.test(src) && !SCP_STYLE.test(src)) return undefined;
  const out: GitSource = { remote: parts.base };
  const fragmentRef = parts.fragment.split(':')[0];
  if (fragmentRef) out.ref = fragmentRef;
  const query = new URLSearchParams(parts.query);
  const tag = query.get('tag');
  const branch = query.get('branch');
  if (query.get('ref')) out.ref = query.get('ref')!;
  else if (tag) [out.ref, out.refKind] = [tag, 'tag'];
  else if (branch) [out.ref, out.refKind] = [branch, 'branch'];
  const checksum = query.get('checksum') ?? query.get('commit');
  if (checksum) out.checksum = checksum;
  return out;
}

/** What a git checksum (flag or `?checksum=`) says: BuildKit accepts a commit id or any prefix of one. */
function gitChecksumProblem(value: string): string | undefined {
  if (FULL_COMMIT.test(value)) return undefined;
  if (/^[0-9a-f]{1,63}$/.test(value)) {
    return `checksum '${value}' is only a prefix of a commit id, which later commits can share: write the full 40-hex commit id`;
  }
  return `checksum '${value}' is not a commit id: for a git source BuildKit expects the commit (40 lower-case hex digits)`;
}

/** Where an unpinned git source points, and why that moves. */
function describeRef(git: GitSource): string {
  if (!git.ref) return 'its default branch (which moves with every push)';
  if (git.refKind === 'branch') return `branch '${git.ref}' (which moves with every push)`;
  if (git.refKind === 'tag' || /^v?[0-9]+(\.[0-9]+)+/.test(git.ref)) return `tag '${git.ref}' (tags can be moved)`;
  return `'${git.ref}' (a branch or tag, which can move)`;
}

function checkGit(ctx: RuleContext<'git-commit'>, src: FileOperand, git: GitSource, flag: Flag | undefined): void {
  const fix: GitCommitRequest = { kind: 'git-commit', url: git.remote, ...(git.ref ? { ref: git.ref } : {}) };
  const checksum = flag ? flag.value : git.checksum;
  if (checksum !== undefined) {
    const problem = gitChecksumProblem(checksum);
    if (problem) ctx.report({ message: `ADD of '${git.remote}': ${problem}`, span: flag?.span ?? src.span, fix });
    return;
  }
  if (flag && flag.value === undefined) {
    ctx.report({ message: `ADD of '${git.remote}': --checksum has no value: write --checksum=<40-hex commit id>`, span: flag.span, fix });
    return;
  }
  if (git.ref && FULL_COMMIT.test(git.ref)) return;
  ctx.report({
    message: `ADD of git repository '${git.remote}' is not pinned: it takes ${describeRef(git)}; add --checksum=<40-hex commit id> or write '#<commit id>'`,
    span: src.span,
    fix,
  });
}

function checkHttp(ctx: RuleContext<'add-checksum'>, src: FileOperand, url: string, flag: Flag | undefined): void {
  const fix: AddChecksumRequest = { kind: 'add-checksum', url };
  if (!flag) {
    ctx.report({ message: `ADD downloads '${url}' without --checksum: add --checksum=sha256:<64-hex digest of the file>`, span: src.span, fix });
    return;
  }
  const value = flag.value;
  if (value !== undefined && SHA256_DIGEST.test(value)) return;
  const what = value ? `'${value}' is malformed` : 'has no value';
  ctx.report({ message: `ADD of '${url}': --checksum ${what}: write sha256:<64 lower-case hex digits> (the only digest BuildKit checks)`, span: flag.span, fix });
}

/** The `--checksum` flag; an empty `--checksum=` value is widened to the whole flag so a finding is visible. */
function checksumFlag(ctx: RuleContext, add: CopyBlock): Flag | undefined {
  const flag = add.flags.get('checksum');
  if (!flag || flag.span.start < flag.span.end) return flag;
  const name = '--checksum=';
  const start = flag.span.start - name.length;
  const written = ctx.model.text.slice(start, flag.span.start).toLowerCase() === name;
  return { value: flag.value || undefined, span: written ? { start, end: flag.span.end } : flag.span };
}

function checkAdd(ctx: RuleContext<'add-checksum' | 'git-commit'>, add: CopyBlock): void {
  const written = add.flags.get('checksum');
  if (written?.raw && written.value === undefined) return; // `--checksum=${SUM}` with an unknown value: cannot tell
  const flag = checksumFlag(ctx, add);
  for (const src of add.sources) {
    if (src.value === undefined) continue; // depends on an ARG without a known value
    const git = parseGitSource(src.value);
    if (git) checkGit(ctx, src, git, flag);
    else if (/^https?:\/\//i.test(src.value)) checkHttp(ctx, src, src.value, flag);
    // Anything else is a build-context path: its content is part of the context, not downloaded.
  }
}

export default defineRule({
  meta: {
    id: 'add-checksum',
    summary: 'Verify remote ADD sources with --checksum or a commit id',
    severity: 'warning',
    fixable: ['add-checksum', 'git-commit'],
  },
  check(ctx) {
    for (const copy of ctx.model.copies) {
      if (copy.keyword === 'ADD' && !copy.heredoc) checkAdd(ctx, copy);
    }
  },
});
