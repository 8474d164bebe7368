import rule from '../../src/rules/syntax';
import { lint } from '../helpers/lint';

/**
 * Cases and messages follow BuildKit's parser (moby/buildkit frontend/dockerfile/parser, instructions/parse.go,
 * read at commit 73ed6825c): its testfiles-negative set (empty file, comments only, `ENV PATH`, nested JSON) and
 * the instruction errors. No BuildKit runs here (no daemon on the test machine), so each case states the rule
 * of BuildKit's code it follows.
 */
const found = (code: string) => lint(rule, code).map((f) => [f.line, f.column, f.text, f.message]);

describe('syntax', () => {
  describe('must trigger', () => {
    it.each([
      ['empty file', '', [[1, 1, '', 'file with no instructions']]],
      ['comments only', '# Hello\n# These are just comments\n\n', [[1, 1, '', 'file with no instructions']]],
      ['ENV with a name and no value', 'FROM busybox\n\nENV PATH\n', [[3, 5, 'PATH', 'ENV must have two arguments']]],
      ['LABEL with a name and no value', 'FROM a\nLABEL version\n', [[2, 7, 'version', 'LABEL must have two arguments']]],
      ['ENV pairs with a word that is not one', 'FROM a\nENV A=1 \\\n  B\n', [[3, 3, 'B', 'Syntax error - can\'t find = in "B". Must be of the form: name=value']]],
      ['ENV with a blank name', 'FROM a\nENV =x\n', [[2, 5, '=x', 'ENV names can not be blank']]],
      ['ENV with nothing', 'FROM a\nENV\n', [[2, 1, 'ENV', 'ENV requires at least one argument']]],
      ['nested JSON array', 'FROM a\nCMD [ "echo", [ "nested json" ] ]\n', [[2, 5, '[ "echo", [ "nested json" ] ]', 'when using JSON array syntax, arrays must be comprised of strings only']]],
      ['a number in a JSON array', 'FROM a\nRUN ["sleep", 1]\n', [[2, 5, '["sleep", 1]', 'when using JSON array syntax, arrays must be comprised of strings only']]],
      ['unknown instruction, with a suggestion', 'FROM a\nFORM b\n', [[2, 1, 'FORM', 'unknown instruction: FORM (did you mean FROM?)']]],
      ['unknown instruction far from any', 'FROM a\nFROBNICATE x\n', [[2, 1, 'FROBNICATE', 'unknown instruction: FROBNICATE']]],
      ['instruction before FROM', 'RUN true\nFROM a\n', [[1, 1, 'RUN', 'no build stage in current context']]],
      ['only ARGs', 'ARG A=1\n', [[1, 1, 'ARG', 'dockerfile contains no stages to build']]],
      ['FROM with two words', 'FROM a b\n', [[1, 6, 'a b', 'FROM requires either one or three arguments']]],
      ['bad stage name', 'FROM a AS 1x\n', [[1, 11, '1x', 'invalid name for build stage: "1x", name can\'t start with a number or contain symbols']]],
      ['COPY without destination', 'FROM a\nCOPY --from=b x\n', [[2, 15, 'x', 'COPY requires at least two arguments, but only one was provided. Destination could not be determined']]],
      ['SHELL in shell form', 'FROM a\nSHELL sh -c\n', [[2, 7, 'sh -c', 'SHELL requires the arguments to be in JSON form']]],
      ['WORKDIR with nothing', 'FROM a\nWORKDIR\n', [[2, 1, 'WORKDIR', 'WORKDIR requires exactly one argument']]],
      ['ONBUILD ONBUILD', 'FROM a\nONBUILD ONBUILD RUN x\n', [[2, 9, 'ONBUILD', "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"]]],
      ['ONBUILD FROM', 'FROM a\nONBUILD FROM b\n', [[2, 9, 'FROM', "FROM isn't allowed as an ONBUILD trigger"]]],
      ['ONBUILD ENV without a value (the parser reads the trigger)', 'FROM a\nONBUILD ENV X\n', [[2, 13, 'X', 'ENV must have two arguments']]],
      ['HEALTHCHECK CMD without a command', 'FROM a\nHEALTHCHECK --interval=5s CMD\n', [[2, 27, 'CMD', 'Missing command after HEALTHCHECK CMD']]],
      ['HEALTHCHECK of an unknown type', 'FROM a\nHEALTHCHECK CONNECT TCP 7000\n', [[2, 13, 'CONNECT', 'Unknown type "CONNECT" in HEALTHCHECK (try CMD)']]],
      ['invalid escape directive', '# escape=x\nFROM a\n', [[1, 10, 'x', "invalid escape token 'x' does not match ` or \\"]]],
      ['invalid escape after a syntax directive, CRLF', '# syntax=docker/dockerfile:1\r\n#  escape = ab  \r\nFROM a\r\n', [[2, 13, 'ab', "invalid escape token 'ab' does not match ` or \\"]]],
    ])('%s', (_name, code, expected) => {
      expect(found(code)).toEqual(expected);
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['a plain file', 'FROM a\nRUN true\n'],
      ['global ARGs before FROM', 'ARG BASE=a\nFROM ${BASE}\n'],
      ['malformed JSON is shell form to BuildKit', 'FROM a\nCMD [ "echo", b ]\nRUN [\'single\']\n'],
      ['ENV with quoted values and escapes', 'FROM a\nENV X="a b" Y=\'c d\' Z=e\\ f\n'],
      ['ENV old form with spaces in the value', 'FROM a\nENV X a b c\n'],
      ['LABEL with a quoted key', 'FROM a\nLABEL "a b"=c x="y z"\n'],
      ['COPY from a heredoc', 'FROM a\nCOPY <<EOF /x\nhi\nEOF\n'],
      ['FROM with flags and a stage name', 'FROM --platform=$BUILDPLATFORM a AS build.x-1\n'],
      ['HEALTHCHECK NONE', 'FROM a\nHEALTHCHECK NONE\n'],
      ['HEALTHCHECK CMD in JSON form with flags', 'FROM a\nHEALTHCHECK --timeout=3s CMD ["foo"]\n'],
      ['ONBUILD RUN', 'FROM a\nONBUILD RUN make\n'],
      ['backtick escape directive', '# escape=`\nFROM a\nRUN dir `\n  c:\\\n'],
      ['lowercase instructions', 'from a\nrun true\n'],
      ['an escape line that is not a directive (after an instruction)', 'FROM a\n# escape=x\n'],
    ])('%s', (_name, code) => {
      expect(found(code)).toEqual([]);
    });
  });

  it('reports every error, not just the first (BuildKit stops at the first)', () => {
    expect(found('FROM a\nENV X\nFORM b\n').map((f) => f[3])).toEqual(['ENV must have two arguments', 'unknown instruction: FORM (did you mean FROM?)']);
  });
});
