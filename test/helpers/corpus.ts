/**
 * Where the shared corpus of real Dockerfiles lives. A test that reads it never passes over no files: when
 * the corpus is missing, `itWithCorpus` / `describeWithCorpus` make it a skip jest lists (with a warning
 * saying where we looked) and, under CI (test/helpers/ci.ts), a failing test.
 */
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { inCI } from './ci';

/** DOCKREPRO_CORPUS, else `shared/` beside the checkout (the workplace layout), else this machine's copy. */
const CANDIDATES = [
  process.env.DOCKREPRO_CORPUS,
  resolve(__dirname, '../../../shared/corpus/files'),
  '/work/shared/corpus/files',
].filter((p): p is string => !!p);

export const CORPUS_DIR = CANDIDATES.find((p) => existsSync(p)) ?? CANDIDATES[0];

const MISSING = existsSync(CORPUS_DIR) ? undefined : `corpus not found (looked in ${CANDIDATES.join(', ')}; set DOCKREPRO_CORPUS)`;
let warned = false;
function warnOnce(): void {
  if (!warned) console.warn(`SKIPPED: ${MISSING}`);
  warned = true;
}

/** `it` for a test that reads the corpus: skipped when it is missing, failing instead under CI. */
export const itWithCorpus = ((name: string, fn: jest.ProvidesCallback, timeout?: number) => {
  if (!MISSING) return it(name, fn, timeout);
  if (inCI()) return it(name, () => { throw new Error(MISSING); });
  warnOnce();
  return it.skip(name, fn, timeout);
}) as (name: string, fn: jest.ProvidesCallback, timeout?: number) => void;

/** `describe` for tests that read the corpus: skipped when it is missing, one failing test instead under CI. */
export function describeWithCorpus(name: string, fn: () => void): void {
  if (!MISSING) return describe(name, fn);
  if (inCI()) return describe(name, () => it('needs the corpus', () => { throw new Error(MISSING); }));
  warnOnce();
  describe.skip(name, fn);
}

/** The corpus files, sorted; none when it is missing (call it inside itWithCorpus / describeWithCorpus). */
export function corpusFiles(): string[] {
  if (MISSING) return [];
  return readdirSync(CORPUS_DIR).sort().map((f) => resolve(CORPUS_DIR, f));
}
