/**
 * `npm-ci`: a name-less `npm install` becomes `npm ci` when npm-pin found the lockfile it would honour copied
 * from the build context and in sync with package.json. Only the subcommand word and the options whose
 * spelling changes are edited; every other byte of the RUN stays as it was.
 */
import type { SimpleCommand, Word } from '../parse/shell';
import type { RunBlock } from '../parse/dockerfile';
import type { Finding } from '../rules/types';
import type { Fix, Fixer, FixerContext, TextEdit, FindingOf } from './types';
import { replaceValue } from './packageWords';
import { stageRuntime } from './nodeRuntime';
import { NotFixed } from '../util/notFixed';

/**
 * npm 5.7 – 6 (`npm ci` is libcipm, handed npm's whole command-line config): the options it reads the way
 * `npm install` does. The dependency-type options (`--production`, `--only=prod`, `--also=dev`, `--dev`)
 * are read by both under those names, so they are kept as written; `--omit`/`--include` do not exist yet.
 */
const NPM6_KEEP_VALUE = new Set([
  '--loglevel', '--prefix', '--registry', '--reg', '--cache', '--userconfig', '--globalconfig', '--fetch-retries',
  '--fetch-retry-factor', '--fetch-retry-mintimeout', '--fetch-retry-maxtimeout', '--proxy', '--https-proxy', '--noproxy',
  '--cafile', '--ca', '--cert', '--key', '--local-address', '--script-shell', '--user-agent', '--heading', '--umask',
]);
const NPM6_KEEP_SWITCH = new Set([
  '--ignore-scripts', '--audit', '--progress', '--color', '--unicode', '--strict-ssl', '--update-notifier', '--prefer-offline',
  '--prefer-online', '--offline', '--unsafe-perm', '--timing', '--production', '--prod', '--dev',
]);
const NPM6_SHORTHANDS = new Set(['--silent', '--quiet', '--verbose', '-s', '-q', '-d', '-dd', '-ddd']);

/**
 * Options with a value that mean the same for `npm ci` as for `npm install`: the options `npm ci` documents
 * (npm 10/11 `ci` params) plus npm's general ones (logging, registry, network, cache, TLS, prefix, config
 * files). `--cpu`/`--os`/`--libc` are install params only in the docs, but arborist's ideal-tree build,
 * which `npm ci` runs too, is what reads them.
 */
const KEEP_VALUE = new Set([
  '--omit', '--include', '--install-strategy', '--allow-directory', '--allow-file', '--allow-git', '--allow-remote',
  '--allow-scripts', '--workspace', '-w', '--loglevel', '--prefix', '-C', '--registry', '--reg', '--cache', '--userconfig',
  '--globalconfig', '--fetch-retries', '--fetch-retry-factor', '--fetch-retry-mintimeout', '--fetch-retry-maxtimeout',
  '--fetch-timeout', '--maxsockets', '--proxy', '--https-proxy', '--noproxy', '--cafile', '--ca', '--cert', '--key',
  '--local-address', '--script-shell', '--node-options', '--node-gyp', '--logs-dir', '--logs-max', '--user-agent',
  '--audit-level', '--umask', '--heading', '--cpu', '--os', '--libc',
]);

/**
 * Switches (also `--no-x`, `--x=true|false`) with the same meaning for `npm ci`. `--force` is kept: both commands
 * hand it to the same arborist tree build (engine and platform checks, peer conflicts), and a lockfile made with
 * `npm install --force` may need `npm ci --force`.
 */
const KEEP_SWITCH = new Set([
  '--ignore-scripts', '--foreground-scripts', '--audit', '--fund', '--bin-links', '--dry-run', '--strict-peer-deps',
  '--legacy-peer-deps', '--install-links', '--include-workspace-root', '--iwr', '--workspaces', '--ws', '--optional',
  '--global-style', '--legacy-bundling', '--strict-allow-scripts', '--dangerously-allow-all-scripts', '--force',
  '--engine-strict', '--prefer-offline', '--prefer-online', '--offline', '--progress', '--color', '--unicode',
  '--timing', '--update-notifier', '--strict-ssl',
]);

/** npm's shorthands for kept options (loglevel, `--workspaces`, …): no value, no `--no-` form. */
const SHORTHANDS = new Set(['--silent', '--quiet', '--verbose', '-s', '-q', '-d', '-dd', '-ddd', '-ws', '-iwr', '-f']);
/** One-letter shorthands that may be bundled (`-qf`). */
const ONE_LETTER_KEEP = new Set(['s', 'q', 'd', 'f']);

