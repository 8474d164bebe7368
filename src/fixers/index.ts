/**
 * The fixer of each fix request kind. Its type makes a kind without a fixer (or a fixer under the wrong
 * kind) a compile error. Adding a fixer touches only this table and its own files.
 */
import type { FixerTable } from './types';
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
import sourceDateEpoch from './source-date-epoch';
import aptCleanup from './apt-cleanup';
import pipNoCompile from './pip-no-compile';

// One fixer a line: helpers adding fixers in parallel then merge without conflicts.
export const FIXERS: FixerTable = {
  'explicit-id': explicitId,
  'npm-ci': npmCi,
  'image-digest': imageDigest,
  'image-tag': imageTag,
  'pip-version': pipVersion,
  'npm-version': npmVersion,
  'gem-version': gemVersion,
  'go-version': goVersion,
  'cargo-version': cargoVersion,
  'cargo-locked': cargoLocked,
  'git-commit': gitCommit,
  'apk-version': apkVersion,
  'rpm-version': rpmVersion,
  'add-checksum': addChecksum,
  'script-checksum': scriptChecksum,
  'download-checksum': downloadChecksum,
  'apt-version': aptVersion,
  'source-date-epoch': sourceDateEpoch,
  'apt-cleanup': aptCleanup,
  'pip-no-compile': pipNoCompile,
};
