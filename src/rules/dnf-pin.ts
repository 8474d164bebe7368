import { parseArgs, operandLabel } from '../parse/args';
import { DNF_OPTIONS, ZYPPER_GLOBAL, ZYPPER_INSTALL } from '../parse/tools/rpm';
import type { SimpleCommand, Word } from '../parse/shell';
import { defineRule } from './types';

/** Architecture suffixes of a NEVRA (`curl.x86_64`), kept apart so the hint reads `curl-<version>.x86_64`. */
const ARCH = /\.(x86_64|aarch64|noarch|i[3-6]86|ppc64le|ppc64|s390x|armv7hl|riscv64|src)$/;

interface InstallCall {
  packages: Word[];
  syntax: 'rpm' | 'module' | 'zypper';
}

/** Finds the packages of an install; group installs and other subcommands give undefined. */
function installCall(cmd: SimpleCommand): InstallCall | undefined {
  if (cmd.name === 'zypper') {
    const sub = parseArgs(cmd.args, ZYPPER_GLOBAL).operands[0];
    if (sub?.value !== 'install' && sub?.value !== 'in') return undefined;
    const parsed = parseArgs(cmd.args.slice(cmd.args.indexOf(sub) + 1), ZYPPER_INSTALL);
    const type = parsed.options.get('-t') ?? parsed.options.get('--type');
    // Patterns, patches and products are collections, not versioned packages (like dnf groups).
    if (type !== undefined && (type === true || type.value !== 'package')) return undefined;
    return { packages: parsed.operands, syntax: 'zypper' };
  }
  const operands = parseArgs(cmd.args, DNF_OPTIONS).operands;
  const [a, b] = operands.map((w) => w.value);
  if (a === 'install' || a === 'in' || a === 'localinstall') return { packages: operands.slice(1), syntax: 'rpm' };
  if (a === 'module' && b === 'install') return { packages: operands.slice(2), syntax: 'module' };
  return undefined; // `group install`, `groupinstall`, `reinstall` (keeps the installed version), …
}

type RpmPackage = 'pinned' | 'unpinned' | 'not-a-package' | 'capability';

/**
 * yum/dnf take `name-[epoch:]version[-release][.arch]`. Version and release contain no `-`, so a spec is
 * versioned when its last `-` part starts with a digit (`tomcat-9.0.1`, `gcc-c++-1.1.1`, `openssl-1:1.1.1k`,
 * `git-core-2.51.0-2.fc42`). Only the last part counts, so `java-17-openjdk` stays a bare name.
 */
export function rpmPackageState(v: string): RpmPackage {
  if (v === '' || v.startsWith('@')) return 'not-a-package'; // `@group`, `@module:stream`
  if (/\.rpm$/i.test(v) || /[<>=]/.test(v)) return 'pinned';
  if (v.startsWith('/') || v.includes('(')) return 'capability'; // `/usr/bin/python3`, `perl(Foo)`
  const parts = v.replace(ARCH, '').split('-');
  return parts.length > 1 && /^([0-9]+:)?[0-9]/.test(parts[parts.length - 1]) ? 'pinned' : 'unpinned';
}

/** zypper takes `name[.arch][op edition]` with op one of `= >= <= > <`; `pattern:x` and `!x` are no packages. */
export function zypperPackageState(v: string): RpmPackage {
  if (v === '' || /^[!~]/.test(v) || /^(pattern|patch|product|srcpackage|application):/.test(v)) return 'not-a-package';
  return /[<>=]/.test(v) || /\.rpm$/i.test(v) ? 'pinned' : 'unpinned';
}

export default defineRule({
  meta: {
    id: 'dnf-pin',
    summary: 'Pin versions in yum/dnf/microdnf/zypper/tdnf install',
    severity: 'warning',
    hadolint: ['DL3033', 'DL3041', 'DL3037'],
    fixable: ['rpm-version'],
  },
  check(ctx) {
    for (const { cmd } of ctx.commands(/^(yum|dnf|dnf5|dnf-3|microdnf|tdnf|zypper)$/)) {
      const call = installCall(cmd);
      if (!call) continue;
      const manager = cmd.name;
      for (const word of call.packages) {
        const v = word.value;
        if (v === undefined) continue; // built from something unknown: cannot tell
        if (call.syntax === 'module') {
          if (v.includes(':')) continue;
          const name = v.replace(/\/.*$/, '');
          const profile = v.slice(name.length);
          ctx.report({
            message: `${manager} module ${operandLabel(word, v)} has no stream: use '${name}:<stream>${profile}'`,
            span: word.span,
            fix: { kind: 'rpm-version', package: name, manager, module: true },
          });
          continue;
        }
        const state = call.syntax === 'zypper' ? zypperPackageState(v) : rpmPackageState(v);
        if (state === 'capability') {
          ctx.report({
            message: `${manager} capability ${operandLabel(word, v)} installs whatever package provides it: install that package by name with a version ('<name>-<version>')`,
            span: word.span,
          });
        } else if (state === 'unpinned') {
          const arch = call.syntax === 'rpm' ? ARCH.exec(v)?.[0] ?? '' : '';
          const name = v.slice(0, v.length - arch.length);
          const hint = call.syntax === 'zypper' ? `${v}=<version>` : `${name}-<version>${arch}`;
          ctx.report({
            message: `${manager} package ${operandLabel(word, v)} is not pinned: use '${hint}'`,
            span: word.span,
            fix: { kind: 'rpm-version', package: name, manager, ...(arch ? { arch: arch.slice(1) } : {}) },
          });
        }
      }
    }
  },
});
