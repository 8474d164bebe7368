/**
 * Shared setup of the package fixer tests (gem-version, go-version, cargo-version): the fixture servers'
 * life cycle, and one rule with its fixer run through the fix engine (src/fix.ts) with a fresh HTTP client,
 * lock and lookup table unless the test passes its own.
 */
import { join } from 'node:path';
import { fixText, type FixOutcome } from '../../src/fix';
import type { Fixer } from '../../src/fixers/types';
import { HttpClient } from '../../src/resolve/http';
import { LockFile } from '../../src/resolve/lock';
import type { ArchiveMirrors } from '../../src/resolve/archives';
import type { Rule } from '../../src/rules/types';
import type { FixtureServer } from './packageServers';
import { workspace } from './workspace';
import { Lookups } from '../../src/resolve/shared';
import { withFixer } from './fixerTable';

/**
 * Starts the servers `start` returns once for the file (beforeAll), clears their request logs and overrides
 * before each test, and closes them at the end (afterAll). Call it at the top level of a test file.
 */
export function useFixtureServers(start: () => Promise<FixtureServer[]>): void {
  let servers: FixtureServer[] = [];
  // Real tools build the servers' files (gem, go, cargo): seconds, not the default 5.
  beforeAll(async () => {
    servers = await start();
  }, 120_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  beforeEach(() => {
    for (const s of servers) {
      s.requests.length = 0;
      s.override.clear();
    }
  });
}

export interface PackageFixOptions {
  /** The run's environment (default: the setup's `env`, else none). */
  env?: NodeJS.ProcessEnv;
  lock?: LockFile;
  offline?: boolean;
  lookups?: Lookups;
  http?: HttpClient;
  /** Package archive mirrors (`archives:`): public URLs → the loopback servers. */
  archives?: ArchiveMirrors;
  /** Apply unsafe fixes too (`--unsafe`). */
  unsafe?: boolean;
}

/** The engine's outcome, with the client (its request count) and the lock the run used. */
export interface PackageRun extends FixOutcome {
  http: HttpClient;
  lock: LockFile;
}

export interface PackageFixSetup {
  rule: Rule;
  fixer: Fixer;
  /** The environment when a run gives none. */
  env?: NodeJS.ProcessEnv;
}

/**
 * A `fix(text, opts)` for a test file: `setup` is called at each run (server URLs are known only once the
 * servers started), then `text` is fixed with the rule's findings and only that fixer, ids from 10001, a
 * fixed clock, and the lock in a fresh folder unless `opts.lock` is given.
 */
export function packageFix(setup: () => PackageFixSetup): (text: string, opts?: PackageFixOptions) => Promise<PackageRun> {
  return async (text, opts = {}) => {
    const { rule, fixer, env } = setup();
    const http = opts.http ?? new HttpClient({ retries: 0 });
    const lock = opts.lock ?? LockFile.load(join(workspace({}), 'dockrepro.lock.json'));
    const lookups = opts.lookups ?? new Lookups();
    const out = await fixText(text, {
      rules: [rule],
      unsafe: !!opts.unsafe,
      offline: !!opts.offline,
      baseId: 10001,
      fixers: withFixer(fixer),
      packages: { http, lock, offline: !!opts.offline, refresh: false, lookups, env: opts.env ?? env ?? {}, dir: '/', archives: opts.archives ?? {}, now: () => new Date('2026-11-25T12:00:00Z') },
      lookups,
    });
    return { ...out, http, lock };
  };
}
