/**
 * Replays the user and group commands of a stage (and of the stages it builds on) on its base image's
 * accounts, in build order, to tell which id each command assigns today. Anything that may change the
 * account files in a way we do not simulate (a package installation, whose scripts may add users; a script;
 * usermod/userdel; a write to /etc/passwd; a COPY into /etc; an option we do not know) ends the replay: every
 * later command's id is then unknown, with that reason.
 */
import { parseArgs, optionSpec, type OptionSpec, type ParsedArgs } from '../parse/args';
import { stageChain, type DockerfileModel } from '../parse/dockerfile';
import type { SimpleCommand, Word } from '../parse/shell';
import type { ImageAccounts } from './image';
import { VERIFIED_DEBIAN_ADDUSER } from './image';
import { AccountError, AccountState, type AccountCommand, type Created, type DebianRange } from './tools';

/** Per user/group command of the stage chain: the ids it creates, or why they are unknown. */
export type Replayed = Map<SimpleCommand, { created: Created; tool: AccountCommand['tool'] } | { unknown: string }>;

const SHADOW_USERADD = {
  value: ['-b', '--base-dir', '-c', '--comment', '-d', '--home-dir', '-e', '--expiredate', '-f', '--inactive', '-g', '--gid',
    '-G', '--groups', '-k', '--skel', '-p', '--password', '-s', '--shell', '-u', '--uid', '-Z', '--selinux-user', '--selinux-range',
    '-K', '--key', '-R', '--root', '-P', '--prefix'],
  switches: ['-l', '--no-log-init', '-m', '--create-home', '-M', '--no-create-home', '-N', '--no-user-group', '-o', '--non-unique',
    '-r', '--system', '-U', '--user-group', '--btrfs-subvolume-home'],
};
const SHADOW_GROUPADD = {
  value: ['-g', '--gid', '-p', '--password', '-U', '--users', '-K', '--key', '-R', '--root', '-P', '--prefix'],
  switches: ['-f', '--force', '-o', '--non-unique', '-r', '--system'],
};
const DEBIAN_ADDUSER = {
  value: ['--home', '--shell', '--ingroup', '--gid', '--uid', '--gecos', '--comment', '--firstuid', '--lastuid', '--firstgid', '--lastgid',
    '--conf', '--stdoutmsglevel', '--stderrmsglevel', '--logmsglevel'],
  switches: ['--system', '--group', '--no-create-home', '--disabled-password', '--disabled-login', '--quiet', '-q', '--debug', '--verbose',
    '--force-badname', '--allow-badname', '--allow-bad-names', '--allow-all-names', '--add-extra-groups', '--add_extra_groups', '--encrypt-home'],
};
const BUSYBOX_ADDUSER = {
  value: ['-h', '--home', '-g', '--gecos', '-s', '--shell', '-G', '--ingroup', '-u', '--uid', '-k', '--skel'],
  switches: ['-D', '--disabled-password', '--empty-password', '-S', '--system', '-H', '--no-create-home'],
};
const BUSYBOX_ADDGROUP = { value: ['-g', '--gid'], switches: ['-S', '--system'] };

/** Options that make the outcome depend on something we do not read (another root, other settings). */
const OPAQUE = new Set(['-K', '--key', '-R', '--root', '-P', '--prefix', '--conf']);

type Decoded = AccountCommand | { none: true } | { unknown: string };

function parsed(cmd: SimpleCommand, table: { value: string[]; switches: string[] }): ParsedArgs | { unknown: string } {
  const spec: OptionSpec = optionSpec(table.value);
  const p = parseArgs(cmd.args, spec);
  for (const o of p.optionWords) {
    if (!table.value.includes(o.name) && !table.switches.includes(o.name)) return { unknown: `${cmd.name} option '${o.name}' is not simulated` };
    if (OPAQUE.has(o.name)) return { unknown: `${cmd.name} ${o.name} reads settings or files we do not` };
    if (table.value.includes(o.name) && o.value?.value === undefined) return { unknown: `the value of ${cmd.name} ${o.name} is not known` };
  }
  if (p.operands.some((w) => w.value === undefined)) return { unknown: `an argument of ${cmd.name} is not known` };
  return p;
}

function value(p: ParsedArgs, ...names: string[]): string | undefined {
  const o = [...p.optionWords].reverse().find((e) => names.includes(e.name) && e.value);
  return o?.value?.value;
}

