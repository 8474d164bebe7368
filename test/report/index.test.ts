import { FORMATS, loadReporter } from '../../src/report/index';
import { locate, totals } from '../../src/report/shared';
import { TEXT_A, TEXT_B, at, file, finding, input, sample } from './fixtures';

/** Each format's module in src/report/. */
const MODULES: Record<string, string> = { text: 'text', json: 'json', 'json-lines': 'jsonLines', sarif: 'sarif', checkstyle: 'checkstyle', github: 'github' };

describe('report registry', () => {
  it('has a reporter for every format', () => {
    expect(FORMATS).toEqual(Object.keys(MODULES));
    for (const format of FORMATS) {
      expect(typeof loadReporter(format)(input(sample()))).toBe('string');
    }
  });

  it('loads a reporter module only when that format is chosen', () => {
    const loaded: string[] = [];
    jest.isolateModules(() => {
      for (const m of Object.values(MODULES)) {
        jest.doMock(`../../src/report/${m}`, () => {
          loaded.push(m);
          return jest.requireActual(`../../src/report/${m}`);
        });
      }
      const index = require('../../src/report/index') as typeof import('../../src/report/index');
      expect(loaded).toEqual([]);
      index.loadReporter('text');
      expect(loaded).toEqual(['text']);
      index.loadReporter('sarif');
      expect(loaded).toEqual(['text', 'sarif']);
    });
  });
});

describe('locate', () => {
  it('gives 1-based start and exclusive end', () => {
    const f = file('D', TEXT_A, []);
    expect(locate(f, finding('r', 'warning', 'm', at(TEXT_A, 'curl')))).toEqual({ line: 2, column: 24, endLine: 2, endColumn: 28 });
  });

  it('counts UTF-16 code units: an astral character takes two columns', () => {
    const f = file('D', TEXT_B, []);
    expect(locate(f, finding('r', 'warning', 'm', at(TEXT_B, 'pkg')))).toEqual({ line: 3, column: 16, endLine: 3, endColumn: 19 });
    expect(locate(f, finding('r', 'warning', 'm', at(TEXT_B, '☕')))).toEqual({ line: 2, column: 8, endLine: 2, endColumn: 9 });
  });

  it('an empty span is a point', () => {
    expect(locate(file('D', TEXT_A, []), finding('r', 'warning', 'm', { start: 5, end: 5 }))).toEqual({ line: 1, column: 6, endLine: 1, endColumn: 6 });
  });

  it('without a line index, points at the start instead of failing', () => {
    expect(locate({ path: 'D', findings: [] }, finding('r', 'warning', 'm', { start: 40, end: 44 }))).toEqual({
      line: 1,
      column: 1,
      endLine: 1,
      endColumn: 1,
    });
  });
});

describe('totals', () => {
  it('counts files, files with findings or errors, findings by severity', () => {
    expect(totals(sample())).toEqual({
      files: 4,
      filesWithFindings: 2,
      filesWithErrors: 1,
      findings: 5,
      severities: { error: 1, warning: 2, info: 1, style: 1 },
    });
  });
});
