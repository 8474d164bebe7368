/**
 * The Dockerfile model built from dockerfile-ast's objects: src/parse/dockerfile.ts as it was before it read
 * instructions itself (src/parse/instructions.ts). Kept as the reference the new builder is proven equal to
 * (test/parse/instructions.test.ts); not used by the program.
 */
import { posix } from 'node:path';
import { DockerfileParser, type Instruction, type Flag } from 'dockerfile-ast';
import { LineIndex, type Span } from '../../src/util/text';
import { parseImageRef, PLATFORM } from '../../src/parse/imageRef';
import { parseShell, commandsFromArgv, sourceFromText, basename, type Source, type Word } from '../../src/parse/shell';
import { automaticArg, AUTOMATIC_ARGS, expandVars, type Expansion, type Scope, type VarDef } from '../../src/parse/vars';
import { cacheDockerfileAst } from '../../src/parse/astCache';
import { runSource, type CopyBlock, type DockerfileModel, type FileOperand, type ImageSite, type ImageSiteKind, type InstructionInfo, type RunBlock, type Stage, type CommentInfo } from '../../src/parse/dockerfile';

cacheDockerfileAst();

const SHELL_NAMES = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'busybox']);

/** Parses Dockerfile text (BOM already removed) into the model. Never throws on odd input. */
export function parseDockerfileWithAst(text: string): DockerfileModel {
  const lines = new LineIndex(text);
  const df = DockerfileParser.parse(text);
  const escape = df.getEscapeCharacter();
  const spanOf = (r: { start: { line: number; character: number }; end: { line: number; character: number } }): Span => ({
    start: lines.offset(r.start.line, r.start.character),
    end: lines.offset(r.end.line, r.end.character),
  });
  const model: DockerfileModel = {
    text,
    lines,
    escape,
    stages: [],
    instructions: [],
    imageSites: [],
    runs: [],
    copies: [],
    comments: [],
    globalScope: new Map(),
  };

  for (const d of df.getDirectives()) {
    if (d.getName().toLowerCase() !== 'syntax') continue;
    const r = d.getValueRange();
    if (!r) continue;
    const span = spanOf(r);
    const raw = text.slice(span.start, span.end);
    model.imageSites.push(makeSite('syntax', raw, span, { value: raw, used: [], unknown: [], undeclared: [] }, -1));
  }

  // `# hadolint shell=powershell` (or `# dockrepro shell=…`) declares the RUN shell for the whole file.
  // (The multi-line pattern is tried at every line start; a file that never says `shell` cannot match it.)
  const shellPragma = /shell/i.test(text) ? /^[ \t]*#[ \t]*(?:hadolint|dockrepro)[ \t]+shell[ \t]*=[ \t]*(\S+)/im.exec(text)?.[1] : undefined;
  const nonPosixPragma = shellPragma !== undefined && !SHELL_NAMES.has(basename(shellPragma).toLowerCase());
  let scope: Scope = model.globalScope;
  const stageScopes: Scope[] = [];
  let stageIndex = -1;

  for (const inst of df.getInstructions()) {
    const keyword = inst.getKeyword().toUpperCase();
    const span = spanOf(inst.getRange());
    model.instructions.push({ keyword, span, line: lines.position(span.start).line, stage: stageIndex, onbuild: false });

    if (keyword === 'FROM') {
      stageIndex++;
      const stage = parseFrom(inst, stageIndex);
      model.stages.push(stage);
      model.instructions[model.instructions.length - 1].stage = stageIndex;
      // ENV is inherited from a base stage; ARGs are not.
      scope = new Map();
      if (stage.baseStage !== undefined) {
        for (const [k, v] of stageScopes[stage.baseStage]) if (v.kind === 'env') scope.set(k, v);
        stage.shell = model.stages[stage.baseStage].shell;
        stage.workdir = model.stages[stage.baseStage].workdir;
        stage.nonPosixShell = model.stages[stage.baseStage].nonPosixShell;
      }
      stageScopes.push(scope);
      continue;
    }
    if (keyword === 'ARG' || keyword === 'ENV') {
      const props = (inst as unknown as { getProperties(): PropertyLike[] }).getProperties();
      for (const p of props) {
        const name = p.getName();
        const vr = p.getValueRange();
        let def: VarDef;
        if (vr === null || p.getValue() === null) {
          // `ARG X` inside a stage takes the global default, if any; `ARG TARGETARCH` takes BuildKit's value.
          const global = keyword !== 'ARG' ? undefined : (stageIndex >= 0 ? model.globalScope.get(name) : undefined) ?? automaticArg(name);
          def = global ? { ...global } : { name, kind: keyword === 'ARG' ? 'arg' : 'env', value: undefined };
        } else {
          const valueSpan = spanOf(vr);
          const expanded = expandVars(p.getValue() ?? '', scope, escape);
          def = { name, kind: keyword === 'ARG' ? 'arg' : 'env', value: expanded.value, valueSpan };
        }
        if (keyword === 'ARG' && scope.get(name)?.kind === 'env') continue; // ENV wins over ARG
        scope.set(name, def);
      }
      continue;
    }
    if (keyword === 'WORKDIR' && stageIndex >= 0) {
      const stage = model.stages[stageIndex];
      const value = expandVars(inst.getArguments().map((a) => a.getValue()).join(' '), scope, escape).value;
      if (value === undefined) stage.workdir = undefined;
      else if (value.startsWith('/')) stage.workdir = posix.normalize(value);
      else stage.workdir = stage.workdir === undefined ? undefined : posix.join(stage.workdir, value);
      continue;
    }
    if (keyword === 'SHELL' && stageIndex >= 0) {
      const argv = jsonArgv(inst, text, spanOf);
      if (argv) {
        const stage = model.stages[stageIndex];
        stage.shell = argv.map((a) => a.value ?? '');
        stage.nonPosixShell = !SHELL_NAMES.has(basename((stage.shell[0] ?? '').replace(/\\/g, '/')).toLowerCase());
      }
      continue;
    }
    handleBody(inst, keyword, false);
  }

  function handleBody(inst: Instruction, keyword: string, onbuild: boolean): void {
    if (keyword === 'ONBUILD') {
      const trigger = (inst as unknown as { getTriggerInstruction(): Instruction | null }).getTriggerInstruction();
      if (trigger) handleBody(trigger, trigger.getKeyword().toUpperCase(), true);
      return;
    }
    if (keyword === 'RUN') model.runs.push(parseRun(inst, onbuild));
    else if (keyword === 'COPY' || keyword === 'ADD') model.copies.push(parseCopy(inst, keyword, onbuild));
  }

  function parseFrom(inst: Instruction, index: number): Stage {
    const from = inst as unknown as FromLike;
    const span = spanOf(inst.getRange());
    const stageName = from.getBuildStage()?.toLowerCase() ?? undefined;
    const stage: Stage = { index, name: stageName, span, nonPosixShell: nonPosixPragma };
    const imageRange = from.getImageRange();
    if (!imageRange) return stage;
    const imageSpan = spanOf(imageRange);
    const raw = text.slice(imageSpan.start, imageSpan.end);
    // FROM sees the global ARGs and BuildKit's automatic ones (TARGETARCH, …) without declaring them.
    const fromScope = withAutomaticArgs(model.globalScope);
    const expansion = expandVars(raw, fromScope, escape, { quotes: true });
    const resolved = expansion.value?.toLowerCase();
    if (resolved === 'scratch') return stage;
    // `FROM build-${TARGETARCH}` names a stage whichever the platform: the one stage it can be, if only one.
    const stages = resolved === undefined ? stagesMatching(raw, expansion, fromScope) : model.stages.filter((s) => s.name === resolved);
    if (stages.length > 0) {
      if (stages.length === 1) stage.baseStage = stages[0].index;
      return stage;
    }
    const site = makeSite('from', raw, imageSpan, expansion, index);
    const platform = flagsAndArgsStart(inst).flags.find((f) => f.getName().toLowerCase() === 'platform')?.getValue();
    if (platform && PLATFORM.test(platform)) site.platform = platform;
    if (/windows|nanoserver|servercore/i.test(expansion.value ?? raw)) stage.nonPosixShell = true;
    model.imageSites.push(site);
    return stage;
  }

  /** Image named by `--from=` (COPY) or `from=` (RUN --mount), unless it is a stage name or index. */
  function addFromSite(kind: ImageSiteKind, raw: string, span: Span, stage: number, scopeNow: Scope): void {
    const expansion = expandVars(raw, scopeNow, escape, { quotes: true });
    const v = expansion.value?.toLowerCase();
    if (v !== undefined && (/^[0-9]+$/.test(v) || model.stages.some((s) => s.name === v) || v === 'scratch')) return;
    if (v === undefined && stagesMatching(raw, expansion, scopeNow).length > 0) return;
    // A stage defined later in the file cannot be referenced; BuildKit then treats the name as an image.
    model.imageSites.push(makeSite(kind, raw, span, expansion, stage));
  }

  /**
   * The stages (defined so far) a reference can name when its only unknowns are automatic ARGs: each of
   * those may be any text (`binaries-$TARGETOS` matches `binaries-linux` and `binaries-windows`).
   */
  function stagesMatching(raw: string, expansion: Expansion, scopeNow: Scope): Stage[] {
    if (expansion.unknown.length === 0 || !expansion.unknown.every((n) => scopeNow.get(n)?.automatic)) return [];
    const HOLE = '\u0000';
    const holes: Scope = new Map(scopeNow);
    for (const n of expansion.unknown) holes.set(n, { ...scopeNow.get(n)!, value: HOLE });
    const shape = expandVars(raw, holes, escape, { quotes: true }).value;
    if (shape === undefined) return [];
    const pattern = new RegExp(`^${shape.split(HOLE).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
    return model.stages.filter((s) => s.name !== undefined && pattern.test(s.name));
  }

  /**
   * Flags and the offset where arguments start. dockerfile-ast re-tokenizes the whole instruction for
   * `getFlags()` and `getArgumentsRange()` (a third of the model's cost on the corpus), so flags are only
   * asked for when the text after the keyword starts with `--`.
   */
  function flagsAndArgsStart(inst: Instruction): { flags: Flag[]; argsStart: number } {
    const keywordEnd = spanOf(inst.getInstructionRange()).end;
    const after = /^(?:[ \t]|\r?\n)*/.exec(text.slice(keywordEnd, keywordEnd + 200))![0].length;
    if (!text.startsWith('--', keywordEnd + after) && text[keywordEnd + after] !== escape) return { flags: [], argsStart: keywordEnd };
    const flags = (inst as unknown as { getFlags(): Flag[] }).getFlags?.() ?? [];
    const range = flags.length ? flags[flags.length - 1].getRange() : undefined;
    return { flags, argsStart: range ? spanOf(range).end : keywordEnd };
  }

  function parseRun(inst: Instruction, onbuild: boolean): RunBlock {
    const span = spanOf(inst.getRange());
    const { flags, argsStart } = flagsAndArgsStart(inst);
    const block: RunBlock = {
      span,
      stage: stageIndex,
      onbuild,
      commands: [],
      problems: [],
      flags: flags as unknown as RunBlock["flags"],
      workdir: model.stages[stageIndex]?.workdir,
    };
    for (const f of flags) {
      if (f.getName().toLowerCase() !== 'mount') continue;
      for (const o of f.getOptions()) {
        const vr = o.getValueRange();
        if (o.getName().toLowerCase() === 'from' && vr && o.getValue()) addFromSite('mount-from', o.getValue()!, spanOf(vr), stageIndex, scope);
      }
    }
    const stage = model.stages[stageIndex];
    if (stage?.nonPosixShell) {
      block.skipped = 'the stage runs RUN with a non-POSIX shell';
      return block;
    }
    const args = { start: argsStart, end: span.end };
    const lookup = (name: string) => scope.get(name)?.value;
    const argv = jsonArgv(inst, text, spanOf);
    if (argv) {
      const parsed = parseExecForm(argv, lookup);
      block.commands = parsed.commands;
      block.problems.push(...parsed.problems);
      return block;
    }
    const src = runSource(text, args.start, args.end, escape);
    const heredocOnly = /^\s*(<<-?\s*(["']?)[A-Za-z_][\w.-]*\2\s*)+$/.test(src.firstLine);
    let shellSrc: Source = src.source;
    // Asked only when the line may start one: dockerfile-ast re-reads the instruction for it.
    const heredocs = src.firstLine.includes('<<') ? (inst as unknown as { getHeredocs(): HeredocLike[] }).getHeredocs?.() ?? [] : [];
    block.unterminatedHeredoc = heredocs.find((h) => h.getDelimiterRange() === null)?.getName();
    if (heredocOnly) {
      block.problems.push(...unterminated(heredocs));
      const first = heredocs[0]?.getContentRange();
      if (!first) return block;
      const body = spanOf(first);
      const bodyText = text.slice(body.start, body.end);
      const shebang = /^#!\s*(\S+)(?:[ \t]+(\S+))?/.exec(bodyText);
      if (shebang) {
        const interp = basename(shebang[1]) === 'env' ? shebang[2] ?? '' : basename(shebang[1]);
        if (!SHELL_NAMES.has(interp)) {
          block.skipped = `the heredoc is a ${interp} script`;
          return block;
        }
      }
      shellSrc = sourceFromText(bodyText, body.start);
    }
    const parsed = parseShell(shellSrc, lookup);
    block.commands = parsed.commands;
    block.problems.push(...parsed.problems);
    return block;
  }

  function parseCopy(inst: Instruction, keyword: 'COPY' | 'ADD', onbuild: boolean): CopyBlock {
    const span = spanOf(inst.getRange());
    const flagMap = new Map<string, { raw?: string; value: string | undefined; span: Span }>();
    for (const f of flagsAndArgsStart(inst).flags) {
      const vr = f.getValueRange();
      const fspan = vr ? spanOf(vr) : spanOf(f.getRange());
      const raw = f.getValue();
      // Flag values may use ARGs (`--checksum=${SUM}`, `--from=${BUILDER}`); undefined when not known.
      flagMap.set(f.getName().toLowerCase(), { raw: raw ?? undefined, value: raw === null ? undefined : expandVars(raw, scope, escape).value, span: fspan });
    }
    const ks = inst.getInstructionRange();
    const block: CopyBlock = {
      keyword,
      span,
      keywordSpan: spanOf(ks),
      stage: stageIndex,
      onbuild,
      sources: [],
      flags: flagMap,
      heredoc: false,
      problems: [],
      workdir: model.stages[stageIndex]?.workdir,
    };
    const from = flagMap.get('from');
    if (from && keyword === 'COPY') addFromSite('copy-from', text.slice(from.span.start, from.span.end), from.span, stageIndex, scope);
    const argv = jsonArgv(inst, text, spanOf);
    let operands: FileOperand[];
    if (argv) operands = argv.map((a) => ({ ...a, value: a.value === undefined ? undefined : expandVars(a.value, scope, escape).value }));
    else {
      const heredocs = (inst as unknown as { getHeredocs?(): HeredocLike[] }).getHeredocs?.() ?? [];
      if (heredocs.length) {
        block.heredoc = true;
        block.problems.push(...unterminated(heredocs));
        block.unterminatedHeredoc = heredocs.find((h) => h.getDelimiterRange() === null)?.getName();
        return block;
      }
      operands = inst.getArguments().map((a) => {
        const s = spanOf(a.getRange());
        return { raw: text.slice(s.start, s.end), value: expandVars(a.getValue(), scope, escape).value, span: s };
      });
    }
    block.destination = operands.pop();
    block.sources = operands;
    return block;
  }

  model.comments = commentLines(text, lines, model.instructions);
  return model;
}

/**
 * Comment lines outside instructions (dockerfile-ast treats a leading comment block as parser directives
 * and omits it, so lines are read here). Comments inside a RUN continuation are part of the RUN.
 */
function commentLines(text: string, lines: LineIndex, instructions: InstructionInfo[]): CommentInfo[] {
  const out: CommentInfo[] = [];
  let next = 0;
  for (let line = 1; line <= lines.lineCount(); line++) {
    const start = lines.lineStart(line);
    while (next < instructions.length && instructions[next].span.end < start) next++;
    const inst = instructions[next];
    if (inst && inst.span.start < start && start <= inst.span.end) continue;
    const end = line < lines.lineCount() ? lines.lineStart(line + 1) - 1 : text.length;
    const raw = text.slice(start, end).replace(/\r$/, '');
    const trimmed = raw.trimStart();
    if (!trimmed.startsWith('#')) continue;
    const from = start + (raw.length - trimmed.length);
    out.push({ text: trimmed.trimEnd(), line, span: { start: from, end: from + trimmed.trimEnd().length } });
  }
  return out;
}

/** The scope FROM sees: BuildKit's automatic ARGs, then the global ARGs declared in the file. */
function withAutomaticArgs(global: Scope): Scope {
  const scope: Scope = new Map([...AUTOMATIC_ARGS].map((name) => [name, automaticArg(name)!]));
  for (const [k, v] of global) scope.set(k, v);
  return scope;
}

function makeSite(
  kind: ImageSiteKind,
  raw: string,
  span: Span,
  expansion: ReturnType<typeof expandVars>,
  stage: number,
): ImageSite {
  const site: ImageSite = {
    kind,
    raw,
    span,
    value: expansion.value,
    definitions: expansion.used.filter((d) => d.valueSpan !== undefined),
    unknownVars: expansion.unknown.filter((n) => !expansion.used.some((d) => d.name === n && d.automatic)),
    undeclaredVars: expansion.undeclared,
    automaticVars: [...new Set(expansion.used.filter((d) => d.automatic).map((d) => d.name))],
    stage,
  };
  if (expansion.error !== undefined) {
    site.value = raw;
    site.error = expansion.error;
  } else if (expansion.value !== undefined) {
    const r = parseImageRef(expansion.value);
    if (r.ok) site.ref = r.ref;
    else site.error = r.error;
  }
  return site;
}

/** The argv of a JSON (exec) form instruction, decoded, with ranges; undefined for shell form. */
function jsonArgv(
  inst: Instruction,
  text: string,
  spanOf: (r: { start: { line: number; character: number }; end: { line: number; character: number } }) => Span,
): FileOperand[] | undefined {
  const strings = (inst as unknown as { getJSONStrings?(): { getRange(): Parameters<typeof spanOf>[0] }[] }).getJSONStrings?.();
  if (!strings || strings.length === 0) return undefined;
  return strings.map((s) => {
    const span = spanOf(s.getRange());
    const raw = text.slice(span.start, span.end);
    let value: string | undefined;
    try {
      value = JSON.parse(raw);
    } catch {
      value = undefined;
    }
    return { raw, value, span };
  });
}

/** Exec form: argv is the command; `["sh","-c","…"]` runs a script. */
function parseExecForm(argv: FileOperand[], lookup: (n: string) => string | undefined) {
  // Exec form does no variable expansion: words are literal. `["sh","-c","…"]` is unwrapped and lexed.
  const words: Word[] = argv.map((a) => {
    const v = a.value ?? '';
    // Characters map exactly into the JSON string when it has no escapes; else to its start.
    const exact = v.length === a.raw.length - 2;
    return {
      raw: a.raw,
      value: a.value,
      span: a.span,
      vars: [],
      valueOffsets: Array.from({ length: v.length }, (_, i) => (exact ? a.span.start + 1 + i : a.span.start)),
    };
  });
  return commandsFromArgv(words, lookup);
}

interface PropertyLike {
  getName(): string;
  getValue(): string | null;
  getValueRange(): { start: { line: number; character: number }; end: { line: number; character: number } } | null;
}

interface FromLike {
  getBuildStage(): string | null;
  getImageRange(): { start: { line: number; character: number }; end: { line: number; character: number } } | null;
}

interface HeredocLike {
  getName(): string;
  getContentRange(): { start: { line: number; character: number }; end: { line: number; character: number } } | null;
  getDelimiterRange(): { start: { line: number; character: number }; end: { line: number; character: number } } | null;
}

/** dockerfile-ast leaves the delimiter range empty when the file ends before the delimiter line. */
function unterminated(heredocs: HeredocLike[]): string[] {
  return heredocs.filter((h) => h.getDelimiterRange() === null).map((h) => `unterminated here-document '${h.getName()}'`);
}
