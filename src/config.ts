/**
 * `.dockrepro.yaml`: found by walking up from each Dockerfile's folder through folders the user trusts (the
 * nearest file wins; see ConfigFinder), or given with `--config`. Validated strictly: an unknown key or a bad value is a ConfigError naming the key (exit 2).
 *
 * ```yaml
 * failure-threshold: warning      # error | warning | info | style | none
 * rules:
 *   apt-pin: off                  # off | on | error | warning | info | style
 *   image-tag: { severity: error }
 *   useradd-uid: { base-id: 20000 }   # first id `dockrepro fix` gives users and groups (default 10001)
 *   pip-pin: { python-version: "3.11" } # the Python pip runs on, where the base image does not tell
 *   npm-pin: { node-version: 18.20.4, npm-version: 10.7.0 }  # for stages whose base image cannot tell
 * ignore-paths: ["vendor/**"]     # gitignore-style, relative to this file's folder
 * include: ["*__Dockerfile"]     # more names folder walks take as Dockerfiles (src/include.ts)
 * registries:                     # how `dockrepro fix` reaches registries
 *   docker.io: { mirror: "registry.internal:5000" }   # look Docker Hub images up here (same paths)
 *   registry.internal:5000: { insecure: true }         # plain HTTP (loopback hosts always are), anonymous only:
 *   # credentials go over plain HTTP only where the user's own config says so (src/userConfig.ts)
 *   # docker.io also takes `tags-api: <url> | false`: the Docker Hub API used to find precise tags
 *   # (default https://hub.docker.com, or off when docker.io has a mirror)
 * apk: { pin: fuzzy }             # apk-pin fixes: `pkg=~1.2` (fuzzy, default) or `pkg=1.2.3-r4` (exact)
 * archives:                       # where `dockrepro fix` reads OS package indexes (apt, apk, rpm)
 *   http://deb.debian.org/debian: https://mirror.internal/debian   # original URL prefix: mirror URL prefix
 * apt: { strategy: snapshot }     # apt-pin fixes: snapshot (read a dated snapshot archive) | versions (docs/rules/apt-pin.md)
 * ```
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { Ignore } from 'ignore';
import { SEVERITIES, type Severity } from './rules/types';
import { foreignNote, readRuleIds } from './ruleIds';
import { currentSearcher, trustedFolders, usableFile, type Searcher } from './trust';
import { includeMatcher, patternProblem, type IncludeMatcher } from './include';
import { ARCHIVE_PREFIX, type ArchiveMirrors } from './resolve/archives';
import { ConfigError, DEFAULT_CONFIG, emptyConfig, type Config, type Threshold } from './configValue';

export { ConfigError, DEFAULT_CONFIG, emptyConfig, type Config, type Threshold } from './configValue';

export const CONFIG_NAMES = ['.dockrepro.yaml', '.dockrepro.yml'];
/** hadolint's config, read (translated, src/hadolintConfig.ts) when no `.dockrepro.yaml` is found. */
export const HADOLINT_NAMES = ['.hadolint.yaml', '.hadolint.yml'];

/** Options a rule accepts besides `severity`, with their validation. */
const RULE_OPTIONS: Record<string, Record<string, (v: unknown, config: Config) => string | undefined>> = {
  'pip-pin': {
    'python-version': (v, config) => {
      // A number is refused: YAML reads 3.10 as 3.1.
      if (typeof v !== 'string' || !/^[23]\.\d{1,2}(?:\.\d{1,3})?$/.test(v)) return 'expected a quoted Python version such as "3.11" or "3.5.2"';
      config.pythonVersion = v;
      return undefined;
    },
  },
  'useradd-uid': {
    'base-id': (v, config) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 2 ** 31 - 2) return 'expected a whole number from 1 to 2147483646';
      config.baseId = v;
      return undefined;
    },
  },
  'npm-pin': {
    'node-version': runtimeVersion('node'),
    'npm-version': runtimeVersion('npm'),
  },
};

/** A Node or npm release version as `node --version` / `npm --version` print it, without the `v`. */
const RELEASE_VERSION = /^(0|[1-9]\d{0,4})\.(0|[1-9]\d{0,4})\.(0|[1-9]\d{0,4})$/;

