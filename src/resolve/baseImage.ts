/**
 * What a stage's base image holds, read from its registry: the image config (Env, User, platform, labels)
 * and, when a fixer needs them, a few files from its layers. Fixers ask through `StageBases` (on the
 * FixerContext) by stage index; a stage `FROM <another stage>` is answered for the image at the root of that
 * chain (what the Dockerfile's own instructions change on the way is the fixer's business).
 *
 * Safe fixes are built on these answers: nothing here guesses from an image's name or from the machine
 * dockrepro runs on. When the image cannot be read (no network and nothing in the lock, a registry fault,
 * a reference assembled from build args) the methods throw a NotFixed whose message says why, and the fixer
 * leaves its finding with that reason.
 *
 * These are the types shared by the reader (src/resolve/imageReader.ts) and the fixers.
 */

/** The image config of the platform being built (`config` of the OCI image config blob, plus its platform). */
export interface ImageConfigFacts {
  /** The image as the Dockerfile names it (`python:3.7.3-stretch`), for messages. */
  image: string;
  /** Digest of the platform manifest whose config this is. */
  manifestDigest: string;
  /** `os/arch[/variant]` of the config read. */
  platform: string;
  /** `Env` as name → value (the last definition of a name wins, as in a container). */
  env: Readonly<Record<string, string>>;
  /** `User`, when set. */
  user?: string;
  labels: Readonly<Record<string, string>>;
  /** Where the answer came from: `registry` or the lock file's path. */
  source: string;
}

/**
 * Paths are absolute (`/etc/passwd`). `files`: regular files wanted whole (bounded in size); `dirs`: folders
 * whose direct entry names are wanted (`/usr/lib` → `python3.11`, …).
 */
export interface FileQuery {
  files?: readonly string[];
  dirs?: readonly string[];
}

/** The image's final filesystem view (later layers win, whiteouts honoured) for the paths asked. */
export interface ImageFiles {
  /** path → UTF-8 text; absent from the map when the image has no regular file there (a symlink is followed within the image). */
  files: ReadonlyMap<string, string>;
  /** folder → sorted entry names; an empty list when the folder does not exist. */
  dirs: ReadonlyMap<string, readonly string[]>;
  source: string;
}

export interface StageBases {
  /** The config of the image the stage is built on (following `FROM <stage>` chains); `FROM scratch` has an empty one. */
  config(stage: number): Promise<ImageConfigFacts>;
  /** Files of that image. At most one download of the needed layers per image digest per run; cached in the lock. */
  files(stage: number, query: FileQuery): Promise<ImageFiles>;
  /**
   * One file's raw bytes up to `maxBytes` (a database above the usual bound for `files`), undefined when the
   * image has no regular file there. Never put in the lock: the fixer records what it learns from it.
   */
  bytes?(stage: number, path: string, maxBytes: number): Promise<Buffer | undefined>;
}
