/** The pure parts of the PyPI resolver: names, file names, index pages, Requires-Python and wheel tags. */
import {
  acceptsPython,
  chooseVersion,
  indexLabel,
  isValidProjectName,
  isValidVersion,
  normalizeName,
  parseFilename,
  parseSimpleHtml,
  parseSimpleJson,
  projectUrl,
  pythonFromTag,
  splitCredentials,
  wheelFits,
  type DistFile,
  type PythonVersion,
} from '../../src/resolve/pypi';

const py = (major: number, minor: number, patch?: number): PythonVersion => ({ major, minor, patch, impl: 'cp', source: 'test' });

describe('names and versions', () => {
  it('PEP 503 normalization', () => {
    expect(normalizeName('Flask_SQLAlchemy')).toBe('flask-sqlalchemy');
    expect(normalizeName('zope.interface')).toBe('zope-interface');
    expect(normalizeName('A-_.-b')).toBe('a-b');
  });

  it('PEP 508 names and PEP 440 versions that may be written', () => {
    expect(isValidProjectName('flask')).toBe(true);
    expect(isValidProjectName('flask-')).toBe(false);
    expect(isValidProjectName('fla sk')).toBe(false);
    expect(isValidVersion('3.1.0')).toBe(true);
    expect(isValidVersion('2.0.0rc1')).toBe(true);
    expect(isValidVersion('1!2.0.post1+local.7')).toBe(true);
    expect(isValidVersion('1.0;rm')).toBe(false);
    expect(isValidVersion('1.0 && x')).toBe(false);
    expect(isValidVersion('latest')).toBe(false);
  });
});

describe('file names', () => {
  it.each([
    ['flask-3.1.0-py3-none-any.whl', 'flask', '3.1.0'],
    ['Flask-2.2.5.tar.gz', 'flask', '2.2.5'],
    ['Flask-SQLAlchemy-3.0.5.tar.gz', 'flask-sqlalchemy', '3.0.5'],
    ['flask_sqlalchemy-3.1.1-py3-none-any.whl', 'flask-sqlalchemy', '3.1.1'],
    ['python-dateutil-2.8.2.tar.gz', 'python-dateutil', '2.8.2'],
    ['numpy-2.1.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', 'numpy', '2.1.3'],
    ['pkg-1.0-1build-py3-none-any.whl', 'pkg', '1.0'],
    ['pkg-1.0.zip', 'pkg', '1.0'],
  ])('%s → %s %s', (file, project, version) => {
    expect(parseFilename(file, project)?.version).toBe(version);
  });

  it.each([
    ['requests-2.33.0.win32.exe', 'requests'],
    ['requests-2.99.0-py3.12.egg', 'requests'],
    ['other-1.0.tar.gz', 'flask'],
    ['flask-latest.tar.gz', 'flask'],
    ['flask-1.0-py3-none.whl', 'flask'],
  ])('%s is not a release file of %s', (file, project) => {
    expect(parseFilename(file, project)).toBeUndefined();
  });

  it('wheel tags are split at dots', () => {
    expect(parseFilename('numpy-2.1.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', 'numpy')?.wheel).toEqual({
      python: ['cp312'],
      abi: ['cp312'],
      platform: ['manylinux_2_17_x86_64', 'manylinux2014_x86_64'],
    });
  });
});

describe('index pages', () => {
  it('HTML: href file name, escaped and raw > in quoted attributes, data-yanked with or without a value', () => {
    const html = `<html><body>
      <a href="https://files.example/p/f/flask-1.0.tar.gz#sha256=00" data-requires-python="&gt;=3.7">flask-1.0.tar.gz</a>
      <A HREF='../../f/flask-2.0-py3-none-any.whl' data-requires-python=">=3.8" data-yanked>whatever</A>
      <a data-yanked="bad build" href="flask-3.0.tar.gz">flask-3.0.tar.gz</a>
      <a href="flask%2D4.0.tar.gz">x</a>
      <a href="other-1.0.tar.gz">other</a>
    </body></html>`;
    expect(parseSimpleHtml(html, 'http://i/simple/flask/', 'flask')).toEqual([
      { filename: 'flask-1.0.tar.gz', version: '1.0', requiresPython: '>=3.7', yanked: false },
      { filename: 'flask-2.0-py3-none-any.whl', version: '2.0', requiresPython: '>=3.8', yanked: true, wheel: { python: ['py3'], abi: ['none'], platform: ['any'] } },
      { filename: 'flask-3.0.tar.gz', version: '3.0', requiresPython: undefined, yanked: true },
      { filename: 'flask-4.0.tar.gz', version: '4.0', requiresPython: undefined, yanked: false },
    ]);
  });

  it('JSON: yanked true or a reason string; not JSON, no files, a file without a name are malformed', () => {
    const doc = { meta: { 'api-version': '1.0' }, files: [
      { filename: 'flask-1.0.tar.gz', 'requires-python': '>=3.7', yanked: false },
      { filename: 'flask-2.0.tar.gz', yanked: 'broken' },
      { filename: 'flask-3.0.tar.gz', yanked: true },
    ] };
    expect(parseSimpleJson(JSON.stringify(doc), 'u', 'flask').map((f) => [f.version, f.yanked, f.requiresPython])).toEqual([
      ['1.0', false, '>=3.7'],
      ['2.0', true, undefined],
      ['3.0', true, undefined],
    ]);
    expect(() => parseSimpleJson('{', 'u', 'flask')).toThrow('not valid JSON');
    expect(() => parseSimpleJson('[]', 'u', 'flask')).toThrow('not a JSON object');
    expect(() => parseSimpleJson('{"files": [{}]}', 'u', 'flask')).toThrow("no 'filename'");
    expect(() => parseSimpleJson('{"meta": {"api-version": "2.0"}, "files": []}', 'u', 'flask')).toThrow('not supported');
  });

  it('URLs: project page with a trailing slash; credentials out of labels', () => {
    expect(projectUrl('https://pypi.org/simple', 'flask')).toBe('https://pypi.org/simple/flask/');
    expect(projectUrl('https://pypi.org/simple/', 'flask')).toBe('https://pypi.org/simple/flask/');
    expect(splitCredentials('https://u:p%40ss@host/simple/')).toEqual({ url: 'https://host/simple/', authorization: `Basic ${Buffer.from('u:p@ss').toString('base64')}` });
    expect(indexLabel('https://u:p@host/simple/')).toBe('https://host/simple');
  });
});

