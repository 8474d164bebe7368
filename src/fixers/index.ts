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
import gitCommit from './git-commit';
import apkVersion from './apk-version';
import rpmVersion from './rpm-version';
import addChecksum from './add-checksum';
import scriptChecksum from './script-checksum';
import downloadChecksum from './download-checksum';
import aptVersion from './apt-version';

// One fixer a line: helpers adding fixers in parallel then merge without conflicts.
export const FIXERS: readonly Fixer[] = [
  explicitId,
  npmCi,
  imageDigest,
  imageTag,
  pipVersion,
  npmVersion,
  gemVersion,
  goVersion,
  cargoVersion,
  cargoLocked,
  gitCommit,
  apkVersion,
  rpmVersion,
  addChecksum,
  scriptChecksum,
  downloadChecksum,
  aptVersion,
];

export const FIXERS_BY_KIND: ReadonlyMap<string, Fixer> = new Map(FIXERS.map((f) => [f.kind, f]));

