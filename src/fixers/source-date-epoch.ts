/**
 * `source-date-epoch` (rule source-date-epoch): inserts the line `ARG SOURCE_DATE_EPOCH` right after the
 * stage's FROM instruction, with the file's line ending; nothing else moves.
 *
 * Safe: an ARG without a default is unset in RUN unless the builder passes a value (BuildKit since 2019,
 * moby/buildkit#918), so a build without SOURCE_DATE_EPOCH writes the same files as today. The image's
 * history gains one empty-layer entry for the ARG. When the builder does pass it, the dates the tools write
 * become that time: the point of the fix.
 */
import type { Fix, Fixer } from './types';
import { EPOCH } from '../parse/sourceDateEpoch';
import { NotFixed } from '../util/notFixed';

const fixer: Fixer<'source-date-epoch'> = {
  kind: 'source-date-epoch',
  fix(findings, ctx) {
    const { text } = ctx.model;
    const done = new Set<number>();
    return findings.map((f): Fix | NotFixed => {
      const stage = ctx.model.stages[f.fix.stage];
      if (!stage) return new NotFixed(`no stage ${f.fix.stage} in this file`, 'failed');
      if (done.has(stage.index)) return new NotFixed('the stage already gets the ARG from another finding', 'failed');
      done.add(stage.index);
      // After the FROM line (and its continuation lines), ending as that line ends (CRLF, LF, or a lone CR,
      // which BuildKit also reads as a line break); at the end of a file without one, the file's first ending.
      const lineEnd = /\r\n|\r|\n/g;
      lineEnd.lastIndex = stage.span.end;
      const eol = lineEnd.exec(text);
      const edit = eol
        ? { start: eol.index + eol[0].length, end: eol.index + eol[0].length, text: `ARG ${EPOCH}${eol[0]}` }
        : { start: text.length, end: text.length, text: `${/\r\n|\r|\n/.exec(text)?.[0] ?? '\n'}ARG ${EPOCH}` };
      return { title: `declare ARG ${EPOCH} in stage ${stage.name ?? stage.index}`, edits: [edit], applicability: 'safe' };
    });
  },
};

export default fixer;