function number(p: ParsedArgs, names: string[], cmd: SimpleCommand): number | undefined | { unknown: string } {
  const v = value(p, ...names);
  if (v === undefined) return undefined;
  return /^[0-9]{1,10}$/.test(v) ? Number(v) : { unknown: `${cmd.name} ${names[0]} '${v}' is not a number` };
}

const has = (p: ParsedArgs, ...names: string[]) => names.some((n) => p.options.has(n));
const isUnknown = (v: unknown): v is { unknown: string } => typeof v === 'object' && v !== null && 'unknown' in v;

/** The command as the tool of this image understands it. */
export function decode(cmd: SimpleCommand, image: ImageAccounts): Decoded {
  const program = cmd.name;
  const adduser = 'flavour' in image.adduser ? image.adduser.flavour : undefined;
  const family = program === 'useradd' || program === 'groupadd' ? 'shadow' : adduser;
  if (!family) return { unknown: 'unknown' in image.adduser ? image.adduser.unknown : 'unknown adduser' };
  if (family === 'debian' && 'flavour' in image.adduser && !VERIFIED_DEBIAN_ADDUSER.has(image.adduser.version ?? '')) {
    return { unknown: `the image's Debian adduser ${image.adduser.version ?? '(version unknown)'} is not one whose id choice was verified (${[...VERIFIED_DEBIAN_ADDUSER].join(', ')})` };
  }
  const isGroupTool = program === 'groupadd' || program === 'addgroup';
  if (family === 'shadow') {
    if (program === 'addgroup') return { unknown: 'addgroup on an image whose adduser is shadow\'s useradd' };
    const p = parsed(cmd, isGroupTool ? SHADOW_GROUPADD : SHADOW_USERADD);
    if (isUnknown(p)) return p;
    if (p.operands.length !== 1) return { unknown: `${program} with ${p.operands.length} names` };
    const name = p.operands[0].value!;
    if (isGroupTool) {
      const gid = number(p, ['-g', '--gid'], cmd);
      if (isUnknown(gid)) return gid;
      return { tool: 'groupadd', name, gid, system: has(p, '-r', '--system'), force: has(p, '-f', '--force') };
    }
    const uid = number(p, ['-u', '--uid'], cmd);
    if (isUnknown(uid)) return uid;
    const userGroup = has(p, '-U', '--user-group') ? true : has(p, '-N', '--no-user-group') ? false : undefined;
    return { tool: 'useradd', name, uid, system: has(p, '-r', '--system'), userGroup, group: value(p, '-g', '--gid') };
  }
  if (family === 'busybox') {
    const p = parsed(cmd, isGroupTool ? BUSYBOX_ADDGROUP : BUSYBOX_ADDUSER);
    if (isUnknown(p)) return p;
    if (p.operands.length === 2 && p.optionWords.length === 0) return { none: true }; // adds a user to a group
    if (p.operands.length !== 1) return { unknown: `${program} with ${p.operands.length} names` };
    const name = p.operands[0].value!;
    const system = has(p, '-S', '--system');
    if (isGroupTool) {
      const gid = number(p, ['-g', '--gid'], cmd);
      return isUnknown(gid) ? gid : { tool: 'busybox-addgroup', name, gid, system };
    }
    const uid = number(p, ['-u', '--uid'], cmd);
    return isUnknown(uid) ? uid : { tool: 'busybox-adduser', name, uid, system, group: value(p, '-G', '--ingroup') };
  }
  // Debian adduser; `addgroup` is adduser with --group.
  const p = parsed(cmd, DEBIAN_ADDUSER);
  if (isUnknown(p)) return p;
  if (p.operands.length === 2) return { none: true }; // adduser USER GROUP: adds a user to a group
  if (p.operands.length !== 1) return { unknown: `${program} with ${p.operands.length} names` };
  const name = p.operands[0].value!;
  const range: DebianRange = {};
  for (const [key, opt] of [['firstUid', '--firstuid'], ['lastUid', '--lastuid'], ['firstGid', '--firstgid'], ['lastGid', '--lastgid']] as const) {
    const n = number(p, [opt], cmd);
    if (isUnknown(n)) return n;
    if (n !== undefined) range[key] = n;
  }
  const system = has(p, '--system');
  const group = program === 'addgroup' || has(p, '--group');
  const gid = number(p, ['--gid'], cmd);
  if (isUnknown(gid)) return gid;
  if (group && (program === 'addgroup' || !system)) return { tool: 'debian-addgroup', name, gid, system, range };
  const uid = number(p, ['--uid'], cmd);
  if (isUnknown(uid)) return uid;
  return { tool: 'debian-adduser', name, uid, system, group, ingroup: value(p, '--ingroup'), gid, range };
}

