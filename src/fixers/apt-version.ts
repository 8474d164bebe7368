/**
 * `apt-version`: `apt-get install curl` becomes `apt-get install curl=<version>`, read from the archives the
 * base image's own apt sources name (src/resolve/aptSources.ts, src/resolve/debArchive.ts), for the stage's
 * dpkg architecture. Two strategies (`apt: { strategy }` in `.dockrepro.yaml`):
 *
 * - `versions`: the version apt picks today from the image's sources (the highest across their suites; suites
 *   whose Release says `NotAutomatic` are not picked by apt unless asked for). Safe: today's build made
 *   explicit. It stops installing once the mirror drops that version (Debian and Ubuntu keep only the newest).
 * - `snapshot` (default): the stage's apt reads the distribution's snapshot archive at one timestamp, chosen
 *   when fixing and recorded in the lock, so every package and dependency resolves as it did then, for
 *   years. Debian ≥ 13 and Ubuntu ≥ 24.04 (apt ≥ 2.7.12, which applies `APT::Snapshot` to every source) get
 *   an apt.conf.d file; older releases get their sources rewritten to the snapshot URLs with
 *   `check-valid-until=no`, written before the stage's first `apt-get update`. The packages are pinned to the
 *   versions that snapshot holds. Another host is used at build time, so this is unsafe unless the user chose
 *   the strategy in the config.
 *
 * Left with a reason: a Dockerfile that changes apt's sources or preferences before the install, apt
 * preferences in the image, sources on hosts without a known snapshot service, `-t`/`-o` options.
 */
import { parseArgs, type ParsedArgs } from '../parse/args';
import { stageChain, type DockerfileModel, type RunBlock } from '../parse/dockerfile';
import type { SimpleCommand, Word } from '../parse/shell';
import type { Finding } from '../rules/types';
import { APT_OPTIONS, aptCall } from '../parse/tools/apt';
import { aptSetupOf, type AptSetup, type AptSource } from '../resolve/aptSources';
import { readPackages, readRelease } from '../resolve/debArchive';
import { compareDebVersions, isDebVersion } from '../resolve/debVersion';
import { installedDebVersion } from '../resolve/dpkgInstalled';
import { lookupPackage, type PackageContext } from '../resolve/packages';
import type { Fix, Fixer, FixerContext, TextEdit, FindingOf } from './types';
import { locate, needsNetwork, notInOnePiece, pinFailure, replaceValue, sameSpan } from './packageWords';
import { NotFixed } from '../util/notFixed';

export type AptStrategy = 'snapshot' | 'versions';

export interface AptSettings {
  strategy: AptStrategy;
  /** True when the user's config names the strategy (then the snapshot switch is what they asked for: safe). */
  configured: boolean;
}

const APT_PROGRAMS = ['apt-get', 'apt', 'aptitude'];
const SNAPSHOT_ID = /^\d{8}T\d{6}Z$/;
/** snapshot.ubuntu.com serves from this day on. */
const UBUNTU_SNAPSHOTS_FROM = '20230301T000000Z';

/** An archive root the snapshot services keep, and where (`@TS@` is the timestamp). */
interface SnapshotRoot {
  url: string;
  /** https needs a CA bundle in the image. */
  https: boolean;
}

/** The snapshot URL of an archive root as the image writes it; undefined for hosts without a known snapshot service. */
export function snapshotRootOf(uri: string): SnapshotRoot | undefined {
  const m = /^https?:\/\/([^/]+)\/([^/]+)\/?$/.exec(uri);
  if (!m) return undefined;
  const [, host, path] = m;
  if ((host === 'deb.debian.org' && (path === 'debian' || path === 'debian-security')) || (host === 'security.debian.org' && path === 'debian-security')) {
    // snapshot.debian.org answers plain HTTP (apt checks the archive's signatures either way): no CA bundle needed.
    return { url: `http://snapshot.debian.org/archive/${path}/@TS@`, https: false };
  }
  if ((host === 'archive.ubuntu.com' || host === 'security.ubuntu.com' || /^[a-z]{2}\.archive\.ubuntu\.com$/.test(host)) && path === 'ubuntu') {
    return { url: 'https://snapshot.ubuntu.com/ubuntu/@TS@', https: true };
  }
  return undefined;
}

