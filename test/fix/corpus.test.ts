/**
 * `fix --unsafe` (offline) on every corpus file: never throws, is idempotent, adds no finding, and changes
 * no line that no fix touched (line count kept; at most one changed line per applied fix).
 */
import { copyFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli';
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

it('dockrepro fix --unsafe on a temp copy of the corpus writes exactly what the engine computes', async () => {
  const files = corpusFiles();
  if (files.length === 0) return;
  const dir = mkdtempSync(join(tmpdir(), 'dockrepro-corpus-fix-'));
  const copies = files.map((f) => {
    const copy = join(dir, basename(f));
    copyFileSync(f, copy);
    return copy;
  });
  const mtimes = new Map(copies.map((c) => [c, statSync(c).mtimeMs]));
  const r = await runCli(['fix', '--unsafe', '--offline', ...copies], { cwd: dir });
  expect(r.stderr).toBe('');
  let changed = 0;
  for (const [i, copy] of copies.entries()) {
    const original = readFileSync(files[i]);
    const decoded = decodeDockerfile(original);
    const now = readFileSync(copy);
    if (decoded.kind !== 'text') {
      expect(now.equals(original)).toBe(true);
      continue;
    }
    const expected = (await fixText(decoded.text, options)).text;
    if (expected === decoded.text) {
      expect(now.equals(original)).toBe(true);
      expect(statSync(copy).mtimeMs).toBe(mtimes.get(copy)); // unchanged files are not written
    } else {
      changed++;
      expect(now.toString('utf8')).toBe((decoded.bom ? '\uFEFF' : '') + expected);
    }
  }
  expect(r.stdout).toMatch(new RegExp(`${files.length} files scanned, ${changed} changed, \\d+ findings fixed`));
}, 120_000);
