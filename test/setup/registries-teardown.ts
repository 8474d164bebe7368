/**
 * Jest globalTeardown: stops the registries and the token server test/setup/registries.ts started and removes
 * their storage.
 */
import { readFileSync, rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { TokenServer } from '../helpers/tokenServer';
import { STATE_ENV, type RegistriesState } from './registries';

export default async function globalTeardown(): Promise<void> {
  const stateFile = process.env[STATE_ENV];
  if (!stateFile) return;
  let state: RegistriesState = {};
  try {
    state = JSON.parse(readFileSync(stateFile, 'utf8')) as RegistriesState;
  } catch {
    // nothing was started
  }
  const children = (globalThis as { __dockreproRegistries?: ChildProcess[] }).__dockreproRegistries ?? [];
  const exited = children.map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r))));
  for (const inst of [state.open, state.auth, state.token, state.corpus]) {
    if (!inst) continue;
    try {
      process.kill(inst.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(exited), new Promise((r) => (timer = setTimeout(r, 2000)))]);
  clearTimeout(timer);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await (globalThis as { __dockreproTokenServer?: TokenServer }).__dockreproTokenServer?.close();
  if (state.root) rmSync(state.root, { recursive: true, force: true });
  rmSync(stateFile, { force: true });
}
