/**
 * What `git ls-remote <url>` prints, read over git's HTTP protocol without a git client: the ref
 * advertisement at `<url>/info/refs?service=git-upload-pack` (smart HTTP, protocol v0: pkt-lines, HEAD's
 * target in the `symref=` capability, annotated tags followed by their peeled `^{}` commit), or a dumb
 * server's plain `<id>\t<ref>` list. Only public repositories over http(s): a repository that asks for
 * credentials is an error saying so (dockrepro does not read git credentials).
 *
 * `resolveRef` then names the commit a ref stands for, in the order the git command that names it looks
 * refs up (git clone -b: branches first; checkout, fetch and BuildKit: tags first).
 */
import { mirrored } from './archives';
import type { ResolveContext } from './context';
import type { HttpClient } from './http';
import { RegistryError } from './http';
import { LookupKind } from './shared';

/** A full object id: SHA-1 or SHA-256 repositories, lower case as git prints them. */
export const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** The advertisement is a list of refs: a few MiB covers repositories with many thousands of tags. */
const MAX_ADVERTISEMENT_BYTES = 32 * 1024 * 1024;

export interface RemoteRefs {
  /** Ref name → object id (`refs/heads/main`, `refs/tags/v1.0`, and peeled `refs/tags/v1.0^{}`). */
  refs: ReadonlyMap<string, string>;
  /** The commit HEAD (the default branch) points to, when the server says. */
  head?: string;
  /** The ref HEAD is a symbolic link to (`refs/heads/main`), when the server says. */
  headTarget?: string;
}

/** A repository's advertisement by the URL it is read from, once per run. */
const GIT_REFS = new LookupKind<RemoteRefs>('git-refs');

/** The advertisement of `url` (as `git clone` takes it), read through the `archives:` mirrors once per run. */
export function readRemoteRefs(ctx: ResolveContext, q: { url: string }): Promise<RemoteRefs> {
  const where = mirrored(q.url, ctx.archives);
  return ctx.lookups.once(GIT_REFS, where, () => lsRemote(ctx.http, where));
}

/** The advertisement of `url` (a repository URL as `git clone` takes it). */
export async function lsRemote(http: HttpClient, url: string): Promise<RemoteRefs> {
  const base = url.replace(/\/+$/, '');
  const res = await http.get(`${base}/info/refs?service=git-upload-pack`, { Accept: '*/*' }, MAX_ADVERTISEMENT_BYTES, 'git repository');
  const type = res.headers.get('content-type') ?? '';
  const text = res.body.toString('latin1');
  return type.startsWith('application/x-git-upload-pack-advertisement') ? parseSmart(text, url) : parseDumb(text, url);
}

function malformed(url: string, why: string): RegistryError {
  return new RegistryError(`${url}: not a git ref advertisement (${why})`, 'malformed', 200, url);
}

/** Smart HTTP v0: `# service=git-upload-pack` and a flush, then `<id> <ref>[\0caps]` lines until a flush. */
function parseSmart(text: string, url: string): RemoteRefs {
  const lines: (string | null)[] = [];
  for (let at = 0; at < text.length; ) {
    const size = Number.parseInt(text.slice(at, at + 4), 16);
    if (!/^[0-9a-f]{4}$/.test(text.slice(at, at + 4)) || Number.isNaN(size) || (size > 0 && size < 4) || at + Math.max(size, 4) > text.length) {
      throw malformed(url, 'bad pkt-line length');
    }
    lines.push(size === 0 ? null : text.slice(at + 4, at + size).replace(/\n$/, ''));
    at += Math.max(size, 4);
  }
  if (lines[0] !== '# service=git-upload-pack' || lines[1] !== null) throw malformed(url, 'no service line');
  const refs = new Map<string, string>();
  let capabilities = '';
  for (const line of lines.slice(2)) {
    if (line === null) break;
    const nul = line.indexOf('\0');
    if (nul >= 0 && capabilities === '') capabilities = line.slice(nul + 1);
    const [id, name] = (nul >= 0 ? line.slice(0, nul) : line).split(' ');
    if (!OBJECT_ID.test(id ?? '') || !name) throw malformed(url, `bad ref line '${line.slice(0, 80)}'`);
    // An empty repository advertises `capabilities^{}` with the zero id.
    if (name === 'capabilities^{}') continue;
    refs.set(name, id);
  }
  const symref = /(?:^| )symref=HEAD:(\S+)/.exec(capabilities)?.[1];
  return finish(refs, symref);
}

/** Dumb HTTP: `info/refs` as written by `git update-server-info` (no HEAD line: it is read from /HEAD, not here). */
function parseDumb(text: string, url: string): RemoteRefs {
  const refs = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [id, name] = line.split('\t');
    if (!OBJECT_ID.test(id ?? '') || !name) throw malformed(url, `bad ref line '${line.slice(0, 80)}'`);
    refs.set(name, id);
  }
  return finish(refs, undefined);
}

function finish(refs: Map<string, string>, headTarget: string | undefined): RemoteRefs {
  const head = refs.get('HEAD');
  return { refs, ...(head ? { head } : {}), ...(headTarget ? { headTarget } : {}) };
}

/**
 * How the command naming a ref looks it up: `branch-first` is `git clone --branch` (a branch, else a tag);
 * `tag-first` is what `git checkout`, `git fetch` and BuildKit's `#ref` do (rev-parse order: tags before
 * branches). `tag` and `branch` are BuildKit's explicit `?tag=` / `?branch=`.
 */
export type RefOrder = 'branch-first' | 'tag-first' | 'tag' | 'branch';

export interface ResolvedRef {
  /** The commit (a peeled tag, never the tag object). */
  commit: string;
  /** The full ref it was found as (`refs/tags/v1.2`), or `HEAD`. */
  ref: string;
}

/** The commit `ref` names (the default branch when absent), or undefined when the repository has no such ref. */
export function resolveRef(remote: RemoteRefs, ref: string | undefined, order: RefOrder): ResolvedRef | undefined {
  if (ref === undefined || ref === 'HEAD') return remote.head ? { commit: remote.head, ref: 'HEAD' } : undefined;
  const tag = (name: string) => {
    const id = remote.refs.get(`refs/tags/${name}^{}`) ?? remote.refs.get(`refs/tags/${name}`);
    return id ? { commit: id, ref: `refs/tags/${name}` } : undefined;
  };
  const branch = (name: string) => {
    const id = remote.refs.get(`refs/heads/${name}`);
    return id ? { commit: id, ref: `refs/heads/${name}` } : undefined;
  };
  // A full ref name is taken as written (`refs/tags/v1.2`, `refs/heads/main`); peeled when it is a tag.
  if (ref.startsWith('refs/')) {
    const id = remote.refs.get(`${ref}^{}`) ?? remote.refs.get(ref);
    return id ? { commit: id, ref } : undefined;
  }
  switch (order) {
    case 'branch-first':
      return branch(ref) ?? tag(ref);
    case 'tag-first':
      return tag(ref) ?? branch(ref);
    case 'tag':
      return tag(ref);
    case 'branch':
      return branch(ref);
  }
}
