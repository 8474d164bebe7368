/**
 * How yum, dnf, microdnf, tdnf and zypper command lines are read: shared by the dnf-pin rule and the
 * rpm-version fixer.
 */
import { optionSpec } from '../args';

/** yum / dnf (4 and 5) / microdnf / tdnf options that take a value; they are accepted anywhere on the line. */
export const DNF_OPTIONS = optionSpec([
  '-c', '--config', '--installroot', '--releasever', '--enablerepo', '--disablerepo', '--repo', '--repoid',
  '--from-repo', '-x', '--exclude', '--excludepkgs', '--disableexcludes', '--disableexcludepkgs', '--setopt',
  '--forcearch', '--color', '--destdir', '--downloaddir', '-d', '--debuglevel', '-e', '--errorlevel',
  '--rpmverbosity', '--repofrompath', '--enableplugin', '--disableplugin', '--comment', '-R', '--randomwait',
  '--advisory', '--advisories', '--bz', '--bzs', '--cve', '--cves', '--sec-severity', '--secseverity',
]);

/** zypper global options (before the command) that take a value. */
export const ZYPPER_GLOBAL = optionSpec([
  '-c', '--config', '-R', '--root', '-D', '--reposd-dir', '-C', '--cache-dir', '--raw-cache-dir',
  '--solv-cache-dir', '--pkg-cache-dir', '--userdata', '-p', '--plus-repo', '--plus-content', '--installroot',
  '--releasever',
]);

/** `zypper install` options that take a value (here `-D` is --dry-run and `-C` --capability: switches). */
export const ZYPPER_INSTALL = optionSpec(['-r', '--repo', '--from', '-t', '--type', '--download']);
