/**
 * Whether a RUN command sees SOURCE_DATE_EPOCH when the builder passes it: shared by the source-date-epoch
 * and pip-compile rules. A RUN sees a build argument only when its stage declares it (BuildKit and buildah
 * alike; a global ARG before FROM is not enough), or an ENV sets it (inherited from a base stage).
 */
import { stageChain, type DockerfileModel, type RunBlock } from './dockerfile';
import { propertiesOf, tokenize } from './instructions';
import type { SimpleCommand, Word } from './shell';

export const EPOCH = 'SOURCE_DATE_EPOCH';

/** The names an ARG or ENV instruction declares (read again from its own text: the model keeps no per-instruction scope). */
function declaredNames(model: DockerfileModel, span: { start: number; end: number }): string[] {
  const own = `# escape=${model.escape}\n${model.text.slice(span.start, span.end)}`;
  const inst = tokenize(own).instructions[0];
  return inst ? propertiesOf(own, inst, model.escape).map((p) => p.name) : [];
}

/** True when `name` is set as a variable (an assignment prefix or `export NAME=…`) earlier in the RUN or on the command. */
function setInRun(run: RunBlock, cmd: SimpleCommand, name: string): boolean {
  const sets = (w: Word) => w.value?.startsWith(`${name}=`) ?? false;
  if (cmd.assignments.some(sets)) return true;
  return run.commands.some((c) => c.span.start < cmd.span.start && (c.name === 'export' || c.name === 'declare') && c.args.some(sets));
}

/**
 * `ARG`/`ENV SOURCE_DATE_EPOCH` earlier in the stage, `ENV` in a stage it is built FROM (ENV is inherited,
 * ARG is not), or the variable set in the RUN before the command.
 */
export function epochInScope(model: DockerfileModel, run: RunBlock, cmd: SimpleCommand): boolean {
  if (setInRun(run, cmd, EPOCH)) return true;
  const chain = stageChain(model, run.stage);
  return model.instructions.some((inst) => {
    if (inst.onbuild || (inst.keyword !== 'ARG' && inst.keyword !== 'ENV') || !chain.includes(inst.stage)) return false;
    if (inst.stage === run.stage ? inst.span.start > run.span.start : inst.keyword !== 'ENV') return false;
    return model.text.slice(inst.span.start, inst.span.end).includes(EPOCH) && declaredNames(model, inst.span).includes(EPOCH);
  });
}
