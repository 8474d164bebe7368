import rule from '../../src/rules/source-date-epoch';
import fixer from '../../src/fixers/source-date-epoch';
import { FIXERS } from '../../src/fixers/index';
import { fixText } from '../../src/fix';
import { flagged, lint } from '../helpers/lint';

const D = 'FROM debian:12.8-slim@sha256:' + 'a'.repeat(64) + '\n';
const A = 'FROM alpine:3.20.3@sha256:' + 'b'.repeat(64) + '\n';

async function fix(text: string) {
  return fixText(text, { rules: [rule], unsafe: false, offline: true, baseId: 10001 });
}

describe('source-date-epoch', () => {
  describe('must trigger (once per stage, at the first command that writes the date)', () => {
    it.each([
      ['useradd', 'RUN useradd --uid 10001 app', ['useradd']],
      ['Debian adduser of a user', 'RUN adduser --system --group --uid 101 app', ['adduser']],
      ['usermod -p', 'RUN usermod -p x root', ['usermod']],
      ['usermod --password=', 'RUN usermod --password=x root', ['usermod']],
      ['chpasswd', 'RUN echo root:x | chpasswd', ['chpasswd']],
      ['passwd -d', 'RUN passwd -d root', ['passwd']],
      ['pip install', 'RUN pip install --no-cache-dir flask==3.0.3', ['pip']],
      ['python -m pip install', 'RUN python3 -m pip install flask==3.0.3', ['python3']],
      ['pipx install', 'RUN pipx install black==24.1.0', ['pipx']],
      ['uv pip install --compile-bytecode', 'RUN uv pip install --system --compile-bytecode flask==3.0.3', ['uv']],
      ['python -m compileall', 'RUN python3 -m compileall -q /app', ['python3']],
      ['python -mpy_compile', 'RUN python -mpy_compile app.py', ['python']],
      ['one finding for a stage with several', 'RUN useradd --uid 10001 app && pip install flask==3.0.3\nRUN usermod -p x app', ['useradd']],
      ['sudo, sh -c', `RUN sudo sh -c 'useradd --uid 10001 app'`, ['useradd']],
      ['heredoc', 'RUN <<EOF\nset -e\nuseradd --uid 10001 app\nEOF', ['useradd']],
      ['exec form', 'RUN ["useradd", "--uid", "10001", "app"]', ['"useradd"']],
      ['a global ARG is not in the stage', `ARG ${'SOURCE_DATE_EPOCH'}\n${D}RUN useradd --uid 10001 app`, ['useradd']],
      ['ARG after the RUN', 'RUN useradd --uid 10001 app\nARG SOURCE_DATE_EPOCH', ['useradd']],
      ['ARG of a stage it is built FROM (ARGs are not inherited)', 'ARG SOURCE_DATE_EPOCH\nFROM scratch AS two\nARG SOURCE_DATE_EPOCH\nFROM two\nRUN useradd --uid 1 a', ['useradd']],
      ['shadow adduser on RHEL', 'FROM registry.access.redhat.com/ubi9/ubi:9.4@sha256:' + 'c'.repeat(64) + '\nRUN adduser -u 1001 app', ['adduser']],
    ])('%s', (_name, code, expected) => {
      expect(flagged(rule, D + code)).toEqual(expected);
    });

    it('reports each stage that needs it, with a fix request per stage', () => {
      const found = lint(rule, `${D}RUN useradd --uid 10001 a\nFROM ${D.slice(5)}RUN pip install flask==3.0.3\n`);
      expect(found.map((f) => [f.line, f.text, f.fix])).toEqual([
        [2, 'useradd', { kind: 'source-date-epoch', stage: 0 }],
        [4, 'pip', { kind: 'source-date-epoch', stage: 1 }],
      ]);
      expect(found[0].message).toBe(
        "useradd writes today's date into /etc/shadow, so two builds differ; with 'ARG SOURCE_DATE_EPOCH' in this stage it takes " +
          "the date from the SOURCE_DATE_EPOCH the builder passes (buildx and buildctl pass it from the environment): add 'ARG SOURCE_DATE_EPOCH' after FROM",
      );
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['ARG in the stage', 'ARG SOURCE_DATE_EPOCH\nRUN useradd --uid 10001 app'],
      ['ARG with a default, among others', 'ARG A=1 SOURCE_DATE_EPOCH=0\nRUN useradd --uid 10001 app'],
      ['ENV in the stage', 'ENV SOURCE_DATE_EPOCH=0\nRUN useradd --uid 10001 app'],
      ['legacy ENV form', 'ENV SOURCE_DATE_EPOCH 0\nRUN useradd --uid 10001 app'],
      ['set on the command', 'RUN SOURCE_DATE_EPOCH=0 useradd --uid 10001 app'],
      ['exported earlier in the RUN', 'RUN export SOURCE_DATE_EPOCH=0 && useradd --uid 10001 app'],
      ['groupadd (gshadow has no date)', 'RUN groupadd --gid 10001 app'],
      ['Debian addgroup / adduser --group', 'RUN addgroup --gid 10001 app && adduser --group --gid 10002 b'],
      ['adduser USER GROUP', 'RUN adduser app staff'],
      ['usermod without a password', 'RUN usermod -s /bin/sh app'],
      ['passwd -S', 'RUN passwd -S root'],
      ['useradd -D', 'RUN useradd -D -s /bin/bash'],
      ['pip install --no-compile', 'RUN pip install --no-compile flask==3.0.3'],
      ['uv pip install (no bytecode by default)', 'RUN uv pip install --system flask==3.0.3'],
      ['pip download', 'RUN pip download flask==3.0.3'],
      ['ONBUILD', 'ONBUILD RUN useradd --uid 10001 app'],
      ['a name that only contains it', 'ARG NOT_SOURCE_DATE_EPOCH\nRUN useradd --uid 10001 app'],
    ])('%s', (_name, code) => {
      expect(flagged(rule, D + (code as string)).length).toBe(_name === 'a name that only contains it' ? 1 : 0);
    });

    it.each([
      ['busybox adduser (time(), not SOURCE_DATE_EPOCH)', 'RUN adduser -D -u 10001 app'],
      ['busybox chpasswd', 'RUN echo app:x | chpasswd'],
    ])('Alpine: %s', (_name, code) => {
      expect(flagged(rule, A + code)).toEqual([]);
    });

    it('ENV in a stage it is built FROM counts (ENV is inherited)', () => {
      expect(flagged(rule, `${D.replace('\n', ' AS base\n')}ENV SOURCE_DATE_EPOCH=0\nFROM base\nRUN useradd --uid 1 a\n`)).toEqual([]);
    });
  });

  describe('fix', () => {
    it('is registered for its request kind', () => {
      expect(FIXERS['source-date-epoch']).toBe(fixer);
    });

    it('inserts the ARG after each FROM that needs it, safe, and nothing else changes', async () => {
      const text = `# syntax=docker/dockerfile:1\n${D.replace('\n', ' AS build  \n')}RUN pip install flask==3.0.3\n\nFROM build\nCOPY . /app\nRUN useradd --uid 10001 app\n`;
      const r = await fix(text);
      expect(r.text).toBe(
        `# syntax=docker/dockerfile:1\n${D.replace('\n', ' AS build  \n')}ARG SOURCE_DATE_EPOCH\nRUN pip install flask==3.0.3\n\nFROM build\nARG SOURCE_DATE_EPOCH\nCOPY . /app\nRUN useradd --uid 10001 app\n`,
      );
      expect(r.applied.map((a) => [a.rule, a.applicability])).toEqual([['source-date-epoch', 'safe'], ['source-date-epoch', 'safe']]);
      expect(r.left).toEqual([]);
      expect((await fix(r.text)).text).toBe(r.text);
    });

    it('keeps CRLF, FROM continuation lines, the escape character, and a file without a final newline', async () => {
      const crlf = `FROM debian:12 \\\r\n  AS b\r\nRUN useradd --uid 1 a\r\n`;
      expect((await fix(crlf)).text).toBe(`FROM debian:12 \\\r\n  AS b\r\nARG SOURCE_DATE_EPOCH\r\nRUN useradd --uid 1 a\r\n`);
      const tick = '# escape=`\nFROM debian:12 `\n  AS b\nRUN useradd --uid 1 a';
      expect((await fix(tick)).text).toBe('# escape=`\nFROM debian:12 `\n  AS b\nARG SOURCE_DATE_EPOCH\nRUN useradd --uid 1 a');
      expect((await fix('FROM debian:12\rRUN useradd --uid 1 a\r')).text).toBe('FROM debian:12\rARG SOURCE_DATE_EPOCH\rRUN useradd --uid 1 a\r');
      const last = 'FROM debian:12\r\nRUN useradd --uid 1 a';
      expect((await fix(last)).text).toBe('FROM debian:12\r\nARG SOURCE_DATE_EPOCH\r\nRUN useradd --uid 1 a');
    });
  });
});
