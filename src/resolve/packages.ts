/**
 * What the package fixers (pip, npm, gem, go, cargo) share: the lock first, then one lookup per key per run
 * (however many files and commands ask), the answer checked against the ecosystem's version grammar before
 * anything is written, and recorded in the lock so a re-run is offline and gives the same bytes.
 */
import { RegistryError } from './http';
import { NotFixed } from '../util/notFixed';
import type { ResolveContext } from './context';
import { LookupKind } from './shared';

/** The resolver context under the name the package fixers know it by (FixerContext.packages). */
export type PackageContext = ResolveContext;

/** A package's version by its lock key, once per run. */
const PACKAGE = new LookupKind<ResolvedVersion>('package');

export interface ResolvedVersion {
  version: string;
  /** Why this version, for `--dry-run` (`newest release supporting Python 3.7`, `from the lock`). */
  explanation: string;
}

/**
 * The version for `key` (`pypi:flask py3.7`, `npm:typescript@^5`): from the lock unless --refresh, else by
 * `resolve` (once per run), refused unless `isValid` accepts it, and recorded in the lock.
 * Failures are NotFixed errors: 'needs-network' offline, 'failed' for a lookup that did not work. Messages name
 * `subject`, what the user wrote and where it is looked up (`'flask' (index https://pypi.org/simple)`),
 * never the lock key.
 */
export async function lookupPackage(
  ctx: PackageContext,
  key: string,
  resolve: () => Promise<ResolvedVersion>,
  isValid: (version: string) => boolean,
  subject: string,
): Promise<ResolvedVersion> {
  const locked = ctx.refresh ? undefined : ctx.lock?.getPackage(key);
  if (locked && isValid(locked.version)) return { version: locked.version, explanation: `from ${ctx.lock!.path}` };
  if (ctx.offline) throw new NotFixed(`${subject} is not in ${ctx.lock?.path ?? 'the lock file'} and --offline forbids a lookup`, 'needs-network');
  const p = ctx.lookups.once(PACKAGE, key, resolve);
  let resolved: ResolvedVersion;
  try {
    resolved = await p;
  } catch (e) {
    if (e instanceof RegistryError) throw new NotFixed(`lookup failed: ${e.message}`, 'failed');
    if (e instanceof NotFixed) throw e;
    throw new NotFixed(`lookup failed: ${(e as Error).message}`, 'failed');
  }
  // Nothing from the network reaches a Dockerfile unless it is a version of this ecosystem's grammar.
  if (!isValid(resolved.version)) throw new NotFixed(`the index answered a malformed version '${resolved.version}' for ${subject}`, 'failed');
  ctx.lock?.setPackage(key, { version: resolved.version, resolvedAt: (ctx.now?.() ?? new Date()).toISOString() });
  return resolved;
}
