import { expandVars, type Scope, type VarDef } from '../../src/parse/vars';

function scope(vars: Record<string, string | undefined>): Scope {
  return new Map(Object.entries(vars).map(([name, value]): [string, VarDef] => [name, { name, kind: 'arg', value }]));
}

describe('expandVars', () => {
  it.each([
    ['python:${TAG}', { TAG: '3.12' }, 'python:3.12'],
    ['python:$TAG-slim', { TAG: '3.12' }, 'python:3.12-slim'],
    ['${BASE:-debian:12}', {}, 'debian:12'],
    ['${BASE:-debian:12}', { BASE: 'alpine:3' }, 'alpine:3'],
    ['${BASE:-debian:12}', { BASE: '' }, 'debian:12'],
    ['${BASE-debian:12}', { BASE: '' }, ''],
    ['x${S:+-slim}', { S: '1' }, 'x-slim'],
    ['x${S:+-slim}', { S: '' }, 'x'],
    ['cost \\$5', {}, 'cost $5'],
    ['img${SUFFIX}', {}, 'img'],
  ])('%s with %j → %s', (text, vars, expected) => {
    expect(expandVars(text, scope(vars)).value).toBe(expected);
  });

  it('is unknown when an ARG has no default', () => {
    const e = expandVars('debian:${TAG}', scope({ TAG: undefined }));
    expect(e.value).toBeUndefined();
    expect(e.unknown).toEqual(['TAG']);
  });

  it('lists undeclared variables (BuildKit substitutes an empty string)', () => {
    const e = expandVars('img${SUFFIX}', scope({}));
    expect(e.undeclared).toEqual(['SUFFIX']);
  });

  it('honours the backtick escape character', () => {
    expect(expandVars('a`$b', scope({ b: 'x' }), '`').value).toBe('a$b');
  });

  describe('quotes, as BuildKit processes an image reference word', () => {
    const q = (text: string, vars: Record<string, string | undefined> = {}, escape = '\\') => expandVars(text, scope(vars), escape, { quotes: true });

    it.each([
      ['alpine:"${T}"', { T: '3.19' }, 'alpine:3.19'],
      ['"alpine:$T"-slim', { T: '3' }, 'alpine:3-slim'],
      ["'alpine:${T}'", { T: '3.19' }, 'alpine:${T}'],
      ['"a\\"b\\$c\\\\d\\e"', {}, 'a"b$c\\d\\e'],
      ['a\\:b', {}, 'a:b'],
      ['"x"\'y\'z', {}, 'xyz'],
    ])('%s with %j → %s', (text, vars, expected) => {
      expect(q(text, vars).value).toBe(expected);
    });

    it('uses the file\'s escape character', () => {
      expect(q('"a`"b"', {}, '`').value).toBe('a"b');
    });

    it('an unterminated quote is an error, not a value', () => {
      expect(q('"alpine:3')).toMatchObject({ value: undefined, error: 'unterminated double quote' });
      expect(q("alpine:'3")).toMatchObject({ value: undefined, error: 'unterminated single quote' });
    });

    it('without the option quotes are text (ARG and ENV values arrive unquoted from the parser)', () => {
      expect(expandVars('"${T}"', scope({ T: 'x' })).value).toBe('"x"');
    });
  });
});
