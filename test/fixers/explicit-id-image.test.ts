/**
 * explicit-id with the base image's files: the ids written are the ones the real tools assign on those
 * files (shadow's useradd in prefix mode, run here), the fix is safe then, and everything the replay cannot
 * know keeps today's unsafe fix. The StageBases here serves files from memory (it is the input, not the code
 * under test); registry-backed end-to-end tests live with the image reader.
 */
import { readFileSync } from 'node:fs';

import fixer from '../../src/fixers/explicit-id';
import { isFix, type Fix } from '../../src/fixers/types';
import { findingsOf } from '../helpers/fixerTable';
import { applyEdits } from '../../src/edit/apply';
import { parseDockerfile } from '../../src/parse/dockerfile';
import { lintModel } from '../../src/lint';
import rule from '../../src/rules/useradd-uid';
import type { FileQuery, ImageFiles, StageBases } from '../../src/resolve/baseImage';
import { NotFixed } from '../../src/util/notFixed';
import { busyboxAvailable, runBusybox, runShadow, shadowAvailable } from '../helpers/accountTools';
import { Lookups } from '../../src/resolve/shared';
import { inCI } from '../helpers/ci';

/** The accounts of python:3.7.3-stretch: system users only, nobody/nogroup at 65534. */
const STRETCH_PASSWD = [
  'root:x:0:0:root:/root:/bin/bash', 'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin', 'bin:x:2:2:bin:/bin:/usr/sbin/nologin',
  'sys:x:3:3:sys:/dev:/usr/sbin/nologin', 'sync:x:4:65534:sync:/bin:/bin/sync', 'games:x:5:60:games:/usr/games:/usr/sbin/nologin',
  'man:x:6:12:man:/var/cache/man:/usr/sbin/nologin', 'lp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin', 'mail:x:8:8:mail:/var/mail:/usr/sbin/nologin',
  'news:x:9:9:news:/var/spool/news:/usr/sbin/nologin', 'www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin',
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin', '_apt:x:100:65534::/nonexistent:/bin/false', '',
].join('\n');
const STRETCH_GROUP = ['root:x:0:', 'daemon:x:1:', 'bin:x:2:', 'sys:x:3:', 'adm:x:4:', 'staff:x:50:', 'games:x:60:', 'users:x:100:', 'nogroup:x:65534:', ''].join('\n');
/** Debian's own login.defs as shipped (comments and all), trimmed to the keys that matter plus noise. */
const DEBIAN_LOGIN_DEFS = '#\n# /etc/login.defs\n#\nMAIL_DIR        /var/mail\nUID_MIN\t\t\t 1000\nUID_MAX\t\t\t60000\n#SYS_UID_MIN\t\t  100\nGID_MIN\t\t\t 1000\nGID_MAX\t\t\t60000\nUSERGROUPS_ENAB yes\nENCRYPT_METHOD SHA512\n';

function bases(files: Record<string, string>, calls: FileQuery[] = []): StageBases {
  return {
    config: () => Promise.reject(new Error('not needed')),
    files: async (_stage: number, query: FileQuery): Promise<ImageFiles> => {
      calls.push(query);
      const wanted = new Map((query.files ?? []).filter((f) => f in files).map((f) => [f, files[f]] as [string, string]));
      return { files: wanted, dirs: new Map(), source: 'test' };
    },
  };
}

const STRETCH = { '/etc/passwd': STRETCH_PASSWD, '/etc/group': STRETCH_GROUP, '/etc/login.defs': DEBIAN_LOGIN_DEFS, '/etc/os-release': 'ID=debian\n' };

async function fixWith(text: string, stageBases?: StageBases) {
  const model = parseDockerfile(text);
  const findings = findingsOf(lintModel(model, { rules: [rule] }), 'explicit-id');
  const results = await fixer.fix(findings, { model, baseId: 10001, lookups: new Lookups(), findings, bases: stageBases });
  return { findings, results, output: applyEdits(text, results.flatMap((r) => (isFix(r) ? r.edits : []))) };
}

const TALK = 'FROM python:3.7.3-stretch\n\nCOPY requirements.txt /tmp/\n\nRUN pip install -r /tmp/requirements.txt\n\nRUN useradd --create-home appuser\n\nWORKDIR /home/appuser\n\nUSER appuser\n';

const shadowMissing = shadowAvailable();
const withShadow = shadowMissing && !inCI() ? it.skip : it;
if (shadowMissing) process.stderr.write(`\nSKIPPED (real useradd comparisons): ${shadowMissing}\n`);
const busyboxMissing = busyboxAvailable();
const withBusybox = busyboxMissing && !inCI() ? it.skip : it;
if (busyboxMissing) process.stderr.write(`\nSKIPPED (real busybox adduser comparisons): ${busyboxMissing}\n`);

