/**
 * Which version of a package a Debian or Ubuntu base image has installed, for apt-version: `apt-get install
 * pkg` never downgrades, so when the image already has a newer build than the archive offers, that build is
 * what the install keeps, and a pin to the archive's version would change the build. Read from the image's
 * own dpkg database (/var/lib/dpkg/status), once per image per run, through StageBases.bytes (the file is
 * often over the 1 MiB of `files` and is never put in the lock). The answer per package is recorded in the
 * lock, keyed by the image's manifest digest, so an --offline re-run knows it without the file.
 */
import type { StageBases } from './baseImage';
import { parseDeb822 } from './debArchive';
import { isDebVersion } from './debVersion';
import type { ResolveContext } from './context';
import { lookupPackage } from './packages';
import { NotFixed } from '../util/notFixed';
import { LookupKind } from './shared';

export const DPKG_STATUS = '/var/lib/dpkg/status';
/** Largest status file read (a full desktop install is about 10 MB). */
export const DPKG_STATUS_MAX_BYTES = 64 * 1024 * 1024;

/** Installed versions by `name:arch` (`Architecture: all` counts for every arch) from status text. */
export function parseDpkgStatus(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of parseDeb822(text)) {
    const name = p.Package;
    const version = p.Version;
    // `install ok installed` (the last word is the state); half-installed, config-files (removed) and the like are not what apt keeps.
    if (!name || !version || (p.Status ?? '').trim().split(/\s+/).pop() !== 'installed') continue;
    out.set(`${name}:${p.Architecture ?? 'all'}`, version);
  }
  return out;
}

export interface InstalledDebQuery {
  /** The stages' base images, and the stage whose image is asked about. */
  bases: StageBases;
  stage: number;
  /** Names the image (ImageConfigFacts.manifestDigest). */
  manifestDigest: string;
  /** dpkg's architecture name (`amd64`). */
  arch: string;
  name: string;
}

/** An image's dpkg status (package:arch → version) by manifest digest, once per run. */
const DPKG_STATUS_READ = new LookupKind<Map<string, string>>('dpkg-status');

/**
 * The version of `name` installed for `arch` in stage `stage`'s base image, undefined when none is. A NotFixed
 * when it cannot be known (the reason names why).
 */
export async function installedDebVersion(ctx: ResolveContext, q: InstalledDebQuery): Promise<string | undefined> {
  const { bases, stage, manifestDigest, arch, name } = q;
  const r = await lookupPackage(
    ctx,
    `dpkg:${manifestDigest} ${arch} ${name}`,
    async () => {
      const all = await ctx.lookups.once(DPKG_STATUS_READ, manifestDigest, () => readStatus(bases, stage));
      const version = all.get(`${name}:${arch}`) ?? all.get(`${name}:all`);
      return { version: version ?? 'none', explanation: `read from ${DPKG_STATUS}` };
    },
    (v) => v === 'none' || isDebVersion(v),
    `what the base image has installed of '${name}'`,
  );
  return r.version === 'none' ? undefined : r.version;
}

async function readStatus(bases: StageBases, stage: number): Promise<Map<string, string>> {
  if (!bases.bytes) throw new NotFixed('this run cannot read the base image\'s dpkg database', 'failed');
  const bytes = await bases.bytes(stage, DPKG_STATUS, DPKG_STATUS_MAX_BYTES);
  // No dpkg database: nothing installed by dpkg (a distroless-like image).
  return bytes ? parseDpkgStatus(bytes.toString('utf8')) : new Map();
}
