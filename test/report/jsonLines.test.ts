import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatJson } from '../../src/report/json';
import { formatJsonLines, streamJsonLines } from '../../src/report/jsonLines';
import { RULES } from '../../src/rules/index';
import { NASTY, TEXT_A, at, file, finding, input, sample } from './fixtures';
import { runCli } from '../helpers/cli';
import { workspace } from '../helpers/workspace';

const lines = (out: string) => out.split('\n').slice(0, -1);

describe('json-lines reporter', () => {
  it("writes one line per file, each the file's entry of the json format", () => {
    const out = formatJsonLines(input(sample()));
    expect(out.endsWith('\n')).toBe(true);
    expect(lines(out).map((l) => JSON.parse(l))).toEqual(JSON.parse(formatJson(input(sample()))).files);
  });

  it('no files: no output at all', () => {
    expect(formatJsonLines(input([]))).toBe('');
  });

  it('a line break or control character in a path or message stays inside its line, escaped', () => {
    const path = 'odd\nname\u202e.Dockerfile';
    const out = formatJsonLines(input([file(path, TEXT_A, [finding('apt-pin', 'warning', NASTY, at(TEXT_A, 'curl'))]), file('b/Dockerfile', TEXT_A, [])]));
    expect(lines(out)).toHaveLength(2);
    const first = JSON.parse(lines(out)[0]);
    expect(first.path).toBe(path);
    expect(first.findings[0].message).toBe(NASTY);
    expect(out).not.toMatch(/[\x1b\x07\u202e\r]/);
  });

  it('streams: each file is one whole line, written as it comes; nothing before or after', () => {
    const s = streamJsonLines({ rules: RULES, color: false, version: '1.2.3' });
    expect(s.start()).toBe('');
    const first = s.file(sample()[0]);
    expect(first).toMatch(/^\{"path":"Dockerfile",.*\}\n$/);
    expect(first.split('\n')).toHaveLength(2);
    expect(s.end()).toBe('');
  });

  it('dockrepro lint --format json-lines: a line per file, the exit code of any other format', async () => {
    const cwd = workspace({ 'a/Dockerfile': 'FROM debian:12\nRUN apt-get install -y curl\n', 'b/Dockerfile': '', 'c/Dockerfile': 'FROM a\x00' });
    const r = await runCli(['lint', '--format', 'json-lines', '.'], { cwd });
    const json = await runCli(['lint', '--format', 'json', '.'], { cwd });
    expect(lines(r.stdout).map((l) => JSON.parse(l))).toEqual(JSON.parse(json.stdout).files);
    expect(lines(r.stdout)).toHaveLength(3);
    expect(r.code).toBe(json.code);
    expect(r.code).toBe(2);
  });
});

it("docs/formats.md: the json-lines example is the json example's files, one per line", () => {
  const doc = readFileSync(join(__dirname, '../../docs/formats.md'), 'utf8');
  const block = (section: string, lang: string) => {
    const from = doc.indexOf(`\n## ${section}\n`);
    const start = doc.indexOf(`\`\`\`${lang}\n`, from) + lang.length + 4;
    return doc.slice(start, doc.indexOf('```', start));
  };
  expect(lines(block('json-lines', 'text')).map((l) => JSON.parse(l))).toEqual(JSON.parse(block('json', 'json')).files);
});
