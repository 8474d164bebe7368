/**
 * `dockrepro verify [options] [Dockerfile]`: builds the Dockerfile twice, each time from nothing, with one
 * fixed time for both, and compares the two images. Exit 0 when they are the same bytes, 1 when they differ
 * (with what differs and why), 2 when it could not build or was called wrongly.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PLATFORM } from '../parse/imageRef';
import { printable } from '../util/escape';
import { BUILDER_NAMES, BuilderMissing, BuildFailed, type BuilderName, type BuiltImage } from './builder';
import { findBuilder } from './builders';
import { compareImages } from './compare';
import { readLayout } from './ociLayout';
import { jsonReport, textReport, type VaryReport } from './report';
import { buildVaried, type BuildUnder } from './vary';
import { availability, ConditionFiles, VARIATION_DESCRIPTIONS, VARIATION_NAMES, type VariationName } from './variations';

export interface VerifyIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export const VERIFY_HELP = `Usage:
  dockrepro verify [options] [Dockerfile]   build it twice from nothing and compare the images

Builds the Dockerfile (default: ./Dockerfile) twice, each in a fresh image store with no cache, with one
fixed time for both (the image's creation time, file times in layers, and the build argument
SOURCE_DATE_EPOCH), and compares the image digests. When they differ, it compares the config and every
layer file by file and says which paths differ and how (content, size, mtime, mode, owner, link, only in
one build), with a hint where the cause is a known one.

Verify options:
      --builder <name>          ${BUILDER_NAMES.join(', ')} (default: buildah, found on the PATH; docker: not yet)
      --context <dir>           build context (default: the Dockerfile's folder)
      --platform <os/arch>      build for this platform
      --build-arg <k=v>         a build argument (repeatable)
      --source-date-epoch <n>   the fixed time, in seconds since 1970 (default: $SOURCE_DATE_EPOCH, else
                                the time of the context's newest git commit, else 0)
      --vary                    strong reproducibility: build the second time under changed conditions
                                (below) and, when that changes the image, find which variation does it
      --variations <list>       the variations to apply, comma-separated (implies --vary; default: all
                                that this machine can apply)
  -f, --format <fmt>            text (default) or json

Variations (--vary), after Debian's reprotest; every build of a --vary run gets the same mount points and a
fixed hostname, and only their values change:
${VARIATION_NAMES.map((n) => `  ${n.padEnd(17)}${VARIATION_DESCRIPTIONS[n]}`).join('\n')}
  (umask is not varied: buildah 1.28 sets 0022 for every RUN whatever its own umask is)
Cost: 2 builds when the image stays the same; when it changes, 1 more unvaried build and 1 per variation
(3 + 5 with all), each about as long as a plain build (5-12 s for a small image). Needs root (buildah,
unshare --uts), libfaketime (apt-get install faketime), disorderfs and /dev/fuse; what is missing is
reported and left out.

Registries: buildah reads its usual configuration (registries.conf, CONTAINERS_REGISTRIES_CONF, auth.json).
Exit codes: 0 both builds gave the same image, 1 they differ, 2 a build failed or bad usage.`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  builder: { type: 'string' },
  context: { type: 'string' },
  platform: { type: 'string' },
  'build-arg': { type: 'string', multiple: true },
  'source-date-epoch': { type: 'string' },
  format: { type: 'string', short: 'f' },
  vary: { type: 'boolean' },
  variations: { type: 'string' },
} as const;

const BUILD_ARG = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

export async function verifyCommand(argv: string[], io: VerifyIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
  } catch (e) {
    return usage(io, (e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(`${VERIFY_HELP}\n`);
    return 0;
  }
  if (positionals.length > 1) return usage(io, `'dockrepro verify' takes one Dockerfile, got ${positionals.length}`);
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') return usage(io, `'dockrepro verify' --format must be text or json, got '${format}'`);
  if (values.builder === 'docker') {
    return usage(io, '--builder docker is not supported yet (BuildKit needs a daemon and a fresh builder for each build); use buildah');
  }
  if (values.builder !== undefined && !(BUILDER_NAMES as readonly string[]).includes(values.builder)) {
    return usage(io, `--builder must be one of ${BUILDER_NAMES.join(', ')}, got '${values.builder}'`);
  }
  if (values.platform !== undefined && !PLATFORM.test(values.platform)) return usage(io, `--platform must be os/arch[/variant] (e.g. linux/arm64), got '${values.platform}'`);
  const buildArgs: Record<string, string> = {};
  for (const a of values['build-arg'] ?? []) {
    const m = BUILD_ARG.exec(a);
    if (!m) return usage(io, `--build-arg must be NAME=value, got '${a}'`);
    buildArgs[m[1]] = m[2];
  }
  const epochText = values['source-date-epoch'] ?? (io.env.SOURCE_DATE_EPOCH || undefined);
  if (epochText !== undefined && !/^\d{1,12}$/.test(epochText)) {
    return usage(io, `${values['source-date-epoch'] !== undefined ? '--source-date-epoch' : 'SOURCE_DATE_EPOCH'} must be whole seconds since 1970, got '${epochText}'`);
  }
  let asked: VariationName[] | undefined;
  if (values.variations !== undefined) {
    const names = values.variations.split(',').map((n) => n.trim());
    const unknown = names.find((n) => !(VARIATION_NAMES as readonly string[]).includes(n));
    if (unknown !== undefined) return usage(io, `--variations takes ${VARIATION_NAMES.join(', ')}, got '${unknown}'`);
    asked = names as VariationName[];
  }

  const dockerfile = resolve(io.cwd, positionals[0] ?? 'Dockerfile');
  if (!isFile(dockerfile)) return usage(io, `no Dockerfile at '${relative(io.cwd, dockerfile) || dockerfile}'`);
  const context = values.context === undefined ? dirname(dockerfile) : resolve(io.cwd, values.context);
  if (!isFolder(context)) return usage(io, `--context '${values.context}' is not a folder`);
  const timestamp = epochText !== undefined ? Number(epochText) : (newestCommitTime(context, io.env) ?? 0);
  const shown = relative(io.cwd, dockerfile) || dockerfile;
  let builder;
  try {
    builder = findBuilder(values.builder as BuilderName | undefined, io.env);
  } catch (e) {
    if (e instanceof BuilderMissing) return failed(io, e.message);
    throw e;
  }
  const progress = new Progress(io.stderr);
  if (values.vary || asked) {
    const request = { dockerfile, context, platform: values.platform, buildArgs, timestamp, env: io.env };
    return varied(io, { builder, request, shown, asked, format, progress });
  }
  const built: BuiltImage[] = [];
  const seconds: number[] = [];
  try {
    for (const n of [1, 2]) {
      const started = Date.now();
      progress.start(`build ${n} of 2 (${builder.name})`);
      try {
        built.push(await builder.build({ dockerfile, context, platform: values.platform, buildArgs, timestamp, env: io.env, onOutput: (l) => progress.line(l) }));
      } catch (e) {
        progress.end('failed');
        if (e instanceof BuildFailed) return failed(io, `${printable(shown)}: build ${n} of 2 failed: ${e.message}`, e.outputTail);
        throw e;
      }
      seconds.push((Date.now() - started) / 1000);
      progress.end(`done in ${seconds[n - 1].toFixed(1)} s`);
    }
    progress.start('comparing');
    const comparison = await compareImages(readLayout(built[0].layout), readLayout(built[1].layout));
    progress.end(comparison.identical ? 'the same' : 'different');
    const result = { dockerfile: shown, builder: builder.name, sourceDateEpoch: timestamp, seconds: [seconds[0], seconds[1]] as [number, number], comparison };
    io.stdout.write(format === 'json' ? jsonReport(result) : textReport(result));
    return comparison.identical ? 0 : 1;
  } finally {
    for (const b of built) b.dispose();
  }
}

interface VaryRun {
  builder: ReturnType<typeof findBuilder>;
  request: Omit<Parameters<ReturnType<typeof findBuilder>['build']>[0], 'conditions' | 'onOutput'>;
  shown: string;
  asked: VariationName[] | undefined;
  format: 'text' | 'json';
  progress: Progress;
}

/** `verify --vary`: the variations this machine can apply (all, or those asked for), built by vary.ts. */
async function varied(io: VerifyIo, run: VaryRun): Promise<number> {
  const machine = availability(io.env);
  const wanted = machine.filter((a) => !run.asked || run.asked.includes(a.name));
  const cannot = wanted.find((a) => a.missing && run.asked);
  if (cannot) return failed(io, `cannot vary ${cannot.name}: ${cannot.missing}`);
  const applied = wanted.filter((a) => !a.missing).map((a) => a.name);
  if (applied.length === 0) return failed(io, `--vary: no variation can be applied here: ${machine.map((a) => `${a.name}: ${a.missing}`).join('; ')}`);
  const vary: VaryReport = {
    variations: machine.map((a) => ({
      name: a.name,
      description: VARIATION_DESCRIPTIONS[a.name],
      applied: applied.includes(a.name),
      ...(!applied.includes(a.name) ? { notAppliedBecause: a.missing ?? 'not in --variations' } : {}),
    })),
  };
  const files = new ConditionFiles();
  let n = 0;
  const build: BuildUnder = async (label, conditions) => {
    const started = Date.now();
    n += 1;
    run.progress.start(`build ${n} (${label})`);
    try {
      const image = await run.builder.build({ ...run.request, conditions, onOutput: (l) => run.progress.line(l) });
      const seconds = (Date.now() - started) / 1000;
      run.progress.end(`done in ${seconds.toFixed(1)} s`);
      return { image, seconds };
    } catch (e) {
      run.progress.end('failed');
      if (e instanceof BuildFailed) throw new VaryBuildFailed(`${printable(run.shown)}: build ${n} (${label}) failed: ${e.message}`, e.outputTail);
      throw e;
    }
  };
  try {
    const outcome = await buildVaried(build, applied, (v) => files.conditions(v, applied));
    if (outcome.byVariation) Object.assign(vary, { unvaried: outcome.unvaried, byVariation: outcome.byVariation });
    const result = { dockerfile: run.shown, builder: run.builder.name, sourceDateEpoch: run.request.timestamp, seconds: outcome.seconds, comparison: outcome.comparison, vary };
    io.stdout.write(run.format === 'json' ? jsonReport(result) : textReport(result));
    return outcome.comparison.identical ? 0 : 1;
  } catch (e) {
    if (e instanceof VaryBuildFailed) return failed(io, e.message, e.outputTail);
    throw e;
  } finally {
    files.dispose();
  }
}

