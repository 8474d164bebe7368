/** Scratch folders and commands for the package tests, which install dockrepro as a user would. */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const root = join(__dirname, '..', '..');
export const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * A new folder with no node_modules in any folder above it: npm scripts see every ancestor's
 * node_modules/.bin, and Node resolves packages upwards, so one left in /tmp would hide what a clean
 * machine lacks.
 */
export function cleanScratch(prefix: string): string {
  for (const base of [tmpdir(), '/var/tmp']) {
    let dir = base;
    let clean = true;
    for (;;) {
      if (existsSync(join(dir, 'node_modules'))) clean = false;
      if (dirname(dir) === dir) break;
      dir = dirname(dir);
    }
    if (clean) return mkdtempSync(join(base, prefix));
  }
  throw new Error(`every scratch base has a node_modules above it (${tmpdir()}, /var/tmp)`);
}

/** Runs a command to completion (minutes at most), with npm's interactive prompts and update checks off. */
export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', CI: undefined, ...env },
  });
}

/** Packs this checkout as pre-commit does (`npm pack`, prepack builds) into dest; returns the stdout. */
export function pack(dest: string): SpawnSyncReturns<string> {
  return run('npm', ['pack', '--pack-destination', dest], root);
}
