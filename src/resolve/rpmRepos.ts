/**
 * The rpm repositories a base image's dnf (also yum on EL8+, microdnf) reads, from the image's own files:
 * `/etc/dnf/dnf.conf` (or `/etc/yum.conf`; its `[main]` and any repositories it defines), every `*.repo` in
 * the default repository folders, and the variables of `/etc/dnf/vars` and `/etc/yum/vars`. `$releasever`
 * and `$basearch` are given by the caller (the stage's release and platform). Pure: the files come in, the
 * repositories (or why they cannot be known) come out.
 */
import type { ImageFiles } from './baseImage';

/** dnf's default `reposdir`. */
export const RPM_REPO_DIRS: readonly string[] = ['/etc/yum.repos.d', '/etc/yum/repos.d', '/etc/distro.repos.d'];
export const RPM_VAR_DIRS: readonly string[] = ['/etc/dnf/vars', '/etc/yum/vars'];
export const RPM_MAIN_CONFIGS: readonly string[] = ['/etc/dnf/dnf.conf', '/etc/yum.conf'];
/** What the rpm-version fixer reads, for the image reader's `keep` (`dir/*`: every file directly in the folder). */
export const RPM_FILES_READ: readonly string[] = [...RPM_MAIN_CONFIGS, ...[...RPM_REPO_DIRS, ...RPM_VAR_DIRS].map((d) => `${d}/*`)];

export interface RpmRepo {
  id: string;
  /** `name=`, for messages. */
  name?: string;
  /** Variables substituted. */
  baseurls: string[];
  mirrorlist?: string;
  metalink?: string;
  enabled: boolean;
  /** Lower wins (dnf's default 99). */
  priority: number;
  /** `excludepkgs=`/`exclude=` and `includepkgs=` globs. */
  exclude: string[];
  include: string[];
  /** The file it is defined in. */
  file: string;
}

export interface RpmConfig {
  repos: RpmRepo[];
  /** `[main] exclude=`/`excludepkgs=` globs. */
  exclude: string[];
  /** `[main] best=` of the image's dnf.conf; undefined when not set (dnf 4's default is False). */
  best?: boolean;
  /** Why the repositories cannot be known from the files read (a custom reposdir, an unknown variable). */
  problem?: string;
}

/** Sections of an ini file as dnf (libdnf's ConfigParser) reads them: `key=value`, indented lines continue a value. */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let section: Map<string, string> | undefined;
  let last: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*([#;]|$)/.test(raw)) continue;
    const head = /^\[\s*([^\]]+?)\s*\]\s*$/.exec(raw);
    if (head) {
      section = new Map();
      out.set(head[1], section);
      last = undefined;
      continue;
    }
    if (!section) continue;
    if (/^\s/.test(raw) && last !== undefined) {
      section.set(last, `${section.get(last)}\n${raw.trim()}`);
      continue;
    }
    const kv = /^\s*([^=\s][^=]*?)\s*[=:]\s*(.*?)\s*$/.exec(raw);
    if (!kv) continue;
    last = kv[1].toLowerCase();
    section.set(last, kv[2]);
  }
  return out;
}

const truthy = (v: string | undefined, dflt: boolean) => (v === undefined ? dflt : /^(1|yes|true|on)$/i.test(v.trim()));
const list = (v: string | undefined) => (v ?? '').split(/[\s,]+/).filter(Boolean);

/** The folders and files to list/read from the image, for `StageBases.files`. */
export function rpmConfigQuery(dirs: ImageFiles['dirs']): string[] {
  const files: string[] = [];
  for (const d of RPM_REPO_DIRS) for (const n of dirs.get(d) ?? []) if (n.endsWith('.repo')) files.push(`${d}/${n}`);
  for (const d of RPM_VAR_DIRS) for (const n of dirs.get(d) ?? []) files.push(`${d}/${n}`);
  return files;
}

/**
 * The repositories the files define, variables substituted: `defaults` (`releasever` from the release) are
 * overridden by the image's var files (dnf reads /etc/dnf/vars after /etc/yum/vars), which are overridden by
 * `forced` (`basearch` of the platform, `--releasever` on the command line).
 */