function runtimeVersion(which: 'node' | 'npm') {
  return (v: unknown, config: Config): string | undefined => {
    if (typeof v !== 'string' || !RELEASE_VERSION.test(v.replace(/^v/, ''))) return 'expected a version like 18.20.4';
    config.nodeRuntime = { ...config.nodeRuntime, [which]: v.replace(/^v/, ''), source: config.path };
    return undefined;
  };
}

const RULE_VALUES = ['off', 'on', ...SEVERITIES];

/** Parses and validates config text. `path` is used in messages and for `ignore-paths`. */
export function parseConfig(text: string, path: string, allowedKeys?: readonly string[]): Config {
  // js-yaml is only loaded when a config file exists (it is not on the common start-up path).
  const yaml = require('js-yaml') as typeof import('js-yaml');
  let data: unknown;
  try {
    // A file with nothing but comments is an empty config, not an error.
    data = /^\s*(#.*)?$/.test(text.replace(/\s*#.*$/gm, '')) ? {} : yaml.load(text);
  } catch (e) {
    throw new ConfigError(`${path}: invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (data === undefined || data === null) data = {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(`${path}: expected a mapping at the top level`);
  const config = emptyConfig(path);
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (allowedKeys && !allowedKeys.includes(key)) throw new ConfigError(`${path}: '${key}' is not read here (known: ${allowedKeys.join(', ')})`);
    switch (key) {
      case 'failure-threshold':
        if (typeof value !== 'string' || ![...SEVERITIES, 'none'].includes(value)) {
          throw new ConfigError(`${path}: failure-threshold: expected one of ${[...SEVERITIES, 'none'].join(', ')}, got ${JSON.stringify(value)}`);
        }
        config.failureThreshold = value as Threshold;
        break;
      case 'rules':
        readRules(value, path, config);
        break;
      case 'ignore-paths':
        config.isIgnored = readIgnorePaths(value, path);
        break;
      case 'include':
        config.isIncluded = readInclude(value, path);
        break;
      case 'registries':
        readRegistries(value, path, config);
        break;
      case 'apt':
        config.apt = readApt(value, path);
        break;
      case 'archives':
        config.archives = readArchives(value, path);
        break;
      case 'apk':
        config.apkPin = readApk(value, path);
        break;
      default:
        throw new ConfigError(`${path}: unknown key '${key}' (known: failure-threshold, rules, ignore-paths, include, registries, archives, apt, apk)`);
    }
  }
  return config;
}

function readRules(value: unknown, path: string, config: Config): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${path}: rules: expected a mapping of rule id to setting`);
  const foreign: string[] = [];
  for (const [written, setting] of Object.entries(value as Record<string, unknown>)) {
    // Rule ids and the hadolint codes they replace (DL3008: off); a code no rule replaces is noted, a typo is an error.
    const meaning = readRuleIds([written]);
    if (meaning.unknown.length) throw new ConfigError(`${path}: rules.${written}: ${meaning.unknown[0]} (see 'dockrepro rules')`);
    if (meaning.foreign.length) {
      foreign.push(written);
      continue;
    }
    config.notes.push(...meaning.widened);
    for (const id of meaning.ids) readRule(id, written, setting, path, config);
  }
  const note = foreignNote(foreign);
  if (note) config.notes.push(`rules: ${note}`);
}

function readRule(id: string, written: string, setting: unknown, path: string, config: Config): void {
  {
    let level: unknown = setting;
    if (typeof setting === 'object' && setting !== null && !Array.isArray(setting)) {
      const options = RULE_OPTIONS[id] ?? {};
      for (const [k, v] of Object.entries(setting as Record<string, unknown>)) {
        if (k === 'severity') continue;
        const check = options[k];
        if (!check) throw new ConfigError(`${path}: rules.${written}.${k}: unknown key (known: ${['severity', ...Object.keys(options)].join(', ')})`);
        const problem = check(v, config);
        if (problem) throw new ConfigError(`${path}: rules.${written}.${k}: ${problem}, got ${JSON.stringify(v)}`);
      }
      level = (setting as { severity?: unknown }).severity ?? 'on';
    }
    if (setting === false) level = 'off';
    if (setting === true) level = 'on';
    if (typeof level !== 'string' || !RULE_VALUES.includes(level)) {
      throw new ConfigError(`${path}: rules.${written}: expected one of ${RULE_VALUES.join(', ')}, got ${JSON.stringify(level)}`);
    }
    if (level === 'off') config.disabled.add(id);
    else if (level !== 'on') config.severities.set(id, level as Severity);
  }
}

/** A registry host as image references write it: domain or IP, optional port. */
const REGISTRY_HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]{1,5})?$/;

