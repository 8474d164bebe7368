/**
 * The network side of one `dockrepro fix` run: a registry client per configuration (mirrors and insecure
 * hosts come from `.dockrepro.yaml`), the lock files, and the lookups shared by every file.
 */
import type { Config } from '../config';
import { loadDockerCredentials, type DockerCredentialSource } from './credentials';
import { ImagePinner } from './images';
import { LockFiles } from './lock';
import { RegistryClient } from './registry';
import { HttpClient } from './http';
import type { PackageContext } from './packages';

export interface ResolverFlags {
  offline: boolean;
  refresh: boolean;
  lock?: string;
  platform?: string;
}

export class Resolvers {
  readonly lookups = new Map<string, Promise<unknown>>();
  readonly locks: LockFiles;
  private readonly clients = new Map<Config, RegistryClient>();
  private readonly pinners = new Map<string, ImagePinner>();
  /** Read on the first registry that asks for credentials, once per run. */
  private credentials?: Promise<DockerCredentialSource>;

  constructor(
    private readonly flags: ResolverFlags,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.locks = new LockFiles(flags.lock);
  }

  private credentialsFor = async (host: string) => {
    this.credentials ??= loadDockerCredentials({ env: this.env, homedir: this.env.HOME });
    return (await this.credentials).get(host);
  };

  /** The pinner for a Dockerfile in `dir` under `config`: its lock is the nearest one (or --lock). */
  pinnerFor(config: Config, dir: string): ImagePinner {
    const lock = this.locks.forDir(dir);
    let client = this.clients.get(config);
    if (!client) {
      const { mirrors, insecure, hubTagsApi } = config.registries;
      client = new RegistryClient({
        mirrors,
        insecure,
        credentials: this.credentialsFor,
        // Behind a Docker Hub mirror, hub.docker.com may be unreachable: only use its API when configured.
        hubTagsApi: hubTagsApi ?? (mirrors['docker.io'] ? false : 'https://hub.docker.com'),
      });
      this.clients.set(config, client);
    }
    const key = `${lock.path}\n${[...this.clients.keys()].indexOf(config)}`;
    let pinner = this.pinners.get(key);
    if (!pinner) {
      pinner = new ImagePinner({ client, lock, offline: this.flags.offline, refresh: this.flags.refresh, platform: this.flags.platform, lookups: this.lookups });
      this.pinners.set(key, pinner);
    }
    return pinner;
  }

  /** One HTTP client for every package index of the run. */
  private packageHttp?: HttpClient;

  /** The package lookup context for a Dockerfile in `dir` (its lock is the nearest one, or --lock). */
  packagesFor(config: Config, dir: string): PackageContext {
    this.packageHttp ??= new HttpClient({ insecure: config.registries.insecure });
    return { http: this.packageHttp, lock: this.locks.forDir(dir), offline: this.flags.offline, refresh: this.flags.refresh, lookups: this.lookups, env: this.env, dir };
  }

  /** HTTP requests made by every client of the run. */
  get requests(): number {
    return [...this.clients.values()].reduce((n, c) => n + c.requests, 0) + (this.packageHttp?.requests ?? 0);
  }
}
