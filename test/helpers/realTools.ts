/**
 * Tests that need a real program (ruby's gem, go, cargo): `missingTools` says which are absent, and
 * `describeWithTools` skips the suite loudly when one is, or fails it under CI=true, where every tool
 * scripts/ensure-test-tools.sh installs must be there.
 */
import { spawnSync } from 'node:child_process';

/** The programs of `tools` not on PATH, each with the Debian package that brings it. */
export function missingTools(tools: Record<string, string>): string[] {
  return Object.entries(tools)
    .filter(([tool]) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
    .map(([tool, pkg]) => `${tool} (${pkg})`);
}

export function describeWithTools(name: string, tools: Record<string, string>, fn: () => void): void {
  const missing = missingTools(tools);
  if (missing.length === 0) {
    describe(name, fn);
    return;
  }
  const why = `not installed: ${missing.join(', ')}; scripts/ensure-test-tools.sh installs them`;
  if (process.env.CI === 'true') {
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
