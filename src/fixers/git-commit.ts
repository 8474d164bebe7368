/**
 * `git-commit`: a git source pinned to the commit its branch or tag names today, asked of the repository
 * itself over git's HTTP protocol (src/resolve/gitRefs.ts; the lock first, once per repository per run).
 *
 * - `RUN git clone …` (git-clone-pin): the word that decides the commit (`git checkout v1.2`, `git reset
 *   --hard v1.2`, `git fetch origin v1.2`, `--revision=v1.2`) becomes the commit id; else the commit is
 *   checked out right after the clone: `&& git -C <dir> checkout -q <commit>`, or for a shallow clone
 *   `&& git -C <dir> fetch -q --depth 1 origin <commit> && git -C <dir> checkout -q FETCH_HEAD` (the commit
 *   may no longer be the tip when the branch has moved on, so it is fetched by id).
 * - `ADD <repo>.git#ref[:dir]` (add-checksum): the ref becomes the commit id (`#<commit>[:dir]`).
 *
 * Safe: the build checks out exactly the commit a build today gets (detached, where a clone of a branch
 * would be on the branch). Left when the ref comes from a variable (a build argument could choose another
 * ref), when the repository is not an http(s) URL, asks for credentials, or has no such branch or tag.
 */
import type { Finding } from '../rules/types';
import type { GitAddRequest, GitCloneRequest } from '../findings/fixRequests';
import { OBJECT_ID, readRemoteRefs, resolveRef, type RefOrder } from '../resolve/gitRefs';
import { lookupPackage } from '../resolve/packages';
import type { Fix, Fixer, FixerContext, TextEdit } from './types';
import { needsNetwork } from './packageWords';
import { NotFixed } from '../util/notFixed';

interface GitRequest {
  url: string;
  ref?: string;
  order: RefOrder;
}

/** A shell word for a folder: as is when it needs no quoting, else single-quoted. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9._/@%+=:,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The commit `request` names today: lock first, then the repository (once per URL per run). */
async function commitOf(request: GitRequest, ctx: FixerContext): Promise<{ commit: string; why: string }> {
  const packages = ctx.packages!;
  const refText = request.ref ?? 'HEAD';
  const subject = `${request.ref ? `'${request.ref}'` : 'the default branch'} of ${request.url}`;
  const key = `git:${request.url}#${refText} ${request.order}`;
  const resolved = await lookupPackage(
    packages,
    key,
    async () => {
      const remote = await readRemoteRefs(packages, { url: request.url });
      const found = resolveRef(remote, request.ref, request.order);
      if (!found) {
        const prefix = request.ref && /^[0-9a-f]{4,39}$/i.test(request.ref);
        throw new NotFixed(prefix
          ? `'${request.ref}' is no branch or tag of ${request.url}, so it is a commit prefix, which git servers do not resolve: write the full commit id`
          : `${request.url} has no ${request.ref ? `branch or tag '${request.ref}'` : 'default branch (HEAD)'}`, 'failed');
      }
      // BuildKit and `git checkout` take a tag before a branch of the same name, `clone -b` the other way: only pin what is unambiguous.
      if (request.ref && !request.ref.startsWith('refs/') && (request.order === 'tag-first' || request.order === 'branch-first')) {
        const tag = resolveRef(remote, request.ref, 'tag');
        const branch = resolveRef(remote, request.ref, 'branch');
        if (tag && branch && tag.commit !== branch.commit) {
          throw new NotFixed(`${request.url} has both a branch and a tag named '${request.ref}' (at different commits): say which with refs/tags/ or refs/heads/`, 'failed');
        }
      }
      return { version: found.commit, explanation: `${found.ref === 'HEAD' ? 'the default branch' : found.ref} today` };
    },
    (v) => OBJECT_ID.test(v),
    subject,
  );
  return { commit: resolved.version, why: resolved.explanation };
}

/** Edits replacing the ref at `at` (written literally, maybe quoted) by `commit`; a reason when it is not literal. */
function replaceRef(text: string, at: { start: number; end: number }, ref: string, commit: string, attach: boolean): TextEdit[] | NotFixed {
  const written = text.slice(at.start, at.end);
  let inner: { start: number; end: number } | undefined;
  if (written === ref) inner = at;
  else if ((written === `"${ref}"` || written === `'${ref}'`)) inner = { start: at.start + 1, end: at.end - 1 };
  if (!inner) {
    return written.includes('$')
      ? new NotFixed(`'${written}' comes from a variable (a build argument could name another ref): set the variable to the commit id`, 'no-fixer')
      : new NotFixed(`'${written}' is not written in one piece: replace it with the commit id by hand`, 'no-fixer');
  }
  const edits: TextEdit[] = [{ start: inner.start, end: inner.end, text: commit }];
  // `git switch <branch>` takes a commit only with --detach.
  if (attach) edits.unshift({ start: at.start, end: at.start, text: '--detach ' });
  return edits;
}

/** What may follow a command for `&& …` to be inserted after it with the same meaning: end of the RUN, `&&`, `||`, `;`, a newline, `)`, `}`, a comment. */
function insertableAfter(text: string, at: number, runEnd: number): boolean {
  let i = at;
  while (i < runEnd && (text[i] === ' ' || text[i] === '\t')) i++;
  if (i >= runEnd) return true;
  const rest = text.slice(i, i + 2);
  return rest === '&&' || rest === '||' || rest.startsWith(';') || rest.startsWith('\n') || rest.startsWith('\r') || rest.startsWith('\\') || rest.startsWith(')') || rest.startsWith('}') || rest.startsWith('#');
}

