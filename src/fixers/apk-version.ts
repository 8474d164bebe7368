/**
 * `apk-version`: `apk add curl` becomes `apk add curl=~8.11` (fuzzy, the default) or `curl=8.11.1-r0`
 * (`apk: { pin: exact }`), for the version apk would install in this stage today:
 *
 * - the base image says which Alpine it is and where apk looks (src/resolve/alpineSetup.ts: alpine-release,
 *   /etc/apk/repositories, /etc/apk/arch or the platform), plus `-X`/`--repository` URLs of the command;
 * - a package the base image has installed keeps its version (`apk add` does not upgrade without
 *   `-u`/`--upgrade`/`--latest`), so that version is pinned;
 * - otherwise the repositories' APKINDEX.tar.gz: a plain name only from untagged repositories, the highest
 *   version wins (the first repository on a tie); `name@tag` prefers the repositories tagged `@tag`, as
 *   apk's solver does (apk-tools solver.c: "prefer preferred pinning" before "select latest").
 *
 * `=~` is the fuzzy operator that apk v2 and v3 both read as `~` (prefix match on version components) and that
 * hadolint's DL3018 also accepts as pinned (it looks for `=`). The prefix is major.minor of the version.
 * Both forms install exactly today's version, so both are safe fixes; see docs/rules/apk-pin.md for what
 * each survives.
 */
import { stageChain } from '../parse/dockerfile';
import { parseArgs, type ParsedArgs } from '../parse/args';
import type { SimpleCommand, Word } from '../parse/shell';
import type { Finding } from '../rules/types';
import { APK } from '../parse/tools/apk';
import { fetchApkIndex, type ApkIndex, type ApkIndexPackage } from '../resolve/apkIndex';
import { apkFuzzyPrefix, compareApkVersions, isApkVersion } from '../resolve/apkVersion';
import { ALPINE_FILES, APK_ARCH_NAME, APK_REPOSITORIES, APK_REPOSITORIES_DIR, alpineSetupOf, parseApkRepositories, type AlpineSetup, type ApkRepository } from '../resolve/alpineSetup';
import { OS_RELEASE_FILES } from '../resolve/osRelease';
import { lookupPackage, type PackageContext, type ResolvedVersion } from '../resolve/packages';
import type { Fix, Fixer, FixerContext, FindingOf } from './types';
import { locate, needsNetwork, notInOnePiece, pinFailure, replaceValue, sameSpan } from './packageWords';
import { NotFixed } from '../util/notFixed';

/** apk package names (apk-tools accepts more; these are the ones worth writing back): `py3-pip`, `so:libssl.so.3`, `g++`. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*(:[A-Za-z0-9_.+-]+)?$/;
const TAG = /^[A-Za-z0-9_.-]{1,64}$/;

interface Match {
  parsed: ParsedArgs;
  word: Word;
}

function match(cmd: SimpleCommand, finding: Finding): Match | undefined {
  const parsed = parseArgs(cmd.args, APK);
  const [applet, ...packages] = parsed.operands;
  if (applet?.value !== 'add') return undefined;
  const word = packages.find((w) => sameSpan(w, finding));
  return word ? { parsed, word } : undefined;
}

/** A reason when the Dockerfile itself changes apk's repositories before this command, else undefined. */
function repositoriesChangedBefore(ctx: FixerContext, stage: number, cmd: SimpleCommand): string | undefined {
  const chain = new Set(stageChain(ctx.model, stage));
  // The RUN text before this command (redirections included: `echo … >> /etc/apk/repositories`).
  const touch = /\/etc\/apk\/repositories|\bsetup-apkrepos\b/;
  for (const run of ctx.model.runs) {
    if (!chain.has(run.stage) || run.onbuild || run.span.start >= cmd.span.start) continue;
    const m = touch.exec(ctx.model.text.slice(run.span.start, Math.min(run.span.end, cmd.span.start)));
    if (m) return `an earlier command in the stage (line ${ctx.model.lines.position(run.span.start + m.index).line}) changes the apk repositories, so the base image's list is not what this apk reads`;
  }
  for (const copy of ctx.model.copies) {
    if (!chain.has(copy.stage) || copy.onbuild || copy.span.start >= cmd.span.start) continue;
    const dest = copy.destination?.value ?? '';
    if (dest === '/' || dest === '/etc' || dest === '/etc/' || dest.startsWith('/etc/apk')) {
      return `${copy.keyword} to '${dest}' (line ${ctx.model.lines.position(copy.span.start).line}) may replace the apk repositories of the base image`;
    }
  }
  return undefined;
}

