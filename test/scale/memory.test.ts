/**
 * Bounded memory: a report is written file by file, so a run over many files fits a small heap. The real
 * binary runs with V8's heap capped; before streaming, the whole report (here ~100 MB of JSON) was built
 * as one string and this run died with a heap OOM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCapped, writeTree } from '../helpers/scale';

const FILES = 8000;
const PACKAGES = 30;
const HEAP_MB = 48;

describe('a run over many files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dockrepro-memory-'));
    const packages = Array.from({ length: PACKAGES }, (_, i) => `pkg${i}`).join(' ');
    writeTree(join(dir, 'tree'), FILES, () => `FROM debian:12\nRUN apt-get install -y ${packages}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['json', 'json-lines', 'sarif', 'text'])(`lints ${FILES} files with ${PACKAGES + 3} findings each in a ${HEAP_MB} MB heap (%s)`, (format) => {
    const r = runCapped(HEAP_MB, ['lint', '--format', format, 'tree'], dir, join(dir, `out.${format}`));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    const out = r.stdout;
    // image-digest and image-tag on FROM, apt-pin per package, apt-cleanup (info: apt's logs and caches left in the layer) per RUN.
    const findings = FILES * (PACKAGES + 3);
    if (format === 'json') expect(JSON.parse(out).summary).toMatchObject({ files: FILES, findings });
    if (format === 'sarif') expect(JSON.parse(out).runs[0].results).toHaveLength(findings);
    if (format === 'json-lines') {
      const lines = out.split('\n').slice(0, -1);
      expect(lines).toHaveLength(FILES);
      expect(lines.reduce((n, l) => n + (JSON.parse(l) as { findings: unknown[] }).findings.length, 0)).toBe(findings);
    }
    if (format === 'text') expect(out.endsWith(`${findings} findings (${findings - FILES} warnings, ${FILES} info) in ${FILES} files\n`)).toBe(true);
  }, 120_000);
});
