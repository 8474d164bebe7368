import { defineRule } from './types';
import { aptCall } from '../parse/tools/apt';

/** Subcommands that upgrade every installed package, per front end. */
const UPGRADES: Record<string, ReadonlySet<string>> = {
  'apt-get': new Set(['upgrade', 'dist-upgrade', 'full-upgrade']),
  apt: new Set(['upgrade', 'dist-upgrade', 'full-upgrade']),
  aptitude: new Set(['upgrade', 'safe-upgrade', 'full-upgrade', 'dist-upgrade']),
};

export default defineRule({
  meta: {
    id: 'apt-upgrade',
    summary: 'Do not upgrade all packages (`apt-get upgrade`) in a build',
    severity: 'warning',
    hadolint: ['DL3005'],
    fixable: [],
  },
  check(ctx) {
    for (const { cmd } of ctx.commands('apt-get', 'apt', 'aptitude')) {
      const call = aptCall(cmd);
      const sub = call?.sub.value;
      // `apt-get install --only-upgrade pkg` names its packages: that is apt-pin's business.
      if (!call || sub === undefined || !UPGRADES[cmd.name].has(sub)) continue;
      ctx.report({
        message:
          `'${cmd.name} ${sub}' upgrades every installed package to whatever is newest on build day: ` +
          'remove it and take updates from a newer, digest-pinned base image',
        span: call.sub.span,
      });
    }
  },
});
