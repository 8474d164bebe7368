/**
 * Builds with buildah (daemonless, so each build can have an image store of its own). Each build gets a
 * fresh `--root`/`--runroot` in a temporary folder, so nothing is cached or pulled once for both builds and
 * the comparison proves something. `--timestamp` fixes the image's creation time, its history times and
 * every file time in the layers; SOURCE_DATE_EPOCH is passed as a build argument for the tools inside
 * (useradd, pip, dpkg) that read it, when the Dockerfile declares `ARG SOURCE_DATE_EPOCH`.
 *
 * `--isolation chroot`: the default (OCI runtime) isolation needs cgroups set up in ways many CI machines and
 * containers are not; chroot works wherever buildah does. `--layers` commits one layer per instruction, so a
 * difference can be traced to the instruction that made it. The vfs storage driver works without overlay
 * support in the kernel (inside containers too).
 *
 * Conditions (`verify --vary`): a hostname by running buildah in a UTS namespace of its own with `--uts host`
 * (buildah 1.28 has no --hostname for build, and otherwise names the host after the random container id);
 * files by `--volume source:target:ro`; environment by `--env` (the only way into RUN without an `ARG`; it
 * lands in the image config too); random directory order by putting the image store, where RUN's root file
 * system lives, and the context behind disorderfs.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildFailed, type Builder, type BuildConditions, type BuildRequest, type BuiltImage } from './builder';
import { mountShuffled, type ShuffledMount } from './disorderfs';

/** How much of the builder's output is kept for the message of a failed build. */
const TAIL_LINES = 30;

export class Buildah implements Builder {
  readonly name = 'buildah' as const;

  constructor(private readonly program: string) {}

  async build(request: BuildRequest): Promise<BuiltImage> {
    const dir = mkdtempSync(join(tmpdir(), 'dockrepro-verify-'));
    const store = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs'];
    const shuffled: ShuffledMount[] = [];
    const image: BuiltImage = { layout: join(dir, 'oci'), dispose: () => this.dispose(dir, store, shuffled, request.env) };
    const conditions = request.conditions;
    try {
      let context = request.context;
      if (conditions?.shuffleDirectories) {
        shuffled.push(mountShuffled(mkdirIn(dir, 'root-files'), join(dir, 'root'), request.env));
        shuffled.push(mountShuffled(request.context, join(dir, 'context'), request.env));
        context = join(dir, 'context');
      }
      const args = { SOURCE_DATE_EPOCH: String(request.timestamp), ...request.buildArgs };
      const iidFile = join(dir, 'image-id');
      await this.run(
        [
          ...store,
          'build',
          '--layers',
          '--no-cache',
          '--isolation',
          'chroot',
          '--timestamp',
          String(request.timestamp),
          ...Object.entries(args).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
          ...(request.platform ? ['--platform', request.platform] : []),
          ...conditionArgs(conditions),
          '--iidfile',
          iidFile,
          '-f',
          request.dockerfile,
          context,
        ],
        request,
        'build',
        conditions?.hostname,
      );
      const id = readFileSync(iidFile, 'utf8').trim();
      await this.run([...store, 'push', '--quiet', id, `oci:${image.layout}`], request, 'export the image (buildah push oci:)');
      return image;
    } catch (e) {
      image.dispose();
      throw e;
    }
  }

  /**
   * Runs buildah, streaming its output lines to the caller; a non-zero exit is a BuildFailed with the tail.
   * With a hostname, in a UTS namespace of its own that has that hostname.
   */
  private run(args: string[], request: BuildRequest, what: string, hostname?: string): Promise<void> {
    const [program, ...programArgs] = hostname
      ? ['unshare', '--uts', 'sh', '-c', 'hostname "$1" && shift && exec "$@"', 'sh', hostname, this.program, ...args]
      : [this.program, ...args];
    return new Promise((resolvePromise, reject) => {
      const child = spawn(program, programArgs, { env: request.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const tail: string[] = [];
      const partial = { stdout: '', stderr: '' };
      const take = (stream: 'stdout' | 'stderr', chunk: Buffer) => {
        const lines = (partial[stream] + chunk.toString('utf8')).split('\n');
        partial[stream] = lines.pop() ?? '';
        for (const line of lines) line && keep(line);
      };
      const keep = (line: string) => {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        request.onOutput?.(line);
      };
      child.stdout.on('data', (c: Buffer) => take('stdout', c));
      child.stderr.on('data', (c: Buffer) => take('stderr', c));
      child.on('error', (e) => reject(new BuildFailed(`buildah could not be started: ${e.message}`, '')));
      child.on('close', (code, signal) => {
        for (const rest of [partial.stdout, partial.stderr]) if (rest) keep(rest);
        if (code === 0) return resolvePromise();
        reject(new BuildFailed(`buildah failed to ${what} (${signal ? `signal ${signal}` : `exit status ${code}`})`, tail.join('\n')));
      });
    });
  }

  /**
   * Removes the build's folder: buildah's working containers first (they may hold mounts), and never while
   * anything is still mounted below it (deleting through a bind mount would delete the host's files).
   */
  private dispose(dir: string, store: string[], shuffled: ShuffledMount[], env: NodeJS.ProcessEnv): void {
    if (!existsSync(dir)) return;
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    spawnSync(this.program, [...store, 'umount', '--all'], { env, stdio: 'ignore' });
    spawnSync(this.program, [...store, 'rm', '--all'], { env, stdio: 'ignore' });
    for (const m of shuffled) m.unmount();
    const mounted = mountsUnder(dir);
    if (mounted.length > 0) {
      process.emitWarning(`dockrepro verify: left ${dir} in place: ${mounted[0]} is still mounted`);
      return;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** buildah build arguments for the conditions: the hostname is applied around buildah (see `run`). */
function conditionArgs(conditions: BuildConditions | undefined): string[] {
  if (!conditions) return [];
  return [
    ...(conditions.hostname ? ['--uts', 'host'] : []),
    ...conditions.mounts.flatMap((m) => ['--volume', `${m.source}:${m.target}:ro`]),
    ...Object.entries(conditions.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
  ];
}

function mkdirIn(dir: string, name: string): string {
  const path = join(dir, name);
  mkdirSync(path);
  return path;
}

/** Mount points at or below `dir`, from /proc/self/mounts (none where there is no /proc). */
function mountsUnder(dir: string): string[] {
  let table: string;
  try {
    table = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return [];
  }
  // Mount points are the second field, with space, tab, newline and backslash written as octal escapes.
  return table
    .split('\n')
    .map((l) => (l.split(' ')[1] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}
