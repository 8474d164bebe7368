/**
 * The pip install commands of pip-version: an install parsed once per command (pip, python -m pip, pipx,
 * uv pip, uv tool), the command and word a finding points at, a requirement split where a pin goes, and the
 * edit of a word's value. No lookups.
 */
import { parseArgs, optionSpec, type ParsedArgs } from '../parse/args';
import type { DockerfileModel, RunBlock } from '../parse/dockerfile';
import type { SimpleCommand, Word } from '../parse/shell';
import type { Finding } from '../rules/types';
import { installCall, pipxLike, PIP_INSTALL, PIPX_INSTALL, type PipTool } from '../parse/tools/pip';
import { isValidProjectName, pep440 } from '../resolve/pypi';
import type { TextEdit } from './types';
import { NotFixed } from '../util/notFixed';

/** The options of `--pip-args` that change where and what pip looks up. */
export const PIP_ARGS = optionSpec(['-i', '--index-url', '--extra-index-url', '-f', '--find-links', '--python-version']);

type Tool = PipTool;


export interface Located {
  run: RunBlock;
  cmd: SimpleCommand;
  tool: Tool;
  parsed: ParsedArgs;
  word: Word;
}

/** An install command parsed once, with its words by range: a finding is found by a look-up, not a scan. */
interface ParsedInstall {
  tool: Tool;
  parsed: ParsedArgs;
  /** Operands and `-e` values. */
  requirements: Map<string, Word>;
  /** `-r` values. */
  files: Map<string, Word>;
}

/** Per command of a model: 150k findings in one `pip install` must not each parse its 150k words again. */
const installs = new WeakMap<SimpleCommand, ParsedInstall | null>();

const rangeKey = (w: { span: { start: number; end: number } }) => `${w.span.start}:${w.span.end}`;

function parsedInstall(cmd: SimpleCommand): ParsedInstall | undefined {
  let entry = installs.get(cmd);
  if (entry === undefined) {
    const call = installCall(cmd);
    entry = null;
    if (call) {
      const parsed = parseArgs(call.args, pipxLike(call.tool) ? PIPX_INSTALL : PIP_INSTALL);
      const index = (words: Word[]) => {
        const m = new Map<string, Word>();
        for (const w of words) if (!m.has(rangeKey(w))) m.set(rangeKey(w), w);
        return m;
      };
      const values = (names: string[]) => parsed.optionWords.filter((o) => names.includes(o.name)).flatMap((o) => (o.value ? [o.value] : []));
      entry = {
        tool: call.tool,
        parsed,
        requirements: index([...parsed.operands, ...values(['-e', '--editable'])]),
        files: index(values(['-r', '--requirement'])),
      };
    }
    installs.set(cmd, entry);
  }
  return entry ?? undefined;
}

/** The install command holding the word at the finding's range, among its requirements or its `-r` files. */
function findInstall(model: DockerfileModel, finding: Finding, words: 'requirements' | 'files'): Located | undefined {
  const { start, end } = finding.span;
  for (const run of model.runs) {
    if (start < run.span.start || end > run.span.end) continue;
    for (const cmd of run.commands) {
      if (start < cmd.span.start || end > cmd.span.end) continue;
      const install = parsedInstall(cmd);
      const word = install?.[words].get(rangeKey(finding));
      if (install && word) return { run, cmd, tool: install.tool, parsed: install.parsed, word };
    }
  }
  return undefined;
}

/** The install command and the requirement word at the finding's range (an operand or an `-e` value). */
export function locate(model: DockerfileModel, finding: Finding): Located | undefined {
  return findInstall(model, finding, 'requirements');
}

/** A requirement split where the fix edits it: `name[extras]` | specifier | `; marker`. Offsets into the value. */
export interface Requirement {
  name: string;
  extras: string[];
  /** The specifier without spaces and parentheses (`>=2,<3`), '' for none. */
  specifier: string;
  /** value[specStart, specEnd) is replaced by `==version` (empty for a bare name: an insertion). */
  specStart: number;
  specEnd: number;
}

export function parseRequirement(value: string): Requirement | string {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(\s*\[([^\]]*)\])?/.exec(value);
  if (!m) return `'${value}' is not a requirement dockrepro can read`;
  const name = m[1];
  if (!isValidProjectName(name)) return `'${name}' is not a valid project name (PEP 508)`;
  const extras = m[3] === undefined ? [] : m[3].split(',').map((e) => e.trim()).filter(Boolean);
  const bad = extras.find((e) => !isValidProjectName(e));
  if (bad !== undefined) return `'${bad}' is not a valid extra name (PEP 508)`;
  const specStart = m[0].length;
  const semi = value.indexOf(';', specStart);
  const part = value.slice(specStart, semi < 0 ? value.length : semi);
  const written = part.trim();
  const specEnd = written === '' ? specStart : specStart + part.trimEnd().length;
  const specifier = written.replace(/^\((.*)\)$/s, '$1').replace(/\s+/g, '');
  if (specifier !== '' && !pep440().validRange(specifier)) return `'${written}' is not a valid PEP 440 version specifier`;
  return { name, extras, specifier, specStart, specEnd };
}

/**
 * The edit replacing value[a, b) of `word` by `text` (an insertion after value[a-1] when a == b), or
 * undefined when those characters are not written literally in one piece (they come from a variable, or
 * quotes and escapes split them).
 */
export function valueEdit(source: string, word: Word, a: number, b: number, text: string): TextEdit | undefined {
  const v = word.value!;
  const offs = word.valueOffsets;
  if (offs.length !== v.length) return undefined;
  const literal = (i: number) => source[offs[i]] === v[i];
  if (a === b) {
    if (a === 0 || !literal(a - 1)) return undefined;
    const at = offs[a - 1] + 1;
    return { start: at, end: at, text };
  }
  for (let i = a; i < b; i++) if (!literal(i) || (i > a && offs[i] !== offs[i - 1] + 1)) return undefined;
  return { start: offs[a], end: offs[b - 1] + 1, text };
}

export function known(name: string, v: { value: string | undefined } | undefined): string | undefined {
  if (v && v.value === undefined) throw new NotFixed(`${name} depends on a value that is not known (an ARG without a default?)`, 'no-fixer');
  return v?.value;
}

export function optionValue(name: string, w: Word | undefined): string {
  if (w?.value === undefined) throw new NotFixed(`the value of ${name} is not known`, 'no-fixer');
  return w.value;
}

/** The install command whose `-r` value word is at the finding's range (the rule reports file lines there). */
export function locateRequirementsOption(model: DockerfileModel, finding: Finding): Located | undefined {
  return findInstall(model, finding, 'files');
}
