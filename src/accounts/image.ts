/**
 * The account databases and settings of an image, parsed from its files: /etc/passwd, /etc/group,
 * /etc/login.defs (shadow's useradd/groupadd), /etc/adduser.conf (Debian's adduser), and which `adduser`
 * the image has (Debian's perl script, busybox's applet on Alpine, shadow's useradd on the RHEL family),
 * decided from the files, never from the image's name.
 */

export interface UserEntry {
  name: string;
  uid: number;
  gid: number;
}

export interface GroupEntry {
  name: string;
  gid: number;
}

/** Which program answers to `adduser`/`addgroup` in the image. */
export type AdduserFlavour = 'debian' | 'busybox' | 'shadow';

export interface ImageAccounts {
  users: UserEntry[];
  groups: GroupEntry[];
  /** `/etc/login.defs` as key → raw value; undefined when the image has none (then shadow's tools are not known to be there). */
  loginDefs?: ReadonlyMap<string, string>;
  /** `/etc/adduser.conf` as lowercased key → value (quotes removed), when present. */
  adduserConf?: ReadonlyMap<string, string>;
  /** The `adduser` of the image, or why it is not known. */
  adduser: { flavour: AdduserFlavour; version?: string } | { unknown: string };
}

/** The files `imageAccounts` reads (absolute paths in the image). */
export const ACCOUNT_FILES = [
  '/etc/passwd', '/etc/group', '/etc/login.defs', '/etc/adduser.conf', '/etc/os-release', '/usr/lib/os-release',
  '/etc/alpine-release', '/usr/sbin/adduser',
] as const;

/** Debian adduser versions whose id choice the tests compare with the real program (test/accounts). */
export const VERIFIED_DEBIAN_ADDUSER = new Set(['3.134']);

const ID = /^[0-9]{1,10}$/;

/** `name:x:uid:gid:…` lines; NIS `+`/`-` lines and lines without numeric ids are not accounts. */
function parseColonFile<T>(text: string, make: (f: string[]) => T | undefined): T[] {
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('+') || line.startsWith('-') || line.startsWith('#')) continue;
    const entry = make(line.split(':'));
    if (entry) out.push(entry);
  }
  return out;
}

export function parsePasswd(text: string): UserEntry[] {
  return parseColonFile(text, (f) => (f.length >= 4 && f[0] && ID.test(f[2]) && ID.test(f[3]) ? { name: f[0], uid: Number(f[2]), gid: Number(f[3]) } : undefined));
}

export function parseGroup(text: string): GroupEntry[] {
  return parseColonFile(text, (f) => (f.length >= 3 && f[0] && ID.test(f[2]) ? { name: f[0], gid: Number(f[2]) } : undefined));
}

/** login.defs: `KEY value` lines, `#` comments; a quoted value loses its quotes (as shadow's getdef does). */
export function parseLoginDefs(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)\s+(.*?)\s*$/.exec(raw);
    if (!m || raw.trimStart().startsWith('#')) continue;
    out.set(m[1], m[2].replace(/^"(.*)"$/, '$1'));
  }
  return out;
}

/** adduser.conf: `KEY=value`, keys case-insensitive, one level of quotes removed (Debian::AdduserCommon::read_config). */
export function parseAdduserConf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^\s*([_a-zA-Z0-9]+)\s*=\s*(.*)$/.exec(line);
    if (m) out.set(m[1].toLowerCase(), m[2].replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1'));
  }
  return out;
}

/** `ID` and `ID_LIKE` of os-release, lowercased. */
function osIds(text: string | undefined): string[] {
  if (!text) return [];
  const ids: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^(ID|ID_LIKE)=(.*)$/.exec(line.trim());
    if (m) ids.push(...m[2].replace(/^["']|["']$/g, '').toLowerCase().split(/\s+/));
  }
  return ids;
}

function adduserOf(files: ReadonlyMap<string, string>): ImageAccounts['adduser'] {
  const os = osIds(files.get('/etc/os-release') ?? files.get('/usr/lib/os-release'));
  if (files.has('/etc/alpine-release') || os.includes('alpine')) return { flavour: 'busybox' };
  const script = files.get('/usr/sbin/adduser');
  if (script !== undefined && /^#!.*perl/.test(script)) {
    const version = /^my \$version = "([^"]+)";/m.exec(script)?.[1];
    return { flavour: 'debian', version };
  }
  if (os.some((id) => ['rhel', 'fedora', 'centos'].includes(id))) return { flavour: 'shadow' };
  return { unknown: 'the image has neither Debian\'s adduser (/usr/sbin/adduser, a perl script) nor Alpine\'s busybox one' };
}

/** Reads the accounts of an image from its files (path → text); undefined with a reason when it has no /etc/passwd or /etc/group. */
export function imageAccounts(files: ReadonlyMap<string, string>): ImageAccounts | { unknown: string } {
  const passwd = files.get('/etc/passwd');
  const group = files.get('/etc/group');
  if (passwd === undefined || group === undefined) return { unknown: `the base image has no ${passwd === undefined ? '/etc/passwd' : '/etc/group'}` };
  const defs = files.get('/etc/login.defs');
  const conf = files.get('/etc/adduser.conf');
  return {
    users: parsePasswd(passwd),
    groups: parseGroup(group),
    loginDefs: defs === undefined ? undefined : parseLoginDefs(defs),
    adduserConf: conf === undefined ? undefined : parseAdduserConf(conf),
    adduser: adduserOf(files),
  };
}
