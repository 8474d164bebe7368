/**
 * Packages section of `npm run bench`: `dockrepro fix` pinning the packages of RUN commands (pip, npm, go,
 * cargo; gem has no index override, see below) across the whole corpus, against one fixture server that
 * speaks each index's protocol and adds 50 ms to every request, like an index across the internet.
 *   cold: one lookup per unique (ecosystem, package, constraint, python version, index) key of the batch
 *         targets: requests per unique lock key <= what the protocol needs for one key (pip 1, npm 1, cargo 1,
 *         go: one 404 per longer path prefix tried + @v/list + the latest version's .mod), and no path
 *         requested twice (keys sharing a project page, packument or module list share the request)
 *   warm: a second fix of a fresh copy of the corpus with the lock written by the cold one
 *         targets: 0 requests, byte-identical output, same exit code
 *   shared documents: one package under several constraints (SHARED_DOCUMENTS), cold, in a project of its own
 *         target: every key locked, no path requested twice (one packument, module list or index file serves
 *         every constraint of a package, as pip's project page already does)
 * gem-version asks only the command's `--source` URLs and https://rubygems.org/ (no variable points it
 * elsewhere), so its lookups are not measured: they fail (no network here) and are reported as left.
 * The corpus has no `cargo install` and no package installed for several Python versions: three small
 * Dockerfiles written beside it (bench-*.Dockerfile, EXTRA_FILES) add them. The corpus is fixed in a temp
 * copy; the original is never touched. The server is stopped and the temp folder removed, also when a step
 * fails.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const http = require('node:http');
const { join } = require('node:path');
const {
  closeServer, copyCorpus, countBy, dockreproBin, elapsed, isolatedEnv, listenLoopback, logRequest, readAll, reportWarm, requestLog, runAlone, runFix,
  runSection, sleep, withoutPackageTools,
} = require('./common');

const LATENCY_MS = 50;
const RULES = 'pip-pin,npm-pin,gem-pin,go-pin,cargo-pin';
const ECOSYSTEMS = ['pip', 'npm', 'go', 'cargo', 'gem'];
/** The fix request kind of each ecosystem's findings, and the prefix of its lock keys. */
const KIND = { pip: 'pip-version', npm: 'npm-version', go: 'go-version', cargo: 'cargo-version', gem: 'gem-version' };
const KEY_PREFIX = { pip: 'pypi:', npm: 'npm:', go: 'go:', cargo: 'cargo:', gem: 'gem:' };

/**
 * Not part of the corpus, written beside it: the corpus has no `cargo install`, and no package installed on
 * images of different Python versions. `ripgrep` in two files: one lookup; `flask` on Python 2.7, 3.7 and
 * 3.12: three keys, one project page, three different pins (PYTHON_PINS).
 */
const EXTRA_FILES = {
  'bench-cargo-a.Dockerfile': 'FROM rust:1.79\nRUN cargo install --locked ripgrep && cargo install --locked bat@^1\nRUN cargo install --locked --version "~1" cargo-audit\n',
  'bench-cargo-b.Dockerfile': 'FROM rust:1.79-slim\nRUN cargo install --locked ripgrep fd-find@~1\n',
  'bench-python.Dockerfile':
    'FROM python:2.7-slim AS py27\nRUN pip install --no-cache-dir flask\n' +
    'FROM python:3.7-slim AS py37\nRUN pip install --no-cache-dir flask "requests>=1,<2"\n' +
    'FROM python:3.12-slim\nRUN pip install --no-cache-dir flask "requests>=1,<2"\n',
};
/** What the fixture's Requires-Python makes pip install on each Python (see RELEASES). */
const PYTHON_PINS = [
  'FROM python:2.7-slim AS py27\nRUN pip install --no-cache-dir flask==0.2.0\n',
  'FROM python:3.7-slim AS py37\nRUN pip install --no-cache-dir flask==1.2.0 "requests==1.2.0"\n',
  'FROM python:3.12-slim\nRUN pip install --no-cache-dir flask==20.2.0 "requests==1.2.0"\n',
].join('');

const hex = (s) => createHash('sha256').update(s).digest('hex');

// ---- the fixture index ----

