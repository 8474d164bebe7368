import { optionSpec, parseArgs, type ParsedArgs } from '../parse/args';
import { basename, type SimpleCommand, type Word } from '../parse/shell';
import type { RunBlock } from '../parse/dockerfile';
import { defineRule, type RuleContext } from './types';
import type { ClonePin, GitCommitRequest } from '../findings/fixRequests';

/** git's own options before the subcommand that take a value (`git -C dir -c k=v clone …`). */
const GIT_GLOBAL = new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--super-prefix', '--config-env', '--attr-source']);

/** Options that take a value, per subcommand (git 2.49 man pages). */
const CLONE = optionSpec([
  '--depth', '-b', '--branch', '-c', '--config', '-o', '--origin', '--reference', '--reference-if-able',
  '--separate-git-dir', '--filter', '-j', '--jobs', '--template', '-u', '--upload-pack', '--shallow-since',
  '--shallow-exclude', '--server-option', '--bundle-uri', '--ref-format', '--revision',
]);
const CHECKOUT = optionSpec(['-b', '-B', '--orphan', '--conflict', '--pathspec-from-file']);
const SWITCH = optionSpec(['-c', '-C', '--create', '--force-create', '--orphan', '--conflict']);
const RESET = optionSpec(['--pathspec-from-file']);
const FETCH = optionSpec([
  '--depth', '--deepen', '--shallow-since', '--shallow-exclude', '-j', '--jobs', '--upload-pack', '--refmap',
  '-o', '--server-option', '--negotiation-tip', '--filter', '--recurse-submodules-default', '--submodule-prefix',
]);

/** A full object id: SHA-1 or SHA-256 repositories; git reads hex in either case. */
const FULL_COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;

interface GitCall {
  sub: string;
  /** Arguments after the subcommand. */
  args: Word[];
  /** Directory named by `-C`, `--work-tree` or `--git-dir`, when given. */
  dir?: string | null;
}

/** Splits `git [global options] <subcommand> args…`. `dir` is null when given but unknown. */
function gitCall(cmd: SimpleCommand): GitCall | undefined {
  const args = cmd.args;
  let dir: string | null | undefined;
  let i = 0;
  for (; i < args.length; i++) {
    const v = args[i].value;
    if (v === undefined || !v.startsWith('-')) break;
    const name = v.split('=')[0];
    const value = v.includes('=') ? v.slice(v.indexOf('=') + 1) : GIT_GLOBAL.has(name) ? args[++i]?.value : undefined;
    if (name === '-C' || name === '--work-tree') dir = value ?? null;
    if (name === '--git-dir') dir = value === undefined ? null : value.replace(/\/?\.git\/?$/, '') || '.';
  }
  const sub = args[i]?.value;
  return sub === undefined ? undefined : { sub, args: args.slice(i + 1), dir };
}

/** The last path component, or undefined when it says nothing about which clone is meant. */
function dirKey(path: string | null | undefined): string | undefined {
  if (path === null || path === undefined) return undefined;
  const name = basename(path.replace(/\/+$/, ''));
  return name === '' || name === '.' || name === '..' || name === '-' || name === '~' ? undefined : name;
}

/** Remote repositories only: a clone of a local path copies what is already in the image or context. */
function isRemote(url: string): boolean {
  if (/^file:/i.test(url)) return false;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^([^@/:]+@)?[^/:]+:/.test(url);
}

/**
 * What a later git command says about the commit that ends up checked out. `attach`: a `git switch` onto a
 * branch, which takes no commit id unless `--detach` is added.
 */
type Pin = { kind: 'commit' | 'unknown' } | { kind: 'ref'; word: Word; attach?: boolean } | undefined;

function refState(word: Word | undefined, fetched: Pin): Pin {
  if (!word) return undefined;
  if (word.value === undefined) return { kind: 'unknown' };
  if (word.value === 'FETCH_HEAD') return fetched ?? { kind: 'ref', word };
  return FULL_COMMIT.test(word.value) ? { kind: 'commit' } : { kind: 'ref', word };
}

/** Operands before a `--` (after it come paths). */
function beforeDashes(args: Word[]): Word[] {
  const i = args.findIndex((a) => a.value === '--');
  return i < 0 ? args : args.slice(0, i);
}

function pinOf(call: GitCall, fetched: Pin): Pin {
  const args = beforeDashes(call.args);
  switch (call.sub) {
    case 'checkout':
      return refState(parseArgs(args, CHECKOUT).operands[0], fetched);
    case 'switch': {
      const p = parseArgs(args, SWITCH);
      const detached = p.options.has('--detach') || p.options.has('-d');
      const created = ['-c', '-C', '--create', '--force-create'].some((o) => p.options.has(o));
      return detached || created ? refState(p.operands[0], fetched) : p.operands[0] && { kind: 'ref', word: p.operands[0], attach: true };
    }
    case 'reset': {
      const p = parseArgs(args, RESET);
      return p.options.has('--hard') || p.options.has('--keep') ? refState(p.operands[0], fetched) : undefined;
    }
    default:
      return undefined;
  }
}

interface Clone {
  cmd: SimpleCommand;
  run: RunBlock;
  url: Word | undefined;
  key: string | undefined;
  parsed: ParsedArgs;
}

/**
 * The pin that git commands after `clone` give it: in the same RUN, or in later RUNs of the same stage
 * (`RUN git clone …` / `WORKDIR …` / `RUN git checkout <commit>` pins the tree too). A command counts when
 * its directory (`-C`, the last `cd` since the clone, the WORKDIR of a later RUN) matches the clone's.
 */
