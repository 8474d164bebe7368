import rule from '../../src/rules/apt-cleanup';
import fixer from '../../src/fixers/apt-cleanup';
import { FIXERS } from '../../src/fixers/index';
import { fixText } from '../../src/fix';
import { flagged, lint } from '../helpers/lint';

const D = 'FROM debian:12.8-slim@sha256:' + 'a'.repeat(64) + '\n';
const ALL = '/var/log/dpkg.log /var/log/apt/* /var/log/alternatives.log /var/cache/apt/*.bin /var/cache/ldconfig/aux-cache /var/lib/apt/lists/*';
const LOGS = '/var/log/dpkg.log /var/log/apt/* /var/log/alternatives.log /var/cache/apt/*.bin /var/cache/ldconfig/aux-cache';

async function fix(text: string, unsafe = true) {
  return fixText(text, { rules: [rule], unsafe, offline: true, baseId: 10001 });
}

describe('apt-cleanup', () => {
  describe('must trigger (once per RUN, at the first package command)', () => {
    it.each([
      ['apt-get install', 'RUN apt-get update && apt-get install -y curl', ['install']],
      ['hadolint DL3009 style: only the lists removed', 'RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*', ['install']],
      ['apt install, aptitude install', 'RUN apt install -y curl\nRUN aptitude install -y git', ['install', 'install']],
      ['remove and purge', 'RUN apt-get purge -y curl', ['purge']],
      ['dpkg -i', 'RUN dpkg -i /tmp/x.deb', ['-i']],
      ['dpkg --install', 'RUN dpkg --install /tmp/x.deb', ['--install']],
      ['rm before the install does not count', 'RUN rm -rf /var/log/* /var/cache/* /var/lib/apt/lists/* && apt-get install -y curl', ['install']],
      ['one finding for two installs', 'RUN apt-get install -y a && apt-get install -y b', ['install']],
      ['sudo and sh -c', `RUN sudo sh -c 'apt-get install -y curl'`, ['install']],
      ['heredoc', 'RUN <<EOF\napt-get update\napt-get install -y curl\nEOF', ['install']],
      ['exec form', 'RUN ["apt-get", "install", "-y", "curl"]', ['"install"']],
      ['the last stage and the stages it is built from', 'RUN apt-get install -y a\nFROM scratch AS other\nFROM base\nRUN apt-get install -y b', ['install', 'install']],
    ])('%s', (_name, code, expected) => {
      expect(flagged(rule, D.replace('\n', ' AS base\n') + code)).toEqual(expected);
    });

    it('lists what is left, in the message and the fix request', () => {
      const found = lint(rule, D + 'RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/* /var/log/apt');
      expect(found.map((f) => [f.line, f.column, f.text])).toEqual([[2, 31, 'install']]);
      expect(found[0].message).toBe(
        "'apt-get install' leaves files with the build's time or day in them in this layer, so two builds differ: " +
          'remove /var/log/dpkg.log /var/log/alternatives.log /var/cache/apt/*.bin /var/cache/ldconfig/aux-cache at the end of this RUN',
      );
      expect(found[0].fix).toEqual({ kind: 'apt-cleanup', paths: ['/var/log/dpkg.log', '/var/log/alternatives.log', '/var/cache/apt/*.bin', '/var/cache/ldconfig/aux-cache'] });
    });

    it('keeps the lists when a later RUN of the stage (or a stage built FROM it) installs without apt-get update', () => {
      const found = lint(rule, `${D.replace('\n', ' AS base\n')}RUN apt-get update && apt-get install -y curl\nFROM base\nRUN apt-get install -y git && rm -rf ${LOGS}\n`);
      expect(found).toHaveLength(1);
      expect(found[0].fix).toEqual({ kind: 'apt-cleanup', paths: LOGS.split(' ') });
      expect(found[0].message).toContain("(the lists stay: line 4 reads them without 'apt-get update')");
    });

    it.each([
      ['apt-get download', 'RUN apt-get download curl'],
      ['apt-cache', 'RUN apt-cache policy curl'],
      ['apt-get source', 'RUN apt-get source curl'],
    ])('keeps the lists for a later %s without apt-get update', (_name, later) => {
      expect(lint(rule, `${D}RUN apt-get update && apt-get install -y curl
${later}
`).map((f) => f.fix)).toEqual([{ kind: 'apt-cleanup', paths: LOGS.split(' ') }]);
    });

    it('removes the lists when the later RUN runs apt-get update itself', () => {
      expect(lint(rule, `${D}RUN apt-get update && apt-get install -y curl
RUN apt-get update && apt-get install -y git && rm -rf ${ALL}
`).map((f) => f.fix)).toEqual([
        { kind: 'apt-cleanup', paths: ALL.split(' ') },
      ]);
    });

    it("under apt-version's snapshot sources: the lists a later RUN reads are the snapshot's and stay; the fix never touches /etc/apt", async () => {
      // The sources rewrite exactly as the apt-version fixer writes it (snapshot strategy, Debian 12), before the first update.
      const snapshot = "printf '%s\\n' 'deb [check-valid-until=no] http://snapshot.debian.org/archive/debian/20260101T000000Z bookworm main' > /etc/apt/sources.list.d/debian.list";
      const text = `${D}RUN ${snapshot} && apt-get update && apt-get install -y curl=7.88.1-10+deb12u8\nRUN apt-get install -y git=1:2.39.5-0+deb12u1\n`;
      const r = await fix(text);
      expect(r.text).toBe(`${D}RUN ${snapshot} && apt-get update && apt-get install -y curl=7.88.1-10+deb12u8 && rm -rf ${LOGS}\nRUN apt-get install -y git=1:2.39.5-0+deb12u1 && rm -rf ${LOGS}\n`);
      expect(r.text).not.toMatch(/rm -rf[^\n]*\/etc\/apt/);
    });

    it('asks for what each RUN writes: the lists only with apt-get update, apt\'s files only with apt', () => {
      expect(lint(rule, `${D}RUN apt-get install -y curl\nRUN dpkg -i /x.deb\n`).map((f) => f.fix)).toEqual([
        { kind: 'apt-cleanup', paths: LOGS.split(' ') },
        { kind: 'apt-cleanup', paths: ['/var/log/dpkg.log', '/var/log/alternatives.log', '/var/cache/ldconfig/aux-cache'] },
      ]);
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['everything removed', `RUN apt-get update && apt-get install -y curl && rm -rf ${ALL}`],
      ['removed by folders, recursively', 'RUN apt-get install -y curl; rm -rf /var/log/* /var/cache/* /var/lib/apt/lists'],
      ['cache mounts keep it out of the layer', 'RUN --mount=type=cache,target=/var/cache --mount=type=cache,target=/var/lib/apt --mount=type=tmpfs,dst=/var/log apt-get install -y curl'],
      ['apt-get update alone', 'RUN apt-get update'],
      ['apt-cache, apt-get download, dpkg -l', 'RUN apt-cache policy curl && apt-get download curl && dpkg -l'],
      ['ONBUILD', 'ONBUILD RUN apt-get install -y curl'],
      ['a build stage the image is not built from', 'RUN apt-get install -y curl\nFROM scratch\nCOPY --from=0 /usr/bin/curl /curl'],
    ])('%s', (_name, code) => {
      expect(flagged(rule, D + code)).toEqual([]);
    });

    it('rm without -r does not remove a folder', () => {
      expect(flagged(rule, D + 'RUN apt-get install -y curl && rm -f /var/log /var/cache /var/lib/apt/lists')).toEqual(['install']);
    });
  });

  describe('fix', () => {
    it('is registered for its request kind', () => {
      expect(FIXERS['apt-cleanup']).toBe(fixer);
    });

    it('appends the rm after the last command, unsafe; fix twice is fix once; CRLF and continuations kept', async () => {
      const text = `${D}RUN apt-get update \\\r\n && apt-get install -y curl \\\r\n && rm -rf /var/lib/apt/lists/* \r\n\r\nUSER 1\r\n`;
      const r = await fix(text);
      expect(r.text).toBe(`${D}RUN apt-get update \\\r\n && apt-get install -y curl \\\r\n && rm -rf /var/lib/apt/lists/* && rm -rf ${LOGS} \r\n\r\nUSER 1\r\n`);
      expect(r.applied.map((a) => [a.rule, a.applicability])).toEqual([['apt-cleanup', 'unsafe']]);
      expect(r.left).toEqual([]);
      expect((await fix(r.text)).text).toBe(r.text);
      const safeOnly = await fix(text, false);
      expect(safeOnly.text).toBe(text);
      expect(safeOnly.left.map((l) => l.left)).toEqual(['unsafe']);
    });

    it('appends after a wrapped command (sh -c), in the outer shell', async () => {
      const text = `${D}RUN apt-get update && sh -c 'apt-get install -y curl'\n`;
      expect((await fix(text)).text).toBe(`${D}RUN apt-get update && sh -c 'apt-get install -y curl' && rm -rf ${ALL}\n`);
    });

    it('writes all paths when nothing is removed, with the backtick escape', async () => {
      const text = '# escape=`\nFROM debian:12\nRUN apt-get update; `\n    apt-get install -y curl `\n';
      expect((await fix(text)).text).toBe(`# escape=\`\nFROM debian:12\nRUN apt-get update; \`\n    apt-get install -y curl && rm -rf ${ALL} \`\n`);
    });

    it.each([
      ['exec form', 'RUN ["sh", "-c", "apt-get update && apt-get install -y curl"]', 'the RUN is in exec form'],
      ['heredoc', 'RUN <<EOF\napt-get update\napt-get install -y curl\nEOF', 'the RUN has a here-document'],
      ['if … fi', 'RUN apt-get update && if true; then apt-get install -y curl; fi', "the RUN does not end with a simple command (it ends with '; fi')"],
    ])('leaves %s with the line to add', async (_name, code, why) => {
      const text = `${D}${code}\n`;
      const r = await fix(text);
      expect(r.text).toBe(text);
      expect(r.left.map((l) => `${l.left}: ${l.reason}`)).toEqual([`no-fixer: ${why}: add '&& rm -rf ${ALL}' at its end by hand`]);
    });
  });
});
