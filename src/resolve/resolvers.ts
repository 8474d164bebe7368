/**
 * The network side of one `dockrepro fix` run: a registry client per configuration (mirrors and insecure
 * hosts come from `.dockrepro.yaml` and the user's own config; credentials over plain HTTP only from the
 * latter), the lock files, and the lookups shared by every file.
 */
import { RPM_DB_LARGE_FILES } from './rpmInstalled';
import { DPKG_STATUS, DPKG_STATUS_MAX_BYTES } from './dpkgInstalled';
import type { Config } from '../config';
import { loadDockerCredentials, type DockerCredentialSource } from './credentials';
import type { DockerfileModel } from '../parse/dockerfile';
import type { StageBases } from './baseImage';
import { ACCOUNT_FILES } from '../accounts/image';
import { APT_FILES } from './aptSources';
import { ImageReader } from './imageReader';
import { OS_RELEASE_FILES } from './osRelease';
import { ALPINE_FILES } from './alpineSetup';
import { NODE_HEADERS, NPM_MANIFESTS } from './nodeRuntime';
import { ImagePinner } from './images';
import { RPM_FILES_READ } from './rpmRepos';
import { stageBases } from './stageBases';
import { LockFiles } from './lock';
import { RegistryClient } from './registry';
import { HttpClient } from './http';
import { Lookups } from './shared';
import type { PackageContext } from './packages';
import { loadUserConfig, type UserConfig } from '../userConfig';

export interface ResolverFlags {
  offline: boolean;
  refresh: boolean;
  lock?: string;
  platform?: string;
}

/** What the fixers read from base images (useradd-uid, npm-pin): kept from every layer a run downloads. */
const FILES_FIXERS_READ = [
  ...ACCOUNT_FILES,
  ...NODE_HEADERS,
  ...NPM_MANIFESTS,
  ...OS_RELEASE_FILES,
  ...ALPINE_FILES,
  ...RPM_FILES_READ,
  ...APT_FILES,
];

/** Databases over the `files` bound that fixers read whole (rpm-version, apt-version), with their own bounds. */
const LARGE_FILES_FIXERS_READ: ReadonlyMap<string, number> = new Map([...RPM_DB_LARGE_FILES, [DPKG_STATUS, DPKG_STATUS_MAX_BYTES]]);

export class Resolvers {
  readonly lookups = new Lookups();
  readonly locks: LockFiles;
  /** One registry client and one package-index client per configuration (its mirrors and insecure hosts). */
  private readonly clients = new Map<Config, { registry: RegistryClient; packages: HttpClient }>();
  /** The user's own config: its registry settings apply everywhere, and only it lets credentials go over plain HTTP. */
  readonly userConfig?: UserConfig;
  /** Read on the first registry that asks for credentials, once per run. */
  private credentials?: Promise<DockerCredentialSource>;

  constructor(
    private readonly flags: ResolverFlags,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.locks = new LockFiles(flags.lock);
    this.userConfig = loadUserConfig(env);
  }

  private credentialsFor = async (host: string) => {
    this.credentials ??= loadDockerCredentials({ env: this.env, homedir: this.env.HOME });
    return (await this.credentials).get(host);
  };

  private clientsFor(config: Config) {
    let clients = this.clients.get(config);
    if (!clients) {
      // The repository's settings win over the user's for mirrors; either may mark a host as plain HTTP.
      const user = this.userConfig?.registries ?? { mirrors: {}, insecure: [] };
      const mirrors = { ...user.mirrors, ...config.registries.mirrors };
      const insecure = [...new Set([...user.insecure, ...config.registries.insecure])];
      const hubTagsApi = config.registries.hubTagsApi ?? user.hubTagsApi;
      const connectTimeoutMs = connectTimeoutFrom(this.env);
      const registry = new RegistryClient({
        connectTimeoutMs,
        mirrors,
        insecure,
        credentials: this.credentialsFor,
        plainHttpCredentials: user.insecure,
        // Behind a Docker Hub mirror, hub.docker.com may be unreachable: only use its API when configured.
        hubTagsApi: hubTagsApi ?? (mirrors['docker.io'] ? false : 'https://hub.docker.com'),
      });
      clients = { registry, packages: new HttpClient({ insecure, connectTimeoutMs }) };
      this.clients.set(config, clients);
    }
    return clients;
  }

  /** HTTP requests running or waiting across every client (the progress line). */
  requestsInFlight(): number {
    let n = 0;
    for (const { registry, packages } of this.clients.values()) n += registry.inFlight + packages.inFlight;
    return n;
  }

  /** Every host given up on in this run, with why, and whether it serves images or packages (for the advice). */
  unreachableHosts(): { host: string; reason: string; serves: 'images' | 'packages' }[] {
    const out = new Map<string, { host: string; reason: string; serves: 'images' | 'packages' }>();
    for (const { registry, packages } of this.clients.values()) {
      for (const [host, reason] of registry.unreachableHosts) out.set(host, { host, reason, serves: 'images' });
      for (const [host, reason] of packages.unreachableHosts) if (!out.has(host)) out.set(host, { host, reason, serves: 'packages' });
    }
    return [...out.values()];
  }

  /**
   * The image pinner for a Dockerfile in `dir` under `config`: its lock is the nearest one (or --lock). A pinner
   * holds no state of its own (lookups, tokens and locks are shared), so each file gets a new one.
   */
  pinnerFor(config: Config, dir: string): ImagePinner {
    const { offline, refresh, platform } = this.flags;
    return new ImagePinner({ client: this.clientsFor(config).registry, lock: this.locks.forDir(dir), offline, refresh, platform, lookups: this.lookups });
  }

  /**
   * What each stage of a Dockerfile in `dir` is built on, for a model (fixers see a new model each pass):
   * read through `images` (the same pinner, so facts describe the digest fix writes) and the run's lookups.
   */
  basesFor(config: Config, dir: string, images: ImagePinner): (model: DockerfileModel) => StageBases {
    const { offline, refresh, platform } = this.flags;
    const reader = new ImageReader({ client: this.clientsFor(config).registry, lock: this.locks.forDir(dir), offline, refresh, lookups: this.lookups, keep: FILES_FIXERS_READ, keepLarge: LARGE_FILES_FIXERS_READ });
    return (model) => stageBases(model, { images, reader, platform });
  }

  /** The package lookup context for a Dockerfile in `dir` (its lock is the nearest one, or --lock). */
  packagesFor(config: Config, dir: string): PackageContext {
    const { offline, refresh } = this.flags;
    const archives = { ...this.userConfig?.archives, ...config.archives };
    return { http: this.clientsFor(config).packages, lock: this.locks.forDir(dir), offline, refresh, lookups: this.lookups, env: this.env, dir, archives };
  }
}

/**
 * `DOCKREPRO_CONNECT_TIMEOUT` (seconds) for how long a registry or package index that has not answered yet
 * gets (HttpOptions.connectTimeoutMs); unset or not a positive number: the default.
 */
export function connectTimeoutFrom(env: NodeJS.ProcessEnv): number | undefined {
  const seconds = Number(env.DOCKREPRO_CONNECT_TIMEOUT);
  return env.DOCKREPRO_CONNECT_TIMEOUT && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}
