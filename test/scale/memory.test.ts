/**
 * Bounded memory: a report is written file by file, so a run over many files fits a small heap. The real
 * binary runs with V8's heap capped; before streaming, the whole report (here ~100 MB of JSON) was built
 * as one string and this run died with a heap OOM.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FILES = 8000;
const PACKAGES = 30;
const HEAP_MB = 48;
const bin = join(__dirname, '../../bin/dockrepro');

describe('a run over many files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dockrepro-memory-'));
    const packages = Array.from({ length: PACKAGES }, (_, i) => `pkg${i}`).join(' ');
    for (let i = 0; i < FILES; i++) {
      const sub = join(dir, 'tree', `d${Math.floor(i / 500)}`);
      if (i % 500 === 0) mkdirSync(sub, { recursive: true });
      writeFileSync(join(sub, `f${i}.Dockerfile`), `FROM debian:12\nRUN apt-get install -y ${packages}\n`);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['json', 'json-lines', 'sarif', 'text'])(`lints ${FILES} files with ${PACKAGES + 2} findings each in a ${HEAP_MB} MB heap (%s)`, (format) => {
    const outFile = join(dir, `out.${format}`);
    const fd = openSync(outFile, 'w');
    const r = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MB}`, bin, 'lint', '--format', format, 'tree'], {
      cwd: dir,
      stdio: ['ignore', fd, 'pipe'],
    });
    closeSync(fd);
    expect(r.stderr.toString('utf8')).toBe('');
    expect(r.status).toBe(1);
    const out = readFileSync(outFile, 'utf8');
    const findings = FILES * (PACKAGES + 2); // image-digest and image-tag on FROM, apt-pin per package
    if (format === 'json') expect(JSON.parse(out).summary).toMatchObject({ files: FILES, findings });
    if (format === 'sarif') expect(JSON.parse(out).runs[0].results).toHaveLength(findings);
    if (format === 'json-lines') {
      const lines = out.split('\n').slice(0, -1);
      expect(lines).toHaveLength(FILES);
      expect(lines.reduce((n, l) => n + (JSON.parse(l) as { findings: unknown[] }).findings.length, 0)).toBe(findings);
    }
    if (format === 'text') expect(out.endsWith(`${findings} findings (${findings} warnings) in ${FILES} files\n`)).toBe(true);
  }, 120_000);
});
