/**
 * `fix --unsafe` (offline) on every corpus file: never throws, is idempotent, adds no finding, and changes
 * no line that no fix touched (line count kept; at most one changed line per applied fix).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fixText } from '../../src/fix';
import { parseDockerfile } from '../../src/parse/dockerfile';
import { lintModel } from '../../src/lint';
import { RULES } from '../../src/rules/index';
import { decodeDockerfile } from '../../src/util/decode';
import { corpusFiles } from '../helpers/corpus';

const options = { rules: RULES, unsafe: true, offline: true, baseId: 10001 };
const keys = (text: string) => {
  const m = new Map<string, number>();
  for (const f of lintModel(parseDockerfile(text), { rules: RULES })) m.set(`${f.rule} ${f.message}`, (m.get(`${f.rule} ${f.message}`) ?? 0) + 1);
  return m;
};

it('fixes every corpus file safely and idempotently', async () => {
  const files = corpusFiles();
  let changedFiles = 0;
  let fixes = 0;
  for (const file of files) {
    const decoded = decodeDockerfile(readFileSync(file));
    if (decoded.kind !== 'text') continue;
    const name = basename(file);
    const first = await fixText(decoded.text, options);
    if (first.text === decoded.text) continue;
    changedFiles++;
    fixes += first.applied.length;
    const again = await fixText(first.text, options);
    expect({ name, text: again.text }).toEqual({ name, text: first.text });
    const beforeKeys = keys(decoded.text);
    for (const [key, n] of keys(first.text)) expect({ name, key, n }).toEqual({ name, key, n: Math.min(n, beforeKeys.get(key) ?? 0) });
    const a = decoded.text.split('\n');
    const b = first.text.split('\n');
    expect({ name, lines: b.length }).toEqual({ name, lines: a.length });
    const differing = a.filter((line, i) => line !== b[i]).length;
    expect(differing).toBeLessThanOrEqual(first.applied.length);
  }
  if (files.length) {
    // The offline fixers have work in the corpus (useradd without ids, npm install with a lockfile is rarer
    // without the build context): make sure this test exercised them.
    expect(changedFiles).toBeGreaterThan(10);
    expect(fixes).toBeGreaterThanOrEqual(changedFiles);
  }
}, 120_000);
