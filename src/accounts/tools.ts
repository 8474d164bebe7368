/**
 * Replays user and group commands on an image's account databases with each tool's own algorithm, to tell
 * which ids they assign:
 *
 * - shadow `useradd`/`groupadd` (find_new_uid/find_new_gid of shadow 4.x): normal ids one above the highest
 *   in [UID_MIN, UID_MAX] (UID_MIN when none), else the lowest free one; system ids one below the lowest in
 *   [SYS_UID_MIN, SYS_UID_MAX] counting down, else the highest free one. A user
 *   group (-U, or USERGROUPS_ENAB) takes gid = uid when that gid is free and in range, else a new gid.
 * - Debian `adduser`/`addgroup` (perl, 3.134): the first free id from FIRST_UID/FIRST_GID (or the
 *   FIRST_SYSTEM_* for --system) up; a normal user with its own group takes the first id free as uid and gid.
 * - busybox `adduser`/`addgroup` (compiled-in ranges, as Alpine builds it: system 100–999, others
 *   1000–256000): the first free id; a user without -G gets the first id free both as uid and gid and a
 *   group of its own with it; a system user without -G joins `nogroup`. Checked against a real busybox
 *   built with Alpine's settings (test/accounts/tools.test.ts).
 *
 * Anything a tool would refuse (a name in use, a missing group, no id left) is an AccountError: the build
 * fails there, and nothing after it can be known.
 */
import type { GroupEntry, ImageAccounts, UserEntry } from './image';

export type AccountCommand =
  /** shadow useradd; `userGroup`: -U true, -N false, else USERGROUPS_ENAB; `group`: the -g value. */
  | { tool: 'useradd'; name: string; uid?: number; system: boolean; userGroup?: boolean; group?: string }
  /** shadow groupadd; `force`: -f. */
  | { tool: 'groupadd'; name: string; gid?: number; system: boolean; force: boolean }
  /** Debian adduser creating a user; `group`: --group (with --system: a group of its own). */
  | { tool: 'debian-adduser'; name: string; uid?: number; system: boolean; group: boolean; ingroup?: string; gid?: number; range: DebianRange }
  /** Debian addgroup, or adduser --group. */
  | { tool: 'debian-addgroup'; name: string; gid?: number; system: boolean; range: DebianRange }
  /** busybox adduser; `group`: -G. */
  | { tool: 'busybox-adduser'; name: string; uid?: number; system: boolean; group?: string }
  | { tool: 'busybox-addgroup'; name: string; gid?: number; system: boolean };

/** --firstuid/--lastuid/--firstgid/--lastgid of Debian adduser. */
export interface DebianRange {
  firstUid?: number;
  lastUid?: number;
  firstGid?: number;
  lastGid?: number;
}

/** What a command created: the user's uid, and the gid of a group it created (a user's own group, or the group). */
export interface Created {
  uid?: number;
  gid?: number;
}

export class AccountError extends Error {}

/**
 * CONFIG_FIRST_SYSTEM_ID, CONFIG_LAST_SYSTEM_ID, CONFIG_LAST_ID of Alpine's busybox (aports
 * main/busybox/busyboxconfig). Alpine raises LAST_ID from upstream's 60000 to 256000: `-u`/`-g` above it
 * are refused, and ids up to it are handed out.
 */
const BUSYBOX = { firstSystem: 100, lastSystem: 999, last: 256000 };

/**
 * Names busybox accepts (die_if_bad_username; Alpine sets FEATURE_CHECK_NAMES): a letter, digit or `_`
 * first, then also `-` and `.`, and `$` only at the end; shorter than LOGIN_NAME_MAX (256).
 */
const BUSYBOX_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/;

function checkBusyboxName(name: string): void {
  if (!BUSYBOX_NAME.test(name) || name.length >= 256) throw new AccountError(`busybox refuses the name '${name}'`);
}

/** `-u`/`-g` values are parsed in 0..LAST_ID; anything above is refused before the files are read. */
function checkBusyboxId(id: number | undefined): void {
  if (id !== undefined && id > BUSYBOX.last) throw new AccountError(`busybox refuses id ${id}: not in 0..${BUSYBOX.last}`);
}

/** The databases as a tool sees them, changed by each command replayed. */
export class AccountState {
  private users: UserEntry[];
  private groups: GroupEntry[];

  constructor(private readonly image: ImageAccounts) {
    this.users = [...image.users];
    this.groups = [...image.groups];
  }

