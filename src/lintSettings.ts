/**
 * What a lint run is made of, as plain data: the command line's choices, from which the LintRun is built.
 * The main thread and every lint worker (src/parallel.ts) build their run from the same settings, so a
 * worker lints a file exactly as the main thread would.
 */
import { ConfigFinder, loadConfigFile, type Config } from './config';
import { LockFiles } from './resolve/lock';
import type { LintRun } from './run';

export interface LintSettings {
  /** `--rules`: only these rule ids. */
  only?: string[];
  /** `--disable`: these rule ids off. */
  disabled: string[];
  /** `--context`, absolute. */
  contextDir?: string;
  /** `--config`, absolute: used instead of the nearest .dockrepro.yaml. */
  configPath?: string;
  /** `lint --verify-lock`. */
  verifyLock: boolean;
  /** `--lock`, absolute. */
  lockPath?: string;
  /** `--glob`: more names folders yield as Dockerfiles (src/include.ts). */
  globs: string[];
}

export interface BuiltRun {
  run: LintRun;
  finder: ConfigFinder;
  /** The `--config` file, loaded. */
  explicit?: Config;
}

/** Builds the run. Throws ConfigError when the `--config` file is unreadable or invalid. */
export function buildRun(settings: LintSettings, finder = new ConfigFinder()): BuiltRun {
  const explicit = settings.configPath === undefined ? undefined : loadConfigFile(settings.configPath);
  const locks = settings.verifyLock ? new LockFiles(settings.lockPath) : undefined;
  const run: LintRun = {
    only: settings.only,
    disabled: new Set(settings.disabled),
    contextDir: settings.contextDir,
    findConfig: (dir: string) => explicit ?? finder.find(dir),
    lockSources: locks ? [locks] : [],
    locks,
    discovery: { globs: settings.globs, configFor: (dir: string) => explicit ?? finder.lookup(dir) },
  };
  return { run, finder, explicit };
}
