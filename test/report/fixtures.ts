/** Hand-built lint results shared by the reporter tests: literal texts and findings, no linting involved. */
import type { Finding, FixRequest, Severity } from '../../src/rules/types';
import type { FileResult, ReportInput } from '../../src/report/types';
import { RULES } from '../../src/rules/index';
import { LineIndex, type Span } from '../../src/util/text';

/** The span of the `nth` (0-based) occurrence of `needle` in `text`. */
export function at(text: string, needle: string, nth = 0): Span {
  let start = -1;
  for (let i = 0; i <= nth; i++) {
    start = text.indexOf(needle, start + 1);
    if (start < 0) throw new Error(`'${needle}' #${nth} not in text`);
  }
  return { start, end: start + needle.length };
}

export function finding(rule: string, severity: Severity, message: string, span: Span, fix?: FixRequest): Finding {
  return { rule, severity, message, span, ...(fix && { fix }) };
}

export function file(path: string, text: string, findings: Finding[], extra: Partial<FileResult> = {}): FileResult {
  return { path, findings, lines: new LineIndex(text), ...extra };
}

export function input(files: FileResult[], color = false): ReportInput {
  return { files, rules: RULES, color, version: '1.2.3' };
}

export const TEXT_A = 'FROM debian:12\nRUN apt-get install -y curl\n';
// Line 3 holds an astral character (two UTF-16 code units) before the package, line 2 a BMP one.
export const TEXT_B = 'FROM alpine:3.20\n# café ☕\nRUN apk add "🐳pkg" \\\n    git\n';

/**
 * Four files: findings at known positions (1:6-1:15 and 2:24-2:28 in A; 3:13-3:20, 4:5-4:8 and the
 * multi-line 3:13-4:8 in B), a file that could not be read, and an empty one with a notice.
 */
export function sample(): FileResult[] {
  return [
    file('Dockerfile', TEXT_A, [
      finding('image-digest', 'warning', "image 'debian:12' is not pinned to a digest", at(TEXT_A, 'debian:12'), {
        kind: 'image-digest',
        image: 'debian:12',
        site: 'from',
        definitions: [],
      }),
      finding('apt-pin', 'error', "apt package 'curl' is not pinned: use 'curl=<version>'", at(TEXT_A, 'curl')),
    ]),
    file('sub dir/Containerfile', TEXT_B, [
      finding('apk-pin', 'info', "apk package '🐳pkg' is not pinned", at(TEXT_B, '"🐳pkg"')),
      finding('apk-pin', 'style', "apk package 'git' is not pinned", at(TEXT_B, 'git')),
      finding('curl-pipe-shell', 'warning', 'spans two lines', { start: at(TEXT_B, '"🐳pkg"').start, end: at(TEXT_B, 'git').end }),
    ]),
    { path: 'broken/Dockerfile', findings: [], error: 'invalid UTF-8 at byte 7 (line 1); save the file as UTF-8' },
    { path: 'empty.Dockerfile', findings: [], notice: 'empty file, nothing to lint' },
  ];
}

/** Characters every format must carry or escape: XML specials, workflow-command specials, controls. */
export const NASTY = `a <b> & "c" 'd' 50% x,y:z\r\nnext\tline \x1b[2J bell\x07 é 🐳`;