describe('explicit-id with the base image\'s accounts', () => {
  it('the talk\'s Dockerfile: useradd --create-home appuser gets --uid 1000, safe', async () => {
    const calls: FileQuery[] = [];
    const { results, output } = await fixWith(TALK, bases(STRETCH, calls));
    expect(results).toEqual([expect.objectContaining({ applicability: 'safe' })]);
    expect(output).toContain('RUN useradd --uid 1000 --create-home appuser\n');
    expect((results[0] as Fix).title).toMatch(/gets today, from the base image's accounts; its group 'appuser' keeps gid 1000/);
    expect(calls[0].files).toEqual(expect.arrayContaining(['/etc/passwd', '/etc/group', '/etc/login.defs']));
    // Fix twice = fix once.
    expect((await fixWith(output, bases(STRETCH))).findings).toEqual([]);
  });

  withShadow('several commands get what the real useradd/groupadd give on the same files', async () => {
    const passwd = STRETCH_PASSWD + 'old:x:1003:1003::/home/old:/bin/sh\n';
    const group = STRETCH_GROUP + 'old:x:1003:\nclash:x:1004:\n';
    const text = 'FROM debian:stretch\nRUN groupadd app && useradd -g app -m app \\\n && useradd -r svc && useradd web && groupadd -r sysg && useradd --uid 2000 fixed && useradd late\n';
    const { results } = await fixWith(text, bases({ ...STRETCH, '/etc/passwd': passwd, '/etc/group': group }));
    const real = runShadow({ passwd, group }, DEBIAN_LOGIN_DEFS, [
      { tool: 'groupadd', name: 'app', system: false, force: false }, { tool: 'useradd', name: 'app', system: false, group: 'app' },
      { tool: 'useradd', name: 'svc', system: true }, { tool: 'useradd', name: 'web', system: false },
      { tool: 'groupadd', name: 'sysg', system: true, force: false }, { tool: 'useradd', name: 'fixed', system: false, uid: 2000 },
      { tool: 'useradd', name: 'late', system: false },
    ]);
    const expected = [real[0]!.gid, real[1]!.uid, real[2]!.uid, real[3]!.uid, real[4]!.gid, real[6]!.uid].map((n) => String(n));
    expect(results.map((r) => (isFix(r) && r.applicability === 'safe' ? /--[ug]id (\d+)/.exec(r.title)![1] : r))).toEqual(expected);
    // The situations the sequence is about: app's group above 'clash', web's uid taken as a gid by app's group
    // (so web's group moves on), sysg below svc's group, late above the explicit 2000.
    expect(expected).toEqual(['1005', '1004', '999', '1005', '998', '2001']);
  });

  it('a package installation before the command keeps the unsafe fix, with the reason', async () => {
    const text = 'FROM debian:stretch\nRUN apt-get update && apt-get install -y nginx\nRUN useradd app\n';
    const { results } = await fixWith(text, bases(STRETCH));
    expect(results).toEqual([expect.objectContaining({ applicability: 'unsafe' })]);
    expect((results[0] as Fix).title).toBe("add --uid 10001 to useradd 'app' (the id it gets today is unknown: line 2: 'apt-get install' may install packages, whose scripts can create users)");
  });

  it.each([
    ['a script', 'RUN ./setup.sh && useradd app', "'./setup.sh' runs a script"],
    ['curl | sh', 'RUN curl -fsSL https://x.example/i.sh | sh && useradd app', "'sh' runs a script from its input"],
    ['an unknown option', 'RUN useradd --frobnicate app', "useradd option '--frobnicate' is not simulated"],
    ['a write to /etc/passwd', "RUN echo 'x:x:1000:1000::/:/bin/sh' >> /etc/passwd && useradd app", "the RUN names an account file"],
    ['COPY into /etc', 'COPY passwd /etc/passwd\nRUN useradd app', 'COPY may write into /etc'],
    ['a name in use', 'RUN useradd news', 'useradd would fail: user \'news\' already exists'],
    ['usermod -u', 'RUN useradd a && usermod -u 5000 a && useradd b', "'usermod -u' changes the accounts"],
  ])('%s → unsafe with the reason', async (_, body, reason) => {
    const { results } = await fixWith(`FROM debian:stretch\n${body}\n`, bases(STRETCH));
    const last = results[results.length - 1] as Fix;
    expect(last.applicability).toBe('unsafe');
    expect(last.title).toContain(reason);
  });

  it('no image files (NotFixed) and no bases give today\'s fix, byte for byte', async () => {
    const failing: StageBases = { config: () => Promise.reject(new NotFixed('offline', 'needs-network')), files: () => Promise.reject(new NotFixed('offline', 'needs-network')) };
    const without = await fixWith(TALK);
    const unreadable = await fixWith(TALK, failing);
    expect(unreadable.results).toEqual(without.results);
    expect(without.results).toEqual([expect.objectContaining({ applicability: 'unsafe', title: "add --uid 10001 to useradd 'appuser'" })]);
  });

  it('an image without /etc/passwd (scratch) keeps the unsafe fix with the reason', async () => {
    const { results } = await fixWith(TALK, bases({}));
    expect((results[0] as Fix).title).toContain('the base image has no /etc/passwd');
  });

  it('multi-stage: a stage FROM another stage counts the users created there', async () => {
    const text = 'FROM debian:stretch AS base\nRUN useradd a\nFROM base\nRUN useradd b\nFROM debian:stretch\nRUN useradd c\n';
    const { output, results } = await fixWith(text, bases(STRETCH));
    expect(results.every((r) => isFix(r) && r.applicability === 'safe')).toBe(true);
    expect(output).toBe('FROM debian:stretch AS base\nRUN useradd --uid 1000 a\nFROM base\nRUN useradd --uid 1001 b\nFROM debian:stretch\nRUN useradd --uid 1000 c\n');
  });

  describe('Debian adduser (decided by the image\'s /usr/sbin/adduser, not by its name)', () => {
    const script = (version: string) => `#!/usr/bin/perl\n\nuse warnings;\nmy $version = "${version}";\n`;
    const conf = existsOr('/etc/adduser.conf', 'FIRST_UID=1000\nLAST_UID=59999\nUSERGROUPS=yes\n');
    it('the verified version: --uid and --gid from adduser.conf', async () => {
      const text = 'FROM example.com/thing:1\nRUN adduser --disabled-password --gecos "" app && addgroup --system sysg\n';
      const { results, output } = await fixWith(text, bases({ ...STRETCH, '/etc/adduser.conf': conf, '/usr/sbin/adduser': script('3.134') }));
      expect(results.map((r) => (r as Fix).applicability)).toEqual(['safe', 'safe']);
      expect(output).toBe('FROM example.com/thing:1\nRUN adduser --uid 1000 --disabled-password --gecos "" app && addgroup --gid 101 --system sysg\n');
    });
    it('another version keeps the unsafe fix', async () => {
      const { results } = await fixWith('FROM debian:12\nRUN adduser --disabled-password app\n', bases({ ...STRETCH, '/etc/adduser.conf': conf, '/usr/sbin/adduser': script('3.115') }));
      expect((results[0] as Fix).title).toContain("Debian adduser 3.115 is not one whose id choice was verified");
    });
    it('Alpine: busybox adduser, spelled -u/-g', async () => {
      const alpine = {
        '/etc/passwd': 'root:x:0:0:root:/root:/bin/ash\nguest:x:405:100:guest:/dev/null:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n',
        '/etc/group': 'root:x:0:root\nusers:x:100:games\nnogroup:x:65533:\n', '/etc/alpine-release': '3.20.3\n',
      };
      const { output, results } = await fixWith('FROM alpine:3.20\nRUN addgroup -S app && adduser -S -G app app\n', bases(alpine));
      expect(results.map((r) => (r as Fix).applicability)).toEqual(['safe', 'safe']);
      expect(output).toBe('FROM alpine:3.20\nRUN addgroup -g 101 -S app && adduser -u 100 -S -G app app\n');
    });
    withBusybox('Alpine: several commands get what the real busybox gives on the same files', async () => {
      const passwd = 'root:x:0:0:root:/root:/bin/ash\nguest:x:405:100:guest:/dev/null:/sbin/nologin\nold:x:1000:1000::/home/old:/bin/ash\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n';
      const group = 'root:x:0:root\nusers:x:100:games\nold:x:1000:\nclash:x:1001:\nnogroup:x:65533:\n';
      const text = 'FROM alpine:3.20\nRUN addgroup -S app && adduser -S -D -G app app && adduser -D web && adduser -S svc && addgroup grp && adduser -D -u 70000 big && adduser -D late\n';
      const { results } = await fixWith(text, bases({ '/etc/passwd': passwd, '/etc/group': group, '/etc/alpine-release': '3.20.3\n' }));
      const real = runBusybox({ passwd, group }, [
        { tool: 'busybox-addgroup', name: 'app', system: true }, { tool: 'busybox-adduser', name: 'app', system: true, group: 'app' },
        { tool: 'busybox-adduser', name: 'web', system: false }, { tool: 'busybox-adduser', name: 'svc', system: true },
        { tool: 'busybox-addgroup', name: 'grp', system: false }, { tool: 'busybox-adduser', name: 'big', system: false, uid: 70000 },
        { tool: 'busybox-adduser', name: 'late', system: false },
      ]);
      const expected = [real[0]!.gid, real[1]!.uid, real[2]!.uid, real[3]!.uid, real[4]!.gid, real[6]!.uid].map((n) => String(n));
      expect(results.map((r) => (isFix(r) && r.applicability === 'safe' ? /-[ug] (\d+)/.exec(r.title)![1] : r))).toEqual(expected);
      // The situations the sequence is about: web skips 1001 (free as a uid, taken as a gid), svc (nogroup) takes
      // the system uid after app's, grp the gid after web's group, late the first free id (not one above 70000).
      expect(expected).toEqual(['101', '100', '1002', '101', '1003', '1004']);
    });
  });
});

function existsOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