/** The command with its implicit id made explicit, as the fix writes it. */
function madeExplicit(c: AccountCommand, made: Created): AccountCommand {
  if (c.tool === 'groupadd' || c.tool === 'debian-addgroup' || c.tool === 'busybox-addgroup') return { ...c, gid: made.gid };
  return { ...c, uid: made.uid };
}

const ACCOUNT_TOOLS = new Set(['useradd', 'groupadd', 'adduser', 'addgroup']);

/** Package managers, by the subcommands that do not install anything (anything else may run maintainer scripts). */
const PACKAGE_MANAGERS: Record<string, string[]> = {
  'apt-get': ['update', 'clean', 'autoclean', 'check', 'download', 'source', 'changelog', 'indextargets'],
  apt: ['update', 'clean', 'autoclean', 'search', 'show', 'list', 'policy', 'download', 'changelog'],
  aptitude: ['update', 'clean', 'autoclean', 'search', 'show', 'download'],
  apk: ['update', 'cache', 'info', 'search', 'list', 'policy', 'stats', 'version', 'fetch', 'verify', 'dot'],
  yum: ['clean', 'makecache', 'search', 'info', 'list', 'repolist', 'check-update', 'config-manager'],
  dnf: ['clean', 'makecache', 'search', 'info', 'list', 'repolist', 'check-update', 'config-manager'],
  microdnf: ['clean', 'makecache', 'repolist'],
  tdnf: ['clean', 'makecache', 'search', 'info', 'list', 'repolist', 'check-update'],
  zypper: ['refresh', 'ref', 'clean', 'search', 'se', 'info', 'if', 'lr', 'repos', 'ar', 'addrepo'],
  dpkg: ['--print-architecture', '--print-foreign-architectures', '--add-architecture', '--compare-versions', '-l', '--list', '-L', '--listfiles', '-s', '--status', '-S', '--search', '--get-selections'],
  rpm: ['-q', '--query', '--import', '-qa', '-qf', '-ql', '-qi'],
};

/** Account tools we do not replay, by the options that leave ids alone (gpasswd, chpasswd only change memberships, passwords). */
const HARMLESS_USERMOD = new Set(['-a', '--append', '-G', '--groups', '-s', '--shell', '-c', '--comment', '-d', '--home', '-m', '--move-home',
  '-L', '--lock', '-U', '--unlock', '-p', '--password', '-e', '--expiredate', '-f', '--inactive']);

const ACCOUNT_FILE = /\/etc\/(passwd|group|shadow|gshadow|login\.defs|adduser\.conf|default\/useradd)\b/;
const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'source', '.']);

