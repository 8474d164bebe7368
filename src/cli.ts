/**
 * The command line. Argument parsing uses node's built-in `util.parseArgs`: yargs costs ~15 ms to load, a
 * fifth of the whole start-up budget of the editor and pre-commit hooks, and we need only flat options.
 */
import { availableParallelism } from 'node:os';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { lintFile, stdinTarget, type LintRun } from './run';
import { ConfigError, ConfigFinder, type Config, type Threshold } from './config';
import { RULES } from './rules/index';
import { SEVERITIES } from './rules/types';
import type { FileResult, ReportStream } from './report/types';
import { discover, readDockerfile } from './discover';
import { patternProblem } from './include';
import { FORMATS, loadStreamingReporter, type ReportFormat } from './report/index';
import { ChunkedWriter } from './util/chunkedWriter';
import { buildRun, type LintSettings } from './lintSettings';
import { lintInParallel, threadCount } from './parallel';
import { PLATFORM } from './parse/imageRef';
import { printable } from './util/escape';
import { ruleIdsOption } from './ruleIds';
import { nearest } from './util/nearest';
import { statSync } from 'node:fs';
import { EXIT, meetsThreshold, type Io } from './cliIo';

const HELP = `dockrepro: find what makes Docker builds non-reproducible

Usage:
  dockrepro lint [options] [paths..]   lint files and folders (default: .)
  dockrepro fix [options] [paths..]    rewrite them so they are reproducible (default: .)
  dockrepro verify [options] [file]    build it twice and compare the images (dockrepro verify --help)
  dockrepro rules                      list the rules
  dockrepro lsp [--stdio]              language server over stdio for editors (docs/editors.md)
  dockrepro --version | --help

Lint options:
  -f, --format <fmt>            text (default), json, json-lines, sarif, checkstyle, github
  -t, --failure-threshold <s>   lowest severity that fails: error, warning, info, style (default), none
  -c, --config <file>           use this config instead of the nearest .dockrepro.yaml (searched upwards
                                up to the repository root or home, never in folders others can write)
      --context <dir>           build context for COPYed files (default: the Dockerfile's folder)
      --rules <ids>             only these rules (comma-separated)
      --disable <ids>           switch these rules off (comma-separated)
      --stdin-filename <path>   name (and context folder) for the file read from '-'
      --glob <pattern>          also take files matching this as Dockerfiles in folders (repeatable;
                                without '/' it matches names anywhere: --glob '*__Dockerfile')
      --color / --no-color      force colour on or off (default: on a TTY, unless NO_COLOR is set)
      --verbose                 say on stderr which config and lock files were used
      --verify-lock             check every pinned digest against dockrepro.lock.json (rule image-lock)
      --lock <file>             the lock file to check (default: as for fix)
  -j, --jobs <n>                lint on n threads (default 1: no worker threads; worth it only with
                                more than 2 cores); DOCKREPRO_JOBS sets it too

Fix options (and -t, -c, --context, --rules, --disable, --stdin-filename, --glob):
      --dry-run                 print a unified diff, write nothing
      --check                   write nothing; exit 1 when anything would change (pre-commit, CI)
      --unsafe                  also apply fixes that change what gets built (e.g. explicit UIDs)
      --offline                 never use the network: images resolve from the lock file only
      --refresh                 resolve images again even when the lock file has them
      --lock <file>             lock file (default: dockrepro.lock.json in the nearest folder upwards
                                holding one, a .dockrepro.yaml or .git; else beside the Dockerfile)
      --platform <os/arch>      pin that platform's manifest instead of the multi-platform index
      --write-context           also pin requirement files copied from the build context, in place
      --force                   also rewrite read-only files and files with several hard links
  With '-', the fixed text goes to stdout (for an editor's save hook) and messages to stderr; it exits 0
  when findings are left (a formatter's output is kept only on 0) unless -t is given, 2 on an error.

Examples:
  dockrepro lint                                  every Dockerfile under the current folder
  dockrepro lint Dockerfile build/Containerfile   just these files
  dockrepro lint -f sarif . > dockrepro.sarif     for GitHub code scanning
  dockrepro lint - --stdin-filename app/Dockerfile < app/Dockerfile
  dockrepro lint --disable apt-pin,apk-pin -t warning
  dockrepro fix --dry-run .                       show what fix would change
  dockrepro fix - --stdin-filename Dockerfile < Dockerfile > Dockerfile.fixed
  dockrepro verify app/Dockerfile                 prove two builds give the same image

Exit codes: 0 no finding at or above the threshold, 1 findings, 2 usage, config or IO error, or a file
refused (a symlink out of the tree, a device or FIFO, too big; for fix: read-only, hard-linked, another
user's); the other files are still processed.
Rules and config: https://github.com/dockrepro/dockrepro#readme`;

