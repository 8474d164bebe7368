/**
 * Lints many files on several threads and yields the results in the order of the file list, as one thread
 * would, with bounded memory.
 *
 * - Files go to workers in batches (a message per batch, not per file), and the main thread lints a batch
 *   itself whenever the next result to report is not back. Each worker has at most two batches queued, and
 *   no batch is handed out while 4 per thread wait to be reported: results held in memory stay bounded
 *   (4 × threads × BATCH_MAX files) however many files there are, even when stdout is slow.
 * - A worker builds its LintRun from the same LintSettings as the main thread (src/lintSettings.ts) and
 *   sends back each FileResult (the file text instead of its LineIndex, rebuilt here).
 * - What one thread records while linting (which config served how many files, config and lock files
 *   passed over, a config error met halfway) depends on the order of the files. The main thread therefore
 *   repeats each file's config lookup (and lock lookup, when the worker made one) in file order on its own
 *   `run`: both are cached per folder, so this costs little, and the notes, `--verbose` lines and the point
 *   where a ConfigError stops the report are exactly those of one thread.
 * - A worker that dies (crash, out of memory) loses nothing: the batches it had not answered are linted in
 *   the main thread, and `warn` says so.
 *
 * The worker runs the same bundle as the command line (bin/dockrepro with its code cache; src/main.ts
 * starts `serveLintWorker` instead of the CLI inside a worker): a worker answers its first message ~85-100 ms
 * after it is created (2 busy cores). Its JIT then warms up on its own (~1 s of CPU): see threadCount.
 */
