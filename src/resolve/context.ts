/**
 * What every resolver of a run gets. Package and archive resolvers are `resolveX(ctx, query)`: this context
 * and the typed question they answer (PypiQuery, NpmLookup, GemQuery…), the context built once per
 * configuration and folder by Resolvers.packagesFor. The image pinner and reader are built on the same run
 * state around a registry client (ImageContext).
 */
import type { HttpClient } from './http';
import type { LockFile } from './lock';
import type { ArchiveMirrors } from './archives';
import type { RegistryClient } from './registry';
import type { Lookups } from './shared';

/** The state of one run every lookup shares: the lock, the flags, the lookups already made. */
export interface RunContext {
  lock?: LockFile;
  /** Never touch the network: only the lock answers. */
  offline: boolean;
  /** Ignore the lock and resolve again (the lock is updated). */
  refresh: boolean;
  /** Run-wide in-flight and finished lookups (FixerContext.lookups). */
  lookups: Lookups;
  now?: () => Date;
}

/** Package indexes, archives, downloads and git refs. */
export interface ResolveContext extends RunContext {
  /** Shared by every package lookup of the run (request limit, retries, timeouts). */
  http: HttpClient;
  /** The environment of the run: index URLs (PIP_INDEX_URL, GOPROXY, npm_config_*), HOME for config files. */
  env: NodeJS.ProcessEnv;
  /** Package archive mirrors (`archives:` of the user's config and the repository's, the latter winning). */
  archives: ArchiveMirrors;
  /** Folder of the Dockerfile being fixed (where project config such as .npmrc is looked for). */
  dir: string;
}

/** Image registries (ImagePinner, ImageReader). */
export interface ImageContext extends RunContext {
  /** Mirrors, insecure hosts and credentials of the configuration. */
  client: RegistryClient;
}
