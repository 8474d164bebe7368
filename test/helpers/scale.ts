/** Big trees for the scale tests, and the real binary run with V8's heap capped (its output to a file). */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const BIN = join(__dirname, '../../bin/dockrepro');

/** Writes `count` files `<root>/d<n>/f<i>.Dockerfile`, 500 per folder, the i-th with `text(i)`. */
export function writeTree(root: string, count: number, text: (i: number) => string): void {
  for (let i = 0; i < count; i++) {
    const sub = join(root, `d${Math.floor(i / 500)}`);
    if (i % 500 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}.Dockerfile`), text(i));
  }
}

/** Runs bin/dockrepro with `heapMb` of old space in `cwd`; stdout goes to `outFile` (no pipe buffer to grow). */
export function runCapped(heapMb: number, args: string[], cwd: string, outFile: string): { status: number | null; stdout: string; stderr: string } {
  const fd = openSync(outFile, 'w');
  const r = spawnSync(process.execPath, [`--max-old-space-size=${heapMb}`, BIN, ...args], { cwd, stdio: ['ignore', fd, 'pipe'], maxBuffer: 1 << 30 });
  closeSync(fd);
  return { status: r.status, stdout: readFileSync(outFile, 'utf8'), stderr: r.stderr.toString('utf8') };
}