import { dirname, join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { ConfigError } from './config';
import { buildRun, type LintSettings } from './lintSettings';
import { lintFile, type LintRun } from './run';
import type { FileResult } from './report/types';
import { DOCKERFILE_LIMIT, readRegularFile, RealFolders, type Boundary } from './util/safeRead';
import { LineIndex } from './util/text';

/** One file for a worker: where it is, what the report calls it, and the tree it must resolve into. */
export interface LintTarget {
  abs: string;
  path: string;
  boundary?: Boundary;
}

export interface ParallelLint {
  files: readonly string[];
  /** The display path and discovery's boundary for a file. */
  target(abs: string): LintTarget;
  settings: LintSettings;
  /** The main thread's run (built from `settings`): lookups are repeated on it in file order. */
  run: LintRun;
  /** Threads that lint, the main one included (so threads - 1 workers). */
  threads: number;
  /** A message for stderr (a worker that stopped). */
  warn(message: string): void;
}

/**
 * Without --jobs, lint stays in one thread. Measured on this 2-core machine, idle, 20,000 corpus files after
 * the single-thread speed-ups: one thread 13.4 s wall / 14.8 s CPU, two threads 13.0 s wall / 23.0 s CPU
 * (each isolate warms its own JIT, garbage collection doubles, results cross threads): no gain worth the
 * memory (113 -> 165 MB). Threads are there for machines with more cores, on request.
 */
const BATCH_MAX = 32;
/** Batches handed out per thread before the oldest is reported. */
const WINDOW_PER_THREAD = 4;
/**
 * A worker's heap. V8's defaults let each isolate grow to ~100 MB of garbage before collecting: two
 * workers took a 20,000-file lint from 166 MB to 306 MB peak RSS; with these limits 200 MB, at the same
 * CPU time. A file too big for them (they hold a Dockerfile of a few MB) stops that worker, and its files
 * are linted in the main thread. The young generation: 8 MB made the worker collect garbage twice as often
 * as the main thread (GC 12.6% of its samples, 6.3% on the main thread); measured with --jobs 2 on 20,000
 * files, interleaved, 3 runs each: 8 MB 15.1-16.3 s CPU / 177-180 MB, 16 MB 13.8 s / 182 MB,
 * 32 MB 12.1-13.7 s / 193-197 MB, 64 MB 13.6 s / 226 MB.
 */
const WORKER_HEAP = { maxYoungGenerationSizeMb: 32, maxOldGenerationSizeMb: 64 };
/**
 * The argument a lint worker is started with: src/main.ts checks it before anything else, since loading
 * node:worker_threads to ask costs ~3 ms of every cold start. It is confirmed by WORKER_MARK in workerData.
 */
export const WORKER_ARG = '--dockrepro-lint-worker';
const WORKER_MARK = 'dockrepro-lint-worker';

/**
 * How many threads lint `files` files (the main one and workers): 0 means this thread alone. `jobs` is
 * --jobs (or DOCKREPRO_JOBS): 1 is one thread, N > 1 asks for N whatever the file count; without it, one
 * thread (see the measurement above).
 */
export function threadCount(jobs: number | undefined, files: number, cores: number): number {
  const wanted = jobs ?? 1;
  const n = Math.min(wanted, files);
  return n > 1 ? n : 0;
}

/** A FileResult as sent between threads: the text instead of its LineIndex. */
type WireResult = Omit<FileResult, 'lines'> & { text?: string };

/** Per file, in order: the result (none when ignore-paths excludes the file), or the config error that stopped the batch. */
type Outcome<R = FileResult> = { result?: R; lockLookup: boolean } | { configError: string };

interface BatchRequest {
  batch: number;
  files: LintTarget[];
}

interface BatchReply {
  batch: number;
  outcomes: Outcome<WireResult>[];
}

/**
 * Lints batches with a run of its own, noting per file whether it looked up a lock file, so that the main
 * thread can repeat the lookup in file order. Used by each worker and by the main thread's own share.
 */
class BatchLinter {
  private readonly run: LintRun;
  private lockLookup = false;
  private readonly folders = new RealFolders();

  constructor(settings: LintSettings) {
    this.run = buildRun(settings).run;
    const locks = this.run.locks;
    if (locks) {
      const forDir = locks.forDir.bind(locks);
      locks.forDir = (dir) => {
        this.lockLookup = true;
        return forDir(dir);
      };
    }
  }

  lint(targets: readonly LintTarget[]): Outcome[] {
    const outcomes: Outcome[] = [];
    for (const t of targets) {
      this.lockLookup = false;
      let result: FileResult | undefined;
      try {
        result = lintFile(t.abs, t.path, () => readTarget(t, this.folders), this.run);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        outcomes.push({ configError: e.message });
        break;
      }
      outcomes.push({ result, lockLookup: this.lockLookup });
    }
    return outcomes;
  }
}

/**
 * The main thread lints too (it is already warm, and each worker is a V8 isolate that warms up its own JIT,
 * ~1 s of CPU): whenever the next result to report is not back yet, it lints the next unsent batch itself.
 * `job.threads` counts the main thread: 2 means one worker thread.
 */
export async function* lintInParallel(job: ParallelLint): AsyncGenerator<FileResult> {
  const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
  const { files, run } = job;
  const size = Math.max(1, Math.min(BATCH_MAX, Math.ceil(files.length / (job.threads * 8))));
  const batchCount = Math.ceil(files.length / size);
  const window = job.threads * WINDOW_PER_THREAD;
  const targets = (batch: number) => files.slice(batch * size, (batch + 1) * size).map((f) => job.target(f));
  const replies = new Map<number, Outcome[]>();
  /** Batches sent to a worker that died before answering: linted here. */
  const orphaned = new Set<number>();
  let here: BatchLinter | undefined;
  let nextToSend = 0;
  let nextToReport = 0;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };

  interface Lane {
    worker: Worker;
    waiting: Set<number>;
    alive: boolean;
  }
  const lanes: Lane[] = [];
  const roomAhead = () => nextToSend < batchCount && nextToSend - nextToReport < window;
  const send = () => {
    for (const lane of lanes) {
      while (lane.alive && lane.waiting.size < 2 && roomAhead()) {
        const batch = nextToSend++;
        const request: BatchRequest = { batch, files: targets(batch) };
        lane.waiting.add(batch);
        lane.worker.postMessage(request);
      }
    }
  };
  const stopped = (lane: Lane, why: string) => {
    if (!lane.alive) return;
    lane.alive = false;
    for (const b of lane.waiting) orphaned.add(b);
    lane.waiting.clear();
    job.warn(`a lint worker stopped (${why}); its files are linted in the main thread`);
    void lane.worker.terminate();
    notify();
  };

  const entry = join(__dirname, '..', 'bin', 'dockrepro');
  for (let i = 1; i < job.threads; i++) {
    const options = { argv: [WORKER_ARG], workerData: { mark: WORKER_MARK, settings: job.settings }, resourceLimits: WORKER_HEAP };
    const lane: Lane = { worker: new Worker(entry, options), waiting: new Set(), alive: true };
    lane.worker.on('message', (reply: BatchReply) => {
      lane.waiting.delete(reply.batch);
      replies.set(reply.batch, reply.outcomes.map((o) => ('result' in o && o.result ? { ...o, result: fromWire(o.result) } : (o as Outcome))));
      send();
      notify();
    });
    lane.worker.on('error', (e) => stopped(lane, printableError(e)));
    lane.worker.on('exit', (code) => stopped(lane, `exit code ${code}`));
    lanes.push(lane);
  }

  try {
    while (nextToReport < batchCount) {
      send();
      const outcomes = replies.get(nextToReport);
      if (outcomes === undefined) {
        // Not back yet: lint a batch here meanwhile (one a dead worker left, else the next unsent one).
        const mine = orphaned.size ? Math.min(...orphaned) : roomAhead() ? nextToSend++ : undefined;
        if (mine === undefined) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        orphaned.delete(mine);
        here ??= new BatchLinter(job.settings);
        replies.set(mine, here.lint(targets(mine)));
        // Let the workers' replies in (and send them more) before going on.
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      replies.delete(nextToReport);
      const batchFiles = files.slice(nextToReport * size, (nextToReport + 1) * size);
      nextToReport++;
      for (let i = 0; i < batchFiles.length; i++) {
        const dir = dirname(batchFiles[i]);
        // As one thread: the config lookup first (it may throw the ConfigError that ends the run here).
        run.findConfig(dir);
        const outcome = outcomes[i];
        if (outcome === undefined || 'configError' in outcome) throw new ConfigError(outcome?.configError ?? 'config error');
        if (outcome.lockLookup) {
          try {
            run.locks?.forDir(dir);
          } catch {
            // The file's result already says what went wrong.
          }
        }
        if (outcome.result) yield outcome.result;
      }
    }
  } finally {
    for (const lane of lanes) {
      lane.alive = false;
      void lane.worker.terminate();
    }
  }
}

/** True in a thread started by lintInParallel (the caller has seen WORKER_ARG in process.argv). */
export function isLintWorker(): boolean {
  const { isMainThread, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  return !isMainThread && (workerData as { mark?: string } | null)?.mark === WORKER_MARK;
}

/** The worker's side: lints each batch it is sent with the settings of workerData, until terminated. */
export function serveLintWorker(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const linter = new BatchLinter((workerData as { settings: LintSettings }).settings);
  parentPort!.on('message', (request: BatchRequest) => {
    const outcomes = linter.lint(request.files).map((o) => ('result' in o && o.result ? { ...o, result: toWire(o.result) } : (o as Outcome<WireResult>)));
    const reply: BatchReply = { batch: request.batch, outcomes };
    parentPort!.postMessage(reply);
  });
}

/** Reads a file as discovery's readDockerfile does, from the target's own boundary. */
function readTarget(t: LintTarget, folders: RealFolders): Buffer {
  return readRegularFile(t.abs, DOCKERFILE_LIMIT, t.boundary, folders).bytes;
}

function toWire(result: FileResult): WireResult {
  const { lines, ...rest } = result;
  return lines ? { ...rest, text: lines.text } : rest;
}

function fromWire(wire: WireResult): FileResult {
  const { text, ...rest } = wire;
  return text === undefined ? rest : { ...rest, lines: new LineIndex(text) };
}

function printableError(e: unknown): string {
  return String((e as Error)?.message ?? e);
}
