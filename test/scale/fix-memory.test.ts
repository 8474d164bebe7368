/**
 * Bounded memory in `fix`: the summary is written file by file and a run keeps counts, not files. Before, a
 * 20,000-file `fix --offline` peaked at 891 MB: every outcome was kept for the summary, and every lookup the
 * run caches (one per image and lock, failures included) kept, through its error's unformatted stack, the
 * whole state of the file that first asked (resolve/shared). The real binary runs with V8's heap capped.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN as bin, runCapped, writeTree } from '../helpers/scale';

const FILES = 6000;
const PACKAGES = 30;
const HEAP_MB = 64;

describe('fix over many files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dockrepro-fix-memory-'));
    const packages = Array.from({ length: PACKAGES }, (_, i) => `pkg${i}`).join(' ');
    // An image of its own per file: each is a lookup the run caches (and, offline, a failure).
    writeTree(join(dir, 'tree'), FILES, (i) => `FROM registry.example/img${i}:1.0\nRUN apt-get install -y ${packages}\nRUN useradd app${i}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([[['--check']], [['--unsafe', '--dry-run']]])(`fixes ${FILES} files in a ${HEAP_MB} MB heap (%j)`, (mode: string[]) => {
    const r = runCapped(HEAP_MB, ['fix', '--offline', ...mode, 'tree'], dir, join(dir, 'out.txt'));
    const out = r.stdout;
    const summary = mode.includes('--dry-run') ? r.stderr : out;
    expect(r.status).toBe(1);
    // Per file: image-digest and image-tag (offline: needs network), apt-pin per package (offline: the base image is
    // not in the lock, so needs network), useradd-uid and apt-cleanup (unsafe), and ARG SOURCE_DATE_EPOCH (safe:
    // useradd writes the day into /etc/shadow), which every mode fixes.
    const unsafe = mode.includes('--unsafe');
    const left = FILES * (2 + PACKAGES) + (unsafe ? 0 : 2 * FILES);
    const fixed = FILES * (unsafe ? 3 : 1);
    expect(summary.endsWith(`${FILES} files scanned, ${FILES} would change, ${fixed} findings fixed, ${left} left (${unsafe ? '' : `${2 * FILES} unsafe not enabled, `}${FILES * (2 + PACKAGES)} needs network)\n`)).toBe(true);
    // Each file's lines are there, in the order of the files.
    expect(summary.match(/f5999\.Dockerfile:1:6: image-digest left/g)).toHaveLength(1);
    if (mode.includes('--dry-run')) expect(out.match(/^\+RUN useradd --uid 10001 app\d+$/gm)).toHaveLength(FILES);
  }, 300_000);
});

it('fixes a file of 600 RUNs among 60,000 ENVs in a small heap (the variables in effect are not copied per RUN)', () => {
  // Before, the package fixers kept a copy of the whole ARG/ENV scope per RUN: here 600 × 60,000 entries.
  const lines = ['FROM python:3.12'];
  for (let i = 0; i < 60_000; i++) lines.push(`ENV VAR${i}=value${i}`, ...(i % 100 === 0 ? [`RUN pip install flask${i}`] : []));
  const cwd = mkdtempSync(join(tmpdir(), 'dockrepro-fix-scope-'));
  try {
    writeFileSync(join(cwd, 'Dockerfile'), `${lines.join('\n')}\n`);
    const r = spawnSync(process.execPath, ['--max-old-space-size=96', bin, 'fix', '--offline', '--check', 'Dockerfile'], { cwd, maxBuffer: 1 << 26 });
    expect(r.stderr.toString('utf8')).toBe('');
    // 600 pip-pin (each looked up with the RUN's variables: needs network), image-digest and image-tag; the ARG
    // SOURCE_DATE_EPOCH fixed (safe, offline), after which pip-compile's 600 findings are gone (the ARG makes the .pyc the same).
    expect(r.stdout.toString('utf8')).toMatch(/1 file scanned, 1 would change, 1 finding fixed, 602 left \(602 needs network\)\n$/);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}, 120_000);
