/** Failures the fuzzer found (and leftovers of the same pass), each kept as an explicit case. */
import { parseDockerfile } from '../../src/parse/dockerfile';
import { parseNotes } from '../../src/run';
import { lintModel } from '../../src/lint';
import syntax from '../../src/rules/syntax';
import { checkFix, checkLint, checkModel, fixOffline } from './properties';
import { workspace } from '../helpers/workspace';
import { runCli } from '../helpers/cli';

describe('lone carriage returns (found by the fuzzer: ranges were off after a CR-only line break)', () => {
  const CR_ONLY = 'FROM debian:12\rRUN useradd app\rRUN apt-get install curl\r';

  it('instruction ranges point at their keywords, as dockerfile-ast splits lines at a lone CR', () => {
    const model = parseDockerfile(CR_ONLY);
    expect(model.instructions.map((i) => [i.keyword, i.line, CR_ONLY.slice(i.span.start, i.span.end)])).toEqual([
      ['FROM', 1, 'FROM debian:12'],
      ['RUN', 2, 'RUN useradd app'],
      ['RUN', 3, 'RUN apt-get install curl'],
    ]);
    // The counterexample fast-check shrank to.
    expect(() => checkLint(Buffer.from('FROM alpine\rRUN apt-get install'))).not.toThrow();
    expect(() => checkModel(parseDockerfile('FROM alpine\rRUN apt-get install'))).not.toThrow();
  });

  it('the fix edits the right bytes of a CR-only file, and keeps its CRs', async () => {
    const fixed = await fixOffline(CR_ONLY);
    // The uid inside its line; the ARG as a line of its own ending in CR after FROM; the apt-cleanup rm at the end of the last RUN, before its CR.
    expect(fixed.text).toBe(
      CR_ONLY.replace('debian:12\r', 'debian:12\rARG SOURCE_DATE_EPOCH\r')
        .replace('useradd app', 'useradd --uid 10001 app')
        .replace('install curl\r', 'install curl && rm -rf /var/log/dpkg.log /var/log/apt/* /var/log/alternatives.log /var/cache/apt/*.bin /var/cache/ldconfig/aux-cache\r'),
    );
    await checkFix(CR_ONLY);
  });

  it('says that BuildKit reads a CR-only file as one line', () => {
    expect(parseNotes(parseDockerfile(CR_ONLY))).toContain(
      'CR-only line endings (classic Mac): BuildKit reads the whole file as one line and cannot build it; save it with LF line endings',
    );
  });

  it('says where a lone CR in an LF file ends a line that BuildKit does not end', () => {
    const text = 'FROM alpine\nRUN echo a\recho b\nRUN true\r\n';
    expect(parseNotes(parseDockerfile(text))).toEqual([
      'line 2: a carriage return without a line feed ends this line here, but not in BuildKit (it stays part of the instruction)',
    ]);
    expect(parseNotes(parseDockerfile('FROM alpine\r\nRUN true\r\n'))).toEqual([]);
  });

  it('dockrepro lint shows the note', async () => {
    const cwd = workspace({ Dockerfile: 'FROM scratch\rCOPY a /a\r' });
    const r = await runCli(['lint', 'Dockerfile'], { cwd });
    expect(r.stdout + r.stderr).toContain('CR-only line endings (classic Mac): BuildKit reads the whole file as one line');
  });
});

describe('an invalid # escape= directive (BuildKit stops at it; dockerfile-ast falls back to \\)', () => {
  // Once a note; now an error of rule syntax (src/rules/syntax.ts), with BuildKit's message and the value's range.
  const errors = (text: string) =>
    lintModel(parseDockerfile(text), { rules: [syntax] }).map((f) => [text.slice(f.span.start, f.span.end), f.message]);
  const message = (value: string) => `invalid escape token '${value}' does not match \` or \\`;

  it.each([
    ['# escape=x\nFROM alpine\n', 'x'],
    ['# syntax=docker/dockerfile:1\n#  escape = ab  \nFROM alpine\n', 'ab'],
    ['\t# escape=/\r\nFROM alpine\r\n', '/'],
  ])('reports %j', (text, value) => {
    expect(errors(text)).toEqual([[value, message(value)]]);
    expect(parseNotes(parseDockerfile(text))).toEqual([]);
  });

  it.each([
    ['a valid backslash', '# escape=\\\nFROM alpine\n'],
    ['a valid backtick', '# escape=`\nFROM alpine\n'],
    ['an empty value (not a directive for BuildKit)', '# escape=\nFROM alpine\n'],
    ['after a comment (no longer a directive)', '# a comment\n# escape=x\nFROM alpine\n'],
    ['after an instruction', 'FROM alpine\n# escape=x\n'],
  ])('stays quiet for %s', (_, text) => {
    expect(errors(text)).toEqual([]);
  });
});
