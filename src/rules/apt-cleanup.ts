/**
 * `apt-cleanup`: a RUN that installs or removes packages with apt or dpkg leaves, in its layer, files with
 * the build's wall-clock time in them (logs, apt's binary caches, ldconfig's aux-cache) and the package
 * lists of build day. Measured (buildah, Debian 12): two builds of `apt-get install curl` are identical only
 * once all of these are removed in the same RUN (a later RUN cannot take them out of the earlier layer).
 */
import { parseArgs, optionSpec } from '../parse/args';
import { stageChain, type DockerfileModel, type RunBlock } from '../parse/dockerfile';
import type { SimpleCommand, Word } from '../parse/shell';
import { aptCall, DPKG } from '../parse/tools/apt';
import { defineRule } from './types';

/**
 * What is left behind: the path written in the fix, files it stands for (to check an `rm` against), and
 * what writes it: dpkg (also run by apt), apt itself, or `apt-get update`.
 */
interface Leftover {
  path: string;
  files: string[];
  by: 'dpkg' | 'apt' | 'update';
}

const LEFTOVERS: readonly Leftover[] = [
  { path: '/var/log/dpkg.log', files: ['/var/log/dpkg.log'], by: 'dpkg' },
  { path: '/var/log/apt/*', files: ['/var/log/apt/history.log', '/var/log/apt/term.log', '/var/log/apt/eipp.log.xz'], by: 'apt' },
  { path: '/var/log/alternatives.log', files: ['/var/log/alternatives.log'], by: 'dpkg' },
  { path: '/var/cache/apt/*.bin', files: ['/var/cache/apt/pkgcache.bin', '/var/cache/apt/srcpkgcache.bin'], by: 'apt' },
  { path: '/var/cache/ldconfig/aux-cache', files: ['/var/cache/ldconfig/aux-cache'], by: 'dpkg' },
  { path: '/var/lib/apt/lists/*', files: ['/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease'], by: 'update' },
];

/** apt subcommands that run dpkg (which logs) or read the lists and rebuild the caches. */
const CHANGES = new Set(['install', 'reinstall', 'remove', 'purge', 'autoremove', 'upgrade', 'dist-upgrade', 'full-upgrade', 'safe-upgrade', 'build-dep']);
/** dpkg actions that install or remove. */
const DPKG_ACTIONS = new Set(['-i', '-r', '-P', '--install', '--unpack', '--remove', '--purge', '--configure']);

/** The word to report an apt/dpkg command that changes packages at, or undefined when it does not. */
function packageChange(cmd: SimpleCommand): Word | undefined {
  if (cmd.name === 'dpkg') {
    const action = parseArgs(cmd.args, DPKG).optionWords.find((o) => DPKG_ACTIONS.has(o.name));
    return action ? action.word : undefined;
  }
  const call = aptCall(cmd);
  return call && CHANGES.has(call.sub.value!) ? call.sub : undefined;
}

const isUpdate = (cmd: SimpleCommand) => aptCall(cmd)?.sub.value === 'update';

