/**
 * Which builds of a package a base image has installed, for rpm-version: its rpm database read once per image
 * per run (src/resolve/rpmDb.ts) through StageBases.bytes, which never puts the database in the lock. What is
 * learnt about one name is recorded in the lock instead, keyed by the image's manifest digest (an image by
 * digest never changes), so a re-run with --offline knows it without the database.
 */
import type { ImageFiles, StageBases } from './baseImage';
import type { ResolveContext } from './context';
import { lookupPackage } from './packages';
import { NotFixed } from '../util/notFixed';
import { installedPackages, RPM_DB_DIRS, rpmDbOf, RpmDbError, type InstalledRpm } from './rpmDb';
import { isRpmVersionPart } from './rpmVersion';
import { LookupKind } from './shared';

/** Largest rpm database read (real ones are 5-20 MB; Fedora's full installs reach 40). */
export const RPM_DB_MAX_BYTES = 64 * 1024 * 1024;
/** The files of the database, with their bound, for the image reader's `keepLarge`: kept from any layer read anyway. */
export const RPM_DB_LARGE_FILES: ReadonlyMap<string, number> = new Map(
  RPM_DB_DIRS.flatMap((d) => [`${d}/rpmdb.sqlite`, `${d}/rpmdb.sqlite-wal`]).map((p) => [p, RPM_DB_MAX_BYTES]),
);
export { RPM_DB_DIRS };

/** The builds of a name the image has installed (empty: none), or why that cannot be known. */
export type Installed = { builds: InstalledRpm[] } | { unknown: string };

const BUILD = /^(\d{1,10}):([^-]+)-(.+)\.([A-Za-z0-9_]*)$/;

/** `epoch:version-release.arch` each, space-separated; `none` for no build (what the lock holds). */
function encode(builds: InstalledRpm[]): string {
  return builds.length ? builds.map((b) => `${b.epoch}:${b.version}-${b.release}.${b.arch}`).join(' ') : 'none';
}

function decode(text: string): InstalledRpm[] | undefined {
  if (text === 'none') return [];
  const out: InstalledRpm[] = [];
  for (const item of text.split(' ')) {
    const m = BUILD.exec(item);
    if (!m || !isRpmVersionPart(m[2]) || !isRpmVersionPart(m[3])) return undefined;
    out.push({ epoch: Number(m[1]), version: m[2], release: m[3], arch: m[4] });
  }
  return out;
}

export interface InstalledRpmQuery {
  /** The stages' base images, and the stage whose image is asked about. */
  bases: StageBases;
  stage: number;
  /** Names the image (ImageConfigFacts.manifestDigest). */
  manifestDigest: string;
  /** The listings of RPM_DB_DIRS in that image. */
  dirs: ImageFiles['dirs'];
  name: string;
}

/** An image's rpm database (name → installed builds) by manifest digest, once per run. */
const RPM_DB_READ = new LookupKind<Map<string, InstalledRpm[]>>('rpmdb');

/**
 * The builds of `name` installed in stage `stage`'s base image. `dirs` must hold the listings of RPM_DB_DIRS;
 * `manifestDigest` names the image (ImageConfigFacts.manifestDigest).
 */
export async function installedBuilds(ctx: ResolveContext, q: InstalledRpmQuery): Promise<Installed> {
  const { bases, stage, manifestDigest, dirs, name } = q;
  const db = rpmDbOf(dirs);
  if (db.kind === 'none') return { builds: [] };
  if (db.kind === 'unread') return { unknown: db.reason };
  try {
    const r = await lookupPackage(
      ctx,
      `rpmdb:${manifestDigest} ${name}`,
      async () => {
        const all = await ctx.lookups.once(RPM_DB_READ, manifestDigest, () => readDb(bases, stage, db.path, db.wal));
        const builds = all.get(name) ?? [];
        const bad = builds.find((b) => !isRpmVersionPart(b.version) || !isRpmVersionPart(b.release) || !/^[A-Za-z0-9_]*$/.test(b.arch));
        if (bad) throw new NotFixed(`the image's rpm database lists '${name}' with a version dockrepro does not write (${bad.version}-${bad.release})`, 'failed');
        return { version: encode(builds), explanation: `read from ${db.path}` };
      },
      (v) => decode(v) !== undefined,
      `what the base image has installed of '${name}'`,
    );
    return { builds: decode(r.version)! };
  } catch (e) {
    if (e instanceof NotFixed && e.left === 'needs-network') throw e;
    return { unknown: (e as Error).message };
  }
}

async function readDb(bases: StageBases, stage: number, path: string, wal: string | undefined): Promise<Map<string, InstalledRpm[]>> {
  if (!bases.bytes) throw new NotFixed('this run cannot read files of that size from base images', 'failed');
  // rpm checkpoints its write-ahead log when it closes the database; a log with content holds changes the
  // database file alone does not show.
  if (wal && ((await bases.bytes(stage, wal, RPM_DB_MAX_BYTES))?.length ?? 0) > 0) {
    throw new NotFixed(`the image's rpm database has changes in ${wal} not yet written to ${path}, which dockrepro does not read`, 'failed');
  }
  const bytes = await bases.bytes(stage, path, RPM_DB_MAX_BYTES);
  if (!bytes) throw new NotFixed(`${path} is not a regular file in the image`, 'failed');
  try {
    return await installedPackages(bytes);
  } catch (e) {
    if (e instanceof RpmDbError) throw new NotFixed(`cannot read the image's rpm database ${path}: ${e.message}`, 'failed');
    throw e;
  }
}
