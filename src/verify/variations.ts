/**
 * What `dockrepro verify --vary` changes for the varied build, after Debian's reprotest: each variation is one
 * condition of the build machine that a reproducible build must not depend on. This module says what each
 * one is, whether this machine can apply it, and what conditions a build gets for a set of them; the
 * builder applies the conditions (src/verify/buildah.ts).
 *
 * Every build of a `--vary` run gets the same kind of conditions (the same mount targets, a hostname of its
 * own choosing) and only their values differ, so that an unvaried build and a varied one differ by the
 * variation alone and not by how it was applied (a bind mount leaves an empty mount point in the layer).
 */
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { onPath, type BuildConditions, type ConditionMount } from './builder';

/** How far ahead the clock variation moves the clock: over a year, so years, months and days all change. */
const CLOCK_OFFSET_DAYS = 400;

export const VARIATION_NAMES = ['clock', 'hostname', 'timezone', 'locale', 'directory-order'] as const;
export type VariationName = (typeof VARIATION_NAMES)[number];

/** What each variation does, for --help, the README and the report. */
export const VARIATION_DESCRIPTIONS: Record<VariationName, string> = {
  clock: `${CLOCK_OFFSET_DAYS} days ahead for dynamically linked glibc programs (libfaketime in /etc/ld.so.preload)`,
  hostname: 'RUN sees another hostname (the builder runs in a UTS namespace of its own)',
  timezone: 'RUN sees UTC+14 instead of UTC as the local time zone (/etc/localtime)',
  locale: 'RUN gets LANG and LC_ALL set to fr_CH.UTF-8',
  'directory-order': 'directory entries in a random order (disorderfs over the image store and the context)',
};

/** Environment names the locale variation sets; they reach the image config too, so the comparison leaves them out. */
export const IMAGE_ENV_NAMES = ['LANG', 'LC_ALL'];

const HOSTNAMES = { unvaried: 'dockrepro', varied: 'dockrepro-varied-host' };
const ZONES = { unvaried: 'Etc/UTC', varied: 'Etc/GMT-14' };
const LOCALE = 'fr_CH.UTF-8';
const ZONEINFO = '/usr/share/zoneinfo';
/** Where the faketime library appears inside the container (a name no image uses). */
const FAKETIME_IN_CONTAINER = '/usr/lib/dockrepro-faketime.so.1';

export interface Availability {
  name: VariationName;
  /** Why this machine cannot apply it, when it cannot. */
  missing?: string;
}

/** Which variations this machine can apply, and why not the others. */
export function availability(env: NodeJS.ProcessEnv): Availability[] {
  const missing: Record<VariationName, string | undefined> = {
    clock: faketimeLibrary() ? undefined : 'libfaketime is not installed (Debian/Ubuntu: apt-get install faketime)',
    hostname: canUnshareUts(env),
    timezone: existsSync(join(ZONEINFO, ZONES.varied)) && existsSync(join(ZONEINFO, ZONES.unvaried)) ? undefined : `no ${ZONEINFO} (apt-get install tzdata)`,
    locale: undefined,
    'directory-order': canShuffle(env),
  };
  return VARIATION_NAMES.map((name) => (missing[name] ? { name, missing: missing[name] } : { name }));
}

/** The shared library libfaketime installs, wherever the distribution put it. */
function faketimeLibrary(): string | undefined {
  const candidates = ['/usr/lib/faketime', '/usr/local/lib/faketime'];
  try {
    for (const d of readdirSync('/usr/lib')) if (/-linux-gnu/.test(d)) candidates.push(join('/usr/lib', d, 'faketime'));
  } catch {
    // no /usr/lib
  }
  return candidates.map((d) => join(d, 'libfaketime.so.1')).find((f) => existsSync(f));
}

function canUnshareUts(env: NodeJS.ProcessEnv): string | undefined {
  if (!onPath('unshare', env)) return 'unshare is not installed (util-linux)';
  // Setting the hostname of a UTS namespace of its own needs root (buildah itself runs as root here).
  const r = spawnSync('unshare', ['--uts', 'hostname', HOSTNAMES.varied], { env, stdio: 'ignore', timeout: 10_000 });
  return r.status === 0 ? undefined : 'cannot make a UTS namespace (unshare --uts needs root)';
}

function canShuffle(env: NodeJS.ProcessEnv): string | undefined {
  if (!onPath('disorderfs', env)) return 'disorderfs is not installed (Debian/Ubuntu: apt-get install disorderfs)';
  try {
    accessSync('/dev/fuse', constants.R_OK | constants.W_OK);
  } catch {
    return 'no usable /dev/fuse (FUSE is needed for disorderfs)';
  }
  return undefined;
}

/**
 * The files the conditions mount, made once per `--vary` run: the faketime settings and an empty preload
 * list for the builds without the clock variation. `dispose` removes them.
 */
export class ConditionFiles {
  private readonly dir = mkdtempSync(join(tmpdir(), 'dockrepro-vary-'));
  private readonly faketime = faketimeLibrary();

  constructor() {
    writeFileSync(join(this.dir, 'preload-none'), '');
    writeFileSync(join(this.dir, 'preload-faketime'), `${FAKETIME_IN_CONTAINER}\n`);
    // libfaketime reads /etc/faketimerc when FAKETIME is not set: a relative offset, so the clock still runs.
    writeFileSync(join(this.dir, 'faketimerc'), `+${CLOCK_OFFSET_DAYS}d\n`);
  }

  /** The conditions of a build with these variations (none: the unvaried build), limited to those `applied`. */
  conditions(varied: readonly VariationName[], applied: readonly VariationName[]): BuildConditions {
    const on = (v: VariationName) => varied.includes(v);
    const mounts: ConditionMount[] = [];
    if (applied.includes('clock') && this.faketime) {
      mounts.push(
        { target: FAKETIME_IN_CONTAINER, source: this.faketime },
        { target: '/etc/faketimerc', source: join(this.dir, 'faketimerc') },
        { target: '/etc/ld.so.preload', source: join(this.dir, on('clock') ? 'preload-faketime' : 'preload-none') },
      );
    }
    if (applied.includes('timezone')) mounts.push({ target: '/etc/localtime', source: join(ZONEINFO, on('timezone') ? ZONES.varied : ZONES.unvaried) });
    return {
      ...(applied.includes('hostname') ? { hostname: on('hostname') ? HOSTNAMES.varied : HOSTNAMES.unvaried } : {}),
      mounts,
      env: on('locale') ? Object.fromEntries(IMAGE_ENV_NAMES.map((n) => [n, LOCALE])) : {},
      shuffleDirectories: on('directory-order'),
    };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