export function version(): string {
  return (require('../package.json') as { version: string }).version;
}

export async function main(argv: string[], io: Io): Promise<number> {
  if (argv[0] === 'lsp') return languageServer(argv.slice(1), io);
  // verify has options of its own and loads its builder code only when called (src/verify/command.ts).
  if (argv[0] === 'verify') return (require('./verify/command') as typeof import('./verify/command')).verifyCommand(argv.slice(1), io);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        format: { type: 'string', short: 'f' },
        'failure-threshold': { type: 'string', short: 't' },
        config: { type: 'string', short: 'c' },
        context: { type: 'string' },
        rules: { type: 'string' },
        disable: { type: 'string' },
        'stdin-filename': { type: 'string' },
        glob: { type: 'string', multiple: true },
        color: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        check: { type: 'boolean' },
        unsafe: { type: 'boolean' },
        offline: { type: 'boolean' },
        refresh: { type: 'boolean' },
        lock: { type: 'string' },
        platform: { type: 'string' },
        'verify-lock': { type: 'boolean' },
        'write-context': { type: 'boolean' },
        force: { type: 'boolean' },
        verbose: { type: 'boolean' },
        jobs: { type: 'string', short: 'j' },
      },
    });
  } catch (e) {
    return usage(io, withSuggestion((e as Error).message));
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const [command, ...paths] = positionals;
  if (values.help || command === 'help') {
    io.stdout.write(`${command === 'lint' || command === 'fix' ? commandHelp(command) : HELP}\n`);
    return EXIT.ok;
  }
  if (command === undefined) return usage(io, 'missing command');
  if (command === 'rules') {
    const rulesFormat = values.format ?? 'text';
    if (rulesFormat !== 'text' && rulesFormat !== 'json') return usage(io, `'dockrepro rules' --format must be text or json, got '${rulesFormat}'`);
    io.stdout.write(rulesFormat === 'json' ? rulesJson() : rulesTable());
    return EXIT.ok;
  }
  if (command !== 'lint' && command !== 'fix') {
    const guess = nearest(command, ['lint', 'fix', 'verify', 'rules', 'lsp', 'help']);
    return usage(io, `unknown command '${command}'${guess ? ` (did you mean '${guess}'?)` : ''}`);
  }
  const fixOnly = (['dry-run', 'check', 'unsafe', 'offline', 'refresh', 'platform', 'write-context', 'force'] as const).find((o) => values[o]);
  if (command === 'lint' && fixOnly) return usage(io, `--${fixOnly} is an option of 'dockrepro fix'`);
  const lintOnly = (['format', 'verify-lock', 'jobs'] as const).find((o) => values[o]);
  if (command === 'fix' && lintOnly) return usage(io, `--${lintOnly} is an option of 'dockrepro lint'`);
  if (command === 'lint' && values.lock !== undefined && !values['verify-lock']) return usage(io, '--lock needs --verify-lock for lint');
  if (values.offline && values.refresh) return usage(io, '--refresh needs the network; it cannot be combined with --offline');
  if (values.platform !== undefined && !PLATFORM.test(values.platform)) return usage(io, `--platform must be os/arch[/variant] (e.g. linux/arm64), got '${values.platform}'`);

  const format = (values.format ?? 'text') as ReportFormat;
  if (!FORMATS.includes(format)) return usage(io, `--format must be one of ${FORMATS.join(', ')}`);
  const threshold = values['failure-threshold'] as Threshold | undefined;
  if (threshold !== undefined && ![...SEVERITIES, 'none'].includes(threshold)) {
    return usage(io, `--failure-threshold must be one of ${[...SEVERITIES, 'none'].join(', ')}`);
  }
  // Rule ids or the hadolint codes they replace (src/ruleIds.ts).
  const onlyOption = ruleIdsOption('--rules', values.rules);
  const disableOption = ruleIdsOption('--disable', values.disable);
  for (const o of [onlyOption, disableOption]) if (o.error) return usage(io, o.error);
  const only = onlyOption.ids;
  const disabled = disableOption.ids;
  for (const n of [...onlyOption.notes, ...disableOption.notes]) io.stderr.write(`dockrepro: note: ${printable(n)}\n`);
  if (paths.includes('-') && paths.length > 1) return usage(io, "'-' (stdin) cannot be combined with other paths");
  if (values['stdin-filename'] !== undefined && paths[0] !== '-') return usage(io, "--stdin-filename names the file read from '-': add '-' to read stdin");
  if (values.context !== undefined && !isFolder(resolve(io.cwd, values.context))) return usage(io, `--context '${values.context}' is not a folder`);
  const globs = values.glob ?? [];
  for (const g of globs) {
    const problem = patternProblem(g);
    if (problem) return usage(io, `--glob '${g}': ${problem}`);
  }
  const jobsText = values.jobs ?? (command === 'lint' ? io.env.DOCKREPRO_JOBS || undefined : undefined);
  const jobs = jobsText === undefined ? undefined : Number(jobsText);
  if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1 && jobs <= 256)) {
    return usage(io, `${values.jobs === undefined ? 'DOCKREPRO_JOBS' : '--jobs'} must be a whole number from 1 to 256, got '${jobsText}'`);
  }

  const finder = new ConfigFinder();
  // What was used or passed over goes to stderr, which every format leaves free (stdout may be JSON or SARIF).
  const sources = () => io.stderr.write(sourceLines(finder, run, explicit, !!values.verbose, io));
  let explicit: Config | undefined;
  let run: LintRun | undefined;
  const color = values['no-color'] ? false : values.color ? true : !!io.stdout.isTTY && io.env.NO_COLOR === undefined;
  const settings: LintSettings = {
    only,
    disabled: disabled ?? [],
    contextDir: values.context ? resolve(io.cwd, values.context) : undefined,
    configPath: values.config ? resolve(io.cwd, values.config) : undefined,
    verifyLock: !!values['verify-lock'],
    lockPath: values['verify-lock'] && values.lock !== undefined ? resolve(io.cwd, values.lock) : undefined,
    globs,
  };
  try {
    // A config error (here or in any .dockrepro.yaml found on the way) stops the whole run with exit 2.
    ({ run, explicit } = buildRun(settings, finder));
    if (command === 'fix') {
      const { runFix } = require('./fixCommand') as typeof import('./fixCommand');
      const flags = {
        dryRun: !!values['dry-run'],
        check: !!values.check,
        unsafe: !!values.unsafe,
        offline: !!values.offline,
        refresh: !!values.refresh,
        lock: values.lock === undefined ? undefined : resolve(io.cwd, values.lock),
        platform: values.platform,
        writeContext: !!values['write-context'],
        force: !!values.force,
        threshold,
        stdinFilename: values['stdin-filename'],
      };
      const code = await runFix(paths.length ? paths : ['.'], flags, io, run, (abs) => display(io, abs));
      sources();
      return code;
    }
    const results = paths[0] === '-' ? [lintStdin(io, values['stdin-filename'], run)] : lintPaths(paths.length ? paths : ['.'], io, run, settings, jobs);
    const code = await report(results, loadStreamingReporter(format)({ rules: RULES, color, version: version() }), io, threshold);
    sources();
    return code;
  } catch (e) {
    if (e instanceof ConfigError) {
      sources();
      io.stderr.write(`dockrepro: ${printable(e.message)}\n`);
      return EXIT.error;
    }
    throw e;
  }
}