export function rpmConfig(files: ImageFiles, defaults: Record<string, string>, forced: Record<string, string>): RpmConfig {
  const vars: Record<string, string> = { ...defaults };
  for (const d of [...RPM_VAR_DIRS].reverse()) {
    for (const n of files.dirs.get(d) ?? []) {
      const text = files.files.get(`${d}/${n}`);
      if (text !== undefined && /^[A-Za-z0-9_]+$/.test(n)) vars[n] = text.split(/\r?\n/)[0].trim();
    }
  }
  Object.assign(vars, forced);
  if (vars.releasever !== undefined) {
    const [major, ...minor] = vars.releasever.split('.');
    vars.releasever_major ??= major;
    vars.releasever_minor ??= minor.join('.');
  }
  const unknown = new Set<string>();
  const subst = (v: string) =>
    v.replace(/\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (all, a: string | undefined, b: string | undefined) => {
      const name = (a ?? b)!;
      if (name in vars) return vars[name];
      unknown.add(name);
      return all;
    });

  const mainPath = RPM_MAIN_CONFIGS.find((p) => files.files.has(p));
  const sections: { file: string; id: string; kv: Map<string, string> }[] = [];
  let exclude: string[] = [];
  let best: boolean | undefined;
  let problem: string | undefined;
  if (mainPath) {
    for (const [id, kv] of parseIni(files.files.get(mainPath)!)) {
      if (id !== 'main') {
        sections.push({ file: mainPath, id, kv });
        continue;
      }
      exclude = [...list(kv.get('exclude')), ...list(kv.get('excludepkgs'))];
      if (kv.has('best')) best = truthy(kv.get('best'), false);
      const reposdir = kv.get('reposdir');
      if (reposdir !== undefined && list(reposdir).some((d) => !RPM_REPO_DIRS.includes(d.replace(/\/+$/, '')))) {
        problem = `${mainPath} sets reposdir=${reposdir}, which dockrepro does not read`;
      }
    }
  }
  for (const d of RPM_REPO_DIRS) {
    for (const n of files.dirs.get(d) ?? []) {
      const path = `${d}/${n}`;
      const text = files.files.get(path);
      if (!n.endsWith('.repo') || text === undefined) continue;
      for (const [id, kv] of parseIni(text)) sections.push({ file: path, id, kv });
    }
  }
  const repos = sections.map(({ file, id, kv }): RpmRepo => {
    const get = (k: string) => (kv.has(k) ? subst(kv.get(k)!) : undefined);
    return {
      id,
      name: get('name'),
      baseurls: list(get('baseurl')),
      mirrorlist: get('mirrorlist') || undefined,
      metalink: get('metalink') || undefined,
      enabled: truthy(kv.get('enabled'), true),
      priority: Number(kv.get('priority') ?? 99) || 99,
      exclude: [...list(get('exclude')), ...list(get('excludepkgs'))],
      include: list(get('includepkgs')),
      file,
    };
  });
  // An unknown variable in an enabled repository's address means its URL is not known.
  for (const r of repos) {
    if (!r.enabled) continue;
    const bad = [...r.baseurls, r.mirrorlist ?? '', r.metalink ?? ''].join(' ').match(/\$\{?[A-Za-z0-9_]+/);
    if (bad && !problem) problem = `repository '${r.id}' (${r.file}) uses ${bad[0].replace('{', '')}, which is not set in the image's dnf variables`;
  }
  return { repos, exclude, ...(best !== undefined ? { best } : {}), ...(problem ? { problem } : {}) };
}

/** dnf's glob (fnmatch: `*`, `?`, `[…]`) against a package name. */
export function globMatches(glob: string, name: string): boolean {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(name);
}

/** The rpm architecture dnf calls `basearch` for an OCI platform (`linux/arm64` → `aarch64`); undefined when unknown. */
export function basearchOf(platform: string): string | undefined {
  const [, arch, variant] = platform.split('/');
  const map: Record<string, string> = { amd64: 'x86_64', arm64: 'aarch64', ppc64le: 'ppc64le', s390x: 's390x', '386': 'i686', riscv64: 'riscv64' };
  if (arch === 'arm') return variant === 'v7' || variant === undefined ? 'armhfp' : undefined;
  return map[arch];
}

/** The package architectures `dnf install name` chooses among on `basearch` (noarch always; multilib not). */
export function installableArches(basearch: string): string[] {
  if (basearch === 'armhfp') return ['armv7hl', 'noarch'];
  return [basearch, 'noarch'];
}
