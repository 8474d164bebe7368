/**
 * `pip-no-compile` (rule pip-compile): inserts `--no-compile` right after the `install` word of the pip
 * command (`, "--no-compile"` in exec form); nothing else moves.
 *
 * Unsafe: the image no longer holds .pyc files for what pip installed, so Python compiles each module when
 * it is first imported (slower start-up, and written into the container's layer, or not kept at all on a
 * read-only file system). Where the source-date-epoch fix of the same stage would make the .pyc the same on
 * every build instead (pip without `--target`), that fix is left to do it and this one steps aside.
 */
import { installWord } from '../parse/tools/pip';
import type { Fix, Fixer } from './types';
import { NotFixed } from '../util/notFixed';

const fixer: Fixer<'pip-no-compile'> = {
  kind: 'pip-no-compile',
  fix(findings, ctx) {
    const model = ctx.model;
    return findings.map((f): Fix | NotFixed => {
      const found = model.runs.flatMap((run) => run.commands.map((cmd) => ({ run, cmd }))).find(({ cmd }) => {
        const w = installWord(cmd);
        return w !== undefined && w.span.start === f.span.start && w.span.end === f.span.end;
      });
      if (!found) return new NotFixed('the pip install command of this finding was not found', 'failed');
      const word = installWord(found.cmd)!;
      if (!f.fix.target && ctx.findings.some((o) => o.fix?.kind === 'source-date-epoch' && o.fix.stage === found.run.stage)) {
        return new NotFixed('the source-date-epoch fix (ARG SOURCE_DATE_EPOCH) makes these .pyc the same on every build: fix that first', 'no-fixer');
      }
      if (model.text.slice(word.span.start, word.span.end) !== word.raw) {
        return new NotFixed("the 'install' word is split by a line continuation: add --no-compile by hand", 'no-fixer');
      }
      const exec = word.raw.startsWith('"');
      return {
        title: `add --no-compile to '${found.cmd.name} install'`,
        edits: [{ start: word.span.end, end: word.span.end, text: exec ? ', "--no-compile"' : ' --no-compile' }],
        applicability: 'unsafe',
      };
    });
  },
};

export default fixer;
