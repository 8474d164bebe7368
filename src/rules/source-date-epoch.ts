/**
 * `source-date-epoch`: a stage whose RUNs write the build's clock into files (the password-change day in
 * /etc/shadow, the source mtime in .pyc headers) without `ARG SOURCE_DATE_EPOCH` in the stage. Those tools
 * take the time from SOURCE_DATE_EPOCH when it is set, and a RUN sees a build argument only when the stage
 * declares it (BuildKit and buildah alike; a global ARG before FROM is not enough).
 */
import { parseArgs } from '../parse/args';
import type { DockerfileModel, RunBlock } from '../parse/dockerfile';
import type { SimpleCommand } from '../parse/shell';
import { EPOCH, epochInScope } from '../parse/sourceDateEpoch';
import { imageFamily, SPEC, styleOf } from '../parse/tools/accounts';
import { pipCompiles } from '../parse/tools/pip';
import { defineRule } from './types';

const PYTHON = /^python[0-9.]*$/;

/** `python -m compileall …` / `-m py_compile`: writes .pyc whose header holds each source's mtime. */
function compilesBytecode(cmd: SimpleCommand): boolean {
  if (!PYTHON.test(cmd.name)) return false;
  const values = cmd.args.map((a) => a.value);
  const m = values.findIndex((v) => v === '-m' || /^-m(compileall|py_compile)$/.test(v ?? ''));
  if (m < 0) return false;
  const module = values[m] === '-m' ? values[m + 1] : values[m]!.slice(2);
  return module === 'compileall' || module === 'py_compile';
}

/** What a command writes with the build's clock in it, in words for the message; undefined for nothing. */
function clockWrite(model: DockerfileModel, run: RunBlock, cmd: SimpleCommand): string | undefined {
  const shadowDay = `${cmd.name} writes today's date into /etc/shadow`;
  // busybox (Alpine) adduser, chpasswd and passwd use time() and ignore SOURCE_DATE_EPOCH: declaring it would not help.
  const busybox = imageFamily(model, run.stage) === 'busybox';
  switch (cmd.name) {
    case 'useradd': {
      const parsed = parseArgs(cmd.args, SPEC.useradd);
      return parsed.options.has('-D') || parsed.options.has('--defaults') || parsed.options.has('--help') ? undefined : shadowDay;
    }
    case 'adduser': {
      const parsed = parseArgs(cmd.args, SPEC.adduser);
      if (parsed.options.has('--help') || parsed.operands.length >= 2) return undefined; // adds a user to a group
      const style = styleOf('adduser', parsed, imageFamily(model, run.stage));
      if (style === 'busybox') return undefined;
      if (style === 'debian' && parsed.options.has('--group') && !parsed.options.has('--system')) return undefined; // a group: no date
      return shadowDay;
    }
    case 'usermod':
      return cmd.args.some((a) => /^(-p|--password(=|$))/.test(a.value ?? '')) ? shadowDay : undefined;
    case 'chpasswd':
    case 'pwconv':
      return busybox ? undefined : shadowDay;
    case 'passwd':
      return busybox || cmd.args.some((a) => a.value === '-S' || a.value === '--status' || a.value === '--help') ? undefined : shadowDay;
  }
  if (compilesBytecode(cmd)) return `${cmd.name} -m ${cmd.args.find((a) => /compile/.test(a.value ?? ''))?.value?.replace(/^-m/, '')} writes .pyc files stamped with each source's mtime`;
  if (pipCompiles(cmd)) return `${cmd.name} install compiles .pyc files stamped with the install time`;
  return undefined;
}

export default defineRule({
  meta: {
    id: 'source-date-epoch',
    summary: 'Declare `ARG SOURCE_DATE_EPOCH` in stages whose RUNs write the build time into files',
    severity: 'info',
    fixable: ['source-date-epoch'],
  },
  check(ctx) {
    const reported = new Set<number>();
    for (const { cmd, run } of ctx.commands('useradd', 'adduser', 'usermod', 'chpasswd', 'pwconv', 'passwd', PYTHON, /^pip[0-9.]*$/, 'pipx', 'uv')) {
      // ONBUILD RUNs see the ARGs of the stage that triggers them, in another Dockerfile.
      if (run.onbuild || reported.has(run.stage)) continue;
      const what = clockWrite(ctx.model, run, cmd);
      if (!what || epochInScope(ctx.model, run, cmd)) continue;
      reported.add(run.stage);
      ctx.report({
        message:
          `${what}, so two builds differ; with 'ARG ${EPOCH}' in this stage it takes the date from the ` +
          `${EPOCH} the builder passes (buildx and buildctl pass it from the environment): add 'ARG ${EPOCH}' after FROM`,
        span: (cmd.program ?? cmd.words[0] ?? run).span,
        fix: { kind: 'source-date-epoch', stage: run.stage },
      });
    }
  },
});