interface Wanted {
  name: string;
  tag?: string;
}

/** Repositories the command adds or replaces, or a reason it cannot be known. */
function commandRepositories(parsed: ParsedArgs, setup: AlpineSetup): ApkRepository[] | string {
  let repos = setup.repositories;
  const extra: ApkRepository[] = [];
  for (const o of parsed.optionWords) {
    const value = o.value?.value;
    if (o.name === '-p' || o.name === '--root') return `apk ${o.name} installs into another root, whose repositories dockrepro cannot read`;
    if (o.name === '--repositories-file') {
      if (value !== APK_REPOSITORIES) return `--repositories-file '${o.value?.raw ?? ''}' replaces the repository list with a file dockrepro does not read`;
    }
    if (o.name === '-X' || o.name === '--repository') {
      if (value === undefined) return `the repository '${o.value?.raw ?? ''}' is not known statically`;
      const parsedRepo = parseApkRepositories(value, `${o.name}`);
      if (typeof parsedRepo === 'string') return parsedRepo;
      extra.push(...parsedRepo);
    }
  }
  // apk adds command-line repositories after those of the file.
  repos = [...repos, ...extra];
  if (repos.length === 0) return 'the base image lists no apk repositories';
  return repos;
}

/** The version apk picks among the indexes (as its solver ranks candidates), with where it was found. */
function pick(indexes: { repo: ApkRepository; index: ApkIndex }[], want: Wanted): { pkg: ApkIndexPackage; repo: ApkRepository } | undefined {
  let best: { pkg: ApkIndexPackage; repo: ApkRepository; preferred: boolean } | undefined;
  for (const { repo, index } of indexes) {
    // A tagged repository serves only `name@tag`; with the tag it is preferred over untagged ones.
    if (repo.tag !== undefined && repo.tag !== want.tag) continue;
    const preferred = want.tag !== undefined && repo.tag === want.tag;
    for (const pkg of index.byName.get(want.name) ?? []) {
      if (!isApkVersion(pkg.version)) continue;
      if (!best || (preferred && !best.preferred) || (preferred === best.preferred && compareApkVersions(pkg.version, best.pkg.version) > 0)) {
        best = { pkg, repo, preferred };
      }
    }
  }
  return best;
}

/** The packages that provide `name` without being named so (virtual names, `so:`/`cmd:`/`pc:` entries). */
function providersOf(indexes: { index: ApkIndex }[], name: string): string[] {
  const names = new Set<string>();
  for (const { index } of indexes) for (const p of index.providers.get(name) ?? []) names.add(`${p.name} (${p.version})`);
  return [...names].sort();
}

async function resolveFromIndexes(packages: PackageContext, repos: ApkRepository[], arch: string, want: Wanted, word: string): Promise<ResolvedVersion> {
  const relevant = repos.filter((r) => r.tag === undefined || r.tag === want.tag);
  const indexes = await Promise.all(relevant.map(async (repo) => ({ repo, index: await fetchApkIndex(packages, { repository: repo.url, arch }) })));
  const found = pick(indexes, want);
  if (found) return { version: found.pkg.version, explanation: `newest in ${found.repo.tag ? `@${found.repo.tag} ` : ''}${found.repo.url} (${arch})` };
  const providers = providersOf(indexes, want.name);
  if (providers.length > 0) {
    throw new NotFixed(`'${word}' is not a package but a name provided by ${providers.join(', ')}: pin the providing package instead`, 'failed');
  }
  throw new NotFixed(`'${word}' is in none of the repositories ${relevant.map((r) => r.url).join(', ')} (${arch})`, 'failed');
}

