import { posix } from 'node:path';
import { optionSpec, parseArgs } from '../parse/args';
import type { SimpleCommand, Word } from '../parse/shell';
import type { RunBlock } from '../parse/dockerfile';
import { copiedFrom } from '../context';
import { defineRule, type RuleContext } from './types';

/** npm options that take a value (npm 11 config definitions that are not plain booleans, plus shorthands). */
const NPM = optionSpec([
  '--registry', '--reg', '--loglevel', '--prefix', '-C', '--cache', '--omit', '--include', '--workspace', '-w',
  '--tag', '--userconfig', '--globalconfig', '--install-strategy', '--fetch-retries', '--fetch-retry-factor',
  '--fetch-retry-mintimeout', '--fetch-retry-maxtimeout', '--fetch-timeout', '--maxsockets', '--proxy',
  '--https-proxy', '--noproxy', '--cafile', '--ca', '--cert', '--key', '--otp', '--before', '--script-shell',
  '--node-options', '--location', '-L', '--cpu', '--os', '--libc', '--auth-type', '--scope', '--save-prefix',
  '--logs-dir', '--logs-max', '--depth', '--lockfile-version', '--umask', '--heading', '--local-address',
  '--node-gyp', '--shell', '--user-agent', '--allow-git', '--min-release-age', '--cache-max', '--cache-min',
  '--call', '-c', '--audit-level', '--only', '--also', '--git', '--editor', '--viewer', '--which', '--cidr',
]);

/** yarn (classic and berry) options that take a value. */
const YARN = optionSpec([
  '--cwd', '--modules-folder', '--cache-folder', '--mutex', '--network-timeout', '--registry', '--network-concurrency',
  '--preferred-cache-folder', '--global-folder', '--link-folder', '--prefix', '--use-yarnrc', '--https-proxy', '--proxy',
]);

/** pnpm options that take a value (`-w` is `--workspace-root`, a switch, unlike npm's `-w NAME`). */
const PNPM = optionSpec([
  '--filter', '-F', '--dir', '-C', '--workspace-dir', '--reporter', '--loglevel', '--registry', '--store-dir',
  '--virtual-store-dir', '--modules-dir', '--lockfile-dir', '--node-linker', '--package-import-method',
  '--network-concurrency', '--child-concurrency', '--resolution-mode', '--global-dir', '--allow-build', '--cache-dir',
]);

/** Every way npm 11 spells `install` (its alias table, typos included). */
const NPM_INSTALL = new Set(['install', 'i', 'add', 'in', 'ins', 'inst', 'insta', 'instal', 'isnt', 'isnta', 'isntal',
  'isntall', 'install-test', 'it']);

type Tool = 'npm' | 'yarn' | 'pnpm';
type Reason = 'unpinned' | 'range' | 'tag' | 'git-ref' | 'url';
type SpecState = { pinned: true } | { pinned: false; reason: Reason; name: string };