  run(cmd: AccountCommand): Created {
    switch (cmd.tool) {
      case 'useradd': return this.useradd(cmd);
      case 'groupadd': return this.groupadd(cmd);
      case 'debian-adduser': return this.debianAdduser(cmd);
      case 'debian-addgroup': return this.debianAddgroup(cmd);
      case 'busybox-adduser': return this.busyboxAdduser(cmd);
      case 'busybox-addgroup': return this.busyboxAddgroup(cmd);
    }
  }

  /** A copy to try a command on without changing this one. */
  clone(): AccountState {
    const copy = new AccountState(this.image);
    copy.users = [...this.users];
    copy.groups = [...this.groups];
    return copy;
  }

  private user(name: string) { return this.users.find((u) => u.name === name); }
  private group(name: string) { return this.groups.find((g) => g.name === name); }
  private uidUsed(id: number) { return this.users.some((u) => u.uid === id); }
  private gidUsed(id: number) { return this.groups.some((g) => g.gid === id); }

  private addUser(name: string, uid: number, gid: number): void { this.users.push({ name, uid, gid }); }
  private addGroup(name: string, gid: number): void { this.groups.push({ name, gid }); }

  // ---- shadow ----

  private defs(): ReadonlyMap<string, string> {
    if (!this.image.loginDefs) throw new AccountError('the base image has no /etc/login.defs (is shadow\'s useradd installed?)');
    return this.image.loginDefs;
  }

  /** getdef_ulong: strtoul with base 0 (0x… hex, 0… octal); a missing or malformed value gives the default. */
  private defNumber(key: string, fallback: number): number {
    const v = this.defs().get(key);
    if (v === undefined) return fallback;
    if (/^0x[0-9a-f]+$/i.test(v)) return parseInt(v.slice(2), 16);
    if (/^0[0-7]*$/.test(v)) return parseInt(v, 8);
    if (/^[1-9][0-9]*$/.test(v)) return Number(v);
    return fallback;
  }

  /** get_ranges of find_new_uid.c / find_new_gid.c. */
  private shadowRange(kind: 'UID' | 'GID', system: boolean): { min: number; max: number; preferredMin: number } {
    if (system) {
      const min = Math.max(this.defNumber(`SYS_${kind}_MIN`, 101), 1);
      const max = this.defNumber(`SYS_${kind}_MAX`, this.defNumber(`${kind}_MIN`, 1000) - 1);
      if (max < min) throw new AccountError(`invalid ${kind} ranges in /etc/login.defs`);
      return { min, max, preferredMin: 1 };
    }
    const min = this.defNumber(`${kind}_MIN`, 1000);
    const max = this.defNumber(`${kind}_MAX`, 60000);
    if (max < min) throw new AccountError(`invalid ${kind} ranges in /etc/login.defs`);
    return { min, max, preferredMin: min };
  }

  /**
   * find_new_uid / find_new_gid of shadow 4.x. Newer releases never hand out 65535 ((uid_t)-1 of 16-bit
   * tools), 4.13 does: where that changes the answer, the image's shadow version would decide, so we do not.
   */
  private shadowNewId(kind: 'UID' | 'GID', system: boolean, preferred?: number): number {
    const old = this.shadowSearch(kind, system, preferred, false);
    const skipping = this.shadowSearch(kind, system, preferred, true);
    if (old !== skipping) throw new AccountError(`the ${kind.toLowerCase()} depends on whether this shadow version hands out 65535`);
    return old;
  }

  private shadowSearch(kind: 'UID' | 'GID', system: boolean, preferred: number | undefined, skip16: boolean): number {
    const { min, max, preferredMin } = this.shadowRange(kind, system);
    const ids = kind === 'UID' ? this.users.map((u) => u.uid) : this.groups.map((g) => g.gid);
    const used = new Set(ids);
    const usable = (id: number) => !used.has(id) && id !== 4294967295 && !(skip16 && id === 65535);
    if (preferred !== undefined && preferred >= preferredMin && preferred <= max && usable(preferred)) return preferred;
    let highest = min;
    let lowest = max;
    for (const id of ids) {
      if (id <= lowest && id >= min) lowest = id - 1;
      if (id >= highest && id <= max) highest = id + 1;
    }
    if (system) {
      if (lowest < min) lowest = max;
      for (let id = lowest; id >= min; id--) if (usable(id)) return id;
      if (lowest !== max) for (let id = max; id >= min; id--) if (usable(id)) return id;
    } else {
      if (highest > max) highest = min;
      for (let id = highest; id <= max; id++) if (usable(id)) return id;
      if (highest !== min) for (let id = min; id <= max; id++) if (usable(id)) return id;
    }
    throw new AccountError(`no free ${kind.toLowerCase()} left in ${min}–${max}`);
  }