async function fixOne(finding: FindingOf<'apk-version'>, ctx: FixerContext): Promise<Fix | NotFixed> {
  const loc = locate(ctx.model, finding, 'apk', (cmd) => match(cmd, finding));
  if (!loc || loc.match.word.value === undefined) return new NotFixed('the apk command was not found at this place', 'failed');
  const { parsed, word } = loc.match;
  const value = word.value!;
  const at = value.indexOf('@');
  const want: Wanted = at < 0 ? { name: value } : { name: value.slice(0, at), tag: value.slice(at + 1) };
  if (!NAME.test(want.name) || (want.tag !== undefined && !TAG.test(want.tag))) return new NotFixed(`'${value}' is not an apk package name dockrepro can look up`, 'no-fixer');
  if (want.name.includes(':')) {
    return new NotFixed(`'${value}' names what a package provides (${want.name.split(':')[0]}:), not a package: write the providing package's name to pin it`, 'no-fixer');
  }
  const edit0 = replaceValue(ctx.model.text, word, value);
  if (!edit0) return new NotFixed(notInOnePiece(word), 'no-fixer');
  const changed = repositoriesChangedBefore(ctx, loc.run.stage, loc.cmd);
  if (changed) return new NotFixed(changed, 'no-fixer');
  if (!ctx.bases || !ctx.packages) return needsNetwork;

  try {
    const [files, config] = await Promise.all([
      ctx.bases.files(loc.run.stage, { files: [...OS_RELEASE_FILES, ...ALPINE_FILES], dirs: [APK_REPOSITORIES_DIR] }),
      ctx.bases.config(loc.run.stage),
    ]);
    const setup = alpineSetupOf(files, config.platform);
    if (typeof setup === 'string') return new NotFixed(setup, 'no-fixer');
    const archOption = parsed.options.get('--arch');
    let arch = setup.arch;
    if (archOption !== undefined) {
      const a = archOption === true ? undefined : archOption.value;
      if (a === undefined || !APK_ARCH_NAME.test(a)) return new NotFixed('--arch is not a literal apk architecture', 'no-fixer');
      arch = a;
    }
    const repos = commandRepositories(parsed, setup);
    if (typeof repos === 'string') return new NotFixed(repos, 'no-fixer');
    const upgrade = ['-u', '--upgrade', '--latest', '-l'].some((o) => parsed.options.has(o));

    let resolved: ResolvedVersion;
    const installed = setup.installed.get(want.name);
    if (installed !== undefined && !upgrade && want.tag === undefined) {
      // apk add keeps what is installed (its solver prefers the installed package unless upgrading).
      resolved = { version: installed, explanation: `installed in the base image (Alpine ${setup.release})` };
    } else {
      const key = `apk:${value} ${arch} ${repos.map((r) => (r.tag ? `@${r.tag} ${r.url}` : r.url)).join(' ')}`;
      const subject = `'${value}' (Alpine ${setup.release}, ${arch})`;
      const packages = ctx.packages;
      resolved = await lookupPackage(packages, key, () => resolveFromIndexes(packages, repos, arch, want, value), isApkVersion, subject);
    }
    const exact = ctx.apkPin === 'exact';
    const prefix = apkFuzzyPrefix(resolved.version);
    if (!exact && prefix === undefined) return new NotFixed(`the version '${resolved.version}' has no major.minor to pin fuzzily: set apk.pin: exact`, 'failed');
    const text = exact ? `${value}=${resolved.version}` : `${value}=~${prefix}`;
    const edit = replaceValue(ctx.model.text, word, text)!;
    return {
      title: `pin apk package '${value}' → '${text}' (${resolved.version}, ${resolved.explanation})`,
      edits: [edit],
      applicability: 'safe',
    };
  } catch (e) {
    return pinFailure(e);
  }
}

const apkVersion: Fixer<'apk-version'> = {
  kind: 'apk-version',
  fix(findings, ctx) {
    return Promise.all(findings.map((f) => fixOne(f, ctx)));
  },
};

export default apkVersion;
