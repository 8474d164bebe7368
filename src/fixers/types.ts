/**
 * Fixers turn fix requests (attached to findings by rules; src/findings/fixRequests.ts) into text edits. One
 * fixer per request kind, in its own file, typed by that kind (`Fixer<'npm-ci'>` gets findings whose `fix`
 * is an NpmCiRequest), in the table of src/fixers/index.ts (the compiler rejects a kind without a fixer). A
 * fixer gets every request of its kind in one file at once, so it can make consistent choices (the same id
 * for a user and its group) and, for network-backed fixers, deduplicate lookups.
 */
import type { BuildContext } from '../context';
import type { DockerfileModel } from '../parse/dockerfile';
import type { Finding } from '../rules/types';
import type { FixKind, FixRequestOf } from '../findings/fixRequests';
import { NotFixed } from '../util/notFixed';
import type { ImagePinner } from '../resolve/images';
import type { PackageContext } from '../resolve/packages';
import type { StageBases } from '../resolve/baseImage';
import type { Lookups } from '../resolve/shared';

/** A replacement of text[start, end) by `text`; offsets into the text the model was parsed from. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/**
 * safe: the same build today, only made explicit (`npm ci` with the lockfile `npm install` would honour).
 * unsafe: changes what gets built (an explicit UID that may differ from the one the base image would assign).
 */
export type Applicability = 'safe' | 'unsafe';

/** Edits to a file of the build context (a requirements file), by absolute path; `--write-context` only. */
export interface ContextEdit {
  /** The file's real path when it was read. */
  path: string;
  /** The build context it must stay inside: checked again when the file is written. */
  root: string;
  edits: TextEdit[];
  /** The file's text the offsets refer to: if the file is different when it is written, nothing is written. */
  expected: string;
}

export interface Fix {
  /** What the fix does, for summaries and diffs: `add --uid 10001 to useradd 'app'`. */
  title: string;
  edits: TextEdit[];
  applicability: Applicability;
  /**
   * Edits to build-context files instead of the Dockerfile (then `edits` is empty). The Dockerfile's finding
   * stays until the file is written, so these are not verified by re-linting; the command applies them.
   */
  contextEdits?: ContextEdit[];
}

export type { LeftReason } from '../util/notFixed';

/** A fixer's answer for one finding: a fix, or why it is left (the engine makes it a left finding). */
export type FixResult = Fix | NotFixed;

export interface FixerContext {
  model: DockerfileModel;
  buildContext?: BuildContext;
  /** `rules.useradd-uid.base-id` from the config (default 10001). */
  baseId: number;
  /** `rules.pip-pin.python-version` from the config: the Python pip runs on where the base image does not tell. */
  pythonVersion?: string;
  /** `apk.pin` from the config: `fuzzy` (default) or `exact`. */
  apkPin?: 'fuzzy' | 'exact';
  /** `apt:` from the config: the apt-version fixer's strategy, and whether the user chose it. */
  apt?: { strategy: 'snapshot' | 'versions'; configured: boolean };
  /**
   * Shared by every file of one run: network-backed fixers keep in-flight and finished lookups here by a
   * key of their own (`registry:docker.io/library/python:3`), so N files naming one image make one lookup.
   */
  lookups: Lookups;
  /** Every finding of the file (a fixer may defer to another rule's fix of the same text). */
  findings: readonly Finding[];
  /** Resolves image references (lock first, then the registry); absent when the run has no resolver. */
  images?: ImagePinner;
  /** `--write-context`: fixers may return ContextEdits for files copied from the build context. */
  writeContext?: boolean;
  /** Package index lookups (lock first); absent when the run has no resolver. */
  packages?: PackageContext;
  /** What each stage's base image holds (config, files), read from its registry or the lock; absent when the run has no resolver. */
  bases?: StageBases;
  /** Node and npm versions set by hand (`rules.npm-pin.node-version` / `npm-version`), for stages whose image cannot tell. */
  nodeRuntime?: NodeRuntimeByHand;
}

export interface NodeRuntimeByHand {
  node?: string;
  npm?: string;
  /** The config file they come from. */
  source?: string;
}

/** A finding carrying a request of kind `K`. */
export type FindingOf<K extends FixKind> = Finding & { fix: FixRequestOf<K> };

export interface Fixer<K extends FixKind = FixKind> {
  /** The fix request kind it handles (`explicit-id`, `npm-ci`, …). */
  kind: K;
  /** One result per finding, in the same order. */
  fix(findings: FindingOf<K>[], ctx: FixerContext): FixResult[] | Promise<FixResult[]>;
}

/** Every request kind with its fixer: a kind missing here is a compile error. */
export type FixerTable = { readonly [K in FixKind]: Fixer<K> };

export function isFix(r: FixResult): r is Fix {
  return !(r instanceof NotFixed);
}