function readRegistries(value: unknown, path: string, config: Config): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${path}: registries: expected a mapping of registry host to settings`);
  for (const [host, setting] of Object.entries(value as Record<string, unknown>)) {
    const at = `${path}: registries.${host}`;
    if (!REGISTRY_HOST.test(host)) throw new ConfigError(`${at}: not a registry host (host or host:port)`);
    if (typeof setting !== 'object' || setting === null || Array.isArray(setting)) throw new ConfigError(`${at}: expected a mapping (mirror, insecure, tags-api)`);
    for (const [k, v] of Object.entries(setting as Record<string, unknown>)) {
      if (k === 'mirror') {
        if (typeof v !== 'string' || !REGISTRY_HOST.test(v)) throw new ConfigError(`${at}.mirror: expected a registry host (host or host:port), got ${JSON.stringify(v)}`);
        config.registries.mirrors[host] = v;
      } else if (k === 'insecure') {
        if (typeof v !== 'boolean') throw new ConfigError(`${at}.insecure: expected true or false, got ${JSON.stringify(v)}`);
        if (v) config.registries.insecure.push(host);
      } else if (k === 'tags-api' && host === 'docker.io') {
        if (v !== false && (typeof v !== 'string' || !/^https?:\/\/[^/]+\/?$/.test(v))) throw new ConfigError(`${at}.tags-api: expected false or a URL like https://hub.docker.com, got ${JSON.stringify(v)}`);
        config.registries.hubTagsApi = v as string | false;
      } else {
        throw new ConfigError(`${at}.${k}: unknown key (known: mirror, insecure${host === 'docker.io' ? ', tags-api' : ''})`);
      }
    }
  }
}

function readApt(value: unknown, path: string): Config['apt'] {
  const v = value as { strategy?: unknown } | null;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.keys(v).some((k) => k !== 'strategy')) throw new ConfigError(`${path}: apt: expected { strategy: snapshot | versions }`);
  if (v.strategy !== 'snapshot' && v.strategy !== 'versions') throw new ConfigError(`${path}: apt.strategy: expected snapshot or versions, got ${JSON.stringify(v.strategy)}`);
  return { strategy: v.strategy, configured: true };
}

function readArchives(value: unknown, path: string): ArchiveMirrors {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${path}: archives: expected a mapping of original URL prefix to mirror URL prefix`);
  const out: Record<string, string> = {};
  for (const [original, mirror] of Object.entries(value as Record<string, unknown>)) {
    const at = `${path}: archives.${original}`;
    if (!ARCHIVE_PREFIX.test(original)) throw new ConfigError(`${at}: not an http(s) URL prefix such as http://deb.debian.org/debian`);
    if (typeof mirror !== 'string' || !ARCHIVE_PREFIX.test(mirror)) throw new ConfigError(`${at}: expected a mirror URL prefix such as https://mirror.internal/debian, got ${JSON.stringify(mirror)}`);
    out[original] = mirror;
  }
  return out;
}

function readIgnorePaths(value: unknown, path: string): (abs: string) => boolean {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new ConfigError(`${path}: ignore-paths: expected a list of patterns`);
  const ignore = require('ignore') as (opts?: object) => Ignore;
  const matcher = ignore().add(value as string[]);
  const base = dirname(path);
  return (abs) => {
    const rel = relative(base, abs);
    if (rel === '' || rel.startsWith('..')) return false;
    return matcher.ignores(rel.split(sep).join('/'));
  };
}

