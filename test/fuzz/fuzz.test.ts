/**
 * Property-based tests over generated and mutated Dockerfiles (fast-check). The suite runs a bounded number
 * of cases with a fixed seed; `npm run fuzz` runs many more (FUZZ_RUNS, FUZZ_SEED). A failure prints the
 * seed and the shrunk counterexample; each one found is fixed and kept in test/fuzz/regressions.test.ts.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { dockerfile, encode, encoding, huge, mutate, mutation } from './arbitraries';
import { checkFix, checkLint, fuzzContext, fuzzParameters } from './properties';
import { corpusFiles, describeWithCorpus } from '../helpers/corpus';
import { decodeDockerfile } from '../../src/util/decode';

const context = fuzzContext();
const long = !!process.env.FUZZ_RUNS;
/** Jest's own timeout: generous for a long run, a bound for the suite's. */
const timeout = long ? 24 * 3600_000 : 60_000;

if (long) console.log(`fuzz: FUZZ_RUNS=${process.env.FUZZ_RUNS} FUZZ_SEED=${fuzzParameters(0).seed}`);

const generated = fc.tuple(dockerfile, encoding).map(([file, e]) => encode(file.lines, e));

it('lint never throws and stays under its time bound (generated files, any line endings, BOM, unicode)', () => {
  fc.assert(
    fc.property(generated, (text) => checkLint(Buffer.from(text, 'utf8'), context)),
    fuzzParameters(150),
  );
}, timeout);

it('fix never throws, is idempotent, touches only the lines it fixes and keeps the instructions (generated files)', async () => {
  await fc.assert(
    fc.asyncProperty(generated, async (text) => {
      const decoded = decodeDockerfile(Buffer.from(text, 'utf8'));
      if (decoded.kind === 'text') await checkFix(decoded.text, context);
    }),
    fuzzParameters(60),
  );
}, timeout);

it('lint and fix keep their properties on huge and deeply nested inputs (bounded)', async () => {
  await fc.assert(
    fc.asyncProperty(huge(long ? 1 : 0.2), async ({ text }) => {
      checkLint(Buffer.from(text, 'utf8'));
      await checkFix(text);
    }),
    { ...fuzzParameters(0), numRuns: long ? Math.ceil(fuzzParameters(0).numRuns / 20) : 8 },
  );
}, timeout);

describeWithCorpus('mutated corpus files', () => {
  const files = corpusFiles().map((f) => readFileSync(f, 'utf8'));
  const mutated = fc
    .tuple(fc.nat(Math.max(0, files.length - 1)), fc.array(mutation, { minLength: 1, maxLength: 6 }))
    .map(([i, ms]) => ms.reduce(mutate, files[i] ?? ''));

  it('lint and fix keep their properties', async () => {
    await fc.assert(
      fc.asyncProperty(mutated, async (text) => {
        checkLint(Buffer.from(text, 'utf8'), context);
        const decoded = decodeDockerfile(Buffer.from(text, 'utf8'));
        if (decoded.kind === 'text') await checkFix(decoded.text, context);
      }),
      fuzzParameters(40),
    );
  }, timeout);
});
