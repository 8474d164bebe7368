/**
 * The Dockerfile model every rule reads: stages, variable scopes, external image references and RUN bodies
 * as simple shell commands, all with exact ranges in the original text. Built on the instructions
 * src/parse/instructions.ts reads (as dockerfile-ast reads them).
 */
import { posix } from 'node:path';
import { LineIndex, type Span } from '../util/text';
import { parseImageRef, PLATFORM, type ImageRef } from './imageRef';
import { parseShell, commandsFromArgv, sourceFromText, allocOffsets, basename, type SimpleCommand, type Source, type Word } from './shell';
import { automaticArg, AUTOMATIC_ARGS, expandVars, type Expansion, type Scope, type VarDef } from './vars';
import { argumentsOf, flagsOf, fromParts, heredocsOf, jsonStrings, propertiesOf, tokenize, trigger, type FlagToken, type HeredocToken, type InstructionToken } from './instructions';

export type ImageSiteKind = 'from' | 'copy-from' | 'mount-from' | 'syntax';

/** One place where the Dockerfile names an external image. */
export interface ImageSite {
  kind: ImageSiteKind;
  /** The reference as written (may contain `${VAR}`). */
  raw: string;
  span: Span;
  /** The reference after ARG substitution; undefined when an ARG has no known value. */
  value: string | undefined;
  ref?: ImageRef;
  /** Why `value` is not a valid reference. */
  error?: string;
  /** ARG definitions the reference is built from (their default is where a fix belongs). */
  definitions: VarDef[];
  /** ARGs used without a default (value comes from --build-arg). */
  unknownVars: string[];
  /** Variables used but never declared (BuildKit substitutes ''). */
  undeclaredVars: string[];
  /** ARGs BuildKit sets per build (TARGETARCH, …) the reference uses: its value depends on the platform. */
  automaticVars: string[];
  stage: number;
  /** FROM only: `--platform=` when written as a literal `os/arch[/variant]` (not `$BUILDPLATFORM`, not an ARG). */
  platform?: string;
}

export interface Stage {
  index: number;
  /** Lowercased `AS name`. */
  name?: string;
  span: Span;
  /** Index of the stage this one builds on (`FROM build`), if any. */
  baseStage?: number;
  /** Shell programs for RUN (from SHELL); undefined means the default `/bin/sh -c`. */
  shell?: string[];
  /** True for Windows stages where RUN is cmd/PowerShell, not POSIX shell. */
  nonPosixShell: boolean;
  /** WORKDIR at the end of the stage so far; undefined when unknown (inherited from an image). */
  workdir?: string;
}

/** A RUN instruction (or ONBUILD RUN) with its body parsed into simple commands. */
/**
 * The stages whose filesystem `stage` starts from (`FROM base` links), root first, then `stage` itself. The parser
 * only links to earlier stages, so this ends; the check keeps it so.
 */
export function stageChain(model: DockerfileModel, stage: number): number[] {
  const chain: number[] = [];
  for (let s: number | undefined = stage; s !== undefined && s >= 0 && !chain.includes(s); s = model.stages[s]?.baseStage) chain.unshift(s);
  return chain;
}

export interface RunBlock {
  span: Span;
  stage: number;
  onbuild: boolean;
  commands: SimpleCommand[];
  problems: string[];
  /** Set when the body is not analysed (PowerShell, a non-shell heredoc script). */
  skipped?: string;
  /** The name of a here-document the file ends inside (BuildKit: `unterminated heredoc`). */
  unterminatedHeredoc?: string;
  flags: FlagToken[];
  /** WORKDIR in effect (absolute), when known. */
  workdir?: string;
}

export interface FileOperand {
  /** The value after variable substitution (undefined when unknown). */
  value: string | undefined;
  raw: string;
  span: Span;
}

/** A COPY or ADD instruction. */
export interface CopyBlock {
  keyword: 'COPY' | 'ADD';
  span: Span;
  /** Range of the keyword (where instruction-level findings start). */
  keywordSpan: Span;
  stage: number;
  onbuild: boolean;
  sources: FileOperand[];
  destination?: FileOperand;
  /** Flags by lowercased name: `raw` as written, `value` after ARG substitution (undefined when unknown or absent). */
  flags: Map<string, { raw?: string; value: string | undefined; span: Span }>;
  /** True for `COPY <<EOF` (the heredoc is file content). */
  heredoc: boolean;
  /** Syntax problems BuildKit would stop at (an unterminated here-document). */
  problems: string[];
  /** The name of a here-document the file ends inside (BuildKit: `unterminated heredoc`). */
  unterminatedHeredoc?: string;
  /** WORKDIR in effect (absolute), when known. */
  workdir?: string;
}