function readInclude(value: unknown, path: string): IncludeMatcher {
  if (!Array.isArray(value)) throw new ConfigError(`${path}: include: expected a list of glob patterns, got ${JSON.stringify(value)}`);
  for (const pattern of value) {
    const problem = patternProblem(pattern);
    if (problem) throw new ConfigError(`${path}: include: ${JSON.stringify(pattern)}: ${problem}`);
  }
  return includeMatcher(value as string[], dirname(path));
}

/** Loads an explicit config file (`--config`). */
export function loadConfigFile(path: string, allowedKeys?: readonly string[]): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`${path}: cannot read config: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const hadolint = require('./hadolintConfig') as typeof import('./hadolintConfig');
  if (!allowedKeys && hadolint.isHadolintConfigName(basename(path))) return hadolint.parseHadolintConfig(text, path);
  return parseConfig(text, path, allowedKeys);
}

/**
 * Finds the nearest config walking up from a folder, only through folders the user trusts (src/trust.ts: the
 * walk stops at the repository root, the home folder, or a folder others could have planted a file in).
 * Remembers which file served how many Dockerfiles and which were passed over, for `--verbose` and notes.
 */
export class ConfigFinder {
  private readonly byDir = new Map<string, Config>();
  private readonly byPath = new Map<string, Config>();
  /** Config path ('' for the defaults) → Dockerfiles it applied to. */
  readonly used = new Map<string, number>();
  /** Config files not used because of where they are → why. */
  readonly refused = new Map<string, string>();

  constructor(private readonly who: Searcher = currentSearcher()) {}

  /** The config files that served at least one Dockerfile. */
  usedConfigs(): Config[] {
    return [...this.byPath.values()].filter((c) => this.used.has(c.path ?? ''));
  }

  isHadolint(path: string): boolean {
    return this.byPath.get(path)?.from === 'hadolint';
  }

  find(dir: string): Config {
    const config = this.lookup(dir);
    this.used.set(config.path ?? '', (this.used.get(config.path ?? '') ?? 0) + 1);
    return config;
  }

  /** The config for a folder, not counted as used (folder walks ask it for `include`). */
  lookup(dir: string): Config {
    let config = this.byDir.get(dir);
    if (!config) {
      config = this.search(dir);
      this.byDir.set(dir, config);
    }
    return config;
  }

  private search(dir: string): Config {
    const walk = trustedFolders(dir, this.who);
    // The nearest .dockrepro.yaml anywhere on the walk wins; only without one is hadolint's config read.
    return this.searchFor(walk, CONFIG_NAMES) ?? this.searchFor(walk, HADOLINT_NAMES) ?? DEFAULT_CONFIG;
  }

  private searchFor(walk: ReturnType<typeof trustedFolders>, names: readonly string[]): Config | undefined {
    for (const folder of walk.folders) {
      for (const name of names) {
        const candidate = join(folder.dir, name);
        if (!isFile(candidate)) continue;
        if (!usableFile(folder, candidate, this.who)) {
          this.refused.set(candidate, `${folder.dir} is shared with others (sticky) and the file is not yours`);
          return DEFAULT_CONFIG;
        }
        let config = this.byPath.get(candidate);
        if (!config) {
          config = loadConfigFile(candidate);
          this.byPath.set(candidate, config);
        }
        return config;
      }
    }
    if (walk.refused) {
      for (const name of names) {
        const candidate = join(walk.refused.dir, name);
        if (isFile(candidate)) this.refused.set(candidate, `${walk.refused.dir}: ${walk.refused.reason}`);
      }
    }
    return undefined;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

/** `apk: { pin: fuzzy | exact }`. */
function readApk(value: unknown, path: string): 'fuzzy' | 'exact' {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${path}: apk: expected a mapping such as { pin: fuzzy }`);
  let pin: 'fuzzy' | 'exact' = 'fuzzy';
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k !== 'pin') throw new ConfigError(`${path}: apk.${k}: unknown key (known: pin)`);
    if (v !== 'fuzzy' && v !== 'exact') throw new ConfigError(`${path}: apk.pin: expected fuzzy or exact, got ${JSON.stringify(v)}`);
    pin = v;
  }
  return pin;
}
