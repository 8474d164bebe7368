import { parseDockerfile } from '../src/parse/dockerfile';
import { lintModel } from '../src/lint';
import { RULES } from '../src/rules/index';

function rules(code: string): string[] {
  const model = parseDockerfile(code);
  return lintModel(model, { rules: RULES.filter((r) => r.meta.id === 'pip-pin') }).map((f) => `${model.lines.position(f.span.start).line}:${f.rule}`);
}

describe('suppression pragmas', () => {
  const run = 'RUN pip install flask\n';
  it.each([
    ['dockrepro ignore on the line above', `# dockrepro ignore=pip-pin\n${run}`, []],
    ['list with spaces and a reason', `# dockrepro ignore = apt-pin, pip-pin # flask floats on purpose\n${run}`, []],
    ['any line of the comment block above', `# dockrepro ignore=pip-pin\n# why: demo\n${run}`, []],
    ['hadolint code', `# hadolint ignore=DL3013\n${run}`, []],
    ['hadolint code mixed with ShellCheck codes', `# hadolint ignore=SC2086,DL3013\n${run}`, []],
    ['global anywhere', `${run}# dockrepro global ignore=pip-pin\n`, []],
    ['hadolint global', `${run}# hadolint global ignore=DL3013\n`, []],
    ['other rule only', `# dockrepro ignore=apt-pin\n${run}`, ['1:pip-pin'].map((s) => s.replace('1', '2'))],
    ['not separated by a blank line', `# dockrepro ignore=pip-pin\n\n${run}`, ['3:pip-pin']],
    ['applies to one instruction only', `# dockrepro ignore=pip-pin\n${run}${run}`, ['3:pip-pin']],
    ['unrelated hadolint code', `# hadolint ignore=DL3008\n${run}`, ['2:pip-pin']],
  ])('%s', (_name, code, expected) => {
    expect(rules(code)).toEqual(expected);
  });

  it('covers every line of a multi-line RUN', () => {
    expect(rules('# dockrepro ignore=pip-pin\nRUN true && \\\n  pip install flask\n')).toEqual([]);
  });
});
