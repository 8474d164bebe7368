/** Where the shared corpus of real Dockerfiles lives; tests that need it say so loudly when it is missing. */
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';

export const CORPUS_DIR = process.env.DOCKREPRO_CORPUS ?? resolve(__dirname, '../../../shared/corpus/files');

export function corpusFiles(): string[] {
  if (!existsSync(CORPUS_DIR)) {
    const msg = `corpus not found at ${CORPUS_DIR} (set DOCKREPRO_CORPUS)`;
    if (process.env.CI) throw new Error(msg);
    console.warn(`SKIPPED: ${msg}`);
    return [];
  }
  return readdirSync(CORPUS_DIR).sort().map((f) => resolve(CORPUS_DIR, f));
}
