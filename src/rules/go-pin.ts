import { parseArgs } from '../parse/args';
import { GO_FLAGS, longFlags } from '../parse/tools/go';
import { defineRule } from './types';

/** A module version: semver (`v1.2.3`, `v1.2.3-rc.1`, `+incompatible`, pseudo-versions) or a full commit. */
const VERSION = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$|^[0-9a-f]{40}$/;

/** Why `pkg[@version]` does not name one version of a remote module, or undefined when it does (or is local). */
function problem(spec: string): string | undefined {
  const at = spec.indexOf('@');
  const path = at < 0 ? spec : spec.slice(0, at);
  // Local folders and files, and paths without a dot in the first element (std, the main module's packages).
  if (/^\.{1,2}(\/|$)|^\//.test(path) || path.endsWith('.go') || !path.split('/')[0].includes('.')) return undefined;
  if (at < 0) return `'${spec}' has no version`;
  const version = spec.slice(at + 1);
  if (VERSION.test(version)) return undefined;
  if (/^(latest|upgrade|patch|none)$/.test(version)) return `'${spec}' asks for the '${version}' query, not a version`;
  if (/^v\d+(\.\d+)?$/.test(version) || /^[<>]/.test(version)) return `'${spec}' is a version query (newest match), not a version`;
  return `'${spec}' names a branch, tag or short commit that can move`;
}

export default defineRule({
  meta: {
    id: 'go-pin',
    summary: 'Pin versions in go install/go get',
    severity: 'warning',
    hadolint: ['DL3062'],
    fixable: ['go-version'],
  },
  check(ctx) {
    for (const { cmd } of ctx.commands('go')) {
      const parsed = parseArgs(longFlags(cmd.args), GO_FLAGS);
      const sub = parsed.operands[0]?.value;
      if (sub !== 'install' && sub !== 'get' && sub !== 'run') continue;
      // `go run pkg args…`: go's flags come before the package, and everything after it is the program's.
      const packages = parsed.operands.slice(1, sub === 'run' ? 2 : undefined);
      for (const word of packages) {
        if (word.value === undefined) continue; // depends on something unknown: not provably unpinned
        const why = problem(word.value);
        if (!why) continue;
        const module = word.value.split('@')[0];
        ctx.report({ message: `go package ${why}: use '${module}@v<version>'`, span: word.span, fix: { kind: 'go-version', module } });
      }
    }
  },
});
