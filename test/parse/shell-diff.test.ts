/**
 * Differential test of the hand-written shell lexer (src/parse/shell.ts) against tree-sitter-bash: on every
 * shell-form RUN body of the corpus, both must find the same simple commands with the same words (text and
 * Dockerfile range). The lexer exists because loading tree-sitter costs too much start-up time; this test
 * is what keeps it honest. Normalisations of known tree-sitter quirks live in test/helpers/shellDiff.ts and
 * test/helpers/treeSitterBash.ts, each with its reason.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DockerfileParser, type Dockerfile, type Instruction } from 'dockerfile-ast';
import type { Parser } from 'web-tree-sitter';
import { parseDockerfile, runSource, type DockerfileModel } from '../../src/parse/dockerfile';
import { parseShell, sourceFromText, type Source } from '../../src/parse/shell';
import { corpusFiles, itWithCorpus } from '../helpers/corpus';
import { diffScript, wordText, type DiffCommand, type ScriptDiff } from '../helpers/shellDiff';
import { loadBashParser } from '../helpers/treeSitterBash';

let parser: Parser;
beforeAll(async () => {
  parser = await loadBashParser();
});

/** RUN and ONBUILD RUN instructions in file order, which is the order of `model.runs`. */
function runInstructions(df: Dockerfile): Instruction[] {
  const out: Instruction[] = [];
  for (const inst of df.getInstructions()) {
    const keyword = inst.getKeyword().toUpperCase();
    const trigger =
      keyword === 'ONBUILD' ? (inst as unknown as { getTriggerInstruction(): Instruction | null }).getTriggerInstruction() : inst;
    if (trigger?.getKeyword().toUpperCase() === 'RUN') out.push(trigger);
  }
  return out;
}