/**
 * Writes each file's report as soon as it is linted and keeps only what the exit code needs, so memory does
 * not grow with the number of files. A config error met halfway leaves the report unfinished (exit 2).
 */
async function report(results: Iterable<FileResult> | AsyncIterable<FileResult>, stream: ReportStream, io: Io, threshold: Threshold | undefined): Promise<number> {
  const out = new ChunkedWriter(io.stdout);
  let anyError = false;
  let failing = false;
  await out.write(stream.start());
  for await (const r of results) {
    if (r.error !== undefined) anyError = true;
    const t = threshold ?? r.threshold ?? 'style';
    if (!failing && r.findings.some((f) => meetsThreshold(f.severity, t))) failing = true;
    await out.write(stream.file(r));
  }
  await out.write(stream.end());
  await out.flush();
  return anyError ? EXIT.error : failing ? EXIT.findings : EXIT.ok;
}

/**
 * Discovery errors first, then each file in discovery order, linted only when the report asks for it: in
 * this thread, or on worker threads for a large tree (src/parallel.ts; the same results in the same order).
 */
async function* lintPaths(paths: string[], io: Io, run: LintRun, settings: LintSettings, jobs: number | undefined): AsyncGenerator<FileResult> {
  const found = discover(paths.map((p) => resolve(io.cwd, p)), run.discovery);
  for (const e of found.errors) yield { path: display(io, e.path), findings: [], error: e.message };
  for (const n of found.notes) io.stderr.write(`dockrepro: note: ${printable(display(io, n.path))}: ${printable(n.message)}\n`);
  const threads = threadCount(jobs, found.files.length, availableParallelism());
  if (threads > 0) {
    yield* lintInParallel({
      files: found.files,
      target: (abs) => ({ abs, path: display(io, abs), boundary: found.boundaries.get(abs) }),
      settings,
      run,
      threads,
      warn: (message) => io.stderr.write(`dockrepro: note: ${printable(message)}\n`),
    });
    return;
  }
  for (const file of found.files) {
    const result = lintFile(file, display(io, file), () => readDockerfile(found, file).bytes, run);
    if (result) yield result;
  }
}

