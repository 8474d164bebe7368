/**
 * Wrapper programs (`sudo`, `env`, `gosu`, `sh -c '…'`, …) replaced by the program they run, so rules see
 * the real program; the commands of a `sh -c` string are lexed by the caller (`reparse`).
 */
import type { SimpleCommand, Word } from './shellTypes';

/** Programs whose `-c` string (or here-document input) is a script of its own. */
export const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh']);

export function isAssignment(raw: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(raw);
}

export function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i >= 0 ? p.slice(i + 1) : p;
}

/**
 * Options of wrapper programs that take a value (so the value is not mistaken for the wrapped program). A Map:
 * looked up with every program name, where an object would answer `constructor` or `toString` from its
 * prototype (`RUN toString -u x` stopped the parse), and was slower.
 */
const WRAPPER_VALUE_FLAGS = new Map<string, Set<string>>(Object.entries({
  sudo: new Set(['-u', '-g', '-h', '-p', '-C', '-D', '-r', '-t', '-U', '--user', '--group', '--host', '--prompt', '--chdir']),
  env: new Set(['-u', '-C', '--unset', '--chdir', '-S', '--split-string']),
  nice: new Set(['-n', '--adjustment']),
  timeout: new Set(['-s', '-k', '--signal', '--kill-after']),
  xargs: new Set(['-n', '-I', '-P', '-L', '-d', '-a', '-s', '-E', '-i', '--max-args', '--max-procs', '--delimiter', '--arg-file']),
  stdbuf: new Set(['-i', '-o', '-e']),
  nohup: new Set(),
  command: new Set(),
  exec: new Set(['-a']),
  builtin: new Set(),
  time: new Set(['-f', '-o']),
  chronic: new Set(),
  busybox: new Set(),
  gosu: new Set(),
  'su-exec': new Set(),
}));

/** Replaces wrapper programs by the program they run; `sh -c '…'` strings are handed to `reparse`. */
export function unwrap(cmd: SimpleCommand, reparse: (inner: Word, cmd: SimpleCommand) => void): void {
  for (let guard = 0; guard < 8 && cmd.program; guard++) {
    const name = cmd.program.value === undefined ? '' : basename(cmd.program.value);
    const valueFlags = WRAPPER_VALUE_FLAGS.get(name);
    // `command -v pip` looks pip up; it does not run it.
    if (name === 'command' && cmd.args.some((a) => a.value === '-v' || a.value === '-V')) return;
    if (valueFlags) {
      let i = 0;
      const args = cmd.args;
      // gosu/su-exec take a user first; timeout takes a duration.
      const positionalsToSkip = name === 'gosu' || name === 'su-exec' || name === 'timeout' ? 1 : 0;
      let skipped = 0;
      while (i < args.length) {
        const v = args[i].value ?? '';
        if (v === '--') {
          i++;
          break;
        }
        if (v.startsWith('-') && v.length > 1) {
          i += valueFlags.has(v) ? 2 : 1;
          continue;
        }
        if (name === 'env' || name === 'sudo') {
          if (isAssignment(v)) {
            i++;
            continue;
          }
        }
        if (skipped < positionalsToSkip) {
          skipped++;
          i++;
          continue;
        }
        break;
      }
      if (i >= args.length) return;
      cmd.wrappers.push(name);
      cmd.program = args[i];
      cmd.args = args.slice(i + 1);
      continue;
    }
    if (SHELLS.has(name)) {
      // sh [-eux] -c 'script' [name args…]
      const idx = cmd.args.findIndex((a) => a.value !== undefined && /^-[a-z]*c[a-z]*$/.test(a.value));
      if (idx >= 0 && cmd.args[idx + 1]) {
        const shellWrapped = { ...cmd, wrappers: [...cmd.wrappers, `${name} -c`] };
        reparse(cmd.args[idx + 1], shellWrapped);
      }
      return;
    }
    return;
  }
}