  private useradd(c: Extract<AccountCommand, { tool: 'useradd' }>): Created {
    if (this.user(c.name)) throw new AccountError(`user '${c.name}' already exists`);
    let primary: number | undefined;
    if (c.group !== undefined) {
      if (c.userGroup) throw new AccountError('useradd -U and -g together are refused');
      const g = /^[0-9]+$/.test(c.group) ? this.groups.find((e) => e.gid === Number(c.group)) : this.group(c.group);
      if (!g) throw new AccountError(`group '${c.group}' does not exist`);
      primary = g.gid;
    }
    const defaults = this.defs();
    const userGroup = c.group === undefined && (c.userGroup ?? /^yes$/i.test(defaults.get('USERGROUPS_ENAB') ?? ''));
    if (userGroup && this.group(c.name)) throw new AccountError(`group '${c.name}' already exists (useradd needs -g to use it)`);
    let uid: number;
    if (c.uid !== undefined) {
      if (this.uidUsed(c.uid)) throw new AccountError(`uid ${c.uid} is in use`);
      uid = c.uid;
    } else {
      uid = this.shadowNewId('UID', c.system);
    }
    let created: number | undefined;
    if (userGroup) {
      created = this.shadowNewId('GID', c.system, uid);
      this.addGroup(c.name, created);
    }
    // Without a group of its own the user's gid is /etc/default/useradd's GROUP: no id is allocated for it.
    this.addUser(c.name, uid, created ?? primary ?? -1);
    return created === undefined ? { uid } : { uid, gid: created };
  }

  private groupadd(c: Extract<AccountCommand, { tool: 'groupadd' }>): Created {
    if (this.group(c.name)) {
      if (c.force) return {};
      throw new AccountError(`group '${c.name}' already exists`);
    }
    let gid: number;
    if (c.gid !== undefined && !this.gidUsed(c.gid)) gid = c.gid;
    else if (c.gid !== undefined && !c.force) throw new AccountError(`gid ${c.gid} is in use`);
    else gid = this.shadowNewId('GID', c.system);
    this.addGroup(c.name, gid);
    return { gid };
  }

  // ---- Debian adduser ----

  private conf(key: string, fallback: number): number {
    const v = this.image.adduserConf?.get(key);
    return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : fallback;
  }

  private firstFree(min: number, max: number, free: (id: number) => boolean, what: string): number {
    for (let id = min; id <= max; id++) if (free(id)) return id;
    throw new AccountError(`no free ${what} in ${min}–${max}`);
  }

  private debianAddgroup(c: Extract<AccountCommand, { tool: 'debian-addgroup' }>): Created {
    if (this.group(c.name)) throw new AccountError(`group '${c.name}' already exists`);
    if (c.gid !== undefined && this.gidUsed(c.gid)) throw new AccountError(`gid ${c.gid} is in use`);
    const first = c.range.firstGid ?? (c.system ? this.conf('first_system_gid', 100) : this.conf('first_gid', 1000));
    const last = c.range.lastGid ?? (c.system ? this.conf('last_system_gid', 999) : this.conf('last_gid', 59999));
    const gid = c.gid ?? this.firstFree(first, last, (id) => !this.gidUsed(id), 'gid');
    this.addGroup(c.name, gid);
    return { gid };
  }

