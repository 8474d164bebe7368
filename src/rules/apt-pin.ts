import { operandLabel } from '../parse/args';
import { aptCall } from '../parse/tools/apt';
import { defineRule } from './types';

type AptPackage = 'pinned' | 'unpinned' | 'not-a-package';

/**
 * `pkg=1.2-3` and `pkg=1.2.*` name a version; `pkg/suite` selects a release and, like hadolint's DL3008,
 * counts as pinned; `./x.deb` and other paths are local files. A trailing `-`/`_`/`:` removes, purges or
 * keeps a package (apt-get, aptitude), and `?pattern`/`~pattern` search expressions name no single package.
 */
export function aptPackageState(v: string): AptPackage {
  if (v === '' || /^[?~]/.test(v) || /[-_:]$/.test(v)) return 'not-a-package';
  if (v.includes('=') || v.includes('/') || v.endsWith('.deb')) return 'pinned';
  return 'unpinned';
}

export default defineRule({
  meta: {
    id: 'apt-pin',
    summary: 'Pin versions in apt-get/apt/aptitude install',
    severity: 'warning',
    hadolint: ['DL3008'],
    fixable: ['apt-version'],
  },
  check(ctx) {
    for (const { cmd, run } of ctx.commands('apt-get', 'apt', 'aptitude')) {
      const call = aptCall(cmd);
      if (!call || call.sub.value !== 'install') continue;
      for (const word of call.operands) {
        if (word.value === undefined) continue; // built from something unknown: cannot tell
        if (aptPackageState(word.value) !== 'unpinned') continue;
        // A single trailing `+` asks apt-get to install (`curl+`); `g++` is a name.
        const pkg = /[^+]\+$/.test(word.value) ? word.value.slice(0, -1) : word.value;
        ctx.report({
          message: `apt package ${operandLabel(word, pkg)} is not pinned: use '${pkg}=<version>'`,
          span: word.span,
          fix: { kind: 'apt-version', package: pkg, stage: run.stage },
        });
      }
    }
  },
});