/** An `rm` operand as a pattern: `*`, `?` and `[…]` as the shell expands them (not across `/`). */
function globRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[' && glob.indexOf(']', i + 2) > 0) {
      const end = glob.indexOf(']', i + 2);
      re += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re.replace(/\/+$/, '')}$`);
}

const RM = optionSpec([]);

/** Folders a `RUN --mount` (cache, tmpfs, bind) puts over the layer: what is written there does not stay in it. */
function mountTargets(run: RunBlock): string[] {
  return run.flags
    .filter((f) => f.name.toLowerCase() === 'mount')
    .flatMap((f) => f.options.filter((o) => ['target', 'dst', 'destination'].includes(o.name.toLowerCase()) && o.value).map((o) => o.value!.replace(/\/+$/, '')));
}

/** True when `file` is removed by an `rm` of the RUN after `after` (itself, or a folder above it with -r), or never lands in the layer. */
function removed(run: RunBlock, after: SimpleCommand, file: string): boolean {
  if (mountTargets(run).some((t) => file.startsWith(`${t}/`))) return true;
  return run.commands.some((c) => {
    if (c.name !== 'rm' || c.span.start < after.span.end) return false;
    const parsed = parseArgs(c.args, RM);
    const recursive = ['-r', '-R', '--recursive'].some((o) => parsed.options.has(o));
    return parsed.operands.some((w) => {
      if (w.value === undefined) return false;
      const re = globRegex(w.value);
      if (re.test(file)) return true;
      if (!recursive) return false;
      for (let dir = file.slice(0, file.lastIndexOf('/')); dir; dir = dir.slice(0, dir.lastIndexOf('/'))) if (re.test(dir)) return true;
      return false;
    });
  });
}

/** apt commands that read the lists without `apt-get update` first: besides installing, `download`, `source`, `apt-cache`. */
const READS_LISTS = new Set(['download', 'source', 'changelog', 'policy', 'show', 'showpkg', 'depends', 'rdepends', 'madison', 'search']);

function readsLists(cmd: SimpleCommand): boolean {
  if (cmd.name === 'apt-cache') return true;
  if (cmd.name === 'dpkg') return false;
  const call = aptCall(cmd);
  return packageChange(cmd) !== undefined || (call !== undefined && READS_LISTS.has(call.sub.value!));
}

/**
 * A later RUN (this stage, or one built FROM it) that reads the lists before any `apt-get update` of its own
 * needs them kept. This matches apt-pin's snapshot strategy: the snapshot sources are written before the
 * stage's first `apt-get update`, so the lists kept for a later RUN are the snapshot's.
 */
function listsNeededLater(model: DockerfileModel, run: RunBlock): RunBlock | undefined {
  return model.runs.find((later) => {
    if (later.span.start <= run.span.start || later.onbuild || !stageChain(model, later.stage).includes(run.stage)) return false;
    const first = later.commands.find((c) => isUpdate(c) || readsLists(c));
    return first !== undefined && !isUpdate(first);
  });
}

/** The stages the last stage is built from, itself included: their layers are the image. */
function imageStages(model: DockerfileModel): number[] {
  return model.stages.length ? stageChain(model, model.stages.length - 1) : [];
}

export default defineRule({
  meta: {
    id: 'apt-cleanup',
    summary: 'Remove the logs, caches and lists apt and dpkg leave, in the RUN that installs',
    severity: 'info',
    hadolint: ['DL3009'],
    fixable: ['apt-cleanup'],
  },
  check(ctx) {
    const stages = imageStages(ctx.model);
    const seen = new Set<RunBlock>();
    for (const { cmd, run } of ctx.commands('apt-get', 'apt', 'aptitude', 'dpkg')) {
      if (run.onbuild || seen.has(run) || !stages.includes(run.stage)) continue;
      const at = packageChange(cmd);
      if (!at) continue;
      seen.add(run);
      // Checked after the last package command of the RUN: an rm between two installs leaves the second one's files.
      const last = run.commands.filter((c) => packageChange(c)).pop()!;
      const writers = new Set(['dpkg']);
      if (run.commands.some((c) => c.name !== 'dpkg' && packageChange(c))) writers.add('apt');
      if (run.commands.some(isUpdate)) writers.add('update');
      // The lists are only in this layer when this RUN updates them; keep them when a later RUN needs them.
      const laterUse = writers.has('update') ? listsNeededLater(ctx.model, run) : undefined;
      const wanted = LEFTOVERS.filter((l) => writers.has(l.by) && !(laterUse && l.by === 'update'));
      const left = wanted.filter((l) => !l.files.every((f) => removed(run, last, f))).map((l) => l.path);
      if (left.length === 0) continue;
      const kept = laterUse ? ` (the lists stay: line ${ctx.model.lines.position(laterUse.span.start).line} reads them without 'apt-get update')` : '';
      ctx.report({
        message:
          `'${cmd.name} ${at.value}' leaves files with the build's time or day in them in this layer, so two builds differ: ` +
          `remove ${left.join(' ')} at the end of this RUN${kept}`,
        span: at.span,
        fix: { kind: 'apt-cleanup', paths: left },
      });
    }
  },
});
