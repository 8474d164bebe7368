/**
 * src/edit/write.ts on a real file system: the mode is kept whatever the umask, and a write that fails (a file
 * size limit, a rename the kernel refuses) leaves the original as it was and no temporary file behind.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/edit/write';
import { inCI } from '../helpers/ci';
import { workspace } from '../helpers/workspace';

const BIN = join(__dirname, '../../bin/dockrepro');
const USERS = 'FROM debian:12.7@sha256:' + 'b'.repeat(64) + '\nRUN useradd -m app\n';

it('keeps mode 0664, which a file created under umask 022 would not have', () => {
  const dir = workspace({ Dockerfile: 'old\n' });
  const path = join(dir, 'Dockerfile');
  chmodSync(path, 0o664);
  const umask = process.umask(0o022);
  try {
    writeFileAtomic(path, Buffer.from('new\n'));
  } finally {
    process.umask(umask);
  }
  expect(readFileSync(path, 'utf8')).toBe('new\n');
  expect(statSync(path).mode & 0o7777).toBe(0o664);
  expect(readdirSync(dir)).toEqual(['Dockerfile']);
});

/** `dockrepro fix --unsafe Dockerfile` run by the real binary in `dir` behind a shell `prefix` (a limit, a mount). */
function fixIn(dir: string, shell: string[], prefix: string) {
  const argv = [...shell, 'bash', '-c', `${prefix} && exec "$0" "$@"`, process.execPath, BIN, 'fix', '--unsafe', 'Dockerfile'];
  return spawnSync(argv[0], argv.slice(1), {
    cwd: dir,
    env: { ...process.env, HOME: dir },
    encoding: 'utf8',
  });
}

it('a write that fails part-way (the file size limit: EFBIG) leaves the original and no temporary file', () => {
  // Comment lines make the fixed file longer than the 4 KiB the shell allows this process to write.
  const text = USERS + '# padding\n'.repeat(600);
  const dir = workspace({ Dockerfile: text });
  const r = fixIn(dir, [], 'ulimit -f 4');
  expect(r.stdout).toMatch(/Dockerfile: error: could not write: .*EFBIG/);
  expect(r.status).toBe(2);
  expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toBe(text);
  expect(readdirSync(dir).sort()).toEqual(['Dockerfile']);
});

/** unshare for a private mount namespace: as root directly, else in a user namespace of its own. */
const UNSHARE = process.getuid?.() === 0 ? ['unshare', '-m', '--propagation', 'private'] : ['unshare', '-r', '-m', '--propagation', 'private'];
const canMount = spawnSync(UNSHARE[0], [...UNSHARE.slice(1), 'true']).status === 0;
if (!canMount) {
  const msg = `${UNSHARE.join(' ')} is not permitted here: the failed-rename test needs a private mount namespace`;
  if (inCI()) throw new Error(msg);
  console.warn(`SKIPPED: ${msg}`);
}

(canMount ? it : it.skip)('a rename the kernel refuses (the target is a mount point: EBUSY) leaves no temporary file', () => {
  // The Dockerfile is a bind mount of another file: lstat sees a plain file, the temporary file is written
  // beside it, and rename(2) over a mount point fails.
  const dir = workspace({ Dockerfile: USERS, source: USERS });
  const r = fixIn(dir, UNSHARE, 'mount --bind source Dockerfile');
  expect(r.stdout).toMatch(/Dockerfile: error: could not write: .*EBUSY/);
  expect(r.status).toBe(2);
  expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toBe(USERS);
  expect(readFileSync(join(dir, 'source'), 'utf8')).toBe(USERS);
  expect(readdirSync(dir).sort()).toEqual(['Dockerfile', 'source']);
});
