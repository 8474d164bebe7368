/**
 * What `dockrepro verify` needs from an image builder, and nothing more: build one Dockerfile from nothing
 * (no cache, no image store shared with another build) with the deterministic settings the builder has,
 * and hand back the result as an OCI image layout on disk, where digests can be compared and layers read.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface BuildRequest {
  /** Absolute path of the Dockerfile. */
  dockerfile: string;
  /** Absolute path of the build context. */
  context: string;
  /** `os/arch[/variant]`; the builder's default when absent. */
  platform?: string;
  /** `--build-arg` values as given; SOURCE_DATE_EPOCH is added unless given here. */
  buildArgs: Record<string, string>;
  /** Seconds since the epoch: the image's creation time, every file time in its layers, and SOURCE_DATE_EPOCH. */
  timestamp: number;
  /** Environment of the builder process (PATH, CONTAINERS_REGISTRIES_CONF, …). */
  env: NodeJS.ProcessEnv;
  /** One line of builder output at a time (for a progress display); optional. */
  onOutput?: (line: string) => void;
  /** Conditions to build under (`verify --vary`); the builder's defaults when absent. */
  conditions?: BuildConditions;
}

/** A file bind-mounted read-only into every RUN of every build of a `--vary` run. */
export interface ConditionMount {
  /** Path inside the container. */
  target: string;
  /** File on this machine. */
  source: string;
}

/** The conditions of one build; the builder applies them. */
export interface BuildConditions {
  /** The hostname RUN sees; the builder's own choice when absent. */
  hostname?: string;
  mounts: ConditionMount[];
  /** Environment for RUN (buildah can set it only in the image config too: see variations.ts `IMAGE_ENV_NAMES`). */
  env: Record<string, string>;
  /** Directory entries in a random order: the store and the context read through disorderfs. */
  shuffleDirectories: boolean;
}

export interface BuiltImage {
  /** The folder holding the OCI image layout (`oci-layout`, `index.json`, `blobs/`). */
  layout: string;
  /** Removes the layout (and whatever else the build left); safe to call twice. */
  dispose(): void;
}

export interface Builder {
  readonly name: BuilderName;
  build(request: BuildRequest): Promise<BuiltImage>;
}

export const BUILDER_NAMES = ['buildah'] as const;
export type BuilderName = (typeof BUILDER_NAMES)[number];

/** The build ran and failed (exit status, and the last lines it wrote): verify exits 2 with them. */
export class BuildFailed extends Error {
  constructor(
    message: string,
    readonly outputTail: string,
  ) {
    super(message);
  }
}

/** The builder's program is not installed: verify exits 2 and says how to get it. */
export class BuilderMissing extends Error {}

/** The absolute path of `program` on the PATH in `env`, or undefined. */
export function onPath(program: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
