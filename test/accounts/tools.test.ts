/**
 * The simulation of src/accounts against the real programs: each scenario (account files, settings, a
 * sequence of commands) is replayed by the simulation and by the tool, and the ids (or the refusal) of every
 * command must agree. Scenarios are a hand-made table of edge cases plus seeded random ones.
 */
import { AccountError, AccountState, type AccountCommand, type Created } from '../../src/accounts/tools';
import { imageAccounts, type ImageAccounts } from '../../src/accounts/image';
import {
  busyboxAvailable, debianAdduserAvailable, runBusybox, runDebian, runShadow, shadowAvailable, type Accounts, type RealResult,
} from '../helpers/accountTools';
import { inCI } from '../helpers/ci';

/** `describe` that needs a tool: skipped loudly when missing, failing under CI=true when `requiredInCi`. */
function describeWithTool(name: string, missing: string | undefined, requiredInCi: boolean, fn: () => void): void {
  if (!missing) return describe(name, fn);
  if (inCI() && requiredInCi) {
    describe(name, () => it('needs the tool', () => { throw new Error(`${name}: ${missing}`); }));
    return;
  }
  process.stderr.write(`\nSKIPPED: ${name}: ${missing}\n`);
  describe.skip(name, fn);
}

function simulate(image: ImageAccounts, commands: AccountCommand[]): RealResult[] {
  const state = new AccountState(image);
  return commands.map((c) => {
    try {
      return state.run(c);
    } catch (e) {
      if (e instanceof AccountError) return null;
      throw e;
    }
  });
}

function imageOf(accounts: Accounts, extra: Record<string, string>): ImageAccounts {
  const got = imageAccounts(new Map([['/etc/passwd', accounts.passwd], ['/etc/group', accounts.group], ...Object.entries(extra)]));
  if ('unknown' in got) throw new Error(got.unknown);
  return got;
}

const users = (...e: [string, number, number][]) => ['root:x:0:0:root:/root:/bin/sh', ...e.map(([n, u, g]) => `${n}:x:${u}:${g}::/home/${n}:/bin/sh`)].join('\n') + '\n';
const groups = (...e: [string, number][]) => ['root:x:0:', ...e.map(([n, g]) => `${n}:x:${g}:`)].join('\n') + '\n';

