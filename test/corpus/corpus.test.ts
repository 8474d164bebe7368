/**
 * Lints every file of the shared corpus (506 real Dockerfiles) with all rules: nothing may throw, and the
 * per-rule finding counts must match the reviewed snapshot. When a rule changes on purpose, review the new
 * counts (and a sample of findings) and update with `npx jest test/corpus -u`.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { lintFile } from '../../src/run';
import { DEFAULT_CONFIG } from '../../src/config';
import { RULES } from '../../src/rules/index';
import { corpusFiles, describeWithCorpus } from '../helpers/corpus';

const files = corpusFiles();
const run = { disabled: new Set<string>(), findConfig: () => DEFAULT_CONFIG };

describeWithCorpus('corpus', () => {
  const counts: Record<string, number> = Object.fromEntries(RULES.map((r) => [r.meta.id, 0]));
  const filesWithFindings: Record<string, number> = Object.fromEntries(RULES.map((r) => [r.meta.id, 0]));
  const errors: string[] = [];
  const notices: string[] = [];

  beforeAll(() => {
    for (const file of files) {
      const result = lintFile(file, basename(file), () => readFileSync(file), run);
      if (!result) continue;
      if (result.error) errors.push(`${result.path}: ${result.error}`);
      if (result.notice) notices.push(`${result.path}: ${result.notice}`);
      const seen = new Set<string>();
      for (const f of result.findings) {
        counts[f.rule]++;
        seen.add(f.rule);
        // Every finding points inside the file.
        expect(f.span.start).toBeGreaterThanOrEqual(0);
        expect(f.span.end).toBeGreaterThanOrEqual(f.span.start);
        expect(f.message.length).toBeGreaterThan(0);
      }
      for (const r of seen) filesWithFindings[r]++;
    }
  });

  it('has the corpus', () => {
    expect(files.length).toBe(506);
  });

  it('lints every file without an error', () => {
    expect(errors).toEqual([]);
  });

  it('matches the reviewed per-rule finding counts', () => {
    if (files.length === 0) return;
    expect({ findings: counts, files: filesWithFindings }).toMatchSnapshot();
  });

  it('notes unparseable shell and unknown instructions only where the corpus really has them', () => {
    if (files.length === 0) return;
    expect(notices).toMatchSnapshot();
  });
});