describe("the image's Python", () => {
  it.each([
    ['3.7.3-stretch', { major: 3, minor: 7, patch: 3 }],
    ['3.12-slim', { major: 3, minor: 12, patch: undefined }],
    ['3.13.0rc1-slim', { major: 3, minor: 13, patch: 0 }],
    ['3.10-7.3.17-slim', { major: 3, minor: 10, patch: undefined }],
  ])('%s', (tag, v) => {
    expect(pythonFromTag(tag)).toEqual(v);
  });

  it.each(['3', '3-slim', 'slim', 'latest', undefined])('%s: no version', (tag) => {
    expect(pythonFromTag(tag)).toBeUndefined();
  });

  it('Requires-Python: exact patch when known, any patch of the minor otherwise, invalid ones ignored', () => {
    expect(acceptsPython('>=3.8', py(3, 7, 3))).toBe(false);
    expect(acceptsPython('>=3.7', py(3, 7, 3))).toBe(true);
    expect(acceptsPython('>=3.6.2', py(3, 6))).toBe(true);
    expect(acceptsPython('>=3.6.2', py(3, 6, 1))).toBe(false);
    expect(acceptsPython('>=2.7, !=3.0.*, !=3.1.*', py(3, 1))).toBe(false);
    expect(acceptsPython('>=3.6,', py(3, 7))).toBe(true);
    expect(acceptsPython('>= 3.8', py(3, 7))).toBe(false);
    expect(acceptsPython('nonsense', py(3, 7))).toBe(true);
  });

  it('wheel tags', () => {
    const w = (python: string, abi: string, platform: string) => ({ python: python.split('.'), abi: abi.split('.'), platform: platform.split('.') });
    expect(wheelFits(w('py3', 'none', 'any'), py(3, 7))).toBe(true);
    expect(wheelFits(w('py2.py3', 'none', 'any'), py(3, 12))).toBe(true);
    expect(wheelFits(w('py2', 'none', 'any'), py(3, 12))).toBe(false);
    expect(wheelFits(w('cp312', 'cp312', 'manylinux_2_17_x86_64'), py(3, 12))).toBe(true);
    expect(wheelFits(w('cp312', 'cp312', 'manylinux_2_17_x86_64'), py(3, 11))).toBe(false);
    expect(wheelFits(w('cp38', 'abi3', 'manylinux_2_17_x86_64'), py(3, 12))).toBe(true);
    expect(wheelFits(w('cp38', 'abi3', 'manylinux_2_17_x86_64'), py(3, 7))).toBe(false);
    expect(wheelFits(w('cp312', 'cp312', 'win_amd64'), py(3, 12))).toBe(false);
    expect(wheelFits(w('cp312', 'cp312', 'win_amd64'), undefined)).toBe(false);
    expect(wheelFits(w('pp310', 'pypy310_pp73', 'manylinux_2_17_x86_64'), py(3, 10))).toBe(false);
  });
});

describe('choosing', () => {
  const file = (version: string, requiresPython?: string, yanked = false): DistFile => ({ filename: `p-${version}.tar.gz`, version, requiresPython, yanked });
  const q = { project: 'p', specifier: '', pre: false, indexes: ['https://i/simple'], strategy: 'best-match' as const };

  it('equal versions written differently count once; the newest by PEP 440 order, not by string', () => {
    const r = chooseVersion([file('1.9'), file('1.10'), file('1.10.0')], q);
    expect(typeof r === 'string' ? r : r.version).toMatch(/^1\.10(\.0)?$/);
  });

  it('a version is usable when any of its files is', () => {
    const r = chooseVersion([file('2.0', '>=3.9'), { ...file('2.0'), filename: 'p-2.0-py3-none-any.whl', wheel: { python: ['py3'], abi: ['none'], platform: ['any'] } }, file('1.0')], { ...q, python: py(3, 7) });
    expect(typeof r === 'string' ? r : r.version).toBe('2.0');
  });

  it('nothing usable: a reason', () => {
    expect(chooseVersion([file('1.0', undefined, true)], q)).toBe("'p' has no release that is not yanked on https://i/simple");
  });
});
