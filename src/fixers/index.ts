/** The fixer registry, by fix request kind. Adding a fixer touches only this list and its own files. */
import type { Fixer } from './types';
import explicitId from './explicit-id';
import npmCi from './npm-ci';
import imageDigest from './image-digest';
import imageTag from './image-tag';
import pipVersion from './pip-version';
import npmVersion from './npm-version';
import gemVersion from './gem-version';
import goVersion from './go-version';
import cargoVersion from './cargo-version';
import cargoLocked from './cargo-locked';

export const FIXERS: readonly Fixer[] = [explicitId, npmCi, imageDigest, imageTag, pipVersion, npmVersion, gemVersion, goVersion, cargoVersion, cargoLocked];

export const FIXERS_BY_KIND: ReadonlyMap<string, Fixer> = new Map(FIXERS.map((f) => [f.kind, f]));

/**
 * Request kinds whose fix needs a download or a repository that no fixer looks up yet (apt/apk/rpm package
 * versions, ADD checksums, git commit ids): left as "needs network", never guessed.
 */
export const NETWORK_KINDS: ReadonlySet<string> = new Set(['apt-version', 'apk-version', 'rpm-version', 'add-checksum', 'git-commit']);