function laterPins(ctx: RuleContext, clone: Clone): Pin[] {
  const pins: Pin[] = [];
  for (const run of ctx.model.runs) {
    if (run.stage !== clone.run.stage || run.onbuild !== clone.run.onbuild || run.span.start < clone.run.span.start) continue;
    const sameRun = run === clone.run;
    let cwd: string | undefined = sameRun ? undefined : dirKey(run.workdir);
    let fetched: Pin = undefined;
    for (const cmd of run.commands) {
      if (cmd.span.start <= clone.cmd.span.start) continue;
      if (cmd.name === 'cd') cwd = dirKey(cmd.args[0]?.value);
      if (cmd.name !== 'git') continue;
      const call = gitCall(cmd);
      if (!call) continue;
      const where = call.dir !== undefined ? dirKey(call.dir) : cwd;
      if (where !== undefined && clone.key !== undefined && where !== clone.key) continue;
      if (call.sub === 'fetch') {
        const refspec = parseArgs(beforeDashes(call.args), FETCH).operands[1];
        const src = refspec?.value === undefined ? refspec : { ...refspec, value: refspec.value.replace(/^\+/, '').split(':')[0] };
        fetched = refState(src, undefined);
        continue;
      }
      pins.push(pinOf(call, fetched));
    }
  }
  return pins;
}

function describe(clone: Clone, ref: Word | undefined, checkedOut: boolean): string {
  const what = clone.url ? `git clone of '${clone.url.value ?? clone.url.raw}'` : 'git clone';
  const advice = 'check out a full commit id after cloning (git checkout <40-hex commit>)';
  if (!ref) return `${what} takes whatever its default branch points to at build time: ${advice}`;
  const from = ref.vars.length && ref.value !== undefined && ref.value !== ref.raw ? ` from $${ref.vars[0]}` : '';
  const name = `'${ref.value ?? ref.raw}'${from}`;
  const v = ref.value ?? '';
  const kind = /^[0-9a-f]{4,39}$/i.test(v) ? `commit prefix ${name} (a short id can match other commits)`
    : /^v?[0-9]+(\.[0-9]+)+/.test(v) ? `tag ${name} (tags can be moved)` : `${name} (a branch or tag, which can move)`;
  return `${what} ${checkedOut ? 'checks out' : 'is at'} ${kind}: ${advice}`;
}

/** The folder `git clone` creates: its operand, else the URL's last path component without `.git` (git's "humanish" name). */
function cloneDir(clone: Clone, url: string): string | null {
  const given = clone.parsed.operands[1];
  let dir: string | null;
  if (given) dir = given.value ?? null;
  else {
    const name = url.replace(/[?#].*$/, '').replace(/\/+$/, '').replace(/\/\.git$/, '').replace(/\.git$/, '').split(/[/:]/).pop() ?? '';
    dir = /^[A-Za-z0-9._-]+$/.test(name) && name !== '.' && name !== '..' ? name : null;
  }
  const call = gitCall(clone.cmd);
  if (dir === null || call?.dir === undefined) return dir;
  if (call.dir === null) return null;
  return dir.startsWith('/') ? dir : `${call.dir.replace(/\/+$/, '')}/${dir}`;
}

const SHALLOW = ['--depth', '--shallow-since', '--shallow-exclude'];

function checkClone(ctx: RuleContext<'git-commit'>, clone: Clone): void {
  const revision = clone.parsed.options.get('--revision');
  const branch = clone.parsed.options.get('--branch') ?? clone.parsed.options.get('-b');
  const own = refState(revision === true ? undefined : revision, undefined);
  if (own?.kind === 'commit' || own?.kind === 'unknown') return;
  const pins = laterPins(ctx, clone);
  if (pins.some((p) => p?.kind === 'commit' || p?.kind === 'unknown')) return;
  const moved = [...pins].reverse().find((p): p is { kind: 'ref'; word: Word; attach?: boolean } => p?.kind === 'ref');
  const revisionWord = own?.kind === 'ref' ? own.word : undefined;
  const branchWord = branch === true ? undefined : branch;
  const ref = moved?.word ?? revisionWord ?? branchWord;
  const url = clone.url?.value;
  let fix: GitCommitRequest | undefined;
  if (url !== undefined) {
    const replaced = moved ?? (revisionWord ? { word: revisionWord, attach: false } : undefined);
    const pin: ClonePin = replaced
      ? { at: replaced.word.span, ...(replaced.attach ? { attach: true } : {}) }
      : { after: clone.cmd.span.end, dir: cloneDir(clone, url), shallow: SHALLOW.some((o) => clone.parsed.options.has(o)) };
    const order = replaced || !branchWord ? 'tag-first' : 'branch-first';
    fix = { kind: 'git-commit', url, ...(ref?.value ? { ref: ref.value } : {}), order, pin };
  }
  ctx.report({
    message: describe(clone, ref, moved !== undefined),
    span: (clone.url ?? clone.cmd.args.find((a) => a.value === 'clone'))?.span ?? clone.cmd.span,
    ...(fix ? { fix } : {}),
  });
}

export default defineRule({
  meta: {
    id: 'git-clone-pin',
    summary: 'Check out a full commit id after git clone',
    severity: 'warning',
    fixable: ['git-commit'],
  },
  check(ctx) {
    for (const { cmd, run } of ctx.commands('git')) {
      const call = gitCall(cmd);
      if (call?.sub !== 'clone') continue;
      const parsed = parseArgs(call.args, CLONE);
      const [url, dir] = parsed.operands;
      if (url?.value !== undefined && !isRemote(url.value)) continue;
      const fromUrl = url?.value?.replace(/[?#].*$/, '').replace(/\/+$/, '').replace(/\.git$/, '');
      const key = dir ? dirKey(dir.value) : dirKey(fromUrl?.split(/[/:]/).pop());
      checkClone(ctx, { cmd, run, url, key, parsed });
    }
  },
});
