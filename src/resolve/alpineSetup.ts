/**
 * What apk in a stage reads, from the stage's base image (never from its name): the Alpine release
 * (/etc/alpine-release), the repositories (/etc/apk/repositories: one `[@tag] URL` a line, `#` comments;
 * apk v3's /etc/apk/repositories.d/*.list and `set`/`v3`/`ndx` lines are not read yet and leave the
 * finding), the architecture (/etc/apk/arch, else the platform being built), and what is installed already
 * (/lib/apk/db/installed: `apk add` keeps an installed package's version unless told to upgrade).
 */
import type { ImageFiles } from './baseImage';
import { parseApkIndexText } from './apkIndex';
import { isApkVersion } from './apkVersion';

export const ALPINE_RELEASE = '/etc/alpine-release';
export const APK_REPOSITORIES = '/etc/apk/repositories';
export const APK_ARCH = '/etc/apk/arch';
export const APK_INSTALLED = '/lib/apk/db/installed';
/** apk v3 also reads `*.list` files here. */
export const APK_REPOSITORIES_DIR = '/etc/apk/repositories.d';
export const ALPINE_FILES: readonly string[] = [ALPINE_RELEASE, APK_REPOSITORIES, APK_ARCH, APK_INSTALLED];

export interface ApkRepository {
  /** The URL as written (`https://dl-cdn.alpinelinux.org/alpine/v3.20/main`). */
  url: string;
  /** `@edge` → `edge`: packages from here only for `name@edge`. */
  tag?: string;
}

export interface AlpineSetup {
  /** /etc/alpine-release (`3.20.3`). */
  release: string;
  /** apk's architecture name (`x86_64`). */
  arch: string;
  /** Where it came from: `/etc/apk/arch` or `platform linux/amd64`. */
  archFrom: string;
  repositories: ApkRepository[];
  /** Installed package name → version. */
  installed: ReadonlyMap<string, string>;
}

/** OCI platform (`linux/arm/v7`) → apk architecture, as Alpine's images are built. */
const ARCHES: Record<string, string> = {
  'linux/amd64': 'x86_64',
  'linux/arm64': 'aarch64',
  'linux/arm64/v8': 'aarch64',
  'linux/arm/v7': 'armv7',
  'linux/arm/v6': 'armhf',
  'linux/386': 'x86',
  'linux/ppc64le': 'ppc64le',
  'linux/s390x': 's390x',
  'linux/riscv64': 'riscv64',
  'linux/loong64': 'loongarch64',
};

export function apkArchOf(platform: string): string | undefined {
  return ARCHES[platform];
}

/** apk's architecture names: lower-case letters, digits and `_`. */
export const APK_ARCH_NAME = /^[a-z0-9_]{1,32}$/;
const TAG = /^[A-Za-z0-9_.-]{1,64}$/;
const URL = /^https?:\/\/[^\s/$]+(\/[^\s$]*)?$/;

/** The repositories of a repositories file, or why they cannot be used. */
export function parseApkRepositories(text: string, path: string): ApkRepository[] | string {
  const out: ApkRepository[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = line.split(/\s+/);
    let tag: string | undefined;
    if (words[0] === 'v2') words.shift();
    if (words[0]?.startsWith('@')) {
      tag = words.shift()!.slice(1);
      if (!TAG.test(tag)) return `${path}: '${line}' has a tag apk would not accept`;
    }
    if (words.length !== 1) return `${path}: '${line}' uses apk v3 repository syntax (set, v3, ndx or components), which dockrepro does not read yet`;
    const url = words[0];
    if (url.startsWith('/') || url.startsWith('file:')) return `${path}: the repository '${url}' is a folder inside the image, which dockrepro cannot read`;
    if (!URL.test(url)) return `${path}: '${url}' is not an http(s) repository URL dockrepro can read`;
    out.push(tag ? { url, tag } : { url });
  }
  return out;
}

/** The stage's Alpine setup from its base image's files, or why there is none to use. */
export function alpineSetupOf(files: ImageFiles, platform: string): AlpineSetup | string {
  const release = files.files.get(ALPINE_RELEASE)?.trim();
  if (release === undefined) return `the base image has no ${ALPINE_RELEASE}: it is not Alpine, so dockrepro cannot tell which apk repositories it uses`;
  if (!/^[0-9][0-9A-Za-z._-]{0,40}$/.test(release)) return `${ALPINE_RELEASE} in the base image says '${release.slice(0, 40)}', not an Alpine release`;
  if ((files.dirs.get(APK_REPOSITORIES_DIR) ?? []).some((n) => n.endsWith('.list'))) {
    return `the base image has repository lists in ${APK_REPOSITORIES_DIR}, which dockrepro does not read yet`;
  }
  const text = files.files.get(APK_REPOSITORIES);
  if (text === undefined) return `the base image (Alpine ${release}) has no ${APK_REPOSITORIES}`;
  const repositories = parseApkRepositories(text, APK_REPOSITORIES);
  if (typeof repositories === 'string') return repositories;
  const written = files.files.get(APK_ARCH)?.trim();
  let arch: string | undefined;
  let archFrom: string;
  if (written !== undefined) {
    if (!APK_ARCH_NAME.test(written)) return `${APK_ARCH} in the base image says '${written.slice(0, 40)}', not an apk architecture`;
    arch = written;
    archFrom = APK_ARCH;
  } else {
    arch = apkArchOf(platform);
    archFrom = `platform ${platform}`;
    if (!arch) return `the platform ${platform} has no Alpine architecture dockrepro knows, and the image has no ${APK_ARCH}`;
  }
  const installed = new Map<string, string>();
  for (const p of parseApkIndexText(files.files.get(APK_INSTALLED) ?? '')) if (isApkVersion(p.version)) installed.set(p.name, p.version);
  return { release, arch, archFrom, repositories, installed };
}
