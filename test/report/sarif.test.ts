import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactLocation, formatSarif, sourceRoot } from '../../src/report/sarif';
import { RULES } from '../../src/rules/index';
import type { FileResult } from '../../src/report/types';
import { NASTY, TEXT_A, TEXT_B, at, file, finding, input, sample } from './fixtures';

/*
 * No npm package ships the OASIS errata01 `sarif-schema-2.1.0.json`. @microsoft/jest-sarif ships the SARIF
 * 2.1.0 schema at its last pre-standard revision (rtm.5, draft-04, the copy schemastore serves); it differs
 * from the standard only in added `"type": "string"` on enums, a corrected `language` pattern (rtm.5's does
 * not compile with the `u` flag, hence `unicodeRegExp: false`) and errata01's rule that a region has a
 * startLine, charOffset or byteOffset, which `region` below checks by hand.
 */
const schema = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validateSchema = ajv.compile(schema);

function validate(files: FileResult[]) {
  const out = formatSarif(input(files));
  const log = JSON.parse(out);
  const ok = validateSchema(log);
  expect(ok ? [] : validateSchema.errors).toEqual([]);
  for (const r of log.runs[0].results) expect(r.locations[0].physicalLocation.region.startLine).toBeGreaterThanOrEqual(1);
  return log;
}