  private debianAdduser(c: Extract<AccountCommand, { tool: 'debian-adduser' }>): Created {
    if (this.user(c.name)) throw new AccountError(`user '${c.name}' already exists`);
    if (c.uid !== undefined && this.uidUsed(c.uid)) throw new AccountError(`uid ${c.uid} is in use`);
    if (c.ingroup !== undefined && !this.group(c.ingroup)) throw new AccountError(`group '${c.ingroup}' does not exist`);
    if (c.gid !== undefined && !this.gidUsed(c.gid)) throw new AccountError(`gid ${c.gid} does not exist`);
    const freeUid = (id: number) => !this.uidUsed(id);
    const r = c.range;
    if (c.system) {
      const first = r.firstUid ?? this.conf('first_system_uid', 100);
      const last = r.lastUid ?? this.conf('last_system_uid', 999);
      const ownGroup = c.group && c.ingroup === undefined && c.gid === undefined;
      if (!ownGroup) {
        const uid = c.uid ?? this.firstFree(first, last, freeUid, 'uid');
        const gid = c.gid ?? (c.ingroup !== undefined ? this.group(c.ingroup)!.gid : this.group('nogroup')?.gid ?? 65534);
        this.addUser(c.name, uid, gid);
        return { uid };
      }
      if (this.group(c.name)) throw new AccountError(`group '${c.name}' already exists`);
      let uid: number;
      let gid: number;
      if (c.uid === undefined) {
        // addsysuser: uid and gid are searched separately.
        uid = this.firstFree(first, last, freeUid, 'uid');
        gid = this.firstFree(r.firstGid ?? this.conf('first_system_gid', 100), r.lastGid ?? this.conf('last_system_gid', 999), (id) => !this.gidUsed(id), 'gid');
      } else {
        // With --uid the group takes the same number, which must be free.
        if (this.gidUsed(c.uid)) throw new AccountError(`gid ${c.uid} is in use`);
        uid = gid = c.uid;
      }
      this.addGroup(c.name, gid);
      this.addUser(c.name, uid, gid);
      return { uid, gid };
    }
    const usergroups = /yes/i.test(this.image.adduserConf?.get('usergroups') ?? 'yes');
    const ownGroup = usergroups && c.ingroup === undefined && c.gid === undefined;
    if (ownGroup && this.group(c.name)) throw new AccountError(`group '${c.name}' already exists`);
    const firstUid = r.firstUid ?? this.conf('first_uid', 1000);
    const lastUid = r.lastUid ?? this.conf('last_uid', 59999);
    const firstGid = usergroups ? firstUid : r.firstGid ?? this.conf('first_gid', 1000);
    const lastGid = usergroups ? lastUid : r.lastGid ?? this.conf('last_gid', 59999);
    let uid: number;
    if (c.uid !== undefined) {
      if (ownGroup && this.gidUsed(c.uid)) throw new AccountError(`gid ${c.uid} is in use`);
      uid = c.uid;
    } else if (c.ingroup !== undefined) {
      uid = this.firstFree(firstUid, lastUid, freeUid, 'uid');
    } else {
      // first_avail_uid_gid over the union of both ranges (as adduser computes it).
      uid = this.firstFree(Math.min(firstUid, firstGid), Math.max(lastUid, lastGid), (id) => freeUid(id) && !this.gidUsed(id), 'uid/gid pair');
    }
    if (ownGroup) {
      this.addGroup(c.name, uid);
      this.addUser(c.name, uid, uid);
      return { uid, gid: uid };
    }
    this.addUser(c.name, uid, c.gid ?? (c.ingroup !== undefined ? this.group(c.ingroup)!.gid : 100));
    return { uid };
  }

  // ---- busybox ----

  private busyboxAdduser(c: Extract<AccountCommand, { tool: 'busybox-adduser' }>): Created {
    checkBusyboxId(c.uid);
    checkBusyboxName(c.name);
    const groupName = c.group ?? (c.system ? 'nogroup' : undefined);
    const primary = groupName === undefined ? undefined : this.group(groupName);
    if (groupName !== undefined && !primary) throw new AccountError(`group '${groupName}' does not exist`);
    if (this.user(c.name)) throw new AccountError(`user '${c.name}' already exists`);
    const ownGroup = primary === undefined;
    const max = c.uid === undefined && c.system ? BUSYBOX.lastSystem : BUSYBOX.last;
    let uid = c.uid ?? (c.system ? BUSYBOX.firstSystem : BUSYBOX.lastSystem + 1);
    while (this.uidUsed(uid) || (ownGroup && this.gidUsed(uid))) {
      if (c.uid !== undefined) throw new AccountError(`uid ${uid} is in use`);
      if (uid === max) throw new AccountError('no uids left');
      uid++;
    }
    if (ownGroup) {
      if (this.group(c.name)) throw new AccountError(`group '${c.name}' already exists`);
      this.addGroup(c.name, uid);
      this.addUser(c.name, uid, uid);
      return { uid, gid: uid };
    }
    this.addUser(c.name, uid, primary.gid);
    return { uid };
  }

  private busyboxAddgroup(c: Extract<AccountCommand, { tool: 'busybox-addgroup' }>): Created {
    checkBusyboxId(c.gid);
    checkBusyboxName(c.name);
    if (this.group(c.name)) throw new AccountError(`group '${c.name}' already exists`);
    const max = c.gid === undefined && c.system ? BUSYBOX.lastSystem : BUSYBOX.last;
    let gid = c.gid ?? (c.system ? BUSYBOX.firstSystem : BUSYBOX.lastSystem + 1);
    while (this.gidUsed(gid)) {
      if (c.gid !== undefined) throw new AccountError(`gid ${gid} is in use`);
      if (gid === max) throw new AccountError('no gids left');
      gid++;
    }
    this.addGroup(c.name, gid);
    return { gid };
  }
}