function lintStdin(io: Io, stdinFilename: string | undefined, run: LintRun): FileResult {
  const target = stdinTarget(io.cwd, stdinFilename, run);
  // ignore-paths never drops stdin (the editor asked for this text), so there is always a result.
  return lintFile(target.abs, target.name, () => io.readStdin(), target.run, true)!;
}

function display(io: Io, abs: string): string {
  const rel = relative(io.cwd, abs);
  return rel === '' ? '.' : rel.startsWith('..') ? abs : rel;
}

/**
 * Notes for config and lock files passed over because of where they are (always: the user should know a
 * setting was not applied), and with --verbose which files were used.
 */
function sourceLines(finder: ConfigFinder, run: LintRun | undefined, explicit: Config | undefined, verbose: boolean, io: Io): string {
  const lines: string[] = [];
  const show = (p: string) => printable(display(io, p));
  for (const [path, why] of finder.refused) lines.push(`dockrepro: note: not using ${show(path)}: ${printable(why)}; pass --config to use it`);
  for (const c of explicit ? [explicit] : finder.usedConfigs()) lines.push(...configNotes(c, show));
  const locks = run?.lockSources ?? [];
  for (const l of locks) for (const [path, why] of l.refused) lines.push(`dockrepro: note: not using ${show(path)}: ${printable(why)}; pass --lock to use it`);
  if (verbose) {
    if (explicit?.path) lines.push(`dockrepro: config ${show(explicit.path)} (--config)`);
    for (const [path, n] of finder.used) lines.push(`dockrepro: config ${path ? show(path) : 'none (defaults)'}${finder.isHadolint(path) ? " (hadolint's, translated)" : ''} for ${n} file${n === 1 ? '' : 's'}`);
    for (const extra of run?.userConfig ? [run.userConfig] : []) lines.push(`dockrepro: user config ${show(extra)}`);
    for (const l of locks) for (const lock of l.used()) lines.push(`dockrepro: lock ${show(lock.path)}${lock.found ? '' : ' (new)'}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/**
 * `dockrepro lsp`: serves until the editor says `exit` (the server then ends the process). Required only here:
 * its code is in the bundle but not run by lint, and vscode-languageserver (a dependency, outside the bundle)
 * is loaded only by it. `--stdio` is accepted because editor clients pass it.
 */
function languageServer(args: string[], io: Io): Promise<number> {
  const unknown = args.find((a) => a !== '--stdio');
  if (unknown !== undefined) return Promise.resolve(usage(io, `'dockrepro lsp' takes no argument but --stdio, got '${unknown}'`));
  const { startLanguageServer } = require('./lsp/server') as typeof import('./lsp/server');
  startLanguageServer({ input: process.stdin, output: process.stdout, env: io.env, cwd: io.cwd });
  return new Promise<number>(() => undefined);
}

/** Always said (a setting the user wrote was read differently or not at all): one line per config file. */
function configNotes(config: Config, show: (p: string) => string): string[] {
  if (!config.path) return [];
  const head = config.from === 'hadolint' ? `using hadolint's config ${show(config.path)} (no .dockrepro.yaml found)` : show(config.path);
  if (!config.notes.length && config.from !== 'hadolint') return [];
  return [`dockrepro: note: ${head}${config.notes.length ? `: ${printable(config.notes.join('; '))}` : ''}`];
}

/** `dockrepro rules --format json`: one object per rule, for tools that list or configure them. */
function rulesJson(): string {
  const rules = RULES.map((r) => ({
    id: r.meta.id,
    severity: r.meta.severity,
    hadolint: r.meta.hadolint ?? [],
    summary: r.meta.summary,
    docs: `https://github.com/dockrepro/dockrepro/blob/main/docs/rules/${r.meta.id}.md`,
  }));
  return `${JSON.stringify({ version: 1, rules }, null, 2)}\n`;
}

/** `lint --help`, `fix --help`: the command's usage line and its options, from the whole help text. */
function commandHelp(command: 'lint' | 'fix'): string {
  const usageLine = HELP.split('\n').find((l) => l.startsWith(`  dockrepro ${command} `))!;
  const lint = HELP.slice(HELP.indexOf('Lint options:'), HELP.indexOf('\n\nFix options'));
  const fix = HELP.slice(HELP.indexOf('Fix options'), HELP.indexOf('\n\nExamples:'));
  const examples = HELP.slice(HELP.indexOf('Examples:'), HELP.indexOf('\n\nExit codes'))
    .split('\n')
    .filter((l, i) => i === 0 || l.startsWith(`  dockrepro ${command}`))
    .join('\n');
  return ['Usage:', usageLine, '', command === 'lint' ? lint : `${fix}\n\n${lint}`, '', examples].join('\n');
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** parseArgs says "Unknown option '--dry-rn'…": name the option meant when it is a near miss. */
function withSuggestion(message: string): string {
  const unknown = /^Unknown option '(--?[^'=]+)'/.exec(message);
  if (!unknown) return message;
  const names = ['help', 'version', 'format', 'failure-threshold', 'config', 'context', 'rules', 'disable', 'stdin-filename', 'glob', 'color', 'no-color', 'dry-run', 'check', 'unsafe', 'offline', 'refresh', 'lock', 'platform', 'verify-lock', 'write-context', 'force', 'verbose', 'jobs'];
  const guess = nearest(unknown[1].replace(/^-+/, ''), names);
  return `unknown option '${unknown[1]}'${guess ? ` (did you mean '--${guess}'?)` : ''}`;
}

function rulesTable(): string {
  const rows = RULES.map((r) => [r.meta.id, r.meta.severity, (r.meta.hadolint ?? []).join(',') || '-', r.meta.summary]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i].length), ['rule', 'severity', 'hadolint'][i].length));
  const line = (row: string[]) => row.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c)).join('  ').trimEnd();
  return `${[line(['rule', 'severity', 'hadolint', 'summary']), ...rows.map(line)].join('\n')}\n`;
}

function usage(io: Io, message: string): number {
  io.stderr.write(`dockrepro: ${printable(message)}\nRun 'dockrepro --help' for usage.\n`);
  return EXIT.error;
}
