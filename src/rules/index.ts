/** The rule registry: one line per rule. Adding a rule touches only this list, its file, test and doc. */
import type { Rule } from './types';
import imageDigest from './image-digest';
import imageTag from './image-tag';
import imageLock from './image-lock';
import aptPin from './apt-pin';
import aptUpgrade from './apt-upgrade';
import apkPin from './apk-pin';
import dnfPin from './dnf-pin';
import pipPin from './pip-pin';
import npmPin from './npm-pin';
import gemPin from './gem-pin';
import goPin from './go-pin';
import cargoPin from './cargo-pin';
import useraddUid from './useradd-uid';
import addChecksum from './add-checksum';
import curlPipeShell from './curl-pipe-shell';
import unverifiedDownload from './unverified-download';
import gitClonePin from './git-clone-pin';
import syntax from './syntax';
import sourceDateEpoch from './source-date-epoch';
import aptCleanup from './apt-cleanup';
import pipCompile from './pip-compile';

export const RULES: readonly Rule[] = [
  syntax,
  imageDigest,
  imageTag,
  imageLock,
  aptPin,
  aptUpgrade,
  apkPin,
  dnfPin,
  pipPin,
  npmPin,
  gemPin,
  goPin,
  cargoPin,
  useraddUid,
  addChecksum,
  curlPipeShell,
  unverifiedDownload,
  gitClonePin,
  sourceDateEpoch,
  aptCleanup,
  pipCompile,
];

export const RULES_BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.meta.id, r]));
