import rule from '../../src/rules/pip-compile';
import epochRule from '../../src/rules/source-date-epoch';
import fixer from '../../src/fixers/pip-no-compile';
import { FIXERS } from '../../src/fixers/index';
import { fixText } from '../../src/fix';
import { flagged, lint } from '../helpers/lint';

const D = 'FROM python:3.12.7-slim@sha256:' + 'a'.repeat(64) + '\n';

async function fix(text: string, withEpochRule = false) {
  const rules = withEpochRule ? [rule, epochRule] : [rule];
  return fixText(text, { rules, unsafe: true, offline: true, baseId: 10001 });
}

describe('pip-compile', () => {
  describe('must trigger', () => {
    it.each([
      ['pip install', 'RUN pip install flask==3.0.3', ['install']],
      ['pip3.12, python -m pip', 'RUN pip3.12 install a==1 && python3 -m pip install b==1', ['install', 'install']],
      ['--target, even with the ARG', 'ARG SOURCE_DATE_EPOCH\nRUN pip install --target /deps flask==3.0.3', ['install']],
      ['-t', 'ARG SOURCE_DATE_EPOCH\nRUN pip install -t/deps flask==3.0.3', ['install']],
      ['sh -c and heredoc', `RUN sh -c 'pip install a==1'\nRUN <<EOF\npip install b==1\nEOF`, ['install', 'install']],
      ['exec form', 'RUN ["pip", "install", "flask==3.0.3"]', ['"install"']],
    ])('%s', (_name, code, expected) => {
      expect(flagged(rule, D + code)).toEqual(expected);
    });

    it('says why and how', () => {
      const [plain] = lint(rule, D + 'RUN pip install flask==3.0.3');
      expect(plain.message).toBe(
        "'pip install' compiles the modules it installs: each .pyc holds the install time, and this stage does not declare " +
          "'ARG SOURCE_DATE_EPOCH' (see source-date-epoch); add --no-compile (Python then compiles at start-up, or not at all on a read-only file system)",
      );
      expect(plain.fix).toEqual({ kind: 'pip-no-compile', target: false });
      expect(lint(rule, D + 'RUN pip install -t /d a==1')[0].message).toContain("with --target every .pyc holds the path of pip's random temporary folder");
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['--no-compile', 'RUN pip install --no-compile flask==3.0.3'],
      ['ARG SOURCE_DATE_EPOCH in the stage', 'ARG SOURCE_DATE_EPOCH\nRUN pip install flask==3.0.3'],
      ['set on the command', 'RUN SOURCE_DATE_EPOCH=1 pip install flask==3.0.3'],
      ['pipx and uv (not pip\'s own options)', 'RUN pipx install black==24.1.0 && uv pip install --system a==1'],
      ['other pip commands', 'RUN pip download a==1 && pip wheel a==1 && pip freeze'],
      ['ONBUILD', 'ONBUILD RUN pip install a==1'],
    ])('%s', (_name, code) => {
      expect(flagged(rule, D + code)).toEqual([]);
    });
  });

  describe('fix', () => {
    it('is registered for its request kind', () => {
      expect(FIXERS['pip-no-compile']).toBe(fixer);
    });

    it('inserts --no-compile after install (unsafe), in shell and exec form; fix twice is fix once', async () => {
      const text = `${D}RUN pip install \\\r\n  flask==3.0.3\r\nRUN ["python3", "-m", "pip", "install", "a==1"]\r\nRUN sh -c "pip install b==1"\r\n`;
      const r = await fix(text);
      expect(r.text).toBe(`${D}RUN pip install --no-compile \\\r\n  flask==3.0.3\r\nRUN ["python3", "-m", "pip", "install", "--no-compile", "a==1"]\r\nRUN sh -c "pip install --no-compile b==1"\r\n`);
      expect(r.applied.map((a) => a.applicability)).toEqual(['unsafe', 'unsafe', 'unsafe']);
      expect((await fix(r.text)).text).toBe(r.text);
    });

    it('steps aside for the ARG where that suffices, not for --target', async () => {
      const text = `${D}RUN pip install a==1 && pip install --target /d b==1\n`;
      const r = await fix(text, true);
      expect(r.text).toBe(`${D}ARG SOURCE_DATE_EPOCH\nRUN pip install a==1 && pip install --no-compile --target /d b==1\n`);
      expect(r.left).toEqual([]);
    });
  });
});
