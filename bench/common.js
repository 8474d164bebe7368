/**
 * What the `dockrepro fix` sections of `npm run bench` (registry.js, packages.js) share: the skip report, the
 * temp folder with its clean-up stack and signal handling, the fixture servers' request log, running
 * `bin/dockrepro fix` in a child process, the isolated environment of a fix, the warm-run report, and running
 * a section alone.
 */
'use strict';
const { spawn } = require('node:child_process');
const { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const elapsed = (t) => Number(process.hrtime.bigint() - t) / 1e6;

function countBy(xs, f) {
  const m = new Map();
  for (const x of xs) m.set(f(x), (m.get(f(x)) ?? 0) + 1);
  return m;
}

const readAll = (dir, files) => new Map(files.map((f) => [f, readFileSync(join(dir, f))]));

/** The corpus's files copied to `dir`, replacing whatever was there. */
function copyCorpus(corpus, dir) {
  rmSync(dir, { recursive: true, force: true });
  cpSync(corpus, dir, { recursive: true });
  // The corpus is read-only (0444) and copies keep the mode: fix leaves read-only files without --force.
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) chmodSync(join(e.parentPath, e.name), 0o644);
}

/**
 * One section of the bench: `what` names it in the skip report, `name` in its temp folder
 * (dockrepro-bench-<name>-…) and clean-up errors. A reason from `missing()` (a tool not installed) or a missing
 * corpus is reported loudly and skipped: a pass, but a failure under CI=true, where a skip would hide that
 * nothing was measured. Otherwise `body({ tmp, files, defer })` runs with a fresh temp folder and the corpus's
 * file names, sorted (none when `corpus` is undefined: a section that generates its files); it returns its pass/fail results. `defer(fn)` stacks a clean-up: they run last to first,
 * the temp folder's removal last, each once, whatever fails before it, also on Ctrl-C (SIGINT, SIGTERM), after
 * which the process ends as the signal would.
 */
async function runSection({ name, what, corpus, missing }, body) {
  const skip = (why) => {
    console.log(`\n*** SKIPPED: ${what}: ${why} ***\n`);
    // "In CI" is CI set to anything non-empty, as test/helpers/ci.ts defines it for the test suites.
    return [(process.env.CI ?? '') === ''];
  };
  const why = missing?.();
  if (why) return skip(why);
  let files = [];
  try {
    if (corpus !== undefined) files = readdirSync(corpus).sort();
  } catch {
    return skip(`corpus not found at ${corpus} (set DOCKREPRO_CORPUS)`);
  }

  const tmp = mkdtempSync(join(tmpdir(), `dockrepro-bench-${name}-`));
  const cleanups = [() => rmSync(tmp, { recursive: true, force: true })];
  const cleanup = () => {
    while (cleanups.length > 0) {
      try {
        cleanups.pop()();
      } catch (e) {
        console.error(`${name} bench clean-up: ${e.message}`);
      }
    }
  };
  const onSignal = (sig) => {
    cleanup();
    process.kill(process.pid, sig);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body({ tmp, files, defer: (fn) => cleanups.push(fn) });
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    cleanup();
  }
}

/** The request log of a fixture server: every request, how many were open at once and the most at a time. */
const requestLog = () => ({ log: [], inFlight: 0, peak: 0 });

/** Logs `entry` (a request just received on `res`) in `state`; `entry.ms` is set to how long it stayed open. */
function logRequest(state, entry, res) {
  const t = process.hrtime.bigint();
  state.log.push(entry);
  state.peak = Math.max(state.peak, ++state.inFlight);
  res.on('close', () => {
    state.inFlight--;
    entry.ms = elapsed(t);
  });
  return entry;
}

/** Starts `server` on a free loopback port; returns the port. */
async function listenLoopback(server) {
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return server.address().port;
}

function closeServer(server) {
  server.closeAllConnections();
  server.close();
}

const dockreproBin = (root) => join(root, 'bin', 'dockrepro');

/**
 * Runs `dockrepro fix --rules <rules> [args] <files>` in a child process (this process serves the fixtures, so it
 * must not block). Exit 0: everything fixed, 1: findings left (references built from ARGs, gem lookups,
 * requirements files, …); 2 is an error and rejects. `summary` is the fix's "N files scanned" line.
 */
function runFix(root, { rules, cwd, files, env, args = [] }) {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const child = spawn(process.execPath, [dockreproBin(root), 'fix', '--rules', rules, ...args, ...files], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => {
      const ms = elapsed(t);
      if (status !== 0 && status !== 1) reject(new Error(`dockrepro fix failed (${status}):\n${stderr}${stdout.slice(-2000)}`));
      else resolve({ ms, status, stdout, summary: /^\d+ files? scanned.*$/m.exec(stdout)?.[0] ?? '(no summary)' });
    });
  });
}

/**
 * The environment of a fix: `base` (the machine's by default) with HOME (and Docker's config) in `home`, a
 * folder of the bench's own, so no real credentials are read.
 */
const isolatedEnv = (home, base = process.env) => ({ ...base, HOME: home, DOCKER_CONFIG: join(home, '.docker') });

/** The machine's environment without anything that points a package tool elsewhere. */
function withoutPackageTools() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    // `npm run bench` sets npm_config_* (the user's .npmrc, the public registry): none of them may leak in.
    // Proxy variables could send loopback requests elsewhere.
    if (/^(npm_config_|PIP_|UV_|GO(PROXY|PRIVATE|NOPROXY|FLAGS)$|CARGO_|(https?|all|no)_proxy$)/i.test(k)) continue;
    env[k] = v;
  }
  return env;
}

/**
 * Prints the warm fix against the cold one (files read after each into `coldOut`, `warmOut`) and returns
 * whether it made no request, left the same bytes and exited alike; `describe` names one of its requests.
 */
function reportWarm({ cold, warm, requests, files, coldOut, warmOut, describe }) {
  const differ = files.filter((f) => !warmOut.get(f).equals(coldOut.get(f)));
  const ok = requests.length === 0 && differ.length === 0 && warm.status === cold.status;
  console.log(
    `  warm fix (lock from the cold run): ${requests.length} requests (target = 0), ${differ.length} files differ from the cold run ` +
      `(target = 0), exit ${warm.status} (cold ${cold.status}), ${warm.ms.toFixed(0)} ms ${ok ? 'OK' : 'FAILED'}`,
  );
  if (requests.length > 0) console.log(`  warm requests: ${requests.slice(0, 5).map(describe).join(', ')}`);
  if (differ.length > 0) console.log(`  differ: ${differ.slice(0, 5).join(', ')}`);
  return ok;
}

/** The corpus: $DOCKREPRO_CORPUS, else the shared corpus beside the project or under /work. */
const findCorpus = (root) =>
  [process.env.DOCKREPRO_CORPUS, resolve(root, '..', 'shared', 'corpus', 'files'), '/work/shared/corpus/files'].find((p) => p && existsSync(p)) ||
  resolve(root, '..', 'shared', 'corpus', 'files');

/** `node bench/<section>.js`: one section alone (after `npm run build`); the exit code says whether it passed. */
function runAlone(section) {
  const root = resolve(__dirname, '..');
  section({ root, corpus: findCorpus(root) }).then(
    (r) => (process.exitCode = r.every(Boolean) ? 0 : 1),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}

module.exports = {
  sleep,
  elapsed,
  countBy,
  readAll,
  copyCorpus,
  runSection,
  requestLog,
  logRequest,
  listenLoopback,
  closeServer,
  dockreproBin,
  runFix,
  isolatedEnv,
  withoutPackageTools,
  reportWarm,
  findCorpus,
  runAlone,
};