const WRITES = 'tells `npm install` what to write to package.json or the lockfile, which `npm ci` never writes';
const RESOLVES = 'changes how `npm install` resolves versions, where `npm ci` takes them from the lockfile';
const READS = 'decides whether `npm install` reads the lockfile at all, where `npm ci` always installs it';
const GLOBAL = '`npm ci` does not install global packages';
const each = (names: string[], why: string): [string, string][] => names.map((n) => [n, why]);
/** Options that only mean something to `npm install`: dropping or keeping them would be a guess. */
const INSTALL_ONLY = new Map<string, string>([
  ...each(['--save', '-S', '--save-prod', '-P', '--save-dev', '-D', '--save-optional', '-O', '--save-peer'], WRITES),
  ...each(['--save-exact', '-E', '--save-bundle', '-B', '--save-prefix', '--lockfile-version', '--format-package-lock'], WRITES),
  ...each(['--omit-lockfile-registry-resolved'], WRITES),
  ...each(['--prefer-dedupe', '--before', '--enjoy-by', '--min-release-age', '--min-release-age-exclude'], RESOLVES),
  ...each(['--package-lock', '--shrinkwrap'], READS),
  ['--package-lock-only', 'makes `npm install` only update the lockfile and install nothing'],
  ...each(['--global', '-g'], GLOBAL),
]);
/** Install-only options that take a value (so `--before 2024-01-01` is one option, not an option and a name). */
const INSTALL_ONLY_VALUE = new Set([
  '--save-prefix', '--lockfile-version', '--before', '--enjoy-by', '--min-release-age', '--min-release-age-exclude',
]);

/**
 * npm's deprecated dependency-type aliases and what they stand for (npm's buildOmitList): `--production`
 * (also its abbreviation `--prod`) and `--only=prod` are `--omit=dev`; `--dev`, `--also=dev` and
 * `--no-production` are `--include=dev`. Written the current way, as `npm ci --help` lists them.
 */
const PROD_VALUES = /^prod(uction)?$/;
const DEV_VALUES = /^dev(elopment)?$/;

/** The subcommand that replaces each `install` alias: the `install-test` forms keep running the tests. */
function ciVerb(verb: string): string {
  if (verb === 'install-test') return 'install-ci-test';
  if (verb === 'it') return 'cit';
  return 'ci';
}

/** What becomes of one option: kept, rewritten to `npm ci`'s spelling, or a reason to leave the install alone. */
type Verdict = { keep: true } | { spell: string; value?: string } | { refuse: string };

/** `--x`, `--x=true` → true; `--no-x`, `--x=false` → false; other `=values` → undefined. */
function switchState(negated: boolean, inline: string | undefined): boolean | undefined {
  if (inline === undefined) return !negated;
  if (negated) return undefined;
  return inline === 'true' ? true : inline === 'false' ? false : undefined;
}

function aliasVerdict(name: string, negated: boolean, value: string | undefined): Verdict | undefined {
  if (name === '--production' || name === '--prod') {
    const on = switchState(negated, value);
    if (on === undefined) return undefined;
    return { spell: on ? '--omit=dev' : '--include=dev' };
  }
  if (name === '--dev') {
    const on = switchState(negated, value);
    return on ? { spell: '--include=dev' } : undefined;
  }
  if ((name === '--only' || name === '--also') && !negated && value !== undefined) {
    if (name === '--only' && PROD_VALUES.test(value)) return { spell: '--omit', value: 'dev' };
    if (name === '--also' && DEV_VALUES.test(value)) return { spell: '--include', value: 'dev' };
  }
  return undefined;
}

interface Rewrite {
  edits: TextEdit[];
  /** `--production` → `--omit=dev`, for the title. */
  changes: string[];
}

const guess = (why: string) => `${why}: not safe to guess the \`npm ci\` equivalent; rewrite by hand`;
const split = (shown: string) => `\`${shown}\` is not written in one piece (quotes or escapes inside it); rewrite by hand`;

/**
 * Edits for the options of `cmd` (before and after the subcommand), or the reason not to touch it. The
 * classification follows npm's own argument parser (nopt with npm's shorthands): `--name=value`,
 * `--name value` for options with a value, `--no-name` for switches, one-letter bundles like `-qf`.
 */