/**
 * Every package exists, with a long history: releases M.1.0 and M.2.0 for each major M from 0 to 20, so the
 * constraints written in the corpus (`wheel<0.46`, `@angular/cli@13`) have an answer and every lookup can be
 * locked. For pip each major needs a newer Python (0: 2.7, 1: 3.7, later: 3.9), so the image's Python
 * decides which release an install gets; npm's `latest` is 20.2.0; Go modules list v1.1.0 and v1.2.0 (a
 * major above 1 needs a /vN module path); a crate's sparse index file has one line per release.
 */
const RELEASES = Array.from({ length: 21 }, (_, major) =>
  [1, 2].map((minor) => ({
    version: `${major}.${minor}.0`,
    requiresPython: major === 0 ? '>=2.7' : major === 1 ? '>=3.7' : '>=3.9',
    time: new Date(Date.UTC(2005 + major, minor * 4, 1)).toISOString(),
  })),
).flat();

/** PEP 691 project page: wheel and sdist of each release, with `requires-python`. */
function simpleProject(base, project) {
  const wheelName = project.replace(/-/g, '_');
  const files = RELEASES.flatMap((r) =>
    [`${wheelName}-${r.version}-py3-none-any.whl`, `${project}-${r.version}.tar.gz`].map((filename) => ({
      filename,
      url: `${base}/files/${project}/${filename}`,
      hashes: { sha256: hex(filename) },
      'requires-python': r.requiresPython,
      yanked: false,
      'upload-time': r.time,
    })),
  );
  return { meta: { 'api-version': '1.1' }, name: project, versions: RELEASES.map((r) => r.version), files };
}

/** PEP 503 HTML of the same page, for a client that does not ask for JSON. */
function simpleProjectHtml(doc) {
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const links = doc.files.map((f) => `<a href="${esc(f.url)}#sha256=${f.hashes.sha256}" data-requires-python="${esc(f['requires-python'])}">${esc(f.filename)}</a><br/>`);
  return `<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.1"><title>Links for ${esc(doc.name)}</title></head>\n<body><h1>Links for ${esc(doc.name)}</h1>\n${links.join('\n')}\n</body></html>\n`;
}

