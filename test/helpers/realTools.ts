/**
 * Tests that need a real program (ruby's gem, go, cargo): `missingTools` says which are absent, and
 * `describeWithTools` skips the suite loudly when one is, or fails it in CI (test/helpers/ci.ts), where every tool
 * scripts/ensure-test-tools.sh installs must be there.
 */
import { spawnSync } from 'node:child_process';
import { inCI } from './ci';

/** The programs of `tools` not on PATH, each with the Debian package that brings it. */
export function missingTools(tools: Record<string, string>): string[] {
  return Object.entries(tools)
    .filter(([tool]) => spawnSync('sh', ['-c', `command -v ${tool}`], { env: process.env }).status !== 0)
    .map(([tool, pkg]) => `${tool} (${pkg})`);
}

/** `check` may add a reason the installed tools do not do (e.g. a version too old). */
export function describeWithTools(name: string, tools: Record<string, string>, fn: () => void, check?: () => string | undefined): void {
  const missing = missingTools(tools);
  const unfit = missing.length === 0 ? check?.() : undefined;
  if (unfit) missing.push(unfit);
  if (missing.length === 0) {
    describe(name, fn);
    return;
  }
  const why = `missing: ${missing.join(', ')}; see scripts/ensure-test-tools.sh`;
  if (inCI()) {
    describe(name, () => {
      it('needs its real tools', () => {
        throw new Error(`cannot run under CI: ${why}`);
      });
    });
    return;
  }
  process.stderr.write(`\nSKIPPED: ${name}: ${why}\n`);
  describe.skip(name, fn);
}