class VaryBuildFailed extends BuildFailed {}

/** The commit time of the newest commit touching the context, when it is in a git work tree. */
function newestCommitTime(context: string, env: NodeJS.ProcessEnv): number | undefined {
  // core.fsmonitor off: a repository's own config must not make this start a program.
  const r = spawnSync('git', ['-c', 'core.fsmonitor=false', '-C', context, 'log', '-1', '--format=%ct', '--', '.'], { env, encoding: 'utf8', timeout: 10_000 });
  const t = r.status === 0 ? r.stdout.trim() : '';
  return /^\d+$/.test(t) ? Number(t) : undefined;
}

/** One status line on a terminal, rewritten as the builder reports its steps; silent elsewhere. */
class Progress {
  private label = '';
  constructor(private readonly stderr: VerifyIo['stderr']) {}
  start(label: string): void {
    this.label = label;
    this.show('');
  }
  line(line: string): void {
    if (/^STEP \d+\/\d+/.test(line)) this.show(`: ${line}`);
  }
  end(result: string): void {
    if (this.stderr.isTTY) this.stderr.write(`\r\x1b[Kdockrepro verify: ${this.label}: ${result}\n`);
  }
  private show(detail: string): void {
    if (!this.stderr.isTTY) return;
    const text = printable(`dockrepro verify: ${this.label}${detail}`);
    this.stderr.write(`\r\x1b[K${text.length > 110 ? `${text.slice(0, 109)}…` : text}`);
  }
}

function failed(io: VerifyIo, message: string, tail?: string): number {
  io.stderr.write(`dockrepro: ${printable(message)}\n`);
  if (tail) io.stderr.write(`${tail.split('\n').map((l) => `  | ${printable(l)}`).join('\n')}\n`);
  return 2;
}

function usage(io: VerifyIo, message: string): number {
  io.stderr.write(`dockrepro: ${printable(message)}\nRun 'dockrepro verify --help' for usage.\n`);
  return 2;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
