/**
 * src/parse/instructions.ts reads instructions as dockerfile-ast 0.7.1 does, without its objects. Proven two ways,
 * on the corpus, generated files, mutated real files and random text made of the characters that steer the
 * parser (escapes, blanks, line breaks of every kind, quotes, brackets, `#`, `<<`, directives):
 *  1. tokens: every instruction's keyword, ranges and arguments, and its flags, arguments after the flags, JSON
 *     strings, FROM parts, ONBUILD trigger, ARG/ENV properties and here-documents, against dockerfile-ast's
 *     answers for the whole file (as published, not the cached copy src/parse/astCache.ts patches);
 *  2. the model the rules see: src/parse/dockerfile.ts against the builder it replaced, which read
 *     dockerfile-ast's objects (test/helpers/astModel.ts).
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { parseDockerfile, type DockerfileModel } from '../../src/parse/dockerfile';
import { argumentsOf, flagsOf, fromParts, heredocsOf, jsonStrings, propertiesOf, tokenize, trigger, type InstructionToken } from '../../src/parse/instructions';
import { LineIndex, type Span } from '../../src/util/text';
import { parseDockerfileWithAst } from '../helpers/astModel';
import { corpusFiles, itWithCorpus } from '../helpers/corpus';
import { dockerfile, encode, encoding, mutate, mutation } from '../fuzz/arbitraries';
import { fuzzParameters } from '../fuzz/properties';

type Ast = typeof import('dockerfile-ast');
let plain: Ast | undefined;
jest.isolateModules(() => {
  plain = require('dockerfile-ast');
});
const ast = plain!;

type Range = { start: { line: number; character: number }; end: { line: number; character: number } };
type Node = Record<string, (...a: unknown[]) => unknown>;

const KNOWN = new Set(['RUN', 'COPY', 'ADD', 'FROM']);

/** What dockerfile-ast answers for one instruction, in the tokens' terms. */
function astPicture(text: string, inst: Node, lines: LineIndex, escape: string, depth = 0): unknown {
  const span = (r: Range | null) => (r ? { start: lines.offset(r.start.line, r.start.character), end: lines.offset(r.end.line, r.end.character) } : null);
  const keyword = (inst.getKeyword() as string).toUpperCase();
  const raw = (inst.getRawArguments() as Node[]).map((a) => ({ value: a.getValue(), span: span(a.getRange() as Range) }));
  const out: Record<string, unknown> = { keyword, span: span(inst.getRange() as Range), keywordSpan: span(inst.getInstructionRange() as Range), args: raw };
  if (KNOWN.has(keyword)) {
    out.flags = (inst.getFlags() as Node[]).map((f) => ({
      name: f.getName(),
      span: span(f.getRange() as Range),
      value: f.getValue(),
      valueSpan: span(f.getValueRange() as Range | null),
      options: (f.getOptions() as Node[]).map((o) => ({ name: o.getName(), value: o.getValue(), valueSpan: span(o.getValueRange() as Range | null) })),
    }));
    out.after = (inst.getArguments() as Node[]).map((a) => ({ value: a.getValue(), span: span(a.getRange() as Range) }));
  }
  if (keyword === 'RUN' || keyword === 'COPY' || keyword === 'ADD' || keyword === 'SHELL') {
    const strings = (inst.getJSONStrings() as Node[]).map((s) => span(s.getRange() as Range));
    out.json = strings.length ? strings : undefined;
  }
  if (keyword === 'RUN' || keyword === 'COPY' || keyword === 'ADD') {
    out.heredocs = (inst.getHeredocs() as Node[]).map((h) => ({
      name: h.getName(),
      contentSpan: span(h.getContentRange() as Range | null),
      terminated: h.getDelimiterRange() !== null,
    }));
  }
  if (keyword === 'FROM') out.from = { image: span(inst.getImageRange() as Range | null), stage: inst.getBuildStage() };
  if (keyword === 'ARG' || keyword === 'ENV') {
    out.properties = (inst.getProperties() as Node[]).map((p) => ({ name: p.getName(), value: p.getValue(), valueSpan: span(p.getValueRange() as Range | null) }));
  }
  if (keyword === 'ONBUILD' && depth === 0) {
    const t = inst.getTriggerInstruction() as Node | null;
    out.trigger = t ? astPicture(text, t, lines, escape, 1) : undefined;
  }
  return out;
}