/** Releases whose apt (≥ 2.7.12) applies `APT::Snapshot` to every source by itself. */
function nativeSnapshots(setup: AptSetup): boolean {
  const v = Number(setup.os.versionId ?? NaN);
  if (setup.os.id === 'debian') return v >= 13 || (!setup.os.versionId && ['trixie', 'forky', 'sid'].includes(setup.os.codename ?? ''));
  if (setup.os.id === 'ubuntu') return v >= 24.04;
  return false;
}

/** The snapshot id for `now`: the start of the previous UTC day (a snapshot that has surely finished). */
export function snapshotIdFor(now: Date): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 1));
  return `${d.toISOString().slice(0, 10).replace(/-/g, '')}T000000Z`;
}

/** A value safe inside single quotes and as one apt sources word. */
const PLAIN = /^[A-Za-z0-9 ._:/+=,@[\]-]*$/;

/** The shell command that writes the snapshot sources (older releases) or apt.conf.d file (newer), or why not. */
export function snapshotCommand(setup: AptSetup, ts: string): string | NotFixed {
  const printf = (lines: string[], file: string) => `printf '%s\\n' ${lines.map((l) => `'${l}'`).join(' ')} > ${file}`;
  const roots = new Map<string, SnapshotRoot>();
  for (const s of setup.sources) {
    const root = snapshotRootOf(s.uri);
    if (!root) return new NotFixed(`the image's apt source ${s.uri} (${s.file}) has no known snapshot archive: pin with strategy 'versions' or by hand`, 'no-fixer');
    if (root.https && !setup.caCertificates) return new NotFixed(`${root.url.replace('/@TS@', '')} is served over https and the base image has no CA certificates (ca-certificates): use strategy 'versions' or install ca-certificates first`, 'no-fixer');
    if (root.url.startsWith('https://snapshot.ubuntu.com') && ts < UBUNTU_SNAPSHOTS_FROM) return new NotFixed(`snapshot.ubuntu.com has no snapshot before ${UBUNTU_SNAPSHOTS_FROM}`, 'no-fixer');
    roots.set(s.uri, root);
  }
  if (nativeSnapshots(setup)) {
    const lines = [`APT::Snapshot "${ts}";`, 'Acquire::Check-Valid-Until "false";'];
    // apt's own host table sends deb.debian.org to https; written out so every source is covered and no CA bundle is needed.
    for (const [uri, root] of roots) {
      const host = new URL(uri).host;
      const template = root.url.replace(/\/[^/]+\/@TS@$/, '/@PATH@/@SNAPSHOTID@/');
      const line = `Acquire::Snapshots::URI::Host::${host} "${template}";`;
      if (!lines.includes(line)) lines.push(line);
    }
    return printf(lines, '/etc/apt/apt.conf.d/50snapshot');
  }
  const commands: string[] = [];
  for (const file of setup.files.keys()) {
    const entries = setup.sources.filter((s) => s.file === file);
    if (entries.length === 0) continue;
    const lines: string[] = [];
    for (const s of entries) {
      const url = roots.get(s.uri)!.url.replace('@TS@', ts);
      const options = Object.entries(s.options).filter(([k]) => k !== 'check-valid-until');
      if ([s.suite, ...s.components, ...options.flat()].some((v) => !PLAIN.test(v) || v.includes('\n'))) {
        return new NotFixed(`${file} holds options dockrepro does not copy into a snapshot source (multi-line or quoted values): switch to the snapshot by hand`, 'no-fixer');
      }
      if (s.format === 'one-line') {
        const opts = ['check-valid-until=no', ...options.map(([k, v]) => `${k}=${v}`)].join(' ');
        lines.push(`deb [${opts}] ${url} ${s.suite} ${s.components.join(' ')}`.trimEnd());
      } else {
        if (lines.length > 0) lines.push('');
        lines.push('Types: deb', `URIs: ${url}`, `Suites: ${s.suite}`, `Components: ${s.components.join(' ')}`);
        for (const [k, v] of options) lines.push(`${k.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase())}: ${v}`);
        lines.push('Check-Valid-Until: no');
      }
    }
    commands.push(printf(lines, file));
  }
  return commands.join(' && ');
}

