/**
 * Streaming reporters write file by file; the text must be exactly what one whole document would be: JSON
 * indented by two as `JSON.stringify(v, null, 2)` writes it, and each file's text written as soon as it comes.
 */
import { formatJson, streamJson } from '../../src/report/json';
import { formatSarif, streamSarif } from '../../src/report/sarif';
import { streamText } from '../../src/report/text';
import { RULES } from '../../src/rules/index';
import { file, input, sample } from './fixtures';

const header = { rules: RULES, color: false, version: '1.2.3' };

describe('streaming reporters', () => {
  it.each([
    ['json', formatJson],
    ['sarif', formatSarif],
  ])('%s: the streamed document is byte for byte the indented JSON of itself', (_, format) => {
    for (const files of [sample(), [], [sample()[2]]]) {
      const out = format(input(files));
      expect(out).toBe(`${JSON.stringify(JSON.parse(out), null, 2)}\n`);
    }
  });

  it('json: each file is written before the next one is linted', () => {
    const s = streamJson(header);
    const start = s.start();
    const first = s.file(sample()[0]);
    expect(first).toContain('"path": "Dockerfile"');
    expect(`${start}${first}${s.file(sample()[1])}${s.end()}`).toBe(formatJson(input(sample().slice(0, 2))));
  });

  it('sarif: results stream, the invocation (which the end decides) comes after them', () => {
    const s = streamSarif(header);
    const out = s.start() + sample().map((f) => s.file(f)).join('') + s.end();
    const run = JSON.parse(out).runs[0];
    expect(Object.keys(run)).toEqual(['tool', 'originalUriBaseIds', 'columnKind', 'results', 'invocations']);
    expect(run.invocations[0].executionSuccessful).toBe(false);
  });

  it('text: a file with findings gives its lines at once; the summary counts what went by', () => {
    const s = streamText(header);
    expect(s.start()).toBe('');
    expect(s.file(sample()[0]).split('\n').filter(Boolean)).toHaveLength(sample()[0].findings.length);
    expect(s.file(file('clean', 'FROM x\n', []))).toBe('');
    expect(s.end()).toMatch(/ in 2 files\n$/);
  });
});
