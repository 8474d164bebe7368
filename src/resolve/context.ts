/**
 * What every resolver of a run gets: `resolveX(ctx, query)` takes this context and the typed question it
 * answers (PypiQuery, NpmLookup, GemQuery…). Built once per configuration and folder by Resolvers.packagesFor.
 */
import type { HttpClient } from './http';
import type { LockFile } from './lock';
import type { ArchiveMirrors } from './archives';
import type { Lookups } from './shared';

export interface ResolveContext {
  /** Shared by every package lookup of the run (request limit, retries, timeouts). */
  http: HttpClient;
  lock?: LockFile;
  /** Never touch the network: only the lock answers. */
  offline: boolean;
  /** Ignore the lock and resolve again (the lock is updated). */
  refresh: boolean;
  /** Run-wide in-flight and finished lookups (FixerContext.lookups). */
  lookups: Lookups;
  /** The environment of the run: index URLs (PIP_INDEX_URL, GOPROXY, npm_config_*), HOME for config files. */
  env: NodeJS.ProcessEnv;
  /** Package archive mirrors (`archives:` of the user's config and the repository's, the latter winning). */
  archives: ArchiveMirrors;
  /** Folder of the Dockerfile being fixed (where project config such as .npmrc is looked for). */
  dir: string;
  now?: () => Date;
}