/** Deterministic pseudo-random numbers (mulberry32), so a failing scenario can be replayed. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DEBIAN_LOGIN_DEFS = 'UID_MIN 1000\nUID_MAX 60000\nGID_MIN 1000\nGID_MAX 60000\nUSERGROUPS_ENAB yes\n';

describeWithTool('shadow useradd/groupadd (real, -P prefix)', shadowAvailable(), true, () => {
  interface Case { name: string; accounts: Accounts; defs: string; commands: AccountCommand[] }
  const u = (name: string, more: Partial<Extract<AccountCommand, { tool: 'useradd' }>> = {}): AccountCommand => ({ tool: 'useradd', name, system: false, ...more });
  const g = (name: string, more: Partial<Extract<AccountCommand, { tool: 'groupadd' }>> = {}): AccountCommand => ({ tool: 'groupadd', name, system: false, force: false, ...more });
  const table: Case[] = [
    { name: 'empty range: UID_MIN', accounts: { passwd: users(['nobody', 65534, 65534]), group: groups(['nogroup', 65534]) }, defs: DEBIAN_LOGIN_DEFS, commands: [u('app')] },
    { name: 'gap below the highest is not reused', accounts: { passwd: users(['a', 1000, 1000], ['b', 1005, 1005]), group: groups(['a', 1000], ['b', 1005]) }, defs: DEBIAN_LOGIN_DEFS, commands: [u('app'), u('two')] },
    { name: 'private group: gid = uid when free', accounts: { passwd: users(), group: groups(['x', 1000]) }, defs: DEBIAN_LOGIN_DEFS, commands: [u('app'), u('b')] },
    { name: 'user at UID_MAX: lowest free', accounts: { passwd: users(['a', 1000, 1000], ['m', 1003, 1003]), group: groups() }, defs: 'UID_MIN 1000\nUID_MAX 1003\nGID_MIN 1000\nGID_MAX 1003\nUSERGROUPS_ENAB yes\n', commands: [u('app'), u('b'), u('c')] },
    { name: 'system users count down', accounts: { passwd: users(['s', 998, 998]), group: groups(['s', 998]) }, defs: DEBIAN_LOGIN_DEFS, commands: [u('app', { system: true }), u('b', { system: true }), g('sg', { system: true })] },
    { name: 'system user at SYS_UID_MIN: from the top', accounts: { passwd: users(['s', 101, 101]), group: groups() }, defs: DEBIAN_LOGIN_DEFS + 'SYS_UID_MIN 101\nSYS_UID_MAX 999\n', commands: [u('a', { system: true })] },
    { name: 'existing private group name: refused', accounts: { passwd: users(), group: groups(['app', 1000]) }, defs: DEBIAN_LOGIN_DEFS, commands: [u('app'), u('app', { userGroup: false }), u('b')] },
    { name: 'USERGROUPS_ENAB no, -U, -N, -g', accounts: { passwd: users(), group: groups(['users', 100]) }, defs: 'UID_MIN 1000\nUID_MAX 60000\nGID_MIN 1000\nGID_MAX 60000\nUSERGROUPS_ENAB no\n', commands: [u('a'), u('b', { userGroup: true }), g('grp'), u('c', { group: 'grp' }), u('d', { group: 'nope' })] },
    { name: 'groupadd then useradd -g; explicit ids count', accounts: { passwd: users(), group: groups() }, defs: DEBIAN_LOGIN_DEFS, commands: [g('app'), u('app', { group: 'app' }), u('x', { uid: 2000 }), u('y'), g('z', { gid: 3000 }), g('w'), g('w', { force: true }), g('v', { gid: 3000, force: true })] },
    { name: 'uid taken as gid: group moves on', accounts: { passwd: users(['a', 1000, 1000]), group: groups(['a', 1000], ['taken', 1001]) }, defs: DEBIAN_LOGIN_DEFS, commands: [u('b'), u('c')] },
    { name: 'octal and hex values, different gid range', accounts: { passwd: users(), group: groups() }, defs: 'UID_MIN 0x400\nUID_MAX 02000\nGID_MIN 2000\nGID_MAX 3000\nUSERGROUPS_ENAB yes\n', commands: [u('a'), g('g'), u('b')] },
    { name: 'range exhausted', accounts: { passwd: users(['a', 1000, 1000], ['b', 1001, 1001]), group: groups() }, defs: 'UID_MIN 1000\nUID_MAX 1001\nGID_MIN 1000\nGID_MAX 1001\nUSERGROUPS_ENAB yes\n', commands: [u('c'), g('d'), g('e'), g('f')] },
  ];
  const random: Case[] = [];
  const r = rng(9);
  for (let i = 0; i < 30; i++) {
    const max = 1000 + Math.floor(r() * 12);
    const sysMin = 990 + Math.floor(r() * 5);
    const defs = `UID_MIN 1000\nUID_MAX ${max}\nGID_MIN 1000\nGID_MAX ${max}\nSYS_UID_MIN ${sysMin}\nSYS_UID_MAX 999\nSYS_GID_MIN ${sysMin}\nSYS_GID_MAX 999\nUSERGROUPS_ENAB ${r() < 0.8 ? 'yes' : 'no'}\n`;
    const pu: [string, number, number][] = [];
    const pg: [string, number][] = [];
    for (let k = 0; k < 6; k++) {
      const id = 988 + Math.floor(r() * 30);
      if (r() < 0.6 && !pu.some((e) => e[1] === id)) pu.push([`u${k}`, id, id]);
      if (r() < 0.6 && !pg.some((e) => e[1] === id)) pg.push([`g${k}`, id]);
    }
    const commands: AccountCommand[] = [];
    for (let k = 0; k < 4; k++) {
      const system = r() < 0.3;
      const pick = r();
      if (pick < 0.55) commands.push(u(`n${k}`, { system, userGroup: r() < 0.2 ? false : undefined }));
      else if (pick < 0.8) commands.push(g(`m${k}`, { system }));
      else commands.push(u(`n${k}`, { uid: 995 + Math.floor(r() * 10) }));
    }
    random.push({ name: `random ${i}`, accounts: { passwd: users(...pu), group: groups(...pg) }, defs, commands });
  }

  it.each([...table, ...random].map((c) => [c.name, c] as const))('%s', (_, c) => {
    const real = runShadow(c.accounts, c.defs, c.commands);
    expect(simulate(imageOf(c.accounts, { '/etc/login.defs': c.defs }), c.commands)).toEqual(real);
  });

  it('65535: 4.13 hands it out, newer shadow does not; the simulation does not decide', () => {
    const accounts = { passwd: users(['x', 65534, 65534]), group: groups() };
    const defs = 'UID_MIN 65534\nUID_MAX 65536\nGID_MIN 65534\nGID_MAX 65536\nUSERGROUPS_ENAB yes\n';
    const real = runShadow(accounts, defs, [u('a')]);
    expect(real[0]?.uid === 65535 || real[0]?.uid === 65536).toBe(true);
    expect(simulate(imageOf(accounts, { '/etc/login.defs': defs }), [u('a')])).toEqual([null]);
  });

  it('the table reaches the cases it is about', () => {
    // Guards the table itself: a wrap-around and a refusal really happen.
    const wrap = table.find((c) => c.name.startsWith('user at UID_MAX'))!;
    expect(runShadow(wrap.accounts, wrap.defs, wrap.commands)).toEqual([{ uid: 1001, gid: 1001 }, { uid: 1002, gid: 1002 }, null]);
  });
});

describeWithTool('Debian adduser/addgroup (real, overlay on /etc)', debianAdduserAvailable(), true, () => {
  const conf = 'FIRST_SYSTEM_UID=100\nLAST_SYSTEM_UID=999\nFIRST_SYSTEM_GID=100\nLAST_SYSTEM_GID=999\nFIRST_UID=1000\nLAST_UID=59999\nFIRST_GID=1000\nLAST_GID=59999\nUSERGROUPS=yes\n';
  const a = (name: string, more: Partial<Extract<AccountCommand, { tool: 'debian-adduser' }>> = {}): AccountCommand => ({ tool: 'debian-adduser', name, system: false, group: false, range: {}, ...more });
  const ag = (name: string, more: Partial<Extract<AccountCommand, { tool: 'debian-addgroup' }>> = {}): AccountCommand => ({ tool: 'debian-addgroup', name, system: false, range: {}, ...more });
  const base = { passwd: users(['nobody', 65534, 65534]), group: groups(['users', 100], ['nogroup', 65534]) };
  const cases: { name: string; accounts: Accounts; conf?: string; commands: AccountCommand[] }[] = [
    { name: 'first free pair', accounts: { passwd: users(['nobody', 65534, 65534], ['a', 1001, 1001]), group: groups(['users', 100], ['nogroup', 65534], ['b', 1000]) }, conf, commands: [a('app'), a('two')] },
    { name: 'gaps are reused', accounts: { passwd: users(['nobody', 65534, 65534], ['a', 1003, 1003]), group: groups(['users', 100], ['nogroup', 65534]) }, conf, commands: [a('app'), a('b'), a('c'), a('d')] },
    { name: 'system users and groups', accounts: base, conf, commands: [a('s1', { system: true }), a('s2', { system: true, group: true }), ag('sg', { system: true }), a('s3', { system: true, group: true })] },
    { name: 'groups, --ingroup, --gid', accounts: base, conf, commands: [ag('grp'), a('u1', { ingroup: 'grp' }), a('u2', { gid: 1000 }), a('u3'), ag('g2')] },
    { name: 'USERGROUPS=no', accounts: base, conf: conf.replace('USERGROUPS=yes', 'USERGROUPS=no'), commands: [a('u1'), ag('g1'), a('u2')] },
    { name: 'custom ranges and explicit ids', accounts: base, conf: conf.replace('FIRST_UID=1000', 'FIRST_UID=2000').replace('FIRST_GID=1000', 'FIRST_GID=3000'), commands: [a('u1'), ag('g1'), a('u2', { uid: 2001 }), a('u3'), ag('g2', { gid: 3001 }), ag('g3')] },
    { name: 'no adduser.conf: defaults', accounts: base, conf: undefined, commands: [a('u1'), a('s', { system: true })] },
    { name: '--firstuid/--lastuid, refusals', accounts: base, conf, commands: [a('u1', { range: { firstUid: 5000, lastUid: 5001 } }), a('u2', { range: { firstUid: 5000, lastUid: 5001 } }), a('u3', { range: { firstUid: 5000, lastUid: 5001 } }), a('u1'), ag('users')] },
  ];
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const real = runDebian(c.accounts, c.conf, c.commands);
    const files: Record<string, string> = c.conf === undefined ? {} : { '/etc/adduser.conf': c.conf };
    expect(simulate(imageOf(c.accounts, files), c.commands)).toEqual(real);
  });
});

describeWithTool('busybox adduser/addgroup (real, chroot)', busyboxAvailable(), true, () => {
  interface Case { name: string; accounts: Accounts; commands: AccountCommand[] }
  const bu = (name: string, more: Partial<Extract<AccountCommand, { tool: 'busybox-adduser' }>> = {}): AccountCommand => ({ tool: 'busybox-adduser', name, system: false, ...more });
  const bg = (name: string, more: Partial<Extract<AccountCommand, { tool: 'busybox-addgroup' }>> = {}): AccountCommand => ({ tool: 'busybox-addgroup', name, system: false, ...more });
  const alpine = { passwd: users(['bin', 1, 1], ['guest', 405, 100], ['nobody', 65534, 65534]), group: groups(['bin', 1], ['users', 100], ['nogroup', 65533]) };
  // Every system id 100–999 taken (as uid and as gid), but for the holes given.
  const fullSystemRange = (...holes: number[]) => {
    const ids = Array.from({ length: 900 }, (_, i) => 100 + i).filter((id) => !holes.includes(id));
    return { passwd: users(...ids.map((id): [string, number, number] => [`s${id}`, id, id])), group: groups(...ids.map((id): [string, number] => [`s${id}`, id]), ['nogroup', 65533]) };
  };
  const table: Case[] = [
    { name: 'addgroup -S, adduser -S -G', accounts: alpine, commands: [bg('app', { system: true }), bu('app', { system: true, group: 'app' })] },
    { name: 'users with own groups', accounts: alpine, commands: [bu('a'), bg('g'), bu('b'), bu('c', { uid: 1004 }), bu('d')] },
    { name: 'system user joins nogroup', accounts: alpine, commands: [bu('s', { system: true })] },
    { name: 'system user without nogroup: refused', accounts: { passwd: users(), group: groups() }, commands: [bu('s', { system: true }), bu('t')] },
    { name: 'own group needs uid and gid free together', accounts: { passwd: users(['a', 1000, 1000]), group: groups(['x', 1001], ['y', 1003]) }, commands: [bu('b'), bu('c', { group: 'x' }), bg('g'), bu('d')] },
    { name: 'a group named like the user: refused without -G, fine with it', accounts: { passwd: users(), group: groups(['app', 1000], ['web', 1001]) }, commands: [bu('app'), bu('app', { group: 'app' }), bu('web', { system: true, group: 'web' })] },
    { name: '-u/-g taken, or taken as a gid', accounts: { passwd: users(['a', 1000, 1000]), group: groups(['g', 1001]) }, commands: [bu('b', { uid: 1000 }), bu('c', { uid: 1001 }), bu('d', { uid: 1001, group: 'g' }), bg('h', { gid: 1001 }), bg('i', { gid: 1000 })] },
    { name: 'ids above 60000 up to LAST_ID', accounts: alpine, commands: [bu('a', { uid: 70000 }), bg('g', { gid: 256000 }), bu('b', { uid: 256001 }), bg('h', { gid: 300000 }), bu('c', { system: true, uid: 5000 })] },
    { name: 'names busybox refuses', accounts: alpine, commands: [bu('a@b'), bu('_x'), bu('.x'), bg('a b'), bu('x.y-z_1'), bu('m$'), bu('$'), bg('g$'), bu('Ab9')] },
    { name: 'system range full: no ids left', accounts: fullSystemRange(), commands: [bg('g', { system: true }), bu('u', { system: true }), bu('n'), bg('h')] },
    { name: 'system range: the last free id is 999', accounts: fullSystemRange(999), commands: [bu('u', { system: true }), bg('g', { system: true }), bg('h', { system: true })] },
    { name: 'system range: a hole in the middle', accounts: fullSystemRange(500, 501), commands: [bg('g', { system: true }), bu('u', { system: true, group: 'g' }), bu('v', { system: true, group: 'g' }), bu('w', { system: true, group: 'g' })] },
    { name: 'user already there', accounts: alpine, commands: [bu('guest'), bu('bin', { system: true }), bg('users'), bg('nobody')] },
  ];

  // Seeded random sequences on generated account files: ids crowded around the ends of the ranges, gaps,
  // groups named like the users to come, nogroup present or not.
  const random: Case[] = [];
  const r = rng(17);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const near = [98, 99, 100, 101, 102, 103, 500, 997, 998, 999, 1000, 1001, 1002, 1003, 1004, 59999, 60000, 60001, 65533, 65534, 255999, 256000, 256001];
  const names = ['app', 'web', 'db', 'svc', 'www'];
  for (let i = 0; i < 60; i++) {
    const pu: [string, number, number][] = [];
    const pg: [string, number][] = [];
    const clusters = [98 + Math.floor(r() * 6), 994 + Math.floor(r() * 8)];
    for (let k = 0; k < 12; k++) {
      const id = pick(clusters) + Math.floor(r() * 6);
      if (r() < 0.5 && !pu.some((e) => e[1] === id)) pu.push([`u${k}`, id, id]);
      if (r() < 0.5 && !pg.some((e) => e[1] === id)) pg.push([r() < 0.15 ? pick(names) : `g${k}`, id]);
    }
    if (r() < 0.6) pg.push(['nogroup', 65533]);
    const dedup = pg.filter((e, k) => pg.findIndex((o) => o[0] === e[0]) === k);
    const commands: AccountCommand[] = [];
    for (let k = 0; k < 5; k++) {
      const system = r() < 0.4;
      const name = pick(names);
      if (r() < 0.6) {
        const group = r() < 0.35 ? pick([...names, 'nogroup', 'g1', 'users']) : undefined;
        commands.push(bu(name, { system, group, uid: r() < 0.3 ? pick(near) : undefined }));
      } else {
        commands.push(bg(name, { system, gid: r() < 0.3 ? pick(near) : undefined }));
      }
    }
    random.push({ name: `random ${i}`, accounts: { passwd: users(...pu), group: groups(...dedup) }, commands });
  }

  it.each([...table, ...random].map((c) => [c.name, c] as const))('%s', (_, c) => {
    expect(simulate(imageOf(c.accounts, {}), c.commands)).toEqual(runBusybox(c.accounts, c.commands));
  });

  it('the table reaches the cases it is about', () => {
    // Guards the table itself: the real tool does refuse at the end of the system range and above LAST_ID.
    const full = table.find((c) => c.name.startsWith('system range full'))!;
    expect(runBusybox(full.accounts, full.commands)).toEqual([null, null, { uid: 1000, gid: 1000 }, { gid: 1001 }]);
    const high = table.find((c) => c.name.startsWith('ids above 60000'))!;
    expect(runBusybox(high.accounts, high.commands)).toEqual([{ uid: 70000, gid: 70000 }, { gid: 256000 }, null, null, { uid: 5000 }]);
  });

  it('the random sequences reach refusals, own groups, -G users and groups', () => {
    const outcomes = new Set(random.flatMap((c) => runBusybox(c.accounts, c.commands)).map((o) => (o === null ? 'refused' : Object.keys(o).sort().join('+'))));
    expect([...outcomes].sort()).toEqual(['gid', 'gid+uid', 'refused', 'uid']);
  });
});

describe('busybox simulation: Alpine\'s well-known ids (needs neither root nor the built busybox)', () => {
  const alpine = imageOf({ passwd: users(['bin', 1, 1], ['guest', 405, 100], ['nobody', 65534, 65534]), group: groups(['bin', 1], ['users', 100], ['nogroup', 65533]) }, {});
  it('gives Alpine\'s well-known ids: addgroup -S app → 101, adduser -S -G app app → 100', () => {
    const s = new AccountState(alpine);
    expect(s.run({ tool: 'busybox-addgroup', name: 'app', system: true })).toEqual<Created>({ gid: 101 });
    expect(s.run({ tool: 'busybox-adduser', name: 'app', system: true, group: 'app' })).toEqual<Created>({ uid: 100 });
    expect(s.run({ tool: 'busybox-adduser', name: 'web', system: false })).toEqual<Created>({ uid: 1000, gid: 1000 });
    expect(() => s.run({ tool: 'busybox-adduser', name: 'web', system: false })).toThrow(AccountError);
  });
});