/** An npm packument (the full document; abbreviated clients read the same fields). */
function packument(base, name) {
  const file = name.replace(/^@[^/]+\//, '');
  const versions = {};
  const time = { created: RELEASES[0].time, modified: RELEASES[RELEASES.length - 1].time };
  for (const r of RELEASES) {
    const tarball = `${base}/${name}/-/${file}-${r.version}.tgz`;
    versions[r.version] = {
      name,
      version: r.version,
      description: `fixture package ${name}`,
      dist: { tarball, shasum: hex(tarball).slice(0, 40), integrity: `sha512-${Buffer.from(hex(tarball) + hex(r.version)).toString('base64')}` },
      dependencies: {},
    };
    time[r.version] = r.time;
  }
  return { _id: name, name, 'dist-tags': { latest: RELEASES[RELEASES.length - 1].version }, versions, time, modified: time.modified };
}

/**
 * The module a Go path belongs to in this fixture: host/owner/repo on code hosts, two elements on hosts whose
 * paths have no owner (google.golang.org/grpc), one more for a /vN suffix. Other prefixes are not modules: the
 * proxy answers 404, as the protocol says for an unknown module.
 */
function goModuleDepth(path) {
  const elems = path.split('/');
  const host = elems[0];
  const depth = ['google.golang.org', 'gopkg.in', 'go.uber.org', 'go.opentelemetry.io', 'k8s.io', 'sigs.k8s.io'].includes(host) ? 2 : 3;
  return /^v[2-9]\d*$/.test(elems[depth] ?? '') ? depth + 1 : depth;
}

const goUnescape = (s) => s.replace(/!([a-z])/g, (_, c) => c.toUpperCase());

function goVersions(module) {
  const major = /\/v([2-9]\d*)$/.exec(module)?.[1];
  return major ? [`v${major}.1.0`, `v${major}.2.0`] : ['v1.1.0', 'v1.2.0'];
}

/** The three lines of a sparse index file (one JSON object per version). */
function crateIndex(name) {
  return RELEASES.map((r) => JSON.stringify({ name, vers: r.version, deps: [], cksum: hex(`${name}-${r.version}`), features: {}, yanked: false, v: 2 })).join('\n') + '\n';
}

/**
 * The fixture server on a loopback port: `/pypi/simple/<project>/`, `/npm/<name>` (scoped: `@scope%2fname`),
 * `/go/<module>/@v/list|<v>.info|<v>.mod` and `/@latest`, `/cargo/<prefix>/<crate>`. Logs every request
 * (ecosystem, method, path, status) after waiting `latency` ms.
 */
async function startIndex(latency) {
  const state = requestLog();
  let base = '';
  const send = (res, status, type, body) => {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  const answer = (req, entry) => {
    const url = new URL(req.url, base);
    const path = url.pathname;
    let m;
    if ((m = /^\/pypi\/simple\/([^/]+)\/$/.exec(path))) {
      entry.ecosystem = 'pip';
      const project = decodeURIComponent(m[1]);
      const doc = simpleProject(`${base}/pypi`, project.toLowerCase().replace(/[-_.]+/g, '-'));
      if (/application\/vnd\.pypi\.simple\.v1\+json/.test(req.headers.accept ?? '')) return [200, 'application/vnd.pypi.simple.v1+json', JSON.stringify(doc)];
      return [200, 'text/html; charset=utf-8', simpleProjectHtml(doc)];
    }
    if ((m = /^\/npm\/(.+)$/.exec(path))) {
      entry.ecosystem = 'npm';
      const name = decodeURIComponent(m[1]);
      if (!/^(@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*$/i.test(name)) return [404, 'application/json', '{"error":"Not found"}'];
      return [200, 'application/json', JSON.stringify(packument(`${base}/npm`, name))];
    }
    if ((m = /^\/go\/(.+?)\/(@v\/list|@latest|@v\/([^/]+)\.(info|mod))$/.exec(path))) {
      entry.ecosystem = 'go';
      const module = goUnescape(m[1]);
      if (module.split('/').length !== goModuleDepth(module)) return [404, 'text/plain', `not found: module ${module}: no matching versions`];
      const versions = goVersions(module);
      const latest = versions[versions.length - 1];
      if (m[2] === '@v/list') return [200, 'text/plain; charset=utf-8', `${versions.join('\n')}\n`];
      if (m[2] === '@latest') return [200, 'application/json', JSON.stringify({ Version: latest, Time: RELEASES[3].time })];
      const version = goUnescape(m[3]);
      if (m[4] === 'mod') {
        if (!versions.includes(version)) return [404, 'text/plain', `not found: ${module}@${version}: invalid version`];
        return [200, 'text/plain; charset=utf-8', `module ${module}\n\ngo 1.21\n`];
      }
      // .info of a version, or of a branch or commit: a pseudo-version after the latest release.
      const [major, minor, patch] = latest.slice(1).split('.').map(Number);
      const v = versions.includes(version) ? version : `v${major}.${minor}.${patch + 1}-0.20240630100000-${hex(version).slice(0, 12)}`;
      return [200, 'application/json', JSON.stringify({ Version: v, Time: RELEASES[3].time })];
    }
    if ((m = /^\/cargo\/(?:1|2|3\/[^/]+|[^/]{2}\/[^/]{2})\/([^/]+)$/.exec(path))) {
      entry.ecosystem = 'cargo';
      return [200, 'text/plain', crateIndex(decodeURIComponent(m[1]))];
    }
    if (path === '/cargo/config.json') {
      entry.ecosystem = 'cargo';
      return [200, 'application/json', JSON.stringify({ dl: `${base}/cargo/api/v1/crates`, api: base })];
    }
    entry.ecosystem = 'other';
    return [404, 'text/plain', 'not found'];
  };
  const server = http.createServer(async (req, res) => {
    const entry = logRequest(state, { ecosystem: '', method: req.method, path: req.url, status: 0, ms: 0 }, res);
    req.resume();
    await sleep(latency);
    let status;
    let type;
    let body;
    try {
      [status, type, body] = answer(req, entry);
    } catch (e) {
      [status, type, body] = [500, 'text/plain', String(e)];
    }
    entry.status = status;
    send(res, status, type, req.method === 'HEAD' ? '' : body);
  });
  base = `http://127.0.0.1:${await listenLoopback(server)}`;
  state.url = base;
  state.close = () => closeServer(server);
  return state;
}

// ---- the run ----

/** The environment of a fix: the machine's, without anything that points a package tool elsewhere, then the fixture index. */
function fixEnv(home, index) {
  return {
    ...isolatedEnv(home, withoutPackageTools()),
    PIP_INDEX_URL: `${index}/pypi/simple/`,
    npm_config_registry: `${index}/npm/`,
    GOPROXY: `${index}/go`,
    CARGO_REGISTRY_DEFAULT: 'bench',
    CARGO_REGISTRIES_BENCH_INDEX: `sparse+${index}/cargo/`,
  };
}

/**
 * No image registry runs in this section, so base images cannot be read: npm installs get the Node and npm they
 * would get from `node:20` by hand (the config's fallback), or they would all be left unresolved.
 */
const RUNTIME_CONFIG = 'rules:\n  npm-pin: { node-version: "20.18.0", npm-version: "10.8.2" }\n';

/** `dockrepro fix` of this section's rules (exit 1: findings left, e.g. gem lookups, requirements files). */
const fix = (root, cwd, files, env) => runFix(root, { rules: RULES, cwd, files, env });

/**
 * Package findings per ecosystem (the fix requests the fixers get) and the packages they name (pip names
 * normalized as PEP 503 does), from `dockrepro lint --format json`.
 */
function packageFindings(root, files, cwd) {
  const r = spawnSync(process.execPath, [dockreproBin(root), 'lint', '--format', 'json', '--rules', RULES, ...files], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`dockrepro lint failed (${r.status}): ${r.stderr}`);
  const out = Object.fromEntries(ECOSYSTEMS.map((e) => [e, { findings: 0, packages: new Set() }]));
  for (const f of JSON.parse(r.stdout).files) {
    for (const finding of f.findings) {
      const eco = ECOSYSTEMS.find((e) => KIND[e] === finding.fix?.kind);
      if (!eco) continue;
      out[eco].findings++;
      const name = String(finding.fix.package ?? finding.fix.module ?? finding.fix.crate ?? '?');
      out[eco].packages.add(eco === 'pip' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name);
    }
  }
  return out;
}

/**
 * Requests one key needs at most by the protocol: pip one project page, npm one packument, cargo one index
 * file; go one `@v/list` per path prefix longer than the module (404s, as the go command asks them), the
 * module's list and the latest version's `.mod` (a revision: its `.info` instead of list and .mod).
 */
function protocolNeed(ecosystem, key) {
  if (ecosystem !== 'go') return 1;
  const m = /^go:(\S+)@(\S+) /.exec(key);
  if (!m) return 3;
  const path = m[1];
  const longer = path.split('/').length - goModuleDepth(path);
  return Math.max(0, longer) + (/^(latest|v\d+(\.\d+)?)$/.test(m[2]) ? 2 : 1);
}

/**
 * One package under several constraints (or several packages of one Go module): each its own key and lookup,
 * but one document of the index serves them all (pip's project page, npm's packument, the module's list and
 * .mod, the crate's index file), so no path should be asked twice.
 */
const SHARED_DOCUMENTS = {
  go: 'FROM golang:1.22\nRUN go install golang.org/x/tools/cmd/cover@latest && go install golang.org/x/tools/cmd/goimports@latest && go install golang.org/x/tools/cmd/stringer@v1\n',
  npm: 'FROM node:20\nRUN npm install -g typescript@^1 typescript@latest && npm install -g typescript@~1.1\n',
  cargo: 'FROM rust:1.79\nRUN cargo install --locked ripgrep@^1 && cargo install --locked ripgrep\n',
  pip: 'FROM python:3.12-slim\nRUN pip install --no-cache-dir "flask<2"\nRUN pip install --no-cache-dir flask\nRUN pip install --no-cache-dir "flask>=1,<2"\n',
};

/** A cold fix of SHARED_DOCUMENTS in a project of its own: requests and repeated paths per ecosystem. */
async function sharedDocuments(root, dir, env, index) {
  mkdirSync(join(dir, '.git'), { recursive: true });
  writeFileSync(join(dir, '.dockrepro.yaml'), RUNTIME_CONFIG);
  const file = join(dir, 'Dockerfile');
  writeFileSync(file, Object.values(SHARED_DOCUMENTS).join(''));
  const run = await fix(root, dir, [file], env);
  const seen = index.log.splice(0);
  const keys = Object.keys(JSON.parse(readFileSync(join(dir, 'dockrepro.lock.json'), 'utf8')).packages ?? {});
  const results = [];
  const parts = [];
  let repeatedAll = [];
  for (const eco of Object.keys(SHARED_DOCUMENTS)) {
    const reqs = seen.filter((e) => e.ecosystem === eco);
    const repeated = [...countBy(reqs, (e) => `${e.method} ${e.path}`)].filter(([, n]) => n > 1);
    const ecoKeys = keys.filter((k) => k.startsWith(KEY_PREFIX[eco])).length;
    parts.push(`${eco} ${ecoKeys} keys, ${reqs.length} requests, ${repeated.length} paths repeated`);
    repeatedAll = repeatedAll.concat(repeated);
    results.push(repeated.length === 0 && ecoKeys > 0);
  }
  const ok = results.every(Boolean);
  console.log(`  one package, several constraints (one document serves every key): ${parts.join('; ')} (target: 0 repeated, every key locked) ${ok ? 'OK' : 'OVER'}`);
  if (repeatedAll.length > 0) console.log(`    repeated: ${repeatedAll.map(([p, n]) => `${n}x ${p}`).join(', ')}`);
  if (run.status !== 0) console.log(`    ${run.summary}`);
  return results;
}

/**
 * The packages section. Returns the list of pass/fail results to add to the bench's; a missing corpus is
 * reported loudly and skipped (a failure under CI=true, where a skip would hide that nothing was measured).
 */
async function packagesBench({ root, corpus }) {
  const section = { name: 'packages', what: 'packages section of the bench (dockrepro fix of RUN packages)', corpus };
  // Undone last to first: server, temp folder; Ctrl-C still stops the server and removes the temp folder.
  return runSection(section, async ({ tmp, files: corpusFiles, defer }) => {
    const results = [];
    const t0 = process.hrtime.bigint();
    const index = await startIndex(LATENCY_MS);
    defer(index.close);

    // The project: a .git folder (the lock goes beside it), the corpus files and the extra files.
    const work = join(tmp, 'project');
    const filesDir = join(work, 'files');
    const populate = () => {
      copyCorpus(corpus, filesDir);
      for (const [name, text] of Object.entries(EXTRA_FILES)) writeFileSync(join(filesDir, name), text);
    };
    mkdirSync(join(work, '.git'), { recursive: true });
    writeFileSync(join(work, '.dockrepro.yaml'), RUNTIME_CONFIG);
    populate();
    const files = [...corpusFiles, ...Object.keys(EXTRA_FILES)];
    const paths = files.map((f) => join(filesDir, f));
    const env = fixEnv(join(tmp, 'home'), index.url);
    const findings = packageFindings(root, paths, work);
    const corpusFindings = packageFindings(root, corpusFiles.map((f) => join(filesDir, f)), work);
    console.log(
      `packages bench: ${corpusFiles.length} corpus files + ${Object.keys(EXTRA_FILES).length} written here (${Object.keys(EXTRA_FILES).join(', ')}); ` +
        `package findings ${ECOSYSTEMS.map((e) => `${e} ${findings[e].findings}`).join(', ')} (corpus alone: ${ECOSYSTEMS.map((e) => `${e} ${corpusFindings[e].findings}`).join(', ')}); ` +
        `one fixture index for pip, npm, go, cargo at ${index.url}, +${LATENCY_MS} ms per request`,
    );

    // Cold: no lock yet.
    const original = readAll(filesDir, files);
    const cold = await fix(root, work, paths, env);
    const seen = index.log.splice(0);
    const peak = index.peak;
    const coldOut = readAll(filesDir, files);
    let lock;
    try {
      lock = JSON.parse(readFileSync(join(work, 'dockrepro.lock.json'), 'utf8'));
    } catch (e) {
      throw new Error(`the cold fix wrote no readable lock beside .git: ${e.message}\n${cold.stdout.slice(-2000)}`);
    }
    const keys = Object.keys(lock.packages ?? {});
    const changed = files.filter((f) => !coldOut.get(f).equals(original.get(f))).length;
    const average = seen.reduce((n, e) => n + e.ms, 0) / cold.ms;
    console.log(
      `  cold fix: ${cold.ms.toFixed(0)} ms wall, ${seen.length} requests (at most ${peak}, on average ${average.toFixed(1)} open at once; ` +
        `${seen.length} x ${LATENCY_MS} ms one by one would be >= ${seen.length * LATENCY_MS} ms); ${changed} of ${files.length} files changed, exit ${cold.status}`,
    );
    console.log(`    ${cold.summary}`);

    // Per ecosystem: requests vs unique lock keys vs findings.
    let measured = 0;
    for (const eco of ECOSYSTEMS) {
      const ecoKeys = keys.filter((k) => k.startsWith(KEY_PREFIX[eco]));
      const ours = ecoKeys.filter((k) => k.includes(index.url));
      const reqs = seen.filter((e) => e.ecosystem === eco);
      const notOk = reqs.filter((e) => e.status !== 200);
      const repeated = [...countBy(reqs, (e) => `${e.method} ${e.path}`)].filter(([, n]) => n > 1);
      const need = ours.reduce((n, k) => n + protocolNeed(eco, k), 0);
      const elsewhere = ecoKeys.length - ours.length;
      const { findings: n, packages } = findings[eco];
      const dedup = `${n} findings of ${packages.size} packages -> ${ecoKeys.length} lookups (unique keys in the lock)${elsewhere ? `, ${elsewhere} of them on indexes the Dockerfiles name` : ''}`;
      if (eco === 'gem') {
        console.log(`  gem: NOT MEASURED (no variable points gem at another source; its lookups go to rubygems.org): ${dedup}`);
        continue;
      }
      if (ours.length === 0) {
        console.log(`  ${eco}: ${dedup}; no key resolved on the fixture index: FAILED (nothing measured)`);
        results.push(false);
        continue;
      }
      measured++;
      const ok = reqs.length <= need && repeated.length === 0;
      const perKey = reqs.length / ours.length;
      console.log(
        `  ${eco}: ${dedup}; ${reqs.length} requests for ${ours.length} keys on the fixture = ${perKey.toFixed(2)} per key ` +
          `(target <= ${need} = protocol need${eco === 'go' ? ', 404s of longer path prefixes included' : ', 1 per key'}), ` +
          `${repeated.length} paths requested twice (target 0), ${notOk.length} not 200${eco === 'go' && notOk.length ? ' (prefixes that are not modules)' : ''} ${ok ? 'OK' : 'OVER'}`,
      );
      if (repeated.length > 0) console.log(`    repeated: ${repeated.slice(0, 5).map(([p, n]) => `${n}x ${p}`).join(', ')}`);
      results.push(ok);
    }
    // The Python version is part of the key: one project page, a different pin on each Python.
    const pythonText = coldOut.get('bench-python.Dockerfile').toString('utf8');
    const pythonOk = pythonText === PYTHON_PINS;
    console.log(`  pins by Python version (flask on 2.7, 3.7, 3.12 -> 0.2.0, 1.2.0, 20.2.0 from one project page): ${pythonOk ? 'OK' : `FAILED, got:\n${pythonText}`}`);
    results.push(pythonOk);
    const stray = seen.filter((e) => e.ecosystem === 'other');
    if (stray.length > 0) console.log(`  ${stray.length} requests the fixture does not serve: ${stray.slice(0, 5).map((e) => `${e.method} ${e.path}`).join(', ')}`);
    if (measured === 0 || changed === 0) {
      console.log('  FAILED: the cold fix measured no ecosystem or changed no file');
      results.push(false);
    }

    // Warm: the original files again, with the lock the cold run left and the same environment.
    populate();
    const warm = await fix(root, work, paths, env);
    const warmRequests = index.log.splice(0);
    results.push(reportWarm({ cold, warm, requests: warmRequests, files, coldOut, warmOut: readAll(filesDir, files), describe: (e) => `${e.method} ${e.path}` }));

    results.push(...(await sharedDocuments(root, join(tmp, 'shared-documents'), env, index)));
    console.log(`  packages section took ${(elapsed(t0) / 1000).toFixed(1)} s`);
    return results;
  });
}

module.exports = { packagesBench, startIndex };

// `node bench/packages.js`: this section alone (after `npm run build`).
if (require.main === module) runAlone(packagesBench);