/** What the Dockerfile itself did to apt before the install: a snapshot dockrepro wrote, or a change to leave for. */
interface Before {
  /** The snapshot id already in place (written by an earlier fix). */
  snapshot?: string;
  /** The first `apt-get update` / `apt update` of the chain, before the install. */
  update?: { run: RunBlock; cmd: SimpleCommand };
  /** Why the image's apt setup is not what the install sees. */
  changed?: string;
}

/** The command snapshotCommand writes (its lines are single-quoted words without quotes inside). */
const OUR_COMMAND = /printf '%s\\n'(?: '[^']*')+ > \/etc\/apt\/[A-Za-z0-9_./-]+/g;
const SNAPSHOT_IN_TEXT = /(?:snapshot\.debian\.org\/archive\/[a-z-]+\/|snapshot\.ubuntu\.com\/ubuntu\/|APT::Snapshot ")(\d{8}T\d{6}Z)/;

function before(model: DockerfileModel, stage: number, run: RunBlock, cmd: SimpleCommand): Before {
  const out: Before = {};
  const chain = new Set(stageChain(model, stage));
  const line = (offset: number) => model.lines.position(offset).line;
  for (const c of model.copies) {
    if (!chain.has(c.stage) || c.span.start > run.span.start) continue;
    const dest = c.destination?.value;
    if (dest === undefined || dest.startsWith('/etc/apt') || dest === '/etc' || dest === '/etc/' || dest === '/') {
      return { changed: `line ${line(c.span.start)}: ${c.keyword} may write into /etc/apt (apt's sources or preferences)` };
    }
  }
  for (const r of model.runs) {
    if (!chain.has(r.stage) || r.span.start > run.span.start) continue;
    // Any mention of /etc/apt (a redirect, cp, sed, tee) other than the snapshot command dockrepro writes.
    const region = model.text.slice(r.span.start, r === run ? cmd.span.start : r.span.end).replace(OUR_COMMAND, (m) => ' '.repeat(m.length));
    const mention = /\/etc\/apt\b/.exec(region);
    if (mention) return { ...out, changed: `line ${line(r.span.start + mention.index)}: the RUN writes or names /etc/apt (apt's sources or preferences) before the install` };
    for (const c of r.commands) {
      if (r === run && c.span.start >= cmd.span.start) break;
      const text = model.text.slice(c.span.start, c.span.end);
      const ours = SNAPSHOT_IN_TEXT.exec(text);
      if (ours && (c.name === 'printf')) {
        out.snapshot = ours[1];
        continue;
      }
      const call = aptCall(c);
      if (call && (call.sub.value === 'update') && !out.update) out.update = { run: r, cmd: c };
      if (['add-apt-repository', 'apt-key', 'apt-add-repository'].includes(c.name)) {
        return { ...out, changed: `line ${line(c.span.start)}: '${c.name}' changes apt's sources or preferences before the install` };
      }
      if ((c.name === 'dpkg' && c.args.some((a) => a.value === '-i' || a.value === '--install')) || (call?.sub.value === 'install' && call.operands.some((o) => o.value?.endsWith('.deb')))) {
        return { ...out, changed: `line ${line(c.span.start)}: a .deb installed before may add apt sources` };
      }
    }
  }
  return out;
}

/** Where `X && ` can go before the update command without changing what runs around it. */
function insertionPoint(model: DockerfileModel, update: { run: RunBlock; cmd: SimpleCommand }): number | undefined {
  const head = model.text.slice(update.run.span.start, update.cmd.span.start);
  return /(?:^\s*RUN(?:\s+--\S+)*|&&|;|\n)\s*(?:\\\r?\n\s*)*$/i.test(head) ? update.cmd.span.start : undefined;
}

/** The highest version of `pkg` across `sources` (suites apt does not pick by default left out), or a NotFixed. */
async function candidate(packages: PackageContext, sources: { uri: string; suite: string; components: string[] }[], arch: string, pkg: string): Promise<{ version: string; explanation: string }> {
  let best: { version: string; where: string } | undefined;
  const notAutomatic: string[] = [];
  for (const s of sources) {
    const release = await readRelease(packages, { uri: s.uri, suite: s.suite });
    if (/^yes$/i.test(release.fields.NotAutomatic ?? '')) {
      notAutomatic.push(s.suite);
      continue;
    }
    for (const component of s.components) {
      for (const v of (await readPackages(packages, { uri: s.uri, suite: s.suite, component, arch })).get(pkg) ?? []) {
        if (!best || compareDebVersions(v, best.version) > 0) best = { version: v, where: `${s.suite}/${component}` };
      }
    }
  }
  if (!best) {
    const where = sources.map((s) => `${s.uri} ${s.suite}`).join(', ');
    throw new NotFixed(`package '${pkg}' is not in ${where} for ${arch}${notAutomatic.length ? ` (not looked for in ${notAutomatic.join(', ')}, which apt does not pick by default)` : ''}`, 'failed');
  }
  return { version: best.version, explanation: `from ${best.where}` };
}

function snapshotSources(setup: AptSetup, ts: string) {
  return setup.sources.map((s) => ({ ...s, uri: snapshotRootOf(s.uri)!.url.replace('@TS@', ts) }));
}

interface Located {
  run: RunBlock;
  cmd: SimpleCommand;
  word: Word;
  parsed: ParsedArgs;
}

function locateApt(model: DockerfileModel, finding: Finding): Located | undefined {
  for (const program of APT_PROGRAMS) {
    const loc = locate(model, finding, program, (cmd) => {
      const parsed = parseArgs(cmd.args, APT_OPTIONS[cmd.name]);
      const word = parsed.operands.find((w) => sameSpan(w, finding));
      return word ? { word, parsed } : undefined;
    });
    if (loc) return { run: loc.run, cmd: loc.cmd, ...loc.match };
  }
  return undefined;
}

async function fixOne(finding: FindingOf<'apt-version'>, ctx: FixerContext, settings: AptSettings): Promise<Fix | NotFixed> {
  const loc = locateApt(ctx.model, finding);
  const { package: pkg, stage } = finding.fix;
  if (!loc) return new NotFixed('the apt command was not found at this place', 'failed');
  const opt = loc.parsed.optionWords.find((o) => ['-t', '--target-release', '--default-release', '-o', '--option', '-c', '--config-file', '-S', '--snapshot', '-a', '--host-architecture'].includes(o.name));
  if (opt) return new NotFixed(`'${opt.name}' changes which version apt picks: pin it by hand`, 'no-fixer');
  if (!/^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$/.test(pkg)) return new NotFixed(`'${pkg}' is not a Debian package name dockrepro can look up`, 'no-fixer');
  if (pkg.includes(':')) return new NotFixed(`'${pkg}' names an architecture: pin it by hand`, 'no-fixer');
  if (replaceValue(ctx.model.text, loc.word, pkg) === undefined) return new NotFixed(notInOnePiece(loc.word), 'no-fixer');
  const b = before(ctx.model, stage, loc.run, loc.cmd);
  if (b.changed) return new NotFixed(`${b.changed}: dockrepro reads apt's setup from the base image only`, 'no-fixer');
  if (!ctx.packages || !ctx.bases) return needsNetwork;
  const packages = ctx.packages;

  let setup: AptSetup | string;
  let image: { manifestDigest: string; platform: string };
  try {
    setup = await aptSetupOf(ctx.bases, stage);
    image = await ctx.bases.config(stage);
  } catch (e) {
    return pinFailure(e);
  }
  if (typeof setup === 'string') return new NotFixed(setup, 'no-fixer');
  if (setup.preferences.length > 0) return new NotFixed(`the base image has apt preferences (${setup.preferences.join(', ')}) that can change which version apt picks: pin by hand`, 'no-fixer');
  const arch = setup.arch;
  setup = { ...setup, sources: setup.sources.filter((s) => !(s.options.arch ?? s.options.architectures) || (s.options.arch ?? s.options.architectures).split(/[\s,]+/).includes(arch)) };
  if (setup.sources.length === 0) return new NotFixed(`the base image has no apt sources for ${arch}`, 'no-fixer');
  const word = loc.word;
  const pinEdit = (version: string): TextEdit => replaceValue(ctx.model.text, word, `${pkg}=${version}`)!;
  // apt-get install never downgrades, and with --no-upgrade keeps what is installed: the image's own dpkg
  // database decides when it has the package (apt's candidate otherwise).
  const noUpgrade = loc.parsed.options.has('--no-upgrade');
  const keptOrInstalled = async (archive: { version: string; explanation: string }) => {
    const installed = await installedDebVersion(packages, { bases: ctx.bases!, stage, manifestDigest: image.manifestDigest, arch, name: pkg });
    if (installed === undefined) return archive;
    if (noUpgrade) return { version: installed, explanation: 'installed in the base image; --no-upgrade keeps it' };
    if (compareDebVersions(installed, archive.version) > 0) return { version: installed, explanation: `installed in the base image, newer than the archive's ${archive.version}; apt does not downgrade` };
    return archive;
  };
  const sourcesKey = (list: AptSource[] | { uri: string; suite: string; components: string[] }[]) => list.map((s) => `${s.uri} ${s.suite} ${s.components.join(',')}`).join(' | ');

  try {
    if (settings.strategy === 'versions' && b.snapshot === undefined) {
      const live = setup.sources;
      const found = await lookupPackage(packages, `apt:${sourcesKey(live)} ${arch} ${pkg}`, () => candidate(packages, live, arch, pkg), isDebVersion, `'${pkg}' (from ${live.map((s) => `${s.uri} ${s.suite}`).join(', ')})`);
      const r = await keptOrInstalled(found);
      return { title: `pin apt package '${pkg}' → '${pkg}=${r.version}' (${r.explanation}, what apt installs today)`, edits: [pinEdit(r.version)], applicability: 'safe' };
    }
    // The snapshot: the one the Dockerfile already uses, else one per base image, from the lock or chosen now.
    const now = packages.now?.() ?? new Date();
    const ts = b.snapshot ?? (await lookupPackage(packages, `apt-snapshot:${image.manifestDigest} ${image.platform}`, async () => ({ version: snapshotIdFor(now), explanation: 'chosen now' }), (v) => SNAPSHOT_ID.test(v), `the apt snapshot of ${image.manifestDigest}`)).version;
    const edits: TextEdit[] = [];
    if (b.snapshot === undefined) {
      const command = snapshotCommand(setup, ts);
      if (typeof command !== 'string') return command;
      if (!b.update) return new NotFixed(`no 'apt-get update' before the install: the snapshot goes before the first one; add one (or use strategy 'versions')`, 'no-fixer');
      const at = insertionPoint(ctx.model, b.update);
      if (at === undefined) return new NotFixed(`the first 'apt-get update' is not at the start of a command list: put the snapshot in place by hand`, 'no-fixer');
      edits.push({ start: at, end: at, text: `${command} && ` });
    } else if (setup.sources.some((s) => !snapshotRootOf(s.uri))) {
      return new NotFixed('the image has apt sources without a known snapshot archive', 'no-fixer');
    }
    const snap = snapshotSources(setup, ts);
    const r = await keptOrInstalled(await lookupPackage(packages, `apt:${sourcesKey(snap)} ${arch} ${pkg}`, () => candidate(packages, snap, arch, pkg), isDebVersion, `'${pkg}' (from the snapshot ${ts})`));
    edits.push(pinEdit(r.version));
    // A Dockerfile that already reads the snapshot only gets its installed version written out: safe.
    const applicability = b.snapshot !== undefined || settings.configured ? 'safe' : 'unsafe';
    const title = b.snapshot !== undefined
      ? `pin apt package '${pkg}' → '${pkg}=${r.version}' (in the snapshot ${ts} the Dockerfile reads)`
      : `read apt's archive at the snapshot ${ts} and pin '${pkg}' → '${pkg}=${r.version}' (${r.explanation})`;
    return { title, edits, applicability };
  } catch (e) {
    return pinFailure(e);
  }
}

/** The fixer for given settings (the config's `apt:`); the default reads `ctx.apt`. */
export function aptVersionFixer(fixed?: AptSettings): Fixer<'apt-version'> {
  return {
    kind: 'apt-version',
    async fix(findings, ctx) {
      const settings = fixed ?? ctx.apt ?? { strategy: 'snapshot', configured: false };
      const out: (Fix | NotFixed)[] = [];
      // One at a time: the findings of a stage share the snapshot and its index downloads.
      for (const f of findings) out.push(await fixOne(f, ctx, settings));
      return out;
    },
  };
}

export default aptVersionFixer();
