/**
 * Known causes of differences between two builds, by where they show up, with what to do about them. Each
 * was seen on real builds (Debian's useradd, apt, dpkg, ldconfig, pip); see issue 13's measurements.
 */

interface PathHint {
  matches: (path: string) => boolean;
  hint: string;
}

const APT_LOGS = 'apt and dpkg logs hold the time of the build: remove them at the end of the RUN that installs packages (rm -f /var/log/dpkg.log /var/log/apt/*.log /var/log/alternatives.log)';

const PATH_HINTS: PathHint[] = [
  {
    matches: (p) => /^\/etc\/(g?shadow)-?$/.test(p),
    hint: 'useradd/groupadd write the day of the last password change: add `ARG SOURCE_DATE_EPOCH` to the stage so they take it from there',
  },
  { matches: (p) => p === '/var/log/dpkg.log' || p === '/var/log/alternatives.log' || p.startsWith('/var/log/apt/'), hint: APT_LOGS },
  {
    matches: (p) => /^\/var\/cache\/apt\/[^/]+\.bin$/.test(p),
    hint: "apt's binary caches embed times: remove /var/cache/apt/*.bin (or run apt-get clean) in the same RUN",
  },
  {
    matches: (p) => p === '/var/cache/ldconfig/aux-cache',
    hint: "ldconfig's aux-cache records file times: remove /var/cache/ldconfig/aux-cache in the same RUN",
  },
  {
    matches: (p) => p.startsWith('/var/lib/apt/lists/'),
    hint: 'the package lists from apt-get update change as the archive does: remove /var/lib/apt/lists/* in the same RUN, or install from a snapshot',
  },
  {
    matches: (p) => p.endsWith('.pyc'),
    hint: 'pip compiles .pyc files that embed a temporary path and times: pip install --no-compile (or set PYTHONDONTWRITEBYTECODE=1)',
  },
];

/** What may have caused a file of a layer to differ, when it is a known cause. */
export function fileHint(path: string): string | undefined {
  return PATH_HINTS.find((h) => h.matches(path))?.hint;
}

/** What may have caused a config field (`created`, `history[3].created`, …) to differ. */
export function configHint(field: string): string | undefined {
  if (field === 'created' || /^history\[\d+\]\.created$/.test(field)) {
    return 'the image creation time: build with a fixed time (buildah --timestamp, BuildKit SOURCE_DATE_EPOCH with rewrite-timestamp)';
  }
  if (/^history\[\d+\]\.comment$/.test(field)) return 'names the image an earlier step made: follows from a difference in an earlier layer';
  if (field.startsWith('rootfs.diff_ids')) return 'the layers differ: see the files below';
  return undefined;
}
