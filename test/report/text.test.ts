import { formatText, printable, summaryLine } from '../../src/report/text';
import { totals } from '../../src/report/shared';
import type { FileResult } from '../../src/report/types';
import { NASTY, TEXT_A, at, file, finding, input, sample } from './fixtures';

const ESC = '\x1b';

describe('text reporter', () => {
  it('prints one line per finding, errors and notes, then the summary', () => {
    expect(formatText(input(sample()))).toBe(
      [
        "Dockerfile:1:6: warning image-digest image 'debian:12' is not pinned to a digest",
        "Dockerfile:2:24: error apt-pin apt package 'curl' is not pinned: use 'curl=<version>'",
        "sub dir/Containerfile:3:13: info apk-pin apk package '🐳pkg' is not pinned",
        "sub dir/Containerfile:4:5: style apk-pin apk package 'git' is not pinned",
        'sub dir/Containerfile:3:13: warning curl-pipe-shell spans two lines',
        'broken/Dockerfile: error: invalid UTF-8 at byte 7 (line 1); save the file as UTF-8',
        'empty.Dockerfile: note: empty file, nothing to lint',
        '5 findings (1 error, 2 warnings, 1 info, 1 style) in 3 files, 1 file could not be read',
        '',
      ].join('\n'),
    );
  });

  it('says so when there is nothing to lint', () => {
    expect(formatText(input([]))).toBe('No Dockerfiles found\n');
  });

  it('prints only the summary when nothing is found', () => {
    const clean = (path: string) => file(path, TEXT_A, []);
    expect(formatText(input([clean('a/Dockerfile'), clean('b/Dockerfile')]))).toBe('No findings in 2 files\n');
    expect(formatText(input([clean('Dockerfile')]))).toBe('No findings in 1 file\n');
  });

  it('prints the note of a file that also has findings after them', () => {
    const f = file('Dockerfile', TEXT_A, [finding('apt-pin', 'warning', 'm', at(TEXT_A, 'curl'))], {
      notice: "line 3: unknown instruction 'FOO'",
    });
    expect(formatText(input([f]))).toBe(
      "Dockerfile:2:24: warning apt-pin m\nDockerfile: note: line 3: unknown instruction 'FOO'\n1 finding (1 warning) in 1 file\n",
    );
  });

  it('positions: CRLF lines, first column, end of file', () => {
    const text = 'FROM x\r\nRUN apt-get install curl\r\n';
    const f = file('Dockerfile', text, [
      finding('image-tag', 'warning', 'a', { start: 0, end: 4 }),
      finding('apt-pin', 'warning', 'b', at(text, 'curl')),
      finding('apt-pin', 'warning', 'c', { start: text.length, end: text.length }),
    ]);
    expect(formatText(input([f])).split('\n').slice(0, 3)).toEqual([
      'Dockerfile:1:1: warning image-tag a',
      'Dockerfile:2:21: warning apt-pin b',
      'Dockerfile:3:1: warning apt-pin c',
    ]);
  });

  describe('colour', () => {
    const one = () => [file('Dockerfile', TEXT_A, [finding('apt-pin', 'error', 'msg', at(TEXT_A, 'curl'))])];

    it('colours severity and rule only, with plain ANSI codes', () => {
      expect(formatText(input(one(), true)).split('\n')[0]).toBe(
        `Dockerfile:2:24: ${ESC}[31merror${ESC}[0m ${ESC}[2mapt-pin${ESC}[0m msg`,
      );
    });

    it('colours each severity differently', () => {
      const line = (s: 'warning' | 'info' | 'style') =>
        formatText(input([file('D', TEXT_A, [finding('r', s, 'm', at(TEXT_A, 'curl'))])], true)).split('\n')[0];
      expect(line('warning')).toContain(`${ESC}[33mwarning${ESC}[0m`);
      expect(line('info')).toContain(`${ESC}[36minfo${ESC}[0m`);
      expect(line('style')).toContain(`${ESC}[35mstyle${ESC}[0m`);
    });

    it('colours the error and note labels', () => {
      const out = formatText(input([{ path: 'a', findings: [], error: 'e' }, { path: 'b', findings: [], notice: 'n' }], true));
      expect(out).toContain(`a: ${ESC}[31merror${ESC}[0m: e\n`);
      expect(out).toContain(`b: ${ESC}[36mnote${ESC}[0m: n\n`);
    });

    it('writes no escape codes without colour', () => {
      expect(formatText(input(sample(), false))).not.toContain(ESC);
    });
  });

  describe('text from the Dockerfile cannot break the output', () => {
    it('escapes control characters and bidi overrides in messages and paths, keeps other non-ASCII', () => {
      const f = file(`odd\x1b[31m\u202e/Dockerfile`, TEXT_A, [finding('apt-pin', 'warning', NASTY, at(TEXT_A, 'curl'))]);
      const [line] = formatText(input([f], false)).split('\n');
      expect(line).toBe(
        `odd\\x1b[31m\\u202e/Dockerfile:2:24: warning apt-pin a <b> & "c" 'd' 50% x,y:z\\x0d\\x0anext\\x09line \\x1b[2J bell\\x07 é 🐳`,
      );
    });

    it('printable leaves ordinary text alone', () => {
      expect(printable("apt package 'curl' — café 🐳")).toBe("apt package 'curl' — café 🐳");
      expect(printable('\x00\x7f\x85')).toBe('\\x00\\x7f\\x85');
    });
  });

  describe('summary line', () => {
    const withSeverities = (...s: ('error' | 'warning' | 'info' | 'style')[]): FileResult =>
      file('D', TEXT_A, s.map((sev) => finding('r', sev, 'm', at(TEXT_A, 'curl'))));
    it.each<[string, FileResult[], string]>([
      ['one warning', [withSeverities('warning')], '1 finding (1 warning) in 1 file'],
      ['two errors', [withSeverities('error', 'error')], '2 findings (2 errors) in 1 file'],
      ['severities most severe first', [withSeverities('style', 'info', 'warning', 'error')], '4 findings (1 error, 1 warning, 1 info, 1 style) in 1 file'],
      ['info and style do not take an s', [withSeverities('info', 'info', 'style', 'style')], '4 findings (2 info, 2 style) in 1 file'],
      ['files counted, not only those with findings', [withSeverities('warning'), withSeverities()], '1 finding (1 warning) in 2 files'],
      ['clean files and an unreadable one', [withSeverities(), { path: 'x', findings: [], error: 'e' }], 'No findings in 1 file, 1 file could not be read'],
      ['only unreadable files', [{ path: 'x', findings: [], error: 'e' }, { path: 'y', findings: [], error: 'e' }], '2 files could not be read'],
      ['no files', [], 'No Dockerfiles found'],
    ])('%s', (_name, files, expected) => {
      expect(summaryLine(totals(files))).toBe(expected);
    });
  });
});
