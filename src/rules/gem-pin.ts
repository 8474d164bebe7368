import { parseArgs } from '../parse/args';
import { GEM_INSTALL } from '../parse/tools/gem';
import type { Word } from '../parse/shell';
import { defineRule } from './types';

/** A RubyGems version without an operator, or with `=`, names one version (`2`, `2.5.11`, `= 1.0.0.pre`). */
const EXACT = /^(=\s*)?\d+(\.[0-9A-Za-z]+)*(-[0-9A-Za-z.]+)?$/;

export default defineRule({
  meta: {
    id: 'gem-pin',
    summary: 'Pin versions in gem install',
    severity: 'warning',
    hadolint: ['DL3028'],
    fixable: ['gem-version'],
  },
  check(ctx) {
    for (const { cmd } of ctx.commands('gem')) {
      const sub = cmd.args.findIndex((a) => a.value !== undefined && !a.value.startsWith('-'));
      if (sub < 0 || (cmd.args[sub].value !== 'install' && cmd.args[sub].value !== 'i')) continue;
      let args = cmd.args.slice(sub + 1);
      // Everything after `--` is passed to the extension build (`-- --use-system-libraries`), not a gem.
      const dashdash = args.findIndex((a) => a.value === '--');
      if (dashdash >= 0) args = args.slice(0, dashdash);
      const parsed = parseArgs(args, GEM_INSTALL);
      const versions = parsed.optionWords.filter((o) => o.name === '-v' || o.name === '--version').map((o) => o.value);
      // Several `-v` make a compound requirement (`-v '>= 1' -v '< 2'`): a range even if one part looks exact.
      const range = versions.find((v): v is Word => v !== undefined && v.value !== undefined && (versions.length > 1 || !EXACT.test(v.value.trim())));
      const gems = parsed.operands.filter((g) => g.value !== undefined);
      if (range && gems.length > 0) {
        const name = gems[0].value!.split(':')[0];
        ctx.report({
          message: `gem '${name}' version '${range.value}' is a range, not a pin: use '-v <exact version>'`,
          span: range.span,
          fix: { kind: 'gem-version', package: name },
        });
        continue;
      }
      const pinnedByOption = versions.length > 0; // exact, or unknown (an ARG without default): not provably unpinned
      for (const gem of gems) {
        const [name, version] = gem.value!.split(':', 2) as [string, string | undefined];
        if (/\.gem$/.test(name) || name.includes('/')) continue; // a local .gem file is what it is
        if (version !== undefined ? EXACT.test(version.trim()) : pinnedByOption) continue;
        ctx.report({
          message: version === undefined
            ? `gem '${name}' is not pinned: use '${name}:<version>' or '-v <version>'`
            : `gem '${gem.value}' has a version range, not a pin: use '${name}:<exact version>'`,
          span: gem.span,
          fix: { kind: 'gem-version', package: name },
        });
      }
    }
  },
});