/** The same picture from the tokens. */
function tokenPicture(text: string, inst: InstructionToken, escape: string, depth = 0): unknown {
  const { keyword } = inst;
  const out: Record<string, unknown> = { keyword, span: inst.span, keywordSpan: inst.keywordSpan, args: inst.args };
  if (KNOWN.has(keyword)) {
    out.flags = flagsOf(text, inst);
    out.after = argumentsOf(inst);
  }
  if (keyword === 'RUN' || keyword === 'COPY' || keyword === 'ADD' || keyword === 'SHELL') out.json = jsonStrings(text, inst);
  if (keyword === 'RUN' || keyword === 'COPY' || keyword === 'ADD') out.heredocs = heredocsOf(text, inst, escape);
  if (keyword === 'FROM') out.from = fromParts(text, inst);
  if (keyword === 'ARG' || keyword === 'ENV') out.properties = propertiesOf(text, inst, escape);
  if (keyword === 'ONBUILD' && depth === 0) {
    const t = trigger(text, inst, escape);
    out.trigger = t ? tokenPicture(text, t, escape, 1) : undefined;
  }
  return out;
}

/** Calls that throw in dockerfile-ast (a here-document quirk) are compared as "throws". */
function attempt(f: () => unknown): unknown {
  try {
    return f();
  } catch {
    return 'throws';
  }
}

function sameTokens(text: string): void {
  const df = ast.DockerfileParser.parse(text);
  const lines = new LineIndex(text);
  const tokens = tokenize(text);
  const escape = df.getEscapeCharacter();
  const want = {
    escape,
    directives: df.getDirectives().map((d) => ({ name: d.getName(), valueSpan: { start: lines.offset(d.getValueRange().start.line, d.getValueRange().start.character), end: lines.offset(d.getValueRange().end.line, d.getValueRange().end.character) } })),
    instructions: df.getInstructions().map((i) => attempt(() => astPicture(text, i as unknown as Node, lines, escape))),
  };
  const got = {
    escape: tokens.escape,
    directives: tokens.directives,
    instructions: tokens.instructions.map((i) => attempt(() => tokenPicture(text, i, tokens.escape))),
  };
  if (JSON.stringify(got) !== JSON.stringify(want)) expect({ text, ...got }).toEqual({ text, ...want });
}

/** The model as plain data (flags of the old builder are dockerfile-ast objects). */
function plainModel(m: DockerfileModel): unknown {
  const span = (r: Range | null) => (r ? { start: m.lines.offset(r.start.line, r.start.character), end: m.lines.offset(r.end.line, r.end.character) } : null);
  const flag = (f: unknown) => {
    if (typeof (f as Node).getName !== 'function') return f;
    const n = f as Node;
    return {
      name: n.getName(),
      span: span(n.getRange() as Range),
      value: n.getValue(),
      valueSpan: span(n.getValueRange() as Range | null),
      options: (n.getOptions() as Node[]).map((o) => ({ name: o.getName(), value: o.getValue(), valueSpan: span(o.getValueRange() as Range | null) })),
    };
  };
  // Pipeline ids come from a counter shared by all parses: numbered here in order of appearance.
  const pipelines = new Map<number, number>();
  const pipeline = (id: number) => pipelines.get(id) ?? (pipelines.set(id, pipelines.size), pipelines.size - 1);
  return JSON.parse(
    JSON.stringify({ ...m, lines: undefined, runs: m.runs.map((r) => ({ ...r, flags: r.flags.map(flag) })) }, (k, v) =>
      v instanceof Map ? [...v] : ArrayBuffer.isView(v) ? Array.from(v as Int32Array) : k === 'pipeline' ? pipeline(v) : v,
    ),
  );
}

function sameModel(text: string): void {
  const want = attempt(() => plainModel(parseDockerfileWithAst(text)));
  const got = attempt(() => plainModel(parseDockerfile(text)));
  if (JSON.stringify(got) !== JSON.stringify(want)) expect({ text, got }).toEqual({ text, got: want });
}

function same(text: string): void {
  sameTokens(text);
  sameModel(text);
}

