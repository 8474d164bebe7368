/** Where the shared corpus of real Dockerfiles lives; tests that need it say so loudly when it is missing. */
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';

/** DOCKREPRO_CORPUS, else `shared/` beside the checkout (the workplace layout), else this machine's copy. */
const CANDIDATES = [
  process.env.DOCKREPRO_CORPUS,
  resolve(__dirname, '../../../shared/corpus/files'),
  '/work/shared/corpus/files',
].filter((p): p is string => !!p);

export const CORPUS_DIR = CANDIDATES.find((p) => existsSync(p)) ?? CANDIDATES[0];

/** The corpus files; under CI a missing corpus fails the run instead of skipping. */
export function corpusFiles(): string[] {
  if (!existsSync(CORPUS_DIR)) {
    const msg = `corpus not found (looked in ${CANDIDATES.join(', ')}; set DOCKREPRO_CORPUS)`;
    if (process.env.CI) throw new Error(msg);
    console.warn(`SKIPPED: ${msg}`);
    return [];
  }
  return readdirSync(CORPUS_DIR).sort().map((f) => resolve(CORPUS_DIR, f));
}
