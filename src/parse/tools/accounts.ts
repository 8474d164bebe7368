/**
 * How useradd, groupadd, adduser and addgroup command lines are read: shared by the useradd-uid rule, the
 * explicit-id fixer, which edits the same commands, and the source-date-epoch rule (which of them write a date).
 */
import { optionSpec, type ParsedArgs } from '../args';
import { stageChain, type DockerfileModel } from '../dockerfile';

/** The commands that create users and groups. */
export type AccountCommand = 'useradd' | 'adduser' | 'groupadd' | 'addgroup';
/** Which option syntax the command has: Debian's adduser, BusyBox, or shadow's useradd. */
export type AccountStyle = 'debian' | 'busybox' | 'shadow';
type Command = AccountCommand;
type Style = AccountStyle;

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

/** Short options only busybox adduser/addgroup know, and those only shadow useradd knows. */
const BUSYBOX_ONLY = new Set(['-D', '-S', '-H']);
const SHADOW_ONLY = new Set(['-m', '-M', '-r', '-N', '-U', '-l', '-o', '-c', '-d', '-e', '-f', '-K', '-p', '-R', '-Z', '-b']);

/** The image family a RUN executes in, from the FROM chain of its stage (undefined when unknown). */
export function imageFamily(model: DockerfileModel, stageIndex: number): Style | undefined {
  const root = stageChain(model, stageIndex)[0];
  if (root === undefined || !model.stages[root]) return undefined;
  const image = model.imageSites.find((s) => s.kind === 'from' && s.stage === root)?.value ?? '';
  if (/alpine|busybox/.test(image)) return 'busybox';
  // On RHEL-family images `adduser` is a link to shadow's useradd.
  if (/fedora|centos|rhel|\bubi[0-9]*\b|rockylinux|almalinux|amazonlinux|oraclelinux/.test(image)) return 'shadow';
  if (/debian|ubuntu|buster|bullseye|bookworm|trixie|focal|jammy|noble/.test(image)) return 'debian';
  return undefined;
}

/** Which adduser/addgroup this is: the image family decides, else the option style (busybox is short, Debian long). */
export function styleOf(command: Command, parsed: ParsedArgs, family: Style | undefined): Style {
  if (command === 'useradd' || command === 'groupadd') return 'shadow';
  if (family) return family;
  const short = parsed.optionWords.filter((o) => !o.word.value?.startsWith('--')).map((o) => o.name);
  if (short.some((n) => SHADOW_ONLY.has(n)) && !short.some((n) => BUSYBOX_ONLY.has(n))) return 'shadow';
  return short.length > 0 ? 'busybox' : 'debian';
}
