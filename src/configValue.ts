/**
 * The settings a config file gives (src/config.ts reads `.dockrepro.yaml`, src/hadolintConfig.ts translates
 * hadolint's file into the same value), and the error either reports. Its own module so that the two readers
 * need not import each other.
 */
import type { Severity } from './rules/types';
import type { IncludeMatcher } from './include';
import type { ArchiveMirrors } from './resolve/archives';

export type Threshold = Severity | 'none';

export interface Config {
  /** The file it came from; undefined for the defaults. */
  path?: string;
  /** Set when the file is hadolint's config, read in place of a `.dockrepro.yaml`. */
  from?: 'hadolint';
  /** What the user should know about how the file was read (codes with no equivalent, settings not applied). */
  notes: string[];
  failureThreshold: Threshold;
  /** Rule ids switched off. */
  disabled: Set<string>;
  severities: Map<string, Severity>;
  /** First uid/gid the useradd-uid fixer assigns (`rules.useradd-uid.base-id`). */
  baseId: number;
  /** The Python pip runs on where the base image does not tell (`rules.pip-pin.python-version`: `3.11`, `3.5.2`). */
  pythonVersion?: string;
  /** Node/npm versions for npm installs in stages whose image cannot tell (`rules.npm-pin.node-version`, `npm-version`). */
  nodeRuntime?: { node?: string; npm?: string; source?: string };
  /** Registry mirrors and plain-HTTP hosts for image lookups. */
  registries: { mirrors: Record<string, string>; insecure: string[]; hubTagsApi?: string | false };
  /** Package archive mirrors: original URL prefix → mirror prefix (src/resolve/archives.ts). */
  archives: ArchiveMirrors;
  /** How the apk-version fixer pins (`apk.pin`): `fuzzy` (`pkg=~1.2`, default) or `exact` (`pkg=1.2.3-r4`). */
  apkPin?: 'fuzzy' | 'exact';
  /** `apt: { strategy }`: how apt-pin findings are fixed; absent means the default (snapshot, not chosen by the user). */
  apt?: { strategy: 'snapshot' | 'versions'; configured: true };
  /** True when `relPath` (relative to the config's folder) matches `ignore-paths`. */
  isIgnored(absPath: string): boolean;
  /** True when `include` names this file a Dockerfile (patterns relative to the config's folder). */
  isIncluded: IncludeMatcher;
}

export class ConfigError extends Error {}

export const DEFAULT_CONFIG: Config = {
  notes: [],
  failureThreshold: 'style',
  disabled: new Set(),
  severities: new Map(),
  baseId: 10001,
  registries: { mirrors: {}, insecure: [] },
  archives: {},
  isIgnored: () => false,
  isIncluded: () => false,
};

/** A config with the defaults and fresh collections, for a file at `path`. */
export function emptyConfig(path: string): Config {
  return { ...DEFAULT_CONFIG, path, notes: [], disabled: new Set(), severities: new Map(), registries: { mirrors: {}, insecure: [] }, archives: {} };
}