/** Why this (non user/group-creating) command may change the accounts, if it may. */
function changesAccounts(cmd: SimpleCommand): string | undefined {
  const name = cmd.name;
  if (!name) return `a command whose program is not known (${cmd.program?.raw ?? '?'})`;
  if (cmd.program?.value?.includes('/') && !/^\/(usr\/)?s?bin\//.test(cmd.program.value)) return `'${cmd.program.value}' runs a script`;
  if (SHELLS.has(name) && cmd.args.some((a) => !a.value?.startsWith('-'))) return `'${name}' runs a script`;
  if (SHELLS.has(name) && cmd.pipeIndex > 0) return `'${name}' runs a script from its input`;
  const readOnly = PACKAGE_MANAGERS[name];
  if (readOnly) {
    const words = cmd.args.map((a) => a.value ?? '');
    const verb = name === 'dpkg' || name === 'rpm' ? words.find((w) => w.startsWith('-')) : words.find((w) => !w.startsWith('-'));
    if (verb === undefined || !readOnly.includes(verb)) return `'${name} ${verb ?? ''}'`.replace(/ '$/, "'") + ' may install packages, whose scripts can create users';
    return undefined;
  }
  if (['userdel', 'groupdel', 'deluser', 'delgroup', 'groupmod', 'newusers', 'vipw', 'vigr', 'pwconv', 'grpconv', 'pwunconv', 'grpunconv'].includes(name)) return `'${name}' changes the accounts`;
  if (name === 'usermod') {
    const p = parseArgs(cmd.args, optionSpec(['-G', '--groups', '-s', '--shell', '-c', '--comment', '-d', '--home', '-p', '--password', '-e', '--expiredate', '-f', '--inactive', '-u', '--uid', '-g', '--gid', '-l', '--login', '-R', '--root', '-P', '--prefix']));
    const bad = p.optionWords.find((o) => !HARMLESS_USERMOD.has(o.name));
    if (bad) return `'usermod ${bad.name}' changes the accounts`;
  }
  if ([cmd.program, ...cmd.args].some((w: Word | undefined) => w && ACCOUNT_FILE.test(w.value ?? w.raw))) return `'${name}' names an account file`;
  return undefined;
}

/** The 1-based line of an offset, for reasons. */
function lineOf(model: DockerfileModel, offset: number): number {
  return model.lines.position(offset).line;
}


/** Replays the stage chain ending at `stage` (the caller passes the accounts of that chain's base image). */
export function replayStage(model: DockerfileModel, stage: number, image: ImageAccounts): Replayed {
  const out: Replayed = new Map();
  const stages = stageChain(model, stage);
  type Step = { at: number; run?: DockerfileModel['runs'][number]; copy?: DockerfileModel['copies'][number] };
  const steps: Step[] = [
    ...model.runs.filter((r) => stages.includes(r.stage) && !r.onbuild).map((run) => ({ at: run.span.start, run })),
    ...model.copies.filter((c) => stages.includes(c.stage) && !c.onbuild).map((copy) => ({ at: copy.span.start, copy })),
  ].sort((a, b) => a.at - b.at);
  const state = new AccountState(image);
  let stopped: string | undefined;
  const stop = (at: number, why: string) => {
    stopped ??= `line ${lineOf(model, at)}: ${why}`;
  };
  for (const step of steps) {
    if (step.copy) {
      const c = step.copy;
      const dest = c.destination?.value;
      const abs = dest === undefined ? undefined : dest.startsWith('/') ? dest : c.workdir !== undefined ? `${c.workdir.replace(/\/$/, '')}/${dest}` : undefined;
      const fromElsewhere = c.flags.has('from') || c.sources.some((s) => s.value === undefined || /[*?[]|\/$|^\.$|\/\.$/.test(s.value));
      if (abs === undefined ? fromElsewhere : /^\/etc(\/|$)/.test(abs) || (/^\/+\.?$/.test(abs) && fromElsewhere)) {
        stop(c.span.start, `${c.keyword} may write into /etc`);
      } else if (c.sources.some((s) => ACCOUNT_FILE.test(`/etc/${(s.value ?? '').split('/').pop()}`))) {
        stop(c.span.start, `${c.keyword} copies an account file`);
      }
      continue;
    }
    const run = step.run!;
    if (run.skipped || run.problems.length) stop(run.span.start, `the RUN is not analysed (${run.skipped ?? run.problems[0]})`);
    // Redirections are not words of a command: a RUN that names an account file anywhere may write it.
    if (ACCOUNT_FILE.test(model.text.slice(run.span.start, run.span.end))) stop(run.span.start, 'the RUN names an account file (/etc/passwd, /etc/group, …)');
    for (const cmd of run.commands) {
      const creates = ACCOUNT_TOOLS.has(cmd.name);
      if (stopped) {
        if (creates) out.set(cmd, { unknown: stopped });
        continue;
      }
      if (!creates) {
        const why = changesAccounts(cmd);
        if (why) stop(cmd.span.start, why);
        continue;
      }
      const decoded = decode(cmd, image);
      if ('none' in decoded) continue;
      if ('unknown' in decoded) {
        stop(cmd.span.start, decoded.unknown);
        out.set(cmd, { unknown: stopped! });
        continue;
      }
      try {
        const before = state.clone();
        const created = state.run(decoded);
        // The fix must give the same ids as today: replay the command as the fix writes it.
        const again = before.run(madeExplicit(decoded, created));
        if (again.uid !== created.uid || again.gid !== created.gid) {
          stop(cmd.span.start, `${cmd.name} with an explicit id would give its group gid ${again.gid} instead of ${created.gid}`);
          out.set(cmd, { unknown: stopped! });
          continue;
        }
        out.set(cmd, { created, tool: decoded.tool });
      } catch (e) {
        if (!(e instanceof AccountError)) throw e;
        stop(cmd.span.start, `${cmd.name} would fail: ${e.message}`);
        out.set(cmd, { unknown: stopped! });
      }
    }
  }
  return out;
}