const EXACT = /^[=v]*\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const TARBALL = /\.(tgz|tar\.gz|tar)$/i;
/** git specs: git URLs, hosted shorthands (`github:o/r`, bare `o/r`) and plain hosted repository URLs. */
const GIT = /^(git\+|git:|github:|gitlab:|bitbucket:|gist:|git@)|\.git(#|$)|^[^@./~:\s][^:@/\s]*\/[^:@/\s]+(#.*)?$|^https?:\/\/(github\.com|gitlab\.com|bitbucket\.org)\/[^/]+\/[^/#]+\/?(#.*)?$/;
const RANGE = /^\s*([~^<>=]|v?\d|[xX*](\.|\s|$))|\|\||\s-\s/;

/** Whether a package spec as given to npm/yarn/pnpm names one exact artifact. */
function specState(spec: string): SpecState {
  if (/^(\.{1,2}|~)(\/|$)|^\/|^(file|link|portal|workspace):/.test(spec)) return { pinned: true }; // on disk
  if (TARBALL.test(spec.split(/[?#]/)[0]) && !/^git[+:@]/.test(spec)) return { pinned: true }; // `dist/x.tgz` is not `o/r`
  if (GIT.test(spec)) {
    const ref = spec.includes('#') ? spec.slice(spec.indexOf('#') + 1).replace(/^commit=/, '') : '';
    return /^[0-9a-f]{40}$/i.test(ref) ? { pinned: true } : { pinned: false, reason: 'git-ref', name: spec };
  }
  if (/^[a-z]+:\/\//i.test(spec)) return { pinned: false, reason: 'url', name: spec };
  const s = spec.replace(/^jsr:/, '');
  const at = s.indexOf('@', 1); // a leading '@' is the scope
  if (at < 0) return { pinned: false, reason: 'unpinned', name: s };
  const name = s.slice(0, at);
  const version = s.slice(at + 1);
  // An alias (`lodash4@npm:lodash@4.17.21`, `lib@workspace:*`, `x@github:o/r#…`) is as pinned as what it stands for.
  if (/^[a-z+]+:/i.test(version)) {
    const inner = specState(version.replace(/^npm:/, ''));
    return inner.pinned ? inner : { ...inner, name };
  }
  if (EXACT.test(version)) return { pinned: true };
  if (version === '') return { pinned: false, reason: 'unpinned', name };
  return { pinned: false, reason: RANGE.test(version) ? 'range' : 'tag', name };
}

function describe(tool: Tool, spec: string, state: Exclude<SpecState, { pinned: true }>): string {
  const use = `use '${state.name}@<version>'`;
  switch (state.reason) {
    case 'range':
      return `${tool} package '${spec}' is a version range, not a pin: ${use}`;
    case 'tag':
      return `${tool} package '${spec}' is a dist-tag, not a pin: ${use}`;
    case 'git-ref':
      return `${tool} package '${spec}' is not pinned to a full commit id: use '#<40-hex commit>'`;
    case 'url':
      return `${tool} package '${spec}' is a URL that can change: use a registry version or a versioned tarball`;
    default:
      return `${tool} package '${spec}' is not pinned: ${use}`;
  }
}

interface Install {
  tool: Tool;
  /** The `install`/`add` word, where package-less findings go. */
  verb: Word;
  names: Word[];
  /** npm's `--prefix`/`-C`: the folder whose package.json is installed. */
  prefix?: Word | true;
  global: boolean;
}

/** Finds the install in `npm [opts] install|i|add …`, `yarn [global] add …`, `yarn workspace W add …`, `pnpm add|install …`. */
function installOf(cmd: SimpleCommand): Install | undefined {
  const tool = cmd.name as Tool;
  const parsed = parseArgs(cmd.args, tool === 'npm' ? NPM : tool === 'yarn' ? YARN : PNPM);
  const ops = parsed.operands;
  let verbAt = 0;
  if (tool === 'yarn' && ops[0]?.value === 'global') verbAt = 1;
  else if (tool === 'yarn' && ops[0]?.value === 'workspace') verbAt = 2;
  const verb = ops[verbAt];
  const sub = verb?.value;
  const ok = tool === 'npm' ? NPM_INSTALL.has(sub ?? '') : tool === 'yarn' ? sub === 'add' : sub === 'add' || sub === 'install' || sub === 'i';
  if (!verb || !ok) return undefined;
  const global = ['-g', '--global'].some((g) => parsed.options.has(g)) || verbAt === 1;
  return { tool, verb, names: ops.slice(verbAt + 1), prefix: parsed.options.get('--prefix') ?? parsed.options.get('-C'), global };
}

/** package.json dependency fields that `npm ci` checks against the lockfile. */
const DEP_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];

/** The three semver functions arborist's own edge check uses, loaded one by one (10 ms instead of 15-35). */
interface Semver {
  satisfies(version: string, range: string, loose: boolean): boolean;
  valid(version: string, loose: boolean): string | null;
  validRange(range: string, loose: boolean): string | null;
}

function loadSemver(): Semver {
  return {
    satisfies: require('semver/functions/satisfies'),
    valid: require('semver/functions/valid'),
    validRange: require('semver/ranges/valid'),
  };
}

/** Parsed package.json / lockfile: free-form JSON, checked field by field. */
type Json = Record<string, any>;

/**
 * Why `npm ci` would refuse this lockfile for this package.json, or [] when it would not (or we cannot tell).
 *
 * Synchronous JSON reading on purpose, instead of @npmcli/arborist (what `npm ci` uses): arborist's API is async,
 * so a synchronous rule would have to block on a worker or a child process. Measured on Node 20 with 9.9.3:
 * `require('@npmcli/arborist')` 175-250 ms, a worker + Atomics.wait bridge 245-300 ms per lockfile, and 114
 * packages / 24 MB of dependencies; this check takes under 0.3 ms, plus 10 ms for semver only when a spec
 * differs from what the lockfile recorded. Its verdicts match arborist's root edges (`edge.valid`) and
 * `npm ci --offline`: a dependency is in sync when the lockfile recorded this very spec, else when the locked
 * version satisfies it (semver, loose, as arborist's dep-valid does).
 */
function syncProblems(pkgText: string, lockText: string): string[] {
  let pkg: Json;
  let lock: Json;
  try {
    pkg = JSON.parse(pkgText);
    lock = JSON.parse(lockText);
  } catch {
    return [];
  }
  const root: Json = lock.packages?.[''] ?? {};
  const recorded: Json = Object.assign({}, ...DEP_FIELDS.map((f) => root[f] ?? {}));
  let semver: Semver | undefined;
  const problems: string[] = [];
  for (const field of DEP_FIELDS) {
    for (const [name, spec] of Object.entries<unknown>(pkg[field] ?? {})) {
      if (typeof spec !== 'string' || recorded[name] === spec) continue;
      if (field === 'peerDependencies' && pkg.peerDependenciesMeta?.[name]?.optional) continue;
      const locked: Json | undefined = lock.packages ? lock.packages[`node_modules/${name}`] : lock.dependencies?.[name];
      if (!locked) {
        // A missing optional dependency may be one npm skips on this platform (arborist calls the edge valid).
        if (field !== 'optionalDependencies') problems.push(`'${name}' is missing`);
        continue;
      }
      // Only registry ranges can be judged offline; git, file: and tag specs need the network.
      const range = spec.startsWith('npm:') ? spec.replace(/^npm:@?[^@]+@?/, '') || '*' : spec;
      semver ??= loadSemver(); // lazy: only lockfiles with a changed spec pay for it
      if (typeof locked.version !== 'string' || !semver.valid(locked.version, true) || !semver.validRange(range, true)) continue;
      if (!semver.satisfies(locked.version, range, true)) problems.push(`'${name}@${spec}' is locked at ${locked.version}`);
    }
  }
  return problems;
}

/** Reports a package-less `npm install`, using the lockfile the Dockerfile copied, if any. */
function checkBareInstall(ctx: RuleContext<'npm-ci'>, run: RunBlock, install: Install): void {
  const dir = typeof install.prefix === 'object' ? install.prefix.value : '.';
  const dockerignored: string[] = [];
  const fromContext = (file: string): { rel: string; text: string } | undefined => {
    const rel = ctx.buildContext && dir !== undefined ? copiedFrom(ctx.model, run, posix.join(dir, file)) : undefined;
    if (rel === undefined) return undefined;
    // A file .dockerignore leaves out never reaches the build, whatever the COPY says.
    if (ctx.buildContext!.excluded(rel)) {
      if (ctx.buildContext!.read(rel) !== undefined) dockerignored.push(rel);
      return undefined;
    }
    const text = ctx.buildContext!.read(rel);
    return text === undefined ? undefined : { rel, text };
  };
  // npm prefers a shrinkwrap over package-lock.json when both exist.
  const lock = fromContext('npm-shrinkwrap.json') ?? fromContext('package-lock.json');
  const span = install.verb.span;
  if (!lock) {
    ctx.report({
      message: '`npm install` without package names re-resolves package.json and may rewrite the lockfile: use `npm ci`',
      span,
      fix: dockerignored.length ? { kind: 'npm-ci', dockerignored: dockerignored[0] } : { kind: 'npm-ci' },
    });
    return;
  }
  const pkg = fromContext('package.json');
  const problems = pkg ? syncProblems(pkg.text, lock.text) : [];
  if (pkg && problems.length > 0) {
    // No fix request: `npm ci` would fail until the lockfile is regenerated outside the build.
    ctx.report({
      message: `\`npm ci\` would fail: ${lock.rel} is out of sync with ${pkg.rel} (${problems.join(', ')}); ` +
        'run `npm install` outside the build, commit the lockfile and use `npm ci`',
      span,
    });
    return;
  }
  ctx.report({
    message: `\`npm install\` may rewrite ${lock.rel} copied from the build context: use \`npm ci\`, which installs exactly that lockfile`,
    span,
    fix: { kind: 'npm-ci', lockfile: lock.rel },
  });
}

export default defineRule({
  meta: {
    id: 'npm-pin',
    summary: 'Pin exact versions in npm/yarn/pnpm installs; use `npm ci` with a lockfile',
    severity: 'warning',
    hadolint: ['DL3016'],
    fixable: ['npm-ci', 'npm-version'],
  },
  check(ctx) {
    for (const { cmd, run } of ctx.commands('npm', 'yarn', 'pnpm')) {
      const install = installOf(cmd);
      if (!install) continue;
      // `pnpm install` without names honours pnpm-lock.yaml (lenient, see the doc); so do `yarn`/`yarn install`,
      // which installOf never matches. A name-less `npm install -g` installs the current folder: out of scope.
      if (install.names.length === 0) {
        if (install.tool === 'npm' && !install.global) checkBareInstall(ctx, run, install);
        continue;
      }
      for (const word of install.names) {
        if (word.value === undefined) continue; // depends on something unknown: not provably unpinned
        const state = specState(word.value);
        if (!state.pinned) {
          ctx.report({ message: describe(install.tool, word.value, state), span: word.span, fix: { kind: 'npm-version', package: state.name } });
        }
      }
    }
  },
});