/** The text the lexer was given for a shell-form RUN (as parseRun in src/parse/dockerfile.ts builds it). */
function shellSource(model: DockerfileModel, inst: Instruction): Source | undefined {
  const r = inst.getArgumentsRange();
  if (!r) return undefined;
  const offset = (p: { line: number; character: number }) => model.lines.offset(p.line, p.character);
  const src = runSource(model.text, offset(r.start), offset(r.end), model.escape);
  if (!/^\s*(<<-?\s*(["']?)[A-Za-z_][\w.-]*\2\s*)+$/.test(src.firstLine)) return src.source;
  // `RUN <<EOF` alone: the first here-document is the script.
  const heredoc = (inst as unknown as { getHeredocs(): { getContentRange(): typeof r }[] }).getHeredocs()[0];
  const body = heredoc?.getContentRange();
  if (!body) return undefined;
  const start = offset(body.start);
  return sourceFromText(model.text.slice(start, offset(body.end)), start);
}

function describeDiff(where: string, model: DockerfileModel, d: ScriptDiff): string {
  const texts = (c: DiffCommand) => c.words.map(wordText).join(' | ');
  const both = new Set(d.lexerOnly.map(texts).filter((t) => d.treeSitterOnly.some((c) => texts(c) === t)));
  // When only the ranges differ, show them (line:column of start and end).
  const at = (k: string) => {
    const [start, end] = k.slice(k.lastIndexOf('@') + 1).split('-').map((o) => model.lines.position(Number(o)));
    return `${wordText(k)} [${start.line}:${start.column}-${end.line}:${end.column}]`;
  };
  const show = (c: DiffCommand) =>
    `    line ${model.lines.position(c.start).line}: ${both.has(texts(c)) ? c.words.map(at).join(' | ') : texts(c)}`;
  const errors = d.treeSitterErrors.length ? ` (tree-sitter errors: ${d.treeSitterErrors.slice(0, 3).join(', ')})` : '';
  return [`${where}${errors}`, '  lexer only:', ...d.lexerOnly.map(show), '  tree-sitter only:', ...d.treeSitterOnly.map(show)].join('\n');
}

describe('shell lexer vs tree-sitter-bash', () => {
  itWithCorpus('agrees on command boundaries and words in every RUN body of the corpus', () => {
    const files = corpusFiles();
    // The RUN argument ranges come from dockerfile-ast (the model reads instructions itself: a cross-check).
    const mismatches: string[] = [];
    const problems: string[] = [];
    let runs = 0;
    let commands = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
      const model = parseDockerfile(text);
      const instructions = runInstructions(DockerfileParser.parse(text));
      expect(instructions).toHaveLength(model.runs.length);
      model.runs.forEach((run, i) => {
        const inst = instructions[i];
        // Exec form is an argv, not shell; non-POSIX stages and non-shell heredoc scripts are not lexed.
        if (run.skipped || (inst as unknown as { getJSONStrings(): unknown[] }).getJSONStrings().length) return;
        const src = shellSource(model, inst);
        if (!src) return;
        const d = diffScript(parser, src, run.commands);
        runs++;
        commands += d.compared;
        const where = `${basename(file)}:${model.lines.position(run.span.start).line}`;
        if (d.lexerOnly.length || d.treeSitterOnly.length) mismatches.push(describeDiff(where, model, d));
        // Every RUN of the corpus is valid shell: a problem is a lexer bug.
        if (run.problems.length) problems.push(`${where}: ${run.problems.join(', ')}`);
      });
    }
    expect(mismatches).toEqual([]);
    expect(problems).toEqual([]);
    // A guard on the plumbing (the shared corpus: 1201 RUN bodies, 7295 commands in 506 files).
    expect(runs).toBeGreaterThanOrEqual(files.length);
    expect(commands).toBeGreaterThanOrEqual(runs);
  });

  /**
   * Constructs the corpus lacks (or has too rarely), each a lexer bug once or a normalisation, compared
   * the same way. Known tree-sitter-bash quirks that are not normalised, because no RUN in the corpus has
   * them, are left out: it merges `a` `b` (two backquoted commands) into one substitution, drops a
   * backslash-blank that is a word of its own, fails on a `'` in a double-quoted `${A:-don't}`, parses
   * `\$(…)` in a here-document body as a substitution and does not parse backquotes there.
   * test/parse/shell.test.ts covers the lexer on those.
   */
  it.each([
    'echo `uname -m` x',
    'pkgs=(curl "$(echo wget)") && apt-get install "${pkgs[@]}"',
    'declare -a a=(1 2) b; export V=3 W; unset X',
    'echo ${V:-$(cat /version)} x',
    'cat <<EOF >/etc/apt/sources.list\ndeb http://x $(lsb_release -cs) main\nEOF\necho z',
    'x=$(cat <<EOF\ncurl\nEOF\n); echo z',
    'for ((i = 0; i < 3; i++)); do echo $i; done; for f in $(ls /x); do rm "$f"; done',
    'tool --file=<(curl u) x; A=<(y) z',
    'case "$x" in\n  a|b) apt-get install a ;;\n  (c) pip install c;;\n  *) echo no\nesac; echo z',
    'install() { apt-get install -y "$@"; }; install curl\nfunction f { a; }\nfunction g() { b; }',
    'if ! a; then b; elif c; then d; else e; fi; [ -f x ] && [[ -n $y ]] && z',
    'DEBIAN_FRONTEND=noninteractive A=1 apt-get install x',
    'echo $((1 + $(n))) a\\;b c\\ d $\'a\\tb\\\'c\' x',
    // Normalised quirks: words swallowed by a redirection, `-$` ending a word, a prefix here-document.
    'echo >&2 "msg" x; a 3>&- b; cat <<EOF x\nbody\nEOF',
    'tar xzf a-$V-$W.tgz -C /',
    '<<EOT bash\nset -e\napt-get update\nEOT',
    // Lexed by the lexer only: the script of sh -c and a here-document fed to a shell.
    "sudo bash -exc 'apt-get update && apt-get install -y curl' name",
    'bash -e <<EOF\napt-get install -y curl\nEOF\necho after',
  ])('agrees on %j', (script) => {
    const src = sourceFromText(script, 0);
    const d = diffScript(parser, src, parseShell(src, () => undefined).commands);
    expect(d.treeSitterErrors).toEqual([]);
    expect({ lexerOnly: d.lexerOnly, treeSitterOnly: d.treeSitterOnly }).toEqual({ lexerOnly: [], treeSitterOnly: [] });
    expect(d.compared).toBeGreaterThan(0);
  });

  it('reports a wrong command boundary or word', () => {
    const src = sourceFromText('apt-get install curl && pip install x', 0);
    const cmds = parseShell(src, () => undefined).commands;
    cmds[0].words = cmds[0].words.slice(0, 2);
    const d = diffScript(parser, src, cmds);
    expect(d.lexerOnly.map((c) => c.words.map(wordText))).toEqual([['apt-get', 'install']]);
    expect(d.treeSitterOnly.map((c) => c.words.map(wordText))).toEqual([['apt-get', 'install', 'curl']]);
  });
});