export interface InstructionInfo {
  keyword: string;
  span: Span;
  /** 1-based line of the instruction's first line. */
  line: number;
  stage: number;
  onbuild: boolean;
}

export interface CommentInfo {
  text: string;
  line: number;
  span: Span;
}

export interface DockerfileModel {
  text: string;
  lines: LineIndex;
  escape: string;
  stages: Stage[];
  instructions: InstructionInfo[];
  imageSites: ImageSite[];
  runs: RunBlock[];
  copies: CopyBlock[];
  comments: CommentInfo[];
  /** Global ARGs (before the first FROM). */
  globalScope: Scope;
}

const SHELL_NAMES = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'busybox']);

/** Parses Dockerfile text (BOM already removed) into the model. Never throws on odd input. */
export function parseDockerfile(text: string): DockerfileModel {
  const lines = new LineIndex(text);
  const tokens = tokenize(text);
  const escape = tokens.escape;
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

  for (const d of tokens.directives) {
    if (d.name.toLowerCase() !== 'syntax') continue;
    const span = d.valueSpan;
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

  for (const inst of tokens.instructions) {
    const keyword = inst.keyword;
    const span = inst.span;
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
      for (const p of propertiesOf(text, inst, escape)) {
        const name = p.name;
        const vr = p.valueSpan;
        let def: VarDef;
        if (vr === null || p.value === null) {
          // `ARG X` inside a stage takes the global default, if any; `ARG TARGETARCH` takes BuildKit's value.
          const global = keyword !== 'ARG' ? undefined : (stageIndex >= 0 ? model.globalScope.get(name) : undefined) ?? automaticArg(name);
          def = global ? { ...global } : { name, kind: keyword === 'ARG' ? 'arg' : 'env', value: undefined };
        } else {
          const valueSpan = vr;
          const expanded = expandVars(p.value, scope, escape);
          def = { name, kind: keyword === 'ARG' ? 'arg' : 'env', value: expanded.value, valueSpan };
        }
        if (keyword === 'ARG' && scope.get(name)?.kind === 'env') continue; // ENV wins over ARG
        scope.set(name, def);
      }
      continue;
    }
    if (keyword === 'WORKDIR' && stageIndex >= 0) {
      const stage = model.stages[stageIndex];
      const value = expandVars(argumentsOf(inst).map((a) => a.value).join(' '), scope, escape).value;
      if (value === undefined) stage.workdir = undefined;
      else if (value.startsWith('/')) stage.workdir = posix.normalize(value);
      else stage.workdir = stage.workdir === undefined ? undefined : posix.join(stage.workdir, value);
      continue;
    }
    if (keyword === 'SHELL' && stageIndex >= 0) {
      const argv = jsonArgv(inst, text);
      if (argv) {
        const stage = model.stages[stageIndex];
        stage.shell = argv.map((a) => a.value ?? '');
        stage.nonPosixShell = !SHELL_NAMES.has(basename((stage.shell[0] ?? '').replace(/\\/g, '/')).toLowerCase());
      }
      continue;
    }
    handleBody(inst, keyword, false);
  }

  function handleBody(inst: InstructionToken, keyword: string, onbuild: boolean): void {
    if (keyword === 'ONBUILD') {
      const triggered = trigger(text, inst, escape);
      if (triggered) handleBody(triggered, triggered.keyword, true);
      return;
    }
    if (keyword === 'RUN') model.runs.push(parseRun(inst, onbuild));
    else if (keyword === 'COPY' || keyword === 'ADD') model.copies.push(parseCopy(inst, keyword, onbuild));
  }

  function parseFrom(inst: InstructionToken, index: number): Stage {
    const from = fromParts(text, inst);
    const span = inst.span;
    const stageName = from.stage?.toLowerCase() ?? undefined;
    const stage: Stage = { index, name: stageName, span, nonPosixShell: nonPosixPragma };
    const imageSpan = from.image;
    if (!imageSpan) return stage;
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
    const platform = flagsAndArgsStart(inst).flags.find((f) => f.name.toLowerCase() === 'platform')?.value;
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
   * Flags and the offset where arguments start. Flags are only read when the text after the keyword starts
   * with `--` (or an escape): the model has always read them so (when they cost a re-tokenization).
   */
  function flagsAndArgsStart(inst: InstructionToken): { flags: FlagToken[]; argsStart: number } {
    const keywordEnd = inst.keywordSpan.end;
    const after = /^(?:[ \t]|\r?\n)*/.exec(text.slice(keywordEnd, keywordEnd + 200))![0].length;
    if (!text.startsWith('--', keywordEnd + after) && text[keywordEnd + after] !== escape) return { flags: [], argsStart: keywordEnd };
    const flags = flagsOf(text, inst);
    return { flags, argsStart: flags.length ? flags[flags.length - 1].span.end : keywordEnd };
  }

  function parseRun(inst: InstructionToken, onbuild: boolean): RunBlock {
    const span = inst.span;
    const { flags, argsStart } = flagsAndArgsStart(inst);
    const block: RunBlock = {
      span,
      stage: stageIndex,
      onbuild,
      commands: [],
      problems: [],
      flags,
      workdir: model.stages[stageIndex]?.workdir,
    };
    for (const f of flags) {
      if (f.name.toLowerCase() !== 'mount') continue;
      for (const o of f.options) {
        if (o.name.toLowerCase() === 'from' && o.valueSpan && o.value) addFromSite('mount-from', o.value, o.valueSpan, stageIndex, scope);
      }
    }
    const stage = model.stages[stageIndex];
    if (stage?.nonPosixShell) {
      block.skipped = 'the stage runs RUN with a non-POSIX shell';
      return block;
    }
    const args = { start: argsStart, end: span.end };
    const lookup = (name: string) => scope.get(name)?.value;
    const argv = jsonArgv(inst, text);
    if (argv) {
      const parsed = parseExecForm(argv, lookup);
      block.commands = parsed.commands;
      block.problems.push(...parsed.problems);
      return block;
    }
    const src = runSource(text, args.start, args.end, escape);
    const heredocOnly = /^\s*(<<-?\s*(["']?)[A-Za-z_][\w.-]*\2\s*)+$/.test(src.firstLine);
    let shellSrc: Source = src.source;
    // Asked only when the line may start one (the answer comes from dockerfile-ast).
    const heredocs = src.firstLine.includes('<<') ? heredocsOf(text, inst, escape) : [];
    block.unterminatedHeredoc = heredocs.find((h) => !h.terminated)?.name;
    if (heredocOnly) {
      block.problems.push(...unterminated(heredocs));
      const body = heredocs[0]?.contentSpan;
      if (!body) return block;
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

  function parseCopy(inst: InstructionToken, keyword: 'COPY' | 'ADD', onbuild: boolean): CopyBlock {
    const span = inst.span;
    const flagMap = new Map<string, { raw?: string; value: string | undefined; span: Span }>();
    for (const f of flagsAndArgsStart(inst).flags) {
      const fspan = f.valueSpan ?? f.span;
      const raw = f.value;
      // Flag values may use ARGs (`--checksum=${SUM}`, `--from=${BUILDER}`); undefined when not known.
      flagMap.set(f.name.toLowerCase(), { raw: raw ?? undefined, value: raw === null ? undefined : expandVars(raw, scope, escape).value, span: fspan });
    }
    const block: CopyBlock = {
      keyword,
      span,
      keywordSpan: inst.keywordSpan,
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
    const argv = jsonArgv(inst, text);
    let operands: FileOperand[];
    if (argv) operands = argv.map((a) => ({ ...a, value: a.value === undefined ? undefined : expandVars(a.value, scope, escape).value }));
    else {
      const heredocs = heredocsOf(text, inst, escape);
      if (heredocs.length) {
        block.heredoc = true;
        block.problems.push(...unterminated(heredocs));
        block.unterminatedHeredoc = heredocs.find((h) => !h.terminated)?.name;
        return block;
      }
      operands = argumentsOf(inst).map((a) => ({ raw: text.slice(a.span.start, a.span.end), value: expandVars(a.value, scope, escape).value, span: a.span }));
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
function jsonArgv(inst: InstructionToken, text: string): FileOperand[] | undefined {
  const strings = jsonStrings(text, inst);
  if (!strings) return undefined;
  return strings.map((span) => {
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

/** An instruction's first logical line: pieces of the file's text, and where each is ([from, to) pairs). */
interface JoinedLine {
  pieces: string[];
  runs: number[];
  length: number;
  /** Where the here-document bodies start (the newline that ends the first line), or `end` when none. */
  rest: number;
}

/**
 * The text a RUN gives the shell: line continuations joined and comment/empty lines inside them removed
 * (as BuildKit does), then any here-document bodies verbatim. Every character maps back to its offset.
 */
export function runSource(text: string, start: number, end: number, escape: string): { source: Source; firstLine: string } {
  const { pieces, runs, length: firstLength, rest } = joinContinuations(text, start, end, escape);
  // Here-document bodies (everything after the first line) are copied verbatim.
  const length = firstLength + (end - rest);
  const offsets = allocOffsets(length + 1);
  let at = 0;
  for (let r = 0; r < runs.length; r += 2) for (let k = runs[r]; k < runs[r + 1]; k++) offsets[at++] = k;
  for (let k = rest; k < end; k++) offsets[at++] = k;
  offsets[length] = end;
  const firstLine = pieces.length === 1 ? pieces[0] : pieces.join('');
  return { source: { text: rest < end ? firstLine + text.slice(rest, end) : firstLine, offsets }, firstLine };
}

/**
 * runSource's first line with the offset of each of its characters (`at(text.length)` as runSource has it),
 * without an offsets array: for a caller that locates a few characters (rule syntax), not every one.
 */
export function logicalLine(text: string, start: number, end: number, escape: string): { text: string; at(i: number): number } {
  const { pieces, runs, length, rest } = joinContinuations(text, start, end, escape);
  return {
    text: pieces.length === 1 ? pieces[0] : pieces.join(''),
    at(i) {
      if (i >= length) return rest;
      for (let r = 0; r < runs.length; r += 2) {
        const n = runs[r + 1] - runs[r];
        if (i < n) return runs[r] + i;
        i -= n;
      }
      return rest;
    },
  };
}

function joinContinuations(text: string, start: number, end: number, escape: string): JoinedLine {
  // Copied in runs of characters (a slice each, by character code) rather than one by one: this is on the
  // path of every RUN. The runs are noted first so that the offsets take one exact, pooled allocation.
  const esc = escape.charCodeAt(0);
  const pieces: string[] = [];
  const runs: number[] = [];
  let length = 0;
  const copy = (from: number, to: number) => {
    if (to <= from) return;
    pieces.push(text.slice(from, to));
    runs.push(from, to);
    length += to - from;
  };
  let i = start;
  let runStart = start;
  // Only an escape character or a newline changes anything: the scan jumps from one to the next (a regular
  // expression, which never looks past the next newline) instead of stepping through every character.
  const next = escape === '\\' ? BACKSLASH_OR_NEWLINE : escape === '`' ? BACKTICK_OR_NEWLINE : undefined;
  while (i < end) {
    if (next) {
      next.lastIndex = i;
      i = next.exec(text)?.index ?? end;
      if (i >= end) break;
    }
    const c = text.charCodeAt(i);
    if (c === esc && escape.length === 1) {
      let j = i + 1;
      while (text.charCodeAt(j) === SPACE || text.charCodeAt(j) === TAB) j++;
      if (text.charCodeAt(j) === CR) j++;
      if (text.charCodeAt(j) === LF || j >= end) {
        copy(runStart, i);
        i = j + 1;
        // Skip comment lines and empty lines inside the continuation.
        for (;;) {
          let k = i;
          while (k < end && (text.charCodeAt(k) === SPACE || text.charCodeAt(k) === TAB)) k++;
          if (k < end && text.charCodeAt(k) === HASH) {
            while (k < end && text.charCodeAt(k) !== LF) k++;
            i = k + 1;
          } else if (k < end && (text.charCodeAt(k) === LF || (text.charCodeAt(k) === CR && text.charCodeAt(k + 1) === LF))) {
            i = text.charCodeAt(k) === CR ? k + 2 : k + 1;
          } else break;
        }
        runStart = i;
        continue;
      }
    }
    if (c === LF) {
      copy(runStart, i);
      return { pieces, runs, length, rest: i };
    }
    i++;
  }
  copy(runStart, Math.min(i, end));
  return { pieces, runs, length, rest: end };
}

const BACKSLASH_OR_NEWLINE = /[\\\n]/g;
const BACKTICK_OR_NEWLINE = /[`\n]/g;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const HASH = 0x23;

/** A here-document whose file ends before its delimiter line. */
function unterminated(heredocs: HeredocToken[]): string[] {
  return heredocs.filter((h) => !h.terminated).map((h) => `unterminated here-document '${h.name}'`);
}
