/**
 * `fix --unsafe` (offline) on every corpus file: never throws, is idempotent, adds no finding, and changes
 * no line that no fix touched (line count kept; at most one changed line per applied fix).
 */
import { lineChanges } from '../helpers/fixedLines';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli';
import { basename } from 'node:path';
import { fixText } from '../../src/fix';
import { parseDockerfile } from '../../src/parse/dockerfile';
import { lintModel } from '../../src/lint';
import { RULES } from '../../src/rules/index';
import { decodeDockerfile } from '../../src/util/decode';
import { corpusFiles, itWithCorpus } from '../helpers/corpus';
import { createHash } from 'node:crypto';
import type { DockerfileModel, ImageSite } from '../../src/parse/dockerfile';
import { ImagePinner } from '../../src/resolve/images';
import { LockFile, lockKey } from '../../src/resolve/lock';
import { RegistryClient } from '../../src/resolve/registry';
import { Lookups } from '../../src/resolve/shared';

const options = { rules: RULES, unsafe: true, offline: true, baseId: 10001 };
const keys = (text: string) => {
  const m = new Map<string, number>();
  for (const f of lintModel(parseDockerfile(text), { rules: RULES })) m.set(`${f.rule} ${f.message}`, (m.get(`${f.rule} ${f.message}`) ?? 0) + 1);
  return m;
};

itWithCorpus('fixes every corpus file safely and idempotently', async () => {
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
    // Lines: kept but for whole `ARG SOURCE_DATE_EPOCH` lines inserted after a FROM; at most one changed line per other fix.
    const { inserted, changed } = lineChanges(decoded.text, first.text, first.applied);
    expect({ name, changed: changed.length <= first.applied.length - inserted }).toEqual({ name, changed: true });
  }
  if (files.length) {
    // The offline fixers have work in the corpus (useradd without ids, npm install with a lockfile is rarer
    // without the build context): make sure this test exercised them.
    expect(changedFiles).toBeGreaterThan(10);
    expect(fixes).toBeGreaterThanOrEqual(changedFiles);
  }
}, 120_000);

itWithCorpus('dockrepro fix --unsafe on a temp copy of the corpus writes exactly what the engine computes', async () => {
  const files = corpusFiles();
  const dir = mkdtempSync(join(tmpdir(), 'dockrepro-corpus-fix-'));
  const copies = files.map((f) => {
    const copy = join(dir, basename(f));
    copyFileSync(f, copy);
    // The corpus is read-only (0444) and copies keep the mode: fix leaves read-only files without --force.
    chmodSync(copy, 0o644);
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

/**
 * True when which image a site names is chosen by build args other than as one ARG whose default is
 * written out literally (the one case a pin in the ARG default keeps --build-arg working).
 */
function assembledFromArgs(site: ImageSite, model: DockerfileModel): boolean {
  if (!site.definitions.some((d) => d.kind === 'arg')) return false;
  const whole = /^"?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?"?$/.exec(site.raw);
  const def = whole && site.definitions.find((d) => d.name === whole[1]);
  const written = def?.valueSpan && model.text.slice(def.valueSpan.start, def.valueSpan.end).replace(/^(["'])(.*)\1$/, '$2');
  return written !== site.value;
}

itWithCorpus('with every image in the lock: no safe fix adds a digest to a reference assembled from build args; the unsafe fix is idempotent (issue 9)', async () => {
  const files = corpusFiles();
  let assembled = 0;
  let restructured = 0;
  for (const file of files) {
    const decoded = decodeDockerfile(readFileSync(file));
    if (decoded.kind !== 'text') continue;
    const name = basename(file);
    const model = parseDockerfile(decoded.text);
    if (!model.imageSites.some((s) => assembledFromArgs(s, model))) continue;
    // The lock answers offline for every reference (a digest made from its key): the real pinner, no registry.
    const lock = new LockFile('/nonexistent/dockrepro.lock.json');
    for (const s of model.imageSites) {
      if (!s.ref || s.ref.digest) continue;
      const key = lockKey(s.ref.normalizedName, s.ref.tag);
      lock.set(key, { digest: `sha256:${createHash('sha256').update(key).digest('hex')}`, mediaType: 'application/vnd.oci.image.index.v1+json', resolvedAt: 't' });
    }
    const run = (text: string, unsafe: boolean) =>
      fixText(text, {
        rules: RULES,
        unsafe,
        offline: true,
        baseId: 10001,
        images: new ImagePinner({ client: new RegistryClient({ retries: 0, timeoutMs: 1 }), lock, offline: true, refresh: false, lookups: new Lookups() }),
      });
    const safe = await run(decoded.text, false);
    const after = parseDockerfile(safe.text);
    model.imageSites.forEach((site, i) => {
      if (!assembledFromArgs(site, model)) return;
      assembled++;
      // Safe fixes add no site, so sites line up; an assembled reference keeps its text and gains no digest.
      expect({ name, raw: after.imageSites[i].raw, digest: after.imageSites[i].ref?.digest }).toEqual({ name, raw: site.raw, digest: site.ref?.digest });
    });
    const unsafe = await run(decoded.text, true);
    const again = await run(unsafe.text, true);
    expect({ name, text: again.text }).toEqual({ name, text: unsafe.text });
    // The restructuring replaces a site's text and adds an ARG, never a site: they still line up.
    const fixed = parseDockerfile(unsafe.text);
    fixed.imageSites.forEach((site, i) => {
      if (!assembledFromArgs(site, fixed) || !site.ref?.digest) return;
      expect({ name, raw: site.raw, digest: site.ref.digest }).toEqual({ name, raw: model.imageSites[i].raw, digest: model.imageSites[i].ref?.digest });
    });
    if (unsafe.applied.some((a) => a.rule === 'image-digest' && a.applicability === 'unsafe')) restructured++;
  }
  if (files.length) {
    // 86 assembled references in 506 files, 64 of them restructured by the unsafe fix (when written).
    expect(assembled).toBeGreaterThan(10);
    expect(restructured).toBeGreaterThan(5);
  }
}, 240_000);

