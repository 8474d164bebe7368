import { parseArgs, type ParsedArgs } from '../parse/args';
import { CARGO_INSTALL } from '../parse/tools/cargo';
import type { Word } from '../parse/shell';
import { defineRule, type RuleContext } from './types';

/**
 * cargo install takes `1.2.3` (exactly that version, not a caret requirement) or `=1.2.3` as one version;
 * `^1`, `~1.2`, `1.*`, `>=1` are requirements, and `1.2` is refused by cargo.
 */
const EXACT = /^=?\s*\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

function option(parsed: ParsedArgs, ...names: string[]): Word | true | undefined {
  for (const n of names) if (parsed.options.has(n)) return parsed.options.get(n);
  return undefined;
}

/** Reports crates or the `--git` source without an exact version. */
function checkVersions(ctx: RuleContext<'cargo-version'>, parsed: ParsedArgs, crates: Word[]): void {
  const git = option(parsed, '--git');
  if (git !== undefined) {
    // A git source is pinned by a full commit only; `--tag`/`--branch` can be moved.
    const rev = option(parsed, '--rev');
    if (typeof rev === 'object' && (rev.value === undefined || /^[0-9a-f]{40}$/i.test(rev.value))) return;
    if (typeof git !== 'object') return;
    const url = git.value ?? git.raw;
    const what = typeof rev === 'object' ? `--rev '${rev.value}' is not a full commit id` : 'it has no --rev';
    ctx.report({
      message: `cargo install --git '${url}' is not pinned: ${what}; use '--rev <40-hex commit>'`,
      span: git.span,
      fix: { kind: 'cargo-version', crate: crates[0]?.value ?? url, git: url },
    });
    return;
  }
  if (option(parsed, '--path') !== undefined) return; // local sources are what they are
  const version = option(parsed, '--version', '--vers');
  for (const word of crates) {
    if (word.value === undefined) continue; // depends on something unknown: not provably unpinned
    const at = word.value.indexOf('@');
    const crate = at < 0 ? word.value : word.value.slice(0, at);
    const spec = at < 0 ? version : word.value.slice(at + 1);
    if (spec === undefined || spec === true) {
      ctx.report({ message: `crate '${crate}' is not pinned: use '${crate}@<version>'`, span: word.span, fix: { kind: 'cargo-version', crate } });
      continue;
    }
    const value = typeof spec === 'string' ? spec : spec.value;
    if (value === undefined || EXACT.test(value.trim())) continue;
    // A range given with --version is reported at its value; `crate@^1` at the crate word.
    ctx.report({
      message: `crate '${crate}' version '${value}' is a requirement, not a pin: use '${crate}@<exact version>'`,
      span: typeof spec === 'string' ? word.span : spec.span,
      fix: { kind: 'cargo-version', crate },
    });
  }
}

export default defineRule({
  meta: {
    id: 'cargo-pin',
    summary: 'Pin versions and use --locked in cargo install',
    severity: 'warning',
    fixable: ['cargo-version', 'cargo-locked'],
  },
  check(ctx) {
    for (const { cmd } of ctx.commands('cargo')) {
      // `cargo +nightly install …`: the toolchain selector is not an operand.
      const args = cmd.args.filter((a, i) => !(i === 0 && a.value?.startsWith('+')));
      const parsed = parseArgs(args, CARGO_INSTALL);
      const verb = parsed.operands[0];
      if (verb?.value !== 'install') continue;
      const crates = parsed.operands.slice(1);
      const installsSomething = crates.length > 0 || option(parsed, '--git', '--path') !== undefined;
      if (!installsSomething || parsed.options.has('--list')) continue;
      checkVersions(ctx, parsed, crates);
      // Without --locked cargo resolves the crate's dependencies afresh and ignores its Cargo.lock.
      if (!parsed.options.has('--locked') && !parsed.options.has('--frozen')) {
        ctx.report({
          message: '`cargo install` without `--locked` ignores the Cargo.lock of the crate and resolves newer dependencies: add `--locked`',
          span: verb.span,
          fix: { kind: 'cargo-locked' },
        });
      }
    }
  },
});
