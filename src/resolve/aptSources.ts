/**
 * A stage's apt setup, read from its base image: the distribution (`/etc/os-release`), the sources apt reads
 * (`/etc/apt/sources.list`, `/etc/apt/sources.list.d/*.list` one-line and `*.sources` deb822 files), whether
 * apt preferences (pins) are present, and the dpkg architecture of the stage's platform. Nothing comes from
 * the image's name or from the machine dockrepro runs on.
 */
import type { ImageFiles, StageBases } from './baseImage';
import { OS_RELEASE_FILES, osReleaseOf, type OsRelease } from './osRelease';
import { parseDeb822 } from './debArchive';

export const SOURCES_LIST = '/etc/apt/sources.list';
export const SOURCES_DIR = '/etc/apt/sources.list.d';
export const PREFERENCES = '/etc/apt/preferences';
export const PREFERENCES_DIR = '/etc/apt/preferences.d';
const CERTS_DIR = '/etc/ssl/certs';
/** The sources files official images ship, asked for with the first query (others need a second one). */
const WELL_KNOWN_SOURCES = [`${SOURCES_DIR}/debian.sources`, `${SOURCES_DIR}/ubuntu.sources`];
/** What the apt fixer reads from images (kept from every layer a run downloads: FILES_FIXERS_READ). */
export const APT_FILES: readonly string[] = [SOURCES_LIST, PREFERENCES, ...WELL_KNOWN_SOURCES];

export interface AptSource {
  uri: string;
  suite: string;
  components: string[];
  /** `[arch=amd64 signed-by=…]` / deb822 fields other than Types, URIs, Suites, Components (lower-case names). */
  options: Record<string, string>;
  /** The file it is written in, and how. */
  file: string;
  format: 'one-line' | 'deb822';
}

export interface AptSetup {
  os: OsRelease;
  /** dpkg architecture (`amd64`, `arm64`, `armhf`, …). */
  arch: string;
  /** Enabled `deb` entries, in the order apt reads them. */
  sources: AptSource[];
  /** Files that change apt's choice of versions (preferences with content). */
  preferences: string[];
  /** Every sources file's text, by path. */
  files: ReadonlyMap<string, string>;
  /** Whether the image has a CA bundle (`/etc/ssl/certs/ca-certificates.crt`): apt over https needs one. */
  caCertificates: boolean;
}

/** OCI platform → dpkg architecture (dpkg-architecture's names). */
const DPKG_ARCH: Record<string, string> = {
  'linux/amd64': 'amd64', 'linux/arm64': 'arm64', 'linux/arm64/v8': 'arm64', 'linux/arm/v7': 'armhf', 'linux/arm/v6': 'armel', 'linux/arm/v5': 'armel',
  'linux/386': 'i386', 'linux/ppc64le': 'ppc64el', 'linux/s390x': 's390x', 'linux/riscv64': 'riscv64', 'linux/mips64le': 'mips64el',
};

export function dpkgArchitecture(platform: string): string | undefined {
  return DPKG_ARCH[platform];
}

/** One-line `deb [options] uri suite [component…]` entries (deb-src and comments skipped). */
export function parseOneLineSources(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)((?:\s+\S+)*)$/.exec(line);
    if (!m || m[1] !== 'deb') continue;
    const options: Record<string, string> = {};
    for (const o of (m[2] ?? '').trim().split(/\s+/).filter(Boolean)) {
      const eq = o.indexOf('=');
      if (eq > 0) options[o.slice(0, eq).toLowerCase()] = o.slice(eq + 1);
    }
    out.push({ uri: m[3], suite: m[4], components: m[5].trim().split(/\s+/).filter(Boolean), options, file, format: 'one-line' });
  }
  return out;
}

/** deb822 `.sources` entries: each paragraph × URIs × Suites with `Types` holding `deb` and not `Enabled: no`. */
export function parseDeb822Sources(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const p of parseDeb822(text)) {
    const field = (name: string) => Object.entries(p).find(([k]) => k.toLowerCase() === name)?.[1];
    const words = (name: string) => (field(name) ?? '').split(/\s+/).filter(Boolean);
    if (!words('types').includes('deb') || /^no$/i.test(field('enabled') ?? '')) continue;
    const options: Record<string, string> = {};
    for (const [k, v] of Object.entries(p)) if (!['types', 'uris', 'suites', 'components'].includes(k.toLowerCase())) options[k.toLowerCase()] = v;
    for (const uri of words('uris')) for (const suite of words('suites')) out.push({ uri, suite, components: words('components'), options, file, format: 'deb822' });
  }
  return out;
}

/** Whether a preferences file can change a version choice (anything but comments and blank lines). */
const hasPins = (text: string) => text.split(/\r?\n/).some((l) => l.trim() !== '' && !l.trim().startsWith('#'));

/**
 * The apt setup of `stage`'s base image, or why it is not known (the reason to leave a finding with). Two
 * queries at most: the usual files and folder listings, then any other sources or preferences files listed.
 */
export async function aptSetupOf(bases: StageBases, stage: number): Promise<AptSetup | string> {
  const first = await bases.files(stage, { files: [...OS_RELEASE_FILES, ...APT_FILES], dirs: [SOURCES_DIR, PREFERENCES_DIR, CERTS_DIR] });
  const os = osReleaseOf(first);
  if (!os) return `the base image has no ${OS_RELEASE_FILES.join(' or ')}: its distribution is not known`;
  if (![os.id, ...os.idLike].some((id) => id === 'debian' || id === 'ubuntu')) return `the base image is ${os.fields.PRETTY_NAME ?? os.fields.NAME ?? os.id}, not Debian or Ubuntu: apt's archive is not known`;
  const { platform } = await bases.config(stage);
  const arch = dpkgArchitecture(platform);
  if (!arch) return `the platform ${platform} has no known dpkg architecture`;

  const listed = (dir: string, ext: RegExp) => (first.dirs.get(dir) ?? []).filter((n) => ext.test(n)).map((n) => `${dir}/${n}`);
  const sourceFiles = listed(SOURCES_DIR, /^[A-Za-z0-9_.-]+\.(list|sources)$/);
  const prefFiles = listed(PREFERENCES_DIR, /^[A-Za-z0-9_.-]+(\.pref)?$/);
  const missing = [...sourceFiles, ...prefFiles].filter((f) => !first.files.has(f));
  const more: ImageFiles | undefined = missing.length > 0 ? await bases.files(stage, { files: missing }) : undefined;
  const text = (f: string) => first.files.get(f) ?? more?.files.get(f);

  const files = new Map<string, string>();
  const sources: AptSource[] = [];
  for (const f of [SOURCES_LIST, ...sourceFiles]) {
    const t = text(f);
    if (t === undefined) continue;
    files.set(f, t);
    sources.push(...(f.endsWith('.sources') ? parseDeb822Sources(t, f) : parseOneLineSources(t, f)));
  }
  const preferences = [PREFERENCES, ...prefFiles].filter((f) => {
    const t = text(f);
    return t !== undefined && hasPins(t);
  });
  return { os, arch, sources, preferences, files, caCertificates: (first.dirs.get(CERTS_DIR) ?? []).includes('ca-certificates.crt') };
}
