/**
 * `pip-compile`: `pip install` compiles every module it installs to .pyc, and those differ between two
 * builds: each holds its source's mtime (the moment pip unpacked it) unless SOURCE_DATE_EPOCH is set, and
 * with `--target` the path of pip's random temporary folder, whatever the environment (measured, pip 23.2).
 */
import { parseArgs } from '../parse/args';
import { epochInScope } from '../parse/sourceDateEpoch';
import { installCall, installWord, pipCompiles, PIP_INSTALL } from '../parse/tools/pip';
import { defineRule } from './types';

export default defineRule({
  meta: {
    id: 'pip-compile',
    summary: 'Do not let `pip install` write .pyc files that differ between builds',
    severity: 'info',
    fixable: ['pip-no-compile'],
  },
  check(ctx) {
    for (const { cmd, run } of ctx.commands(/^(pip|python)[0-9.]*$/)) {
      if (run.onbuild) continue;
      const install = installWord(cmd);
      if (!install || !pipCompiles(cmd)) continue;
      const parsed = parseArgs(installCall(cmd)!.args, PIP_INSTALL);
      const target = parsed.options.has('-t') || parsed.options.has('--target');
      if (!target && epochInScope(ctx.model, run, cmd)) continue;
      const why = target
        ? "with --target every .pyc holds the path of pip's random temporary folder, whatever SOURCE_DATE_EPOCH says"
        : "each .pyc holds the install time, and this stage does not declare 'ARG SOURCE_DATE_EPOCH' (see source-date-epoch)";
      ctx.report({
        message: `'${cmd.name} install' compiles the modules it installs: ${why}; add --no-compile (Python then compiles at start-up, or not at all on a read-only file system)`,
        span: install.span,
        fix: { kind: 'pip-no-compile', target },
      });
    }
  },
});
