/**
 * `rpm-version`: `dnf install curl` (also yum, microdnf) becomes `dnf install curl-7.76.1-26.el9`, the build
 * dnf would install today: the highest epoch:version-release of that name for the stage's architecture (or
 * noarch) among the enabled repositories of the base image, read from their rpm-md metadata
 * (src/resolve/rpmRepo.ts). Only the package word changes; an epoch is written only when it is not 0
 * (`openssl-1:3.0.7-27.el9`), an `.arch` the user wrote stays at the end.
 *
 * Everything about the stage comes from its base image: /etc/os-release ($releasever), the repositories in
 * /etc/yum.repos.d and dnf.conf, the variables in /etc/dnf/vars; the architecture from the stage's platform.
 * What could change the answer and is not read is left with a reason: repositories changed by earlier
 * instructions, a mirrorlist nobody vouched for, module streams, options that change the repositories.
 */
import { parseArgs, type ParsedArgs } from '../parse/args';
import { stageChain, type DockerfileModel } from '../parse/dockerfile';
import type { SimpleCommand, Word } from '../parse/shell';
import type { Finding } from '../rules/types';
import { DNF_OPTIONS } from '../parse/tools/rpm';
import type { ArchiveMirrors } from '../resolve/archives';
import type { ImageFiles } from '../resolve/baseImage';
import { OS_RELEASE_FILES, osReleaseOf } from '../resolve/osRelease';
import { lookupPackage, type ResolvedVersion } from '../resolve/packages';
import type { InstalledRpm } from '../resolve/rpmDb';
import { installedBuilds, RPM_DB_DIRS } from '../resolve/rpmInstalled';
import { mirroredService, readRpmRepo, readRpmRepoByMetalink, type RpmPackage, type RpmRepoIndex } from '../resolve/rpmRepo';
import { basearchOf, globMatches, installableArches, RPM_MAIN_CONFIGS, RPM_REPO_DIRS, RPM_VAR_DIRS, rpmConfig, rpmConfigQuery, type RpmRepo } from '../resolve/rpmRepos';
import { compareEvr, formatEvr, isRpmEvrText } from '../resolve/rpmVersion';
import type { Fix, Fixer, FixerContext, FindingOf } from './types';
import { locate, needsNetwork, notInOnePiece, pinFailure, pinWord, replaceValue, sameSpan } from './packageWords';
import { NotFixed } from '../util/notFixed';

const DNF_LIKE = new Set(['dnf', 'dnf-3', 'dnf5', 'yum', 'microdnf']);
/** An rpm package name as dnf-pin reports it (what may precede `-<version>` in the word written). */
const RPM_NAME = /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/;

/** Options that point dnf at other configuration or repositories than the image's: the answer is not known. */
const UNREAD_OPTIONS = ['-c', '--config', '--installroot', '--repofrompath', '--setopt', '--forcearch', '-x', '--exclude', '--excludepkgs', '--disableexcludes', '--disableexcludepkgs', '--nobest'];

const leave = (reason: string): NotFixed => (new NotFixed(reason, 'no-fixer'));

/** Earlier instructions of the stage (and the stages it builds on) that change what dnf reads, or undefined. */
function repoChangeBefore(model: DockerfileModel, stage: number, cmd: SimpleCommand): string | undefined {
  const chain = stageChain(model, stage);
  const touches = /\/etc\/(yum\.repos\.d|yum\/|distro\.repos\.d|dnf\/|yum\.conf|pki\/rpm-gpg)/;
  for (const copy of model.copies) {
    if (!chain.includes(copy.stage) || copy.onbuild || copy.span.start > cmd.span.start) continue;
    const dest = copy.destination?.value ?? '';
    if (/^\/etc\/?$/.test(dest) || touches.test(dest.endsWith('/') ? dest : `${dest}/`) || dest === '/') return `line ${model.lines.position(copy.span.start).line}: ${copy.keyword} into ${dest} may change the repositories`;
  }
  for (const run of model.runs) {
    if (!chain.includes(run.stage) || run.onbuild || run.span.start > cmd.span.start) continue;
    for (const c of run.commands) {
      if (c.span.start >= cmd.span.start) break;
      const why = changesRepos(c);
      if (why) return `line ${model.lines.position(c.span.start).line}: ${why}`;
    }
  }
  return undefined;
}

