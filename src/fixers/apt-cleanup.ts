/**
 * `apt-cleanup` (rule apt-cleanup): appends ` && rm -rf <paths>` after the last command of the RUN, the
 * paths being those the rule found left. Only where the RUN is a plain shell list that ends with that
 * command (nothing but blanks and line continuations after it): not in exec form, heredocs, or a RUN ending
 * in `fi`, `done`, `)` or `&`; those are left with the line to add.
 *
 * Unsafe: a build today keeps these files, and a `FROM this-image` that runs `apt-get install` without
 * `apt-get update` stops finding packages once the lists are gone. The rule keeps the lists when a later RUN
 * of the stage needs them, and never names /etc/apt, so apt-version's snapshot sources stay as written.
 */
import type { Fix, Fixer } from './types';
import { NotFixed } from '../util/notFixed';

/** Paths the fixer writes unquoted: the rule's fixed list, checked again so nothing else reaches the file. */
const SAFE_PATH = /^\/[A-Za-z0-9_./*-]+$/;

const fixer: Fixer<'apt-cleanup'> = {
  kind: 'apt-cleanup',
  fix(findings, ctx) {
    const model = ctx.model;
    return findings.map((f): Fix | NotFixed => {
      const paths = f.fix.paths;
      if (paths.length === 0 || !paths.every((p) => SAFE_PATH.test(p))) return new NotFixed(`malformed apt-cleanup request ${JSON.stringify(f.fix)}`, 'failed');
      const line = `rm -rf ${paths.join(' ')}`;
      const run = model.runs.find((r) => r.span.start <= f.span.start && f.span.end <= r.span.end);
      if (!run) return new NotFixed('the RUN of this finding was not found', 'failed');
      const byHand = (why: string) => new NotFixed(`${why}: add '&& ${line}' at its end by hand`, 'no-fixer');
      const body = model.text.slice(run.span.start, run.span.end);
      if (run.skipped || run.commands.length === 0) return byHand('the RUN is not analysed');
      if (/^\s*RUN\s+(--\S+\s+)*\[/i.test(body)) return byHand('the RUN is in exec form');
      if (body.includes('<<')) return byHand('the RUN has a here-document');
      const end = Math.max(...run.commands.map((c) => c.span.end));
      const tail = model.text.slice(end, run.span.end);
      const escape = model.escape.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
      if (!new RegExp(`^(?:[ \\t]|${escape}[ \\t]*(?:\\r\\n|\\r|\\n))*$`).test(tail)) {
        return byHand(`the RUN does not end with a simple command (it ends with '${tail.trim().slice(-20)}')`);
      }
      return { title: `remove ${paths.join(' ')} at the end of the RUN`, edits: [{ start: end, end, text: ` && ${line}` }], applicability: 'unsafe' };
    });
  },
};

export default fixer;
