/**
 * The real rpm tools of Debian's `rpm` and `createrepo-c` packages (and dnf), for tests that compare with
 * them: availability checks that say what is missing, and `rpm.vercmp` over many pairs in one process.
 */
import { spawnSync } from 'node:child_process';

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** undefined when rpm is there; else why not. */
export function rpmAvailable(): string | undefined {
  return has('rpm') ? undefined : "rpm is not installed (Debian package 'rpm'; scripts/ensure-test-tools.sh installs it)";
}

/** undefined when rpmbuild, createrepo_c and dnf are there; else what is missing. */
export function rpmRepoToolsAvailable(): string | undefined {
  const missing = ['rpmbuild', 'createrepo_c', 'dnf'].filter((t) => !has(t));
  return missing.length ? `${missing.join(', ')} not installed (Debian packages rpm, createrepo-c, dnf; scripts/ensure-test-tools.sh installs them)` : undefined;
}

/** `rpm.vercmp(a, b)` for each pair, by the real rpm (one process for all; EVR strings are parsed as rpm does). */
export function rpmVercmp(pairs: readonly (readonly [string, string])[]): number[] {
  for (const [a, b] of pairs) if (!/^[A-Za-z0-9._+~^:-]+$/.test(a + b)) throw new Error(`not a version rpm's Lua call may quote: ${a} ${b}`);
  const lua = `local r = {} ${pairs.map(([a, b]) => `r[#r+1] = rpm.vercmp("${a}", "${b}")`).join(' ')} print(table.concat(r, ","))`;
  const out = spawnSync('rpm', ['--eval', `%{lua: ${lua}}`], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`rpm --eval failed: ${out.stderr}`);
  return out.stdout.trim().split(',').map(Number);
}