async function fixClone(finding: Finding, req: GitCloneRequest, ctx: FixerContext): Promise<Fix | NotFixed> {
  const pin = req.pin;
  const text = ctx.model.text;
  const run = ctx.model.runs.find((r) => finding.span.start >= r.span.start && finding.span.end <= r.span.end);
  if (!run) return new NotFixed('the clone was not found at this place', 'failed');
  if ('at' in pin) {
    const check = replaceRef(text, pin.at, req.ref ?? '', '0'.repeat(40), !!pin.attach);
    if (!Array.isArray(check)) return check;
  } else {
    if (pin.dir === null) return new NotFixed("the clone's folder is not known statically: add `git -C <folder> checkout <commit>` after it by hand", 'no-fixer');
    const clone = run.commands.find((c) => c.name === 'git' && c.span.end === pin.after);
    const piped = clone && run.commands.some((c) => c !== clone && c.pipeline === clone.pipeline);
    if (!clone || clone.parent || clone.wrappers.some((w) => / -c$/.test(w)) || piped) {
      return new NotFixed('the clone is inside a pipeline or a wrapped command (sudo, sh -c): add `git checkout <commit>` after it by hand', 'no-fixer');
    }
    if (!insertableAfter(text, pin.after, run.span.end)) return new NotFixed('nothing can be chained after this clone (it is piped or run in the background): add `git checkout <commit>` by hand', 'no-fixer');
  }
  if (!ctx.packages) return needsNetwork;
  let commit: string;
  let why: string;
  try {
    ({ commit, why } = await commitOf(req, ctx));
  } catch (e) {
    if (e instanceof NotFixed) return e;
    throw e;
  }
  const short = commit.slice(0, 12);
  if ('at' in pin) {
    const edits = replaceRef(text, pin.at, req.ref ?? '', commit, !!pin.attach);
    if (!Array.isArray(edits)) return edits;
    return { title: `pin git ref '${req.ref}' of ${req.url} → commit ${short} (${why})`, edits, applicability: 'safe' };
  }
  const dir = shellWord(pin.dir!);
  const insert = pin.shallow
    ? ` && git -C ${dir} fetch -q --depth 1 origin ${commit} && git -C ${dir} checkout -q FETCH_HEAD`
    : ` && git -C ${dir} checkout -q ${commit}`;
  return {
    title: `check out commit ${short} after cloning ${req.url} (${req.ref ? `'${req.ref}'` : 'the default branch'}: ${why})`,
    edits: [{ start: pin.after, end: pin.after, text: insert }],
    applicability: 'safe',
  };
}

/** `ADD <repo>.git[#ref[:dir]] <dest>`: the fragment's ref becomes the commit. */
async function fixAdd(finding: Finding, req: GitAddRequest, ctx: FixerContext): Promise<Fix | NotFixed> {
  const text = ctx.model.text;
  const source = ctx.model.copies.flatMap((c) => c.sources).find((s) => s.span.start === finding.span.start && s.span.end === finding.span.end);
  if (!source) return new NotFixed('the --checksum value is not a commit id: write --checksum=<40-hex commit id> or #<commit id> by hand', 'no-fixer');
  const written = text.slice(source.span.start, source.span.end);
  if (source.value !== written) return new NotFixed(`'${written}' is not written literally (variables or quotes): write #<commit id> by hand`, 'no-fixer');
  if (written.includes('?')) return new NotFixed(`'${written}' names its ref in a query (?ref=, ?tag=, ?branch=): write #<commit id> by hand`, 'no-fixer');
  if (!/^https?:\/\//i.test(req.url)) return new NotFixed(`${req.url} is not an http(s) URL: dockrepro asks repositories for refs over http(s) only`, 'no-fixer');
  if (!ctx.packages) return needsNetwork;
  let found: { commit: string; why: string };
  try {
    found = await commitOf({ url: req.url, ref: req.ref, order: 'tag-first' }, ctx);
  } catch (e) {
    if (e instanceof NotFixed) return e;
    throw e;
  }
  const hash = written.indexOf('#');
  const subdir = hash >= 0 && written.indexOf(':', hash) >= 0 ? written.slice(written.indexOf(':', hash)) : '';
  const start = hash >= 0 ? source.span.start + hash : source.span.end;
  return {
    title: `pin ADD of ${req.url} ${req.ref ? `'${req.ref}'` : '(default branch)'} → #${found.commit.slice(0, 12)} (${found.why})`,
    edits: [{ start, end: source.span.end, text: `#${found.commit}${subdir}` }],
    applicability: 'safe',
  };
}

const fixer: Fixer<'git-commit'> = {
  kind: 'git-commit',
  fix(findings, ctx) {
    return Promise.all(findings.map((f) => {
      const request = f.fix;
      // An ADD's request has no pin; a clone's says where the commit goes.
      if (request.pin === undefined) return fixAdd(f, request, ctx);
      if (!/^https?:\/\//i.test(request.url)) {
        return new NotFixed(`${request.url} is not an http(s) URL: dockrepro asks repositories for refs over http(s) only; check out the commit by hand`, 'no-fixer');
      }
      return fixClone(f, request, ctx);
    }));
  },
};

export default fixer;
