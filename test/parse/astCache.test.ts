/**
 * src/parse/astCache.ts caches dockerfile-ast's argument scans and its second build of each instruction.
 * Equivalence: two separately loaded copies of dockerfile-ast, one cached and one as published, must give the
 * same answer to every
 * argument-free getter of the parsed Dockerfile, its instructions and everything they return (flags, options,
 * properties, heredocs, JSON strings, variables, …), on the corpus and on generated and mutated files.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { cacheDockerfileAst } from '../../src/parse/astCache';
import { corpusFiles, itWithCorpus } from '../helpers/corpus';
import { dockerfile, encode, encoding, mutate, mutation } from '../fuzz/arbitraries';
import { fuzzParameters } from '../fuzz/properties';

type Ast = typeof import('dockerfile-ast') & { Parser: unknown; Util: { isUTF8BOM(char: string): boolean } };

/** A copy of dockerfile-ast of its own (its classes are not those of any other copy). */
function load(): Ast {
  let ast: Ast | undefined;
  jest.isolateModules(() => {
    ast = { ...require('dockerfile-ast'), Parser: require('dockerfile-ast/lib/parser').Parser, Util: require('dockerfile-ast/lib/util').Util };
  });
  return ast!;
}

const plain = load();
const cached = load();
cacheDockerfileAst(cached);

/** Every getter that takes no argument, on the object's class chain (not Object's). */
function getters(o: object): string[] {
  const names = new Set<string>();
  for (let p = Object.getPrototypeOf(o); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const n of Object.getOwnPropertyNames(p)) {
      const f = (p as Record<string, unknown>)[n];
      if (n !== 'constructor' && /^(get|is|has|contains)/.test(n) && typeof f === 'function' && f.length === 0) names.add(n);
    }
  }
  return [...names].sort();
}

/** A plain-data picture of what dockerfile-ast answers, `depth` getter calls deep. */
function picture(v: unknown, depth: number): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => picture(x, depth));
  const names = getters(v);
  if (names.length === 0) return JSON.parse(JSON.stringify(v)); // ranges and positions
  if (depth === 0) return `<${v.constructor.name}>`;
  const out: Record<string, unknown> = { class: v.constructor.name };
  for (const n of names) {
    if (n === 'getDocument') continue;
    try {
      out[n] = picture((v as Record<string, () => unknown>)[n](), depth - 1);
    } catch (e) {
      out[n] = `throws ${(e as Error).message}`;
    }
  }
  return out;
}

/**
 * The file's own getters, then each instruction's, three getter calls deep; each instruction is asked twice (the
 * second answer comes from the cache). Compared as JSON text (fast); a difference is shown as a diff.
 */
function same(text: string): void {
  const a = plain.DockerfileParser.parse(text);
  const b = cached.DockerfileParser.parse(text);
  const pairs: [unknown, unknown][] = [[picture(a, 1), picture(b, 1)]];
  const ia = a.getInstructions();
  const ib = b.getInstructions();
  expect(ib.length).toBe(ia.length);
  for (let i = 0; i < ia.length; i++) {
    const want = picture(ia[i], 3);
    pairs.push([want, picture(ib[i], 3)], [want, picture(ib[i], 3)]);
  }
  for (const [want, got] of pairs) if (JSON.stringify(got) !== JSON.stringify(want)) expect(got).toEqual(want);
}

it('the cached copy is patched and the plain one is not', () => {
  expect(cached.Instruction.prototype).not.toBe(plain.Instruction.prototype);
  const method = (c: unknown, name: string) => (c as { prototype: Record<string, unknown> }).prototype[name];
  expect(method(cached.Instruction, 'getRawArguments')).not.toBe(method(plain.Instruction, 'getRawArguments'));
  expect(method(cached.Parser, 'createInstruction')).not.toBe(method(plain.Parser, 'createInstruction'));
  expect(cached.Util.isUTF8BOM).not.toBe(plain.Util.isUTF8BOM);
});

it('tells a byte order mark as dockerfile-ast does, for every UTF-16 unit and the strings around it', () => {
  const inputs = ['', '\ufeff', '\ufeffFROM a', 'FROM a', '\ud83d\ude00', '\ufeff\ufeff'];
  for (let c = 0; c <= 0xffff; c++) inputs.push(String.fromCharCode(c));
  const differ = inputs.filter((s) => cached.Util.isUTF8BOM(s) !== plain.Util.isUTF8BOM(s));
  expect(differ).toEqual([]);
  expect(inputs.filter((s) => cached.Util.isUTF8BOM(s))).toEqual(['\ufeff', '\ufeffFROM a', '\ufeff\ufeff', '\ufeff']);
  same('\ufeffFROM alpine\nRUN apk add curl\n');
  same('\ufeff# escape=`\nFROM alpine\nRUN echo `\n  a\n');
});

itWithCorpus('parses every corpus file the same as dockerfile-ast as published', () => {
  const files = corpusFiles();
  for (const f of files) same(readFileSync(f, 'utf8'));
}, 300_000);

it('parses generated and mutated files the same as dockerfile-ast as published', () => {
  const files = corpusFiles().slice(0, 50).map((f) => readFileSync(f, 'utf8'));
  fc.assert(
    fc.property(fc.tuple(dockerfile, encoding), ([file, e]) => same(encode(file.lines, e))),
    fuzzParameters(100),
  );
  if (files.length === 0) return;
  fc.assert(
    fc.property(fc.nat(files.length - 1), mutation, (i, m) => same(mutate(files[i], m))),
    fuzzParameters(100),
  );
}, 300_000);
