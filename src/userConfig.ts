/**
 * The user's own configuration, `$XDG_CONFIG_HOME/dockrepro/config.yaml` (else `~/.config/dockrepro/config.yaml`,
 * where the XDG base-directory spec puts it and tools like yamllint and hadolint look). A repository is
 * untrusted input; settings that weaken security come from here only. Today that is `registries`: the same
 * keys as in `.dockrepro.yaml`, but here `insecure: true` also lets the user's docker credentials for that
 * host travel over plain HTTP, which a repository's `insecure: true` never does.
 *
 * `archives:` (package archive mirrors) may be set here too, for every repository; a repository's own
 * `archives:` entries win for the same prefix.
 *
 * ```yaml
 * registries:
 *   registry.internal:5000: { insecure: true }   # plain HTTP, with my credentials
 *   docker.io: { mirror: "registry.internal:5000" }
 * ```
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { loadConfigFile, type Config } from './config';

export interface UserConfig {
  path: string;
  registries: Config['registries'];
  archives: Config['archives'];
}

/** Where the user config lives; a relative XDG_CONFIG_HOME is ignored, as the spec asks. */
export function userConfigPath(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.config');
  return join(base, 'dockrepro', 'config.yaml');
}

/** The user config, or undefined when there is none. A malformed one is a ConfigError (exit 2). */
export function loadUserConfig(env: NodeJS.ProcessEnv): UserConfig | undefined {
  const path = userConfigPath(env);
  if (!existsSync(path)) return undefined;
  const config = loadConfigFile(path, ['registries', 'archives']);
  return { path, registries: config.registries, archives: config.archives };
}
