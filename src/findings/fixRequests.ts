/**
 * The contract between a rule and its fixer: what a finding asks to be made explicit, never the edit itself.
 * One interface per request kind; `kind` selects the fixer (src/fixers/index.ts, one per kind, checked by
 * the compiler). The fields are written as they are to `lint --format json`, so a field added here is output.
 */
import type { ImageSiteKind } from '../parse/dockerfile';
import type { Span } from '../util/text';

import type { AccountCommand, AccountStyle } from '../parse/tools/accounts';

export type { AccountCommand, AccountStyle } from '../parse/tools/accounts';
export type AccountId = 'uid' | 'gid';

/** Give a user or group created by `command` the id it gets today (useradd-uid). */
export interface ExplicitIdRequest {
  kind: 'explicit-id';
  command: AccountCommand;
  style: AccountStyle;
  /** The user or group name ('' when the command names none). */
  name: string;
  needs: [AccountId];
}

/** Turn `npm install` into `npm ci` (npm-pin). */
export interface NpmCiRequest {
  kind: 'npm-ci';
  /** The lockfile, relative to the build context, when the copied lockfile reaches the build. */
  lockfile?: string;
  /** A lockfile the .dockerignore keeps out of the build. */
  dockerignored?: string;
}

/** Pin an image reference to its digest (image-digest). */
export interface ImageDigestRequest {
  kind: 'image-digest';
  /** The reference to look up (without a malformed digest it was written with). */
  image: string;
  site: ImageSiteKind;
  /** The ARGs the reference is built from, where their values are written. */
  definitions: { name: string; span: Span | undefined }[];
}

/** Replace a moving tag by the most precise tag with the same digest (image-tag). */
export interface ImageTagRequest {
  kind: 'image-tag';
  image: string;
}

/** Pin a pip requirement, on the command line or at `line` of a requirements file (pip-pin). */
export type PipVersionRequest =
  | { kind: 'pip-version'; package: string; requirementsFile?: undefined; line?: undefined }
  | {
      kind: 'pip-version';
      /** The requirements file, relative to the build context. */
      requirementsFile: string;
      /** 1-based line of `requirementsFile`. */
      line: number;
      package: string;
    };

export interface NpmVersionRequest {
  kind: 'npm-version';
  package: string;
}

export interface GemVersionRequest {
  kind: 'gem-version';
  package: string;
}

export interface GoVersionRequest {
  kind: 'go-version';
  module: string;
}

export interface CargoVersionRequest {
  kind: 'cargo-version';
  crate: string;
  /** The `--git` source (left: a git source is pinned by hand). */
  git?: string;
}

/** Add `--locked` to `cargo install` (cargo-pin). */
export interface CargoLockedRequest {
  kind: 'cargo-locked';
}

/** How the ref is looked up: `git clone -b` tries branches first; checkout, fetch and ADD try tags first. */
export type CloneRefOrder = 'tag-first' | 'branch-first';

/**
 * How the `git-commit` fixer pins a clone: by replacing the ref word that decides the commit (`git checkout
 * v1.2`, `--revision=v1.2`, a fetched ref), or by checking the commit out right after the clone (in `dir`,
 * relative to where the clone ran; null when not known statically).
 */
export type ClonePin =
  | { at: Span; attach?: boolean }
  | { after: number; dir: string | null; shallow: boolean };

/** Pin a git source to the commit its ref (default: HEAD) names today: an ADD (add-checksum) or a `git clone` (git-clone-pin). */
export type GitCommitRequest = GitAddRequest | GitCloneRequest;

export interface GitAddRequest {
  kind: 'git-commit';
  url: string;
  ref?: string;
  order?: undefined;
  pin?: undefined;
}

export interface GitCloneRequest {
  kind: 'git-commit';
  url: string;
  ref?: string;
  order: CloneRefOrder;
  pin: ClonePin;
}

export interface ApkVersionRequest {
  kind: 'apk-version';
  package: string;
}

export interface RpmVersionRequest {
  kind: 'rpm-version';
  package: string;
  /** The command that installs it (dnf, yum, microdnf, zypper, tdnf). */
  manager: string;
  /** A module without a stream (left: a person picks the stream). */
  module?: true;
  /** The architecture written as `name.arch`. */
  arch?: string;
}

/** Add `--checksum=sha256:…` to an ADD of an HTTP(S) file (add-checksum). */
export interface AddChecksumRequest {
  kind: 'add-checksum';
  url: string;
}

/** Save a piped or nested script, check its sha256, then run the file (curl-pipe-shell). */
export interface ScriptChecksumRequest {
  kind: 'script-checksum';
  form: 'pipe' | 'nested';
  interpreter: string;
}

/** Check a downloaded file's sha256 after the download (unverified-download). */
export interface DownloadChecksumRequest {
  kind: 'download-checksum';
  file: string;
  url: string;
}

export interface AptVersionRequest {
  kind: 'apt-version';
  package: string;
  stage: number;
}

/** Declare `ARG SOURCE_DATE_EPOCH` after the FROM of stage `stage` (source-date-epoch). */
export interface SourceDateEpochRequest {
  kind: 'source-date-epoch';
  stage: number;
}

/** Remove `paths` at the end of the RUN that installs packages (apt-cleanup); each is one of the rule's fixed paths. */
export interface AptCleanupRequest {
  kind: 'apt-cleanup';
  paths: string[];
}

/** Add `--no-compile` to `pip install` (pip-compile); `target`: the install uses `--target`, where the ARG does not help. */
export interface PipNoCompileRequest {
  kind: 'pip-no-compile';
  target: boolean;
}

export type FixRequest =
  | ExplicitIdRequest
  | NpmCiRequest
  | ImageDigestRequest
  | ImageTagRequest
  | PipVersionRequest
  | NpmVersionRequest
  | GemVersionRequest
  | GoVersionRequest
  | CargoVersionRequest
  | CargoLockedRequest
  | GitCommitRequest
  | ApkVersionRequest
  | RpmVersionRequest
  | AddChecksumRequest
  | ScriptChecksumRequest
  | DownloadChecksumRequest
  | AptVersionRequest
  | SourceDateEpochRequest
  | AptCleanupRequest
  | PipNoCompileRequest;

export type FixKind = FixRequest['kind'];

/** The requests by kind. */
export type FixRequestsByKind = { [R in FixRequest as R['kind']]: R };

/** The request of kind `K` (of any of the kinds in `K`). An indexed type, not Extract: covariant in K. */
export type FixRequestOf<K extends FixKind> = FixRequestsByKind[K];