describe('sarif reporter', () => {
  describe('validates against the SARIF 2.1.0 schema', () => {
    it.each<[string, () => FileResult[]]>([
      ['no files', () => []],
      ['no findings', () => [file('Dockerfile', TEXT_A, [])]],
      ['findings, an unreadable file and a notice', sample],
      ['special characters in path and message', () => [file('a b/#1/ünï?.Dockerfile', TEXT_A, [finding('apt-pin', 'warning', NASTY, at(TEXT_A, 'curl'))])]],
      ['absolute POSIX and Windows paths', () => [file('/srv/app/Dockerfile', TEXT_A, []), file('C:\\src\\app\\Dockerfile', TEXT_A, [])]],
      ['a finding of a rule missing from the rule list', () => [file('D', TEXT_A, [finding('no-such-rule', 'warning', 'm', at(TEXT_A, 'curl'))])]],
    ])('%s', (_name, files) => {
      validate(files());
    });

    it('the validator does reject a broken log (the test can fail)', () => {
      const log = JSON.parse(formatSarif(input(sample())));
      log.runs[0].results[0].level = 'warn';
      log.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0;
      expect(validateSchema(log)).toBe(false);
    });
  });

  it('names the tool, version and schema, and measures columns in UTF-16 code units', () => {
    const log = validate([]);
    expect(log.$schema).toBe('https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json');
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const { driver } = log.runs[0].tool;
    expect([driver.name, driver.version, driver.informationUri]).toEqual(['dockrepro', '1.2.3', 'https://github.com/dockrepro/dockrepro']);
    expect(log.runs[0].columnKind).toBe('utf16CodeUnits');
    expect(log.runs[0].results).toEqual([]);
  });

  it('lists every known rule with its summary, help page and default level', () => {
    const { rules } = validate([]).runs[0].tool.driver;
    expect(rules.map((r: { id: string }) => r.id)).toEqual(RULES.map((r) => r.meta.id));
    const aptPin = RULES.find((r) => r.meta.id === 'apt-pin')!;
    const page = readFileSync(join(__dirname, '../../docs/rules/apt-pin.md'), 'utf8');
    const body = page.replace(/^---\n[\s\S]*?\n---\n/, '').trim();
    expect(rules.find((r: { id: string }) => r.id === 'apt-pin')).toEqual({
      id: 'apt-pin',
      shortDescription: { text: aptPin.meta.summary },
      fullDescription: { text: expect.any(String) },
      help: { text: body, markdown: body },
      helpUri: 'https://github.com/dockrepro/dockrepro/blob/main/docs/rules/apt-pin.md',
      defaultConfiguration: { level: 'warning' },
      properties: { tags: ['reproducibility', 'security', 'supply-chain'], 'security-severity': '3.0' },
    });
  });

  it('one result per finding: rule id and index, level, message, location', () => {
    const log = validate(sample());
    const { results, tool } = log.runs[0];
    expect(results).toHaveLength(5);
    expect(results[0]).toEqual({
      ruleId: 'image-digest',
      ruleIndex: RULES.findIndex((r) => r.meta.id === 'image-digest'),
      level: 'warning',
      message: { text: "image 'debian:12' is not pinned to a digest" },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'Dockerfile', uriBaseId: '%SRCROOT%' },
            region: { startLine: 1, startColumn: 6, endLine: 1, endColumn: 15 },
          },
        },
      ],
      partialFingerprints: { 'dockrepro/v1': expect.stringMatching(/^[0-9a-f]{32}:1$/) },
    });
    for (const r of results) expect(tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
    // Configured severities, not the rule defaults: error → error, info and style → note.
    expect(results.map((r: { level: string }) => r.level)).toEqual(['warning', 'error', 'note', 'note', 'warning']);
    const regions = results.map((r: { locations: { physicalLocation: { region: unknown } }[] }) => r.locations[0].physicalLocation.region);
    expect(regions.slice(2)).toEqual([
      { startLine: 3, startColumn: 13, endLine: 3, endColumn: 20 },
      { startLine: 4, startColumn: 5, endLine: 4, endColumn: 8 },
      { startLine: 3, startColumn: 13, endLine: 4, endColumn: 8 },
    ]);
    expect(results[2].locations[0].physicalLocation.artifactLocation).toEqual({ uri: 'sub%20dir/Containerfile', uriBaseId: '%SRCROOT%' });
  });

  it('files that could not be linted make the run unsuccessful, as notifications; notices are notes', () => {
    const { invocations } = validate(sample()).runs[0];
    expect(invocations).toEqual([
      {
        executionSuccessful: false,
        toolExecutionNotifications: [
          {
            level: 'error',
            message: { text: 'invalid UTF-8 at byte 7 (line 1); save the file as UTF-8' },
            locations: [{ physicalLocation: { artifactLocation: { uri: 'broken/Dockerfile', uriBaseId: '%SRCROOT%' } } }],
          },
          {
            level: 'note',
            message: { text: 'empty file, nothing to lint' },
            locations: [{ physicalLocation: { artifactLocation: { uri: 'empty.Dockerfile', uriBaseId: '%SRCROOT%' } } }],
          },
        ],
      },
    ]);
  });

  it('a clean run is successful and has no notifications', () => {
    expect(validate([file('Dockerfile', TEXT_B, [])]).runs[0].invocations).toEqual([{ executionSuccessful: true }]);
  });

  it('a finding of an unknown rule has no ruleIndex', () => {
    const [result] = validate([file('D', TEXT_A, [finding('no-such-rule', 'warning', 'm', at(TEXT_A, 'curl'))])]).runs[0].results;
    expect(result.ruleId).toBe('no-such-rule');
    expect('ruleIndex' in result).toBe(false);
  });

  it('carries the message text unchanged', () => {
    const [result] = validate([file('D', TEXT_A, [finding('apt-pin', 'warning', NASTY, at(TEXT_A, 'curl'))])]).runs[0].results;
    expect(result.message.text).toBe(NASTY);
  });

  describe('artifact locations', () => {
    it.each([
      ['Dockerfile', { uri: 'Dockerfile', uriBaseId: '%SRCROOT%' }],
      ['./app/Dockerfile', { uri: 'app/Dockerfile', uriBaseId: '%SRCROOT%' }],
      ['app\\win\\Dockerfile', { uri: 'app/win/Dockerfile', uriBaseId: '%SRCROOT%' }],
      ['a b/#x?/100%.Dockerfile', { uri: 'a%20b/%23x%3F/100%25.Dockerfile', uriBaseId: '%SRCROOT%' }],
      ['dïr/Dockerfile', { uri: 'd%C3%AFr/Dockerfile', uriBaseId: '%SRCROOT%' }],
      ['c:odd/Dockerfile', { uri: 'c%3Aodd/Dockerfile', uriBaseId: '%SRCROOT%' }],
      ['../other/Dockerfile', { uri: '../other/Dockerfile', uriBaseId: '%SRCROOT%' }],
      ['/srv/my app/Dockerfile', { uri: 'file:///srv/my%20app/Dockerfile' }],
      ['C:\\src\\Dockerfile', { uri: 'file:///C:/src/Dockerfile' }],
    ])('%s', (path, expected) => {
      expect(artifactLocation(path)).toEqual(expected);
    });
  });

  describe('GitHub code scanning', () => {
    const run = (files: FileResult[], cwd?: string) => {
      const log = JSON.parse(formatSarif({ ...input(files), ...(cwd && { cwd }) }));
      expect(validateSchema(log) ? [] : validateSchema.errors).toEqual([]);
      return log.runs[0];
    };

    it('meets the documented requirements: rule descriptions, help, security-severity, result fields', () => {
      const { tool, results } = run(sample());
      for (const rule of tool.driver.rules) {
        // fullDescription is the first paragraph of the rule's doc page, not the summary again.
        expect(rule.fullDescription.text.length).toBeGreaterThan(rule.shortDescription.text.length);
        expect(rule.fullDescription.text.length).toBeLessThanOrEqual(1024);
        expect(rule.help.markdown).toMatch(new RegExp(`^# ${rule.id}\n`));
        expect(rule.properties.tags.length).toBeLessThanOrEqual(20);
        const severity = rule.properties['security-severity'];
        if (severity !== undefined) {
          // A string holding a number in 0.0-10.0, and tagged `security` so code scanning treats it as one.
          expect(severity).toMatch(/^\d+(\.\d+)?$/);
          expect(Number(severity)).toBeGreaterThanOrEqual(0);
          expect(Number(severity)).toBeLessThanOrEqual(10);
          expect(rule.properties.tags).toContain('security');
        }
      }
      const severityOf = (id: string) => Number(tool.driver.rules.find((r: { id: string }) => r.id === id).properties['security-severity']);
      expect(severityOf('curl-pipe-shell')).toBeGreaterThanOrEqual(7);
      expect(severityOf('add-checksum')).toBeGreaterThanOrEqual(7);
      expect(severityOf('apt-pin')).toBeLessThan(4);
      for (const r of results) {
        expect(typeof r.ruleId).toBe('string');
        expect(r.locations[0].physicalLocation.artifactLocation.uri).not.toMatch(/^file:/);
        expect(Object.keys(r.partialFingerprints)).toEqual(['dockrepro/v1']);
      }
    });

    it('fingerprints survive lines moving, and tell repeated findings apart', () => {
      const text = 'FROM debian:12\nRUN apt-get install -y curl\nRUN apt-get install -y curl\n';
      const moved = `# a comment\n\n${text}`;
      const results = (t: string) =>
        run([
          file('Dockerfile', t, [
            finding('image-digest', 'warning', "image 'debian:12' is not pinned to a digest", at(t, 'debian:12')),
            finding('apt-pin', 'warning', "apt package 'curl' is not pinned", at(t, 'curl', 0)),
            finding('apt-pin', 'warning', "apt package 'curl' is not pinned", at(t, 'curl', 1)),
          ]),
        ]).results;
      const before = results(text);
      const after = results(moved);
      expect(after.map((r: { locations: { physicalLocation: { region: { startLine: number } } }[] }) => r.locations[0].physicalLocation.region.startLine)).toEqual([3, 4, 5]);
      const prints = (rs: { partialFingerprints: Record<string, string> }[]) => rs.map((r) => r.partialFingerprints['dockrepro/v1']);
      expect(prints(after)).toEqual(prints(before));
      expect(new Set(prints(before)).size).toBe(3);
      expect(prints(before)[1].replace(/:\d+$/, '')).toBe(prints(before)[2].replace(/:\d+$/, ''));
    });

    describe('paths relative to %SRCROOT% (the git checkout, else the working folder)', () => {
      let repo: string;
      beforeAll(() => {
        repo = mkdtempSync(join(tmpdir(), 'dockrepro-sarif-'));
        mkdirSync(join(repo, '.git'));
        mkdirSync(join(repo, 'svc', 'api'), { recursive: true });
      });
      afterAll(() => rmSync(repo, { recursive: true, force: true }));

      it('the git root is found from a sub folder; without one the working folder is the root', () => {
        expect(sourceRoot(join(repo, 'svc', 'api'))).toBe(repo);
        const plain = mkdtempSync(join(tmpdir(), 'dockrepro-sarif-plain-'));
        try {
          // (tmpdir itself is not inside a checkout on test machines; if it were, the nearest .git would win)
          expect([plain, sourceRoot(plain)].includes(sourceRoot(plain))).toBe(true);
          if (sourceRoot(plain) !== plain) expect(plain.startsWith(sourceRoot(plain))).toBe(true);
        } finally {
          rmSync(plain, { recursive: true, force: true });
        }
      });

      it('absolute paths under the root and relative ones from a sub folder map into the checkout', () => {
        const cwd = join(repo, 'svc');
        const r = run(
          [
            file(join(repo, 'svc', 'api', 'Dockerfile'), TEXT_A, [finding('apt-pin', 'warning', 'm', at(TEXT_A, 'curl'))]),
            file('api/Dockerfile', TEXT_A, [finding('apt-pin', 'warning', 'm', at(TEXT_A, 'curl'))]),
            file('/elsewhere/Dockerfile', TEXT_A, [finding('apt-pin', 'warning', 'm', at(TEXT_A, 'curl'))]),
          ],
          cwd,
        );
        expect(r.originalUriBaseIds).toEqual({ '%SRCROOT%': { uri: `file://${repo.split('/').map(encodeURIComponent).join('/')}/` } });
        expect(r.results.map((x: { locations: { physicalLocation: { artifactLocation: unknown } }[] }) => x.locations[0].physicalLocation.artifactLocation)).toEqual([
          { uri: 'svc/api/Dockerfile', uriBaseId: '%SRCROOT%' },
          { uri: 'svc/api/Dockerfile', uriBaseId: '%SRCROOT%' },
          { uri: 'file:///elsewhere/Dockerfile' },
        ]);
      });
    });
  });
});