/** Text made of what steers the parser, in any order. */
const steering = fc
  .array(
    fc.constantFrom(
      'RUN ', 'COPY ', 'ADD ', 'FROM ', 'ENV ', 'ARG ', 'ONBUILD ', 'WORKDIR ', 'SHELL ', 'LABEL ', 'run', 'AS ', 'as',
      '--mount=type=cache,from=x,target=/y', '--from=b', '--platform=linux/arm64', '--chown=1:2', '--', '-', '=', ',',
      '<<EOF', '<<-EOF', '<<"EOF"', "<<'E'", 'EOF', '\tEOF', '<<', '<<<',
      '# escape=`', '# syntax=docker/dockerfile:1', '#', '# a=b', '\\', '`', '\\\n', '`\n', '\\ \n', '\\\r\n',
      '\r\n', '\r', '\n', '\n', ' ', ' ', '\t', '"', "'", '[', ']', '["a", "b"]', '[ "sh", "-c", "x" ]', '\\"',
      'a', 'b c', 'x=1', 'K="v w"', '"A"="b c"', "'x'", 'a"b', '\t', "K='v'", '${A}', '${A:-a b}', '${', '}', '$B', '\\$C', 'alpine:3', 'img@sha256:0', 'echo hi', '\ufeff', 'é',
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

itWithCorpus('reads every corpus file as dockerfile-ast does, and builds the same model', () => {
  for (const f of corpusFiles()) same(readFileSync(f, 'utf8'));
}, 300_000);

it('reads generated and mutated files as dockerfile-ast does, and builds the same model', () => {
  fc.assert(
    fc.property(fc.tuple(dockerfile, encoding), ([file, e]) => same(encode(file.lines, e))),
    fuzzParameters(200),
  );
  const files = corpusFiles().slice(0, 80).map((f) => readFileSync(f, 'utf8'));
  if (files.length === 0) return;
  fc.assert(
    fc.property(fc.nat(files.length - 1), mutation, (i, m) => same(mutate(files[i], m))),
    fuzzParameters(200),
  );
}, 300_000);

it('reads text made of escapes, blanks, line breaks, quotes and brackets as dockerfile-ast does', () => {
  fc.assert(fc.property(steering, same), fuzzParameters(3000));
}, 300_000);

/** RUN/COPY lines opening here-documents, then body lines, delimiters and blank lines (src/parse/instructions.ts reads the plain ones itself). */
const heredocText = fc
  .tuple(
    fc.constantFrom('RUN ', 'COPY ', 'ADD ', 'RUN --mount=type=cache,target=/c ', 'ONBUILD RUN '),
    fc.array(fc.constantFrom('<<EOF', '<<-EOF', '<<"EOF"', "<<'E'", '<<E.1', '<<a-b', 'cat', '>', '/x', 'sh', '<<', '<<"X'), { minLength: 1, maxLength: 4 }),
    fc.array(fc.constantFrom('\n', '\n', 'EOF', '\tEOF', 'EOF ', 'E', 'E.1', 'a-b', 'echo hi', '\t', ' ', '', 'RUN x', '\\', '\r\n', '#c'), { maxLength: 24 }),
  )
  .map(([keyword, words, body]) => `${keyword}${words.join(' ')}\n${body.join('')}`);

it('reads here-documents as dockerfile-ast does', () => {
  fc.assert(fc.property(heredocText, same), fuzzParameters(3000));
}, 300_000);

/** ARG/ENV words joined by blanks and continuations (src/parse/instructions.ts reads the plain ones itself). */
const propertyText = fc
  .tuple(
    fc.constantFrom('ENV ', 'ARG ', 'ENV \\\n  ', 'ONBUILD ENV '),
    fc.array(
      fc.tuple(
        fc.constantFrom('A=1', 'B', 'c=', '=d', 'K="v w"', "K='v'", '"A"=b', '"x"', "'y' ", 'a"b', '${A}', 'x=${A:-a b}', '${B', 'v', 'W=$C', '\\', '"', '#c', 'é'),
        fc.constantFrom(' ', ' ', '  ', '\t', ' \\\n  ', ' \\\n', ' \\  \n\t', '\\\n', ' \\\n\n', ' \\\n  #c\n  ', '\n', ' \\\r\n '),
      ),
      { minLength: 1, maxLength: 8 },
    ),
  )
  .map(([keyword, words]) => `${keyword}${words.map(([w, gap]) => w + gap).join('')}\nRUN x\n`);

it('reads ARG and ENV properties as dockerfile-ast does', () => {
  fc.assert(fc.property(propertyText, same), fuzzParameters(3000));
}, 300_000);

it('keeps a flag, a JSON string and a property at their offsets (spot checks)', () => {
  const text = 'FROM --platform=linux/amd64 alpine AS b\r\nRUN --mount=type=cache,from=b,target=/c ["sh", "-c", "x"]\nENV A="1 2" B=3\n';
  const t = tokenize(text);
  const [from, run, env] = t.instructions;
  const slice = (s: Span | null) => (s ? text.slice(s.start, s.end) : null);
  expect(slice(fromParts(text, from).image)).toBe('alpine');
  expect(fromParts(text, from).stage).toBe('b');
  expect(flagsOf(text, run)[0].options.map((o) => [o.name, slice(o.valueSpan)])).toEqual([['type', 'cache'], ['from', 'b'], ['target', '/c']]);
  expect(jsonStrings(text, run)?.map(slice)).toEqual(['"sh"', '"-c"', '"x"']);
  expect(propertiesOf(text, env, t.escape).map((p) => [p.name, p.value, slice(p.valueSpan)])).toEqual([['A', '1 2', '"1 2"'], ['B', '3', '3']]);
});
