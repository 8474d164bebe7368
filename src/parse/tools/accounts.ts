/**
 * How useradd, groupadd, adduser and addgroup command lines are read: shared by the useradd-uid rule and the
 * explicit-id fixer, which edits the same commands.
 */
import { optionSpec } from '../args';

/** shadow `useradd` options that take a value (useradd(8), shadow 4.16). */
const USERADD = optionSpec([
  '-b', '--base-dir', '-c', '--comment', '-d', '--home-dir', '-e', '--expiredate', '-f', '--inactive',
  '-g', '--gid', '-G', '--groups', '-k', '--skel', '-K', '--key', '-p', '--password', '-R', '--root',
  '-P', '--prefix', '-s', '--shell', '-u', '--uid', '-Z', '--selinux-user', '--selinux-range',
]);

/** shadow `groupadd` options that take a value. */
const GROUPADD = optionSpec(['-g', '--gid', '-K', '--key', '-p', '--password', '-R', '--root', '-P', '--prefix', '-U', '--users']);

/**
 * `adduser`: the union of Debian adduser (long options only), busybox adduser (`-h DIR -g GECOS -s SHELL
 * -G GROUP -u UID -k SKEL` and their long forms) and the shadow `useradd` that RHEL-family images link it to.
 * The three agree on which options take a value, so one table serves all of them.
 */
const ADDUSER = optionSpec([
  ...USERADD.withValue, '-h', '--home', '--gecos', '--ingroup', '--conf', '--firstuid', '--lastuid',
  '--firstgid', '--lastgid', '--stdoutmsglevel', '--stderrmsglevel', '--logmsglevel',
]);

/** `addgroup`: Debian (`--gid`, `--conf`, …) and busybox (`-g GID`). */
const ADDGROUP = optionSpec([
  '-g', '--gid', '--conf', '--firstgid', '--lastgid', '--stdoutmsglevel', '--stderrmsglevel', '--logmsglevel',
]);

/** Option tables of the four tools, by program name. */
export const SPEC = { useradd: USERADD, groupadd: GROUPADD, adduser: ADDUSER, addgroup: ADDGROUP };