function rewriteOptions(source: string, cmd: SimpleCommand, verb: Word, npmMajor: number): Rewrite | string {
  if (npmMajor < 7) return npm6Options(cmd, verb);
  const out: Rewrite = { edits: [], changes: [] };
  const args = cmd.args;
  for (let i = 0; i < args.length; i++) {
    const w = args[i];
    if (w === verb) continue;
    const v = w.value;
    if (v === undefined) return guess(`\`${w.raw}\` depends on a value that is not known`);
    if (!v.startsWith('-') || v === '-' || v === '--') return guess(`\`${v}\` is not an option dockrepro knows for \`npm ci\``);
    const { written, inline } = splitOption(v);
    const negated = written.startsWith('--no-');
    const name = negated ? `--${written.slice(5)}` : written;
    // The option's value: inline, or the next word for options that take one.
    const takesValue = KEEP_VALUE.has(name) || INSTALL_ONLY_VALUE.has(name) || name === '--only' || name === '--also';
    const valueWord = takesValue && inline === undefined && !negated ? args[i + 1] : undefined;
    if (valueWord === verb) return guess(`\`${v}\` has no value`);
    if (valueWord) i++;
    const value = inline ?? valueWord?.value;

    const alias = aliasVerdict(name, negated, value);
    const why = INSTALL_ONLY.get(name);
    let verdict: Verdict;
    if (alias) verdict = alias;
    else if (why) verdict = { refuse: `\`${v}\` ${why}` };
    else if (KEEP_VALUE.has(name) && !negated && (inline !== undefined || valueWord)) verdict = { keep: true };
    else if (KEEP_SWITCH.has(name) && switchState(negated, inline) !== undefined) verdict = { keep: true };
    else if (SHORTHANDS.has(v)) verdict = { keep: true };
    else if (/^-[A-Za-z]+$/.test(v) && [...v.slice(1)].every((c) => ONE_LETTER_KEEP.has(c))) verdict = { keep: true };
    else {
      // A bundle like `-qE`: name the install-only letter in it.
      const letter = /^-[A-Za-z]+$/.test(v) ? [...v.slice(1)].find((c) => INSTALL_ONLY.has(`-${c}`)) : undefined;
      verdict = {
        refuse: letter
          ? `\`-${letter}\` in \`${v}\` ${INSTALL_ONLY.get(`-${letter}`)}`
          : `\`${v}\` is not an option dockrepro knows for \`npm ci\``,
      };
    }

    if ('refuse' in verdict) return guess(verdict.refuse);
    if ('keep' in verdict) continue;
    const shown = valueWord ? `${v} ${valueWord.value}` : v;
    const asWritten = valueWord ? `${w.raw} ${valueWord.raw}` : w.raw;
    if (verdict.value !== undefined && valueWord) {
      // `--only prod` → `--omit dev`: two words stay two words, whatever lies between them.
      const a = replaceValue(source, w, verdict.spell);
      const b = replaceValue(source, valueWord, verdict.value);
      if (!a || !b) return split(asWritten);
      out.edits.push(a, b);
      out.changes.push(`\`${shown}\` → \`${verdict.spell} ${verdict.value}\``);
    } else {
      const spelled = verdict.value === undefined ? verdict.spell : `${verdict.spell}=${verdict.value}`;
      const e = replaceValue(source, w, spelled);
      if (!e) return split(asWritten);
      out.edits.push(e);
      out.changes.push(`\`${shown}\` → \`${spelled}\``);
    }
  }
  return out;
}

/** `--name=value` → name `--name` and its inline value; anything else is all name. */
function splitOption(v: string): { written: string; inline?: string } {
  const eq = v.startsWith('--') ? v.indexOf('=') : -1;
  return eq >= 0 ? { written: v.slice(0, eq), inline: v.slice(eq + 1) } : { written: v };
}

/**
 * npm 5.7 – 6: every option must be one its `npm ci` reads as `npm install` does; nothing is respelled
 * (`--omit=dev` would be ignored there, `--production` is what it reads).
 */
