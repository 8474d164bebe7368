import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatJson } from '../../src/report/json';
import { NASTY, TEXT_A, at, file, finding, input, sample } from './fixtures';

const parse = (out: string) => JSON.parse(out);

describe('json reporter', () => {
  it('writes the documented structure: files, findings with 1-based positions, summary', () => {
    expect(parse(formatJson(input(sample())))).toEqual({
      version: 1,
      tool: { name: 'dockrepro', version: '1.2.3' },
      files: [
        {
          path: 'Dockerfile',
          findings: [
            {
              rule: 'image-digest',
              severity: 'warning',
              message: "image 'debian:12' is not pinned to a digest",
              line: 1,
              column: 6,
              endLine: 1,
              endColumn: 15,
              fix: { kind: 'image-digest', image: 'debian:12', site: 'from', definitions: [] },
            },
            {
              rule: 'apt-pin',
              severity: 'error',
              message: "apt package 'curl' is not pinned: use 'curl=<version>'",
              line: 2,
              column: 24,
              endLine: 2,
              endColumn: 28,
            },
          ],
        },
        {
          path: 'sub dir/Containerfile',
          findings: [
            // The whale is two UTF-16 code units: "🐳pkg" in quotes spans columns 13 to 20 (exclusive).
            { rule: 'apk-pin', severity: 'info', message: "apk package '🐳pkg' is not pinned", line: 3, column: 13, endLine: 3, endColumn: 20 },
            { rule: 'apk-pin', severity: 'style', message: "apk package 'git' is not pinned", line: 4, column: 5, endLine: 4, endColumn: 8 },
            { rule: 'curl-pipe-shell', severity: 'warning', message: 'spans two lines', line: 3, column: 13, endLine: 4, endColumn: 8 },
          ],
        },
        { path: 'broken/Dockerfile', error: 'invalid UTF-8 at byte 7 (line 1); save the file as UTF-8', findings: [] },
        { path: 'empty.Dockerfile', notice: 'empty file, nothing to lint', findings: [] },
      ],
      summary: {
        files: 4,
        filesWithFindings: 2,
        filesWithErrors: 1,
        findings: 5,
        severities: { error: 1, warning: 2, info: 1, style: 1 },
      },
    });
  });

  it('keeps a stable key order (diff-friendly output)', () => {
    const out = parse(formatJson(input(sample())));
    expect(Object.keys(out)).toEqual(['version', 'tool', 'files', 'summary']);
    expect(Object.keys(out.files[0].findings[0])).toEqual(['rule', 'severity', 'message', 'line', 'column', 'endLine', 'endColumn', 'fix']);
    expect(Object.keys(out.files[2])).toEqual(['path', 'error', 'findings']);
  });

  it('no files: empty list, zero summary', () => {
    expect(parse(formatJson(input([])))).toEqual({
      version: 1,
      tool: { name: 'dockrepro', version: '1.2.3' },
      files: [],
      summary: { files: 0, filesWithFindings: 0, filesWithErrors: 0, findings: 0, severities: { error: 0, warning: 0, info: 0, style: 0 } },
    });
  });

  it('no findings: every file listed with an empty findings array and no optional keys', () => {
    const out = parse(formatJson(input([file('a/Dockerfile', TEXT_A, []), file('b/Dockerfile', TEXT_A, [])])));
    expect(out.files).toEqual([
      { path: 'a/Dockerfile', findings: [] },
      { path: 'b/Dockerfile', findings: [] },
    ]);
    expect(out.summary.files).toBe(2);
    expect(out.summary.findings).toBe(0);
  });

  it('carries special and non-ASCII characters unchanged', () => {
    const path = 'dïr/Docker"file\\x';
    const out = formatJson(input([file(path, TEXT_A, [finding('apt-pin', 'warning', NASTY, at(TEXT_A, 'curl'))])]));
    const parsed = parse(out);
    expect(parsed.files[0].path).toBe(path);
    expect(parsed.files[0].findings[0].message).toBe(NASTY);
    // One JSON document, pretty-printed, ending in a newline; control characters are escaped by JSON itself.
    expect(out.endsWith('}\n')).toBe(true);
    expect(out).not.toContain('\x1b');
  });

  describe('docs/formats.md documents every field', () => {
    const doc = readFileSync(join(__dirname, '../../docs/formats.md'), 'utf8');
    const section = doc.slice(doc.indexOf('\n## json\n'), doc.indexOf('\n## sarif\n'));
    const documented = new Set([...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]));

    function fields(value: unknown, prefix: string, out: Set<string>): Set<string> {
      if (Array.isArray(value)) value.forEach((v) => fields(v, `${prefix}[]`, out));
      else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          const path = prefix ? `${prefix}.${k}` : k;
          out.add(path);
          if (k !== 'fix') fields(v, path, out); // a fix request's keys depend on its kind
        }
      }
      return out;
    }

    it('each field of the output has a row, and each row is a field', () => {
      const produced = fields(parse(formatJson(input(sample()))), '', new Set());
      expect([...produced].sort()).toEqual([...documented].sort());
    });
  });
});
