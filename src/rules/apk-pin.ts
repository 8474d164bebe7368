import { parseArgs, operandLabel } from '../parse/args';
import { APK } from '../parse/tools/apk';
import { defineRule } from './types';

type ApkPackage = 'pinned' | 'unpinned' | 'not-a-package';

/**
 * apk dependency syntax is `name[@tag][op version]`: any of `=`, `~`, `<`, `>` (also `=~`, `~=`, `>=`)
 * constrains the version. `.apk` files are local packages; `!name` forbids a package instead of adding one.
 */
export function apkPackageState(v: string): ApkPackage {
  if (v === '' || v.startsWith('!')) return 'not-a-package';
  if (/[=~<>]/.test(v) || v.endsWith('.apk')) return 'pinned';
  return 'unpinned';
}

export default defineRule({
  meta: {
    id: 'apk-pin',
    summary: 'Pin versions in apk add',
    severity: 'warning',
    hadolint: ['DL3018'],
    fixable: ['apk-version'],
  },
  check(ctx) {
    for (const { cmd } of ctx.commands('apk')) {
      const [applet, ...packages] = parseArgs(cmd.args, APK).operands;
      if (applet?.value !== 'add') continue;
      for (const word of packages) {
        if (word.value === undefined) continue; // built from something unknown: cannot tell
        if (apkPackageState(word.value) !== 'unpinned') continue;
        ctx.report({
          message: `apk package ${operandLabel(word, word.value)} is not pinned: use '${word.value}=<version>'`,
          span: word.span,
          fix: { kind: 'apk-version', package: word.value },
        });
      }
    }
  },
});