function changesRepos(c: SimpleCommand): string | undefined {
  const words = c.args.map((w) => w.value ?? w.raw);
  const text = [c.name, ...words].join(' ');
  if (/\/etc\/(yum\.repos\.d|distro\.repos\.d|dnf\/|yum\.conf|yum\/)/.test(text)) return `'${c.name}' writes dnf's configuration (${text.slice(0, 60)})`;
  if (c.name === 'yum-config-manager' || c.name === 'subscription-manager' || c.name === 'crb' || c.name === 'update-crypto-policies') return `'${c.name}' changes the repositories`;
  if (c.name === 'rpm' && words.some((w) => /^-[a-zA-Z]*[iUF]/.test(w) || w === '--install' || w === '--upgrade')) return "'rpm' installs a package, which may add repositories";
  if (DNF_LIKE.has(c.name)) {
    const ops = words.filter((w) => !w.startsWith('-'));
    if (ops[0] === 'config-manager') return `'${c.name} config-manager' changes the repositories`;
    if (ops[0] === 'module' && ops[1] !== 'list') return `'${c.name} module ${ops[1] ?? ''}' changes the module streams`;
    if (['install', 'in', 'localinstall', 'reinstall', 'update', 'upgrade'].includes(ops[0] ?? '') && ops.slice(1).some((p) => /release|\.rpm$|^https?:/.test(p))) {
      return `'${c.name} ${ops[0]}' installs ${ops.slice(1).find((p) => /release|\.rpm$|^https?:/.test(p))}, which may add repositories`;
    }
  }
  return undefined;
}

/** `--enablerepo`/`--disablerepo` in order (dnf applies them in order), `--repo` replacing the set. */
function applyRepoOptions(repos: RpmRepo[], parsed: ParsedArgs): RpmRepo[] | NotFixed {
  let enabled = new Set(repos.filter((r) => r.enabled).map((r) => r.id));
  const only: string[] = [];
  for (const o of parsed.optionWords) {
    const [name, inline] = o.name.includes('=') ? [o.name.slice(0, o.name.indexOf('=')), o.name.slice(o.name.indexOf('=') + 1)] : [o.name, undefined];
    if (!['--enablerepo', '--disablerepo', '--repo', '--repoid'].includes(name)) continue;
    const value = inline ?? o.value?.value;
    if (value === undefined) return leave(`the value of ${name} is not known statically`);
    const globs = value.split(',').filter(Boolean);
    const matching = repos.filter((r) => globs.some((g) => globMatches(g, r.id))).map((r) => r.id);
    if (name === '--enablerepo') matching.forEach((id) => enabled.add(id));
    else if (name === '--disablerepo') matching.forEach((id) => enabled.delete(id));
    else only.push(...matching);
  }
  if (only.length) enabled = new Set(only);
  return repos.filter((r) => enabled.has(r.id));
}

/** What dnf reads a repository from, through the archive mirrors, or why it is left. */
type RepoSource = { repo: RpmRepo; kind: 'baseurl' | 'metalink' | 'mirrorlist'; url: string };