function npm6Options(cmd: SimpleCommand, verb: Word): Rewrite | string {
  const args = cmd.args;
  for (let i = 0; i < args.length; i++) {
    const w = args[i];
    if (w === verb) continue;
    const v = w.value;
    if (v === undefined) return guess(`\`${w.raw}\` depends on a value that is not known`);
    const { written, inline } = splitOption(v);
    const negated = written.startsWith('--no-');
    const name = negated ? `--${written.slice(5)}` : written;
    if ((name === '--only' && inline !== undefined && PROD_VALUES.test(inline)) || (name === '--also' && inline !== undefined && DEV_VALUES.test(inline))) continue;
    if ((name === '--only' || name === '--also') && inline === undefined && !negated) {
      const next = args[i + 1];
      if (next && next !== verb && next.value !== undefined && (name === '--only' ? PROD_VALUES : DEV_VALUES).test(next.value)) {
        i++;
        continue;
      }
    }
    if (NPM6_KEEP_VALUE.has(name) && !negated) {
      if (inline === undefined) {
        if (!args[i + 1] || args[i + 1] === verb) return guess(`\`${v}\` has no value`);
        i++;
      }
      continue;
    }
    if (NPM6_KEEP_SWITCH.has(name) && switchState(negated, inline) !== undefined) continue;
    if (NPM6_SHORTHANDS.has(v)) continue;
    const why = INSTALL_ONLY.get(name);
    return guess(why ? `\`${v}\` ${why}` : `\`${v}\` is not an option dockrepro knows for npm 6's \`npm ci\``);
  }
  return { edits: [], changes: [] };
}

/** The npm command whose subcommand word is the finding's range. */
function commandAt(ctx: FixerContext, finding: Finding): { run: RunBlock; cmd: SimpleCommand; verb: Word } | undefined {
  for (const run of ctx.model.runs) {
    if (finding.span.start < run.span.start || finding.span.end > run.span.end) continue;
    for (const cmd of run.commands) {
      if (cmd.name !== 'npm') continue;
      const verb = cmd.args.find((a) => a.span.start === finding.span.start && a.span.end === finding.span.end);
      if (verb) return { run, cmd, verb };
    }
  }
  return undefined;
}

/** `npm ci` appeared in npm 5.7.0; `install-ci-test` (`cit`) in npm 6.0.0. */
function ciSince(verb: string): [number, number, string] {
  return verb === 'install-test' || verb === 'it' ? [6, 0, '6.0.0'] : [5, 7, '5.7.0'];
}

async function fixOne(finding: FindingOf<'npm-ci'>, ctx: FixerContext): Promise<Fix | NotFixed> {
  const { lockfile, dockerignored: ignored } = finding.fix;
  if (lockfile === undefined) {
    const where = ignored !== undefined
      ? `${ignored} is named by a COPY, but .dockerignore leaves it out of the build context`
      : ctx.buildContext
      ? 'no package-lock.json or npm-shrinkwrap.json is copied from the build context before this install'
      : 'linted without a build context, so whether a lockfile is copied before this install is not known';
    // Not a failure: there is no safe rewrite for this install (the case needs a person).
    return new NotFixed(`${where}: \`npm ci\` would fail without one`, 'no-fixer');
  }
  const found = commandAt(ctx, finding);
  if (!found || found.verb.value === undefined) return new NotFixed('the `npm install` command was not found at this place', 'failed');
  const { run, cmd, verb } = found;
  // Whether `npm ci` exists and which spellings it reads depend on the npm that runs the command.
  const runtime = await stageRuntime(ctx, run, cmd, { node: false, npm: true });
  if (runtime instanceof NotFixed) return runtime;
  const [major, minor] = runtime.npm!.split('.').map(Number);
  const [sinceMajor, sinceMinor, since] = ciSince(verb.value!);
  if (major < sinceMajor || (major === sinceMajor && minor < sinceMinor)) {
    return new NotFixed(`npm ${runtime.npm} (from ${runtime.source}) has no \`npm ${ciVerb(verb.value!)}\` (added in npm ${since}): upgrade npm in the image first`, 'no-fixer');
  }
  const options = rewriteOptions(ctx.model.text, cmd, verb, major);
  if (typeof options === 'string') return new NotFixed(options, 'no-fixer');
  const to = ciVerb(verb.value!);
  const verbEdit = replaceValue(ctx.model.text, verb, to);
  if (!verbEdit) return new NotFixed(split(verb.raw), 'no-fixer');
  const changes = [`\`npm ${verb.value}\` → \`npm ${to}\``, ...options.changes].join(', ');
  return {
    title: `${changes}: installs exactly ${lockfile} with npm ${runtime.npm} (${runtime.source})`,
    edits: [verbEdit, ...options.edits],
    applicability: 'safe',
  };
}

const fixer: Fixer<'npm-ci'> = {
  kind: 'npm-ci',
  fix(findings, ctx) {
    return Promise.all(findings.map((f) => fixOne(f, ctx)));
  },
};

export default fixer;
