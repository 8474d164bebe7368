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
import aptVersion from './apt-version';

export const FIXERS: readonly Fixer[] = [explicitId, npmCi, imageDigest, imageTag, pipVersion, npmVersion, gemVersion, goVersion, cargoVersion, cargoLocked, aptVersion];

export const FIXERS_BY_KIND: ReadonlyMap<string, Fixer> = new Map(FIXERS.map((f) => [f.kind, f]));

/**
 * Request kinds no fixer handles yet, with what finding the value would take: left as "no fixer" (whatever
 * --offline says), never guessed. "needs network" is only for fixers that --offline kept from a lookup.
 */
export const UNFIXED_KINDS: ReadonlyMap<string, string> = new Map([
  ['apk-version', "the version in the Alpine index of the image's release"],
  ['rpm-version', "the version in the image's rpm repositories"],
  ['add-checksum', 'downloading the file to compute its checksum'],
  ['git-commit', 'asking the repository for the commit the ref names'],
]);
