/**
 * Atomic writes under a hard kill: SIGKILL the real binary in the middle of a batch; every file must then be
 * exactly the old or exactly the new content, never a mix or a truncation.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const FILES = 400;
// Long enough that a torn write would show: the user line sits between ~4 kB of comments.
const padding = Array.from({ length: 60 }, (_, i) => `# padding line ${i} ${'x'.repeat(50)}`).join('\n');
const before = (i: number) => `FROM debian:12.7@sha256:${'c'.repeat(64)}\n${padding}\nRUN useradd -m user${i}\n${padding}\n`;
// The fix gives the user an explicit uid (useradd-uid) and declares ARG SOURCE_DATE_EPOCH after FROM (useradd writes today's date into /etc/shadow).
const after = (i: number) =>
  before(i).replace('\n', '\nARG SOURCE_DATE_EPOCH\n').replace(`useradd -m user${i}`, `useradd --uid 10001 -m user${i}`);

it('leaves every file old or new when killed mid-batch', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockrepro-kill-'));
  for (let i = 0; i < FILES; i++) {
    mkdirSync(join(dir, `f${String(i).padStart(3, '0')}`));
    writeFileSync(join(dir, `f${String(i).padStart(3, '0')}`, 'Dockerfile'), before(i));
  }
  const child = spawn(process.execPath, [resolve(__dirname, '../../bin/dockrepro'), 'fix', '--unsafe', dir], { stdio: 'ignore' });
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  // Kill as soon as the first file has been replaced.
  const first = join(dir, 'f000', 'Dockerfile');
  for (let tries = 0; tries < 2000 && child.exitCode === null; tries++) {
    if (readFileSync(first, 'utf8') !== before(0)) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  child.kill('SIGKILL');
  await exited;

  let changed = 0;
  for (let i = 0; i < FILES; i++) {
    const text = readFileSync(join(dir, `f${String(i).padStart(3, '0')}`, 'Dockerfile'), 'utf8');
    if (text === after(i)) changed++;
    else expect(text).toBe(before(i));
  }
  expect(changed).toBeGreaterThan(0);
  expect(changed).toBeLessThan(FILES); // really mid-batch
}, 60_000);