function sourceOf(repo: RpmRepo, mirrors: ArchiveMirrors): RepoSource | NotFixed {
  const label = `repository '${repo.id}'${repo.name ? ` (${repo.name})` : ''} in ${repo.file}`;
  if (repo.baseurls.length) {
    const url = repo.baseurls[0];
    if (!/^https?:\/\//.test(url)) return leave(`${label} has baseurl ${url}, which is not an http(s) URL dockrepro can read`);
    return { repo, kind: 'baseurl', url };
  }
  if (repo.metalink) return { repo, kind: 'metalink', url: repo.metalink };
  if (repo.mirrorlist) {
    // A mirror list names mirrors that may lag each other and gives no hash to tell the current one: only a
    // list the user mapped to one they control is read.
    if (mirroredService(repo.mirrorlist, mirrors) !== repo.mirrorlist) return { repo, kind: 'mirrorlist', url: repo.mirrorlist };
    return leave(`${label} is given only by mirrorlist=${repo.mirrorlist}: its mirrors may serve different versions and nothing says which is current; map that URL in 'archives:' (.dockrepro.yaml) to a mirror list you control`);
  }
  return leave(`${label} has no baseurl, metalink or mirrorlist`);
}

async function readSource(ctx: FixerContext, s: RepoSource): Promise<RpmRepoIndex> {
  const p = ctx.packages!;
  if (s.kind === 'baseurl') return readRpmRepo(p, { baseurl: s.url });
  if (s.kind === 'metalink') return readRpmRepoByMetalink(p, { metalink: s.url });
  const list = (await p.http.get(mirroredService(s.url, p.archives), {}, 1024 * 1024, 'mirror list')).body.toString('utf8');
  const first = list.split(/\r?\n/).map((l) => l.trim()).find((l) => /^https?:\/\//.test(l));
  if (!first) throw new NotFixed(`the mirror list ${mirroredService(s.url, p.archives)} names no http(s) mirror`, 'failed');
  return readRpmRepo(p, { baseurl: first });
}

/** The enabled repositories have no build of the name (an installed build may still answer). */
class NotInRepos extends NotFixed {}

interface Wanted {
  name: string;
  arch?: string;
  basearch: string;
  sources: RepoSource[];
  exclude: string[];
}

/** The newest build dnf would install, or a NotFixed saying why there is none to write. */
async function newest(ctx: FixerContext, w: Wanted): Promise<ResolvedVersion> {
  const indexes = await Promise.all(w.sources.map((s) => readSource(ctx, s)));
  const arches = w.arch ? [w.arch] : installableArches(w.basearch);
  const modular = w.sources.filter((_, i) => indexes[i].modular.has(w.name)).map((s) => s.repo.id);
  if (modular.length) {
    throw new NotFixed(`'${w.name}' is shipped by module streams in ${modular.join(', ')}: which build dnf installs depends on the enabled stream; enable a stream (dnf module enable ${w.name}:<stream>) and pin by hand`, 'failed');
  }
  let best: { pkg: RpmPackage; prio: number; repos: string[] } | undefined;
  const bestPrio = Math.min(...w.sources.filter((s, i) => offers(s.repo, indexes[i], w.name, arches)).map((s) => s.repo.priority));
  w.sources.forEach((s, i) => {
    if (s.repo.priority !== bestPrio || !offers(s.repo, indexes[i], w.name, arches)) return;
    for (const pkg of indexes[i].byName.get(w.name) ?? []) {
      if (!arches.includes(pkg.arch)) continue;
      const c = best ? compareEvr(pkg, best.pkg) : 1;
      if (c > 0) best = { pkg, prio: s.repo.priority, repos: [s.repo.id] };
      else if (c === 0 && !best!.repos.includes(s.repo.id)) best!.repos.push(s.repo.id);
    }
  });
  if (!best) {
    throw new NotInRepos(`no package '${w.name}' for ${arches.join('/')} in the enabled repositories (${w.sources.map((s) => s.repo.id).join(', ')})`, 'failed');
  }
  const found = best as { pkg: RpmPackage; repos: string[] };
  return { version: formatEvr(found.pkg), explanation: `newest ${found.pkg.arch} build in ${found.repos.join(', ')}` };
}

function offers(repo: RpmRepo, index: RpmRepoIndex, name: string, arches: string[]): boolean {
  if (repo.exclude.some((g) => globMatches(g, name))) return false;
  if (repo.include.length && !repo.include.some((g) => globMatches(g, name))) return false;
  return (index.byName.get(name) ?? []).some((p) => arches.includes(p.arch));
}

interface Match {
  word: Word;
  parsed: ParsedArgs;
}

function match(cmd: SimpleCommand, finding: Finding): Match | undefined {
  const parsed = parseArgs(cmd.args, DNF_OPTIONS);
  const word = parsed.operands.find((w) => sameSpan(w, finding));
  return word ? { word, parsed } : undefined;
}

async function imageFiles(ctx: FixerContext, stage: number): Promise<ImageFiles> {
  const bases = ctx.bases!;
  const first = await bases.files(stage, { files: [...OS_RELEASE_FILES, ...RPM_MAIN_CONFIGS], dirs: [...RPM_REPO_DIRS, ...RPM_VAR_DIRS, ...RPM_DB_DIRS] });
  const more = rpmConfigQuery(first.dirs);
  if (more.length === 0) return first;
  const second = await bases.files(stage, { files: more });
  return { files: new Map([...first.files, ...second.files]), dirs: first.dirs, source: first.source };
}

async function fixOne(finding: FindingOf<'rpm-version'>, ctx: FixerContext): Promise<Fix | NotFixed> {
  const { package: name, manager, arch, module: isModule } = finding.fix;
  if (isModule) return leave('a module stream is chosen by a person: pick one (`dnf module list`) and write name:stream');
  if (manager === 'zypper' || manager === 'tdnf') return leave(`${manager} repositories are not read by dockrepro yet: pin the version by hand`);
  let loc: ReturnType<typeof locate<Match>> | undefined;
  for (const program of DNF_LIKE) loc ??= locate(ctx.model, finding, program, (cmd) => match(cmd, finding));
  if (!loc || loc.match.word.value === undefined) return new NotFixed(`the ${manager} command was not found at this place`, 'failed');
  const { word, parsed } = loc.match;
  if (!RPM_NAME.test(name)) return leave(`'${name}' is not a package name dockrepro can look up`);
  const unread = parsed.optionWords.find((o) => UNREAD_OPTIONS.includes(o.name.replace(/=.*$/, '')));
  if (unread) return leave(`${unread.name.replace(/=.*$/, '')} changes what ${manager} reads, which dockrepro does not follow: pin the version by hand`);
  const change = repoChangeBefore(ctx.model, loc.run.stage, loc.cmd);
  if (change) return leave(`${change}: dockrepro reads only the base image's repositories`);
  if (!ctx.bases || !ctx.packages) return needsNetwork;

  let files: ImageFiles;
  let platform: string;
  let manifestDigest: string;
  try {
    ({ platform, manifestDigest } = await ctx.bases.config(loc.run.stage));
    files = await imageFiles(ctx, loc.run.stage);
  } catch (e) {
    return pinFailure(e);
  }
  const basearch = basearchOf(platform);
  if (!basearch) return leave(`the platform ${platform} has no rpm architecture dockrepro knows`);
  const os = osReleaseOf(files);
  const cliRelease = parsed.options.get('--releasever');
  const forced: Record<string, string> = { basearch, arch: basearch };
  if (cliRelease !== undefined) {
    if (cliRelease === true || cliRelease.value === undefined) return leave('the value of --releasever is not known statically');
    forced.releasever = cliRelease.value;
  }
  // dnf takes $releasever from the release package's `system-release(releasever)`, which Fedora and the
  // Enterprise Linux rebuilds set to the major part of VERSION_ID (9 for 9.4).
  const defaults: Record<string, string> = os?.versionId ? { releasever: os.versionId.split('.')[0] } : {};
  const config = rpmConfig(files, defaults, forced);
  if (config.problem) return leave(config.problem);
  if (config.exclude.some((g) => globMatches(g, name))) return leave(`'${name}' is excluded by the image's dnf configuration`);
  const repos = applyRepoOptions(config.repos, parsed);
  if (!Array.isArray(repos)) return repos;
  if (repos.length === 0) return leave(`the base image (${os ? `${os.id} ${os.versionId ?? ''}`.trim() : 'no os-release'}) has no enabled rpm repository`);
  const sources: RepoSource[] = [];
  for (const r of repos) {
    const s = sourceOf(r, ctx.packages.archives);
    if (s instanceof NotFixed) return s;
    sources.push(s);
  }
  const packages = ctx.packages;
  const where = sources.map((s) => `${s.repo.id}=${s.kind === 'baseurl' ? '' : `${s.kind}:`}${s.url}${s.repo.priority !== 99 ? `@${s.repo.priority}` : ''}`).sort();
  const archSuffix = arch ? `.${arch}` : '';
  const key = `rpm:${name}${archSuffix} ${basearch} ${where.join(' ')}`;
  const wanted: Wanted = { name, arch, basearch, sources, exclude: config.exclude };
  const subject = `'${word.value}' (repositories ${sources.map((s) => s.repo.id).join(', ')})`;
  const text = (evr: string) => `${name}-${evr}${archSuffix}`;
  const title = (t: string, why: string) => `pin ${manager} package '${word.value}' → '${t}' (${why})`;

  // What the base image has installed decides too: dnf keeps an installed build unless it upgrades it
  // (test/resolve/dnfInstalled.test.ts shows what the real dnf does).
  let installed;
  try {
    installed = await installedBuilds(packages, { bases: ctx.bases, stage: loc.run.stage, manifestDigest, dirs: files.dirs, name });
  } catch (e) {
    return pinFailure(e);
  }
  const dnf4 = manager === 'dnf-3' || ((manager === 'dnf' || manager === 'yum') && !(await hasDnf5(ctx, loc.run.stage, manifestDigest, files)));
  const best = parsed.options.has('--best') || (config.best ?? false);
  const upgraded = upgradedBefore(ctx.model, loc.run.stage, loc.cmd, name);
  if (typeof upgraded === 'string') return leave(upgraded);
  // Whether the build installed by then is replaced by the newest one: dnf 4 with best=True does (and never
  // goes down), and so does an earlier `dnf upgrade`.
  const upgrades = upgraded || (dnf4 && best);
  const plain = { key, subject, resolve: () => newest(ctx, wanted), isValid: isRpmEvrText, text, title };

  if ('unknown' in installed) {
    if (!upgrades) return leave(`${installed.unknown}: if the image has '${name}' installed, ${manager} keeps that build${dnf4 ? ' (best=False)' : ''}; pin the version by hand`);
    const fix = await pinWord(packages, ctx.model.text, word, plain);
    if (fix instanceof NotFixed) return fix;
    return { ...fix, applicability: 'unsafe', title: `${fix.title}; unsafe: ${installed.unknown}, and if the image has a newer build of '${name}' than the repositories, ${manager} keeps that one` };
  }
  const arches = arch ? [arch] : installableArches(basearch);
  const mine = installed.builds.filter((b) => arches.includes(b.arch));
  if (installed.builds.length === 0) return pinWord(packages, ctx.model.text, word, plain);
  const listed = installed.builds.map((b) => `${formatEvr(b)}.${b.arch}`).join(', ');
  if (mine.length === 0) return leave(`'${name}' is installed in the base image for another architecture (${listed}): which build ${manager} adds for ${arches.join('/')} was not checked; pin the version by hand`);
  if (mine.length > 1) return leave(`several builds of '${name}' are installed in the base image (${listed}): ${manager} installs another beside them (an install-only package such as the kernel); pin the version by hand`);
  const have = mine[0];
  const haveText = formatEvr(have);
  if (dnf4 && !upgrades) {
    return written(ctx.model.text, word, text(haveText), title(text(haveText), `installed in the base image; ${manager} keeps the installed build (best=False)`));
  }
  let r: ResolvedVersion;
  try {
    r = await lookupPackage(packages, `${key} installed=${haveText}.${have.arch}`, () => newestOrInstalled(ctx, wanted, have), isRpmEvrText, subject);
  } catch (e) {
    return pinFailure(e);
  }
  if (r.version !== haveText && !upgrades) {
    return leave(`'${name}' is installed in the base image (${haveText}) and the repositories have ${r.version}: whether ${manager} keeps or upgrades it was not checked against the real ${manager}; pin the version by hand`);
  }
  const why = r.version === haveText ? `installed in the base image; no newer build in the repositories` : `installed in the base image at ${haveText}; ${upgraded ? 'an earlier upgrade' : 'best=True'} moves it to the newest build (${r.explanation})`;
  return written(ctx.model.text, word, text(r.version), title(text(r.version), why));
}

/** The installed build or the newest in the repositories, whichever is higher (dnf never goes down on `install name`). */
async function newestOrInstalled(ctx: FixerContext, w: Wanted, have: InstalledRpm): Promise<ResolvedVersion> {
  let found: ResolvedVersion | undefined;
  try {
    found = await newest(ctx, w);
  } catch (e) {
    if (!(e instanceof NotInRepos)) throw e;
  }
  if (!found) return { version: formatEvr(have), explanation: 'installed build' };
  const m = /^(?:(\d+):)?([^-]+)-(.+)$/.exec(found.version)!;
  const repo = { epoch: Number(m[1] ?? 0), version: m[2], release: m[3] };
  return compareEvr(repo, have) > 0 ? found : { version: formatEvr(have), explanation: 'installed build' };
}

/** Whether `dnf` in the image is dnf5 (Fedora >= 41): its handling of installed packages is not the one tested. */
async function hasDnf5(ctx: FixerContext, stage: number, manifestDigest: string, files: ImageFiles): Promise<boolean> {
  try {
    const r = await installedBuilds(ctx.packages!, { bases: ctx.bases!, stage, manifestDigest, dirs: files.dirs, name: 'dnf5' });
    return 'builds' in r && r.builds.length > 0;
  } catch {
    return false;
  }
}

/**
 * Earlier commands of the stage that change which build of `name` is installed: true for an upgrade of
 * everything or of `name` (it is then at the newest build), a reason for others (remove, downgrade, …).
 */
function upgradedBefore(model: DockerfileModel, stage: number, cmd: SimpleCommand, name: string): boolean | string {
  const chain = stageChain(model, stage);
  let upgraded = false;
  for (const run of model.runs) {
    if (!chain.includes(run.stage) || run.onbuild || run.span.start > cmd.span.start) continue;
    for (const c of run.commands) {
      if (c.span.start >= cmd.span.start) break;
      const words = c.args.map((w) => w.value ?? w.raw);
      const line = () => `line ${model.lines.position(c.span.start).line}`;
      if (c.name === 'rpm' && words.some((w) => /^-[a-zA-Z]*e/.test(w) || w === '--erase')) return `${line()}: 'rpm -e' may remove '${name}' from what the base image installed`;
      if (!DNF_LIKE.has(c.name)) continue;
      const ops = words.filter((w) => !w.startsWith('-'));
      const names = ops.slice(1);
      if (['update', 'upgrade'].includes(ops[0] ?? '') && (names.length === 0 || names.includes(name))) upgraded = true;
      else if (['remove', 'erase', 'autoremove', 'downgrade', 'distro-sync', 'distrosync', 'upgrade-minimal', 'update-minimal', 'swap', 'history'].includes(ops[0] ?? '')) {
        return `${line()}: '${c.name} ${ops[0]}' may change which build of '${name}' is installed`;
      }
    }
  }
  return upgraded;
}

/** The safe fix writing `text` over the word, or why the word cannot be edited in place. */
function written(source: string, word: Word, text: string, title: string): Fix | NotFixed {
  const edit = replaceValue(source, word, text);
  if (!edit) return leave(notInOnePiece(word));
  return { title, edits: [edit], applicability: 'safe' };
}

const fixer: Fixer<'rpm-version'> = {
  kind: 'rpm-version',
  fix(findings, ctx) {
    return Promise.all(findings.map((f) => fixOne(f, ctx)));
  },
};

export default fixer;
