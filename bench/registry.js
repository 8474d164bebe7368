/**
 * Registry section of `npm run bench`: `dockrepro fix` on the whole corpus against a real registry (Debian's
 * docker-registry) behind a proxy that adds 50 ms to every request, like a registry across the internet.
 *   cold: one set of lookups per unique reference, run concurrently         targets: requests <= 3 per unique
 *         reference, one manifest GET per unique reference, wall time <= 0.5x of the same requests made one by one
 *   warm: a second fix with the lock written by the cold one                targets: 0 requests, same bytes
 * The corpus is fixed in a temp copy; the original is never touched. Everything started here is stopped and
 * every temp folder removed, also when a step fails.
 */
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const { join } = require('node:path');
const {
  closeServer, copyCorpus, countBy, elapsed, isolatedEnv, listenLoopback, logRequest, readAll, reportWarm, requestLog, runAlone, runFix, runSection, sleep,
} = require('./common');

const LATENCY_MS = 50;
const RULES = 'image-digest,image-tag';
const TARGET_REQUESTS_PER_REF = 3;
const TARGET_COLD_RATIO = 0.5;

const sha256 = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * The image references `fix` will look up, as the pinner keys them: the parsed reference without a digest and
 * without ARGs of unknown value. `registries` maps each host as the client names it (docker.io for every
 * spelling of Docker Hub) to the repositories and tags wanted there.
 */
function uniqueReferences(root, dir, files) {
  const { parseDockerfile } = require(join(root, 'dist', 'parse', 'dockerfile.js'));
  const { endpointOf } = require(join(root, 'dist', 'resolve', 'endpoint.js'));
  const refs = new Map();
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8').replace(/^\uFEFF/, '');
    for (const site of parseDockerfile(text).imageSites) {
      const ref = site.ref;
      if (!ref || ref.digest || site.unknownVars.length > 0 || site.undeclaredVars.length > 0) continue;
      const tag = ref.tag ?? 'latest';
      const key = `${ref.normalizedName}:${tag}`;
      if (!refs.has(key)) {
        const e = endpointOf(ref);
        refs.set(key, { key, host: e.host, repository: e.repository, tag });
      }
    }
  }
  return [...refs.values()];
}

/**
 * Each registry host gets its own folder in the one test registry (`docker.io/library/python`), so two hosts
 * with the same repository path stay two repositories, as they are on the internet.
 */
const hostFolder = (host) => host.toLowerCase().replace(/[^a-z0-9.]+/g, '-');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** docker-registry on a free loopback port with its own storage (`host`: host:port, as references name it); `stop()` kills it. */
async function startRegistry(dir) {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const cfg = join(dir, `registry-${port}.yml`);
    writeFileSync(
      cfg,
      `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n` +
        `storage:\n  filesystem:\n    rootdirectory: ${join(dir, 'storage')}\n` +
        `http:\n  addr: 127.0.0.1:${port}\n`,
    );
    const child = spawn('docker-registry', ['serve', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      if (stderr.length < 10_000) stderr += d;
    });
    const stop = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        if ((await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) })).status === 200) return { url, host: `127.0.0.1:${port}`, port, stop };
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
    stop();
    // Another process may have taken the port between freePort() and the registry binding it.
    if (attempt >= 2) throw new Error(`docker-registry did not start: ${stderr}`);
  }
}

async function expectStatus(res, status, what) {
  if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
}

async function pushBlob(registry, repo, bytes) {
  const digest = sha256(bytes);
  const start = await fetch(`${registry}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  await expectStatus(start, 202, `start upload to ${repo}`);
  const location = new URL(start.headers.get('location'), registry);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body: bytes });
  await expectStatus(put, 201, `upload ${digest} to ${repo}`);
  return digest;
}

/** One single-platform OCI image per repository and tag, with content of its own (so a digest of its own). */
async function pushImage(registry, repo, tag) {
  const layer = Buffer.from(`layer of ${repo}:${tag}`);
  const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  const [configDigest, layerDigest] = await Promise.all([pushBlob(registry, repo, config), pushBlob(registry, repo, layer)]);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length }],
    }),
  );
  const res = await fetch(`${registry}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  await expectStatus(res, 201, `put manifest ${repo}:${tag}`);
}

async function mapLimit(items, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * A proxy in front of the registry, one loopback port per registry host: waits `latency` ms, then forwards
 * the request into that host's folder of the registry. Logs every request it receives (method, path as the
 * client sent it, Accept, status, time open) and the most requests it had open at once.
 */
async function startProxy(upstreamPort, hosts, latency) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const state = { ...requestLog(), ports: new Map() };
  const servers = [];
  for (const host of hosts) {
    const folder = hostFolder(host);
    const server = http.createServer(async (req, res) => {
      const entry = logRequest(state, { host, method: req.method, path: req.url, accept: req.headers.accept, status: 0, ms: 0 }, res);
      await sleep(latency);
      const path = req.url.startsWith('/v2/') && req.url.length > 4 ? `/v2/${folder}/${req.url.slice(4)}` : req.url;
      const up = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path, headers: req.headers, agent }, (r) => {
        entry.status = r.statusCode;
        const headers = { ...r.headers };
        // Pagination links point into the host's folder; the client must see its own paths.
        if (headers.link) headers.link = headers.link.split(`/v2/${folder}/`).join('/v2/');
        res.writeHead(r.statusCode, headers);
        r.pipe(res);
      });
      up.on('error', (e) => {
        entry.status = 502;
        if (!res.headersSent) res.writeHead(502);
        res.end(String(e));
      });
      req.pipe(up);
    });
    state.ports.set(host, await listenLoopback(server));
    servers.push(server);
  }
  state.close = () => {
    for (const s of servers) closeServer(s);
    agent.destroy();
  };
  return state;
}

function kindOf(e) {
  if (/\/tags\/list(\?|$)/.test(e.path)) return 'tags list';
  if (/\/manifests\//.test(e.path)) return e.method === 'HEAD' ? 'manifest HEAD' : e.method === 'GET' ? 'manifest GET' : `manifest ${e.method}`;
  return `other ${e.method}`;
}

/**
 * The registry section. Returns the list of pass/fail results to add to the bench's; a missing
 * docker-registry or corpus is reported loudly and skipped (a failure under CI=true, where a skip would hide
 * that nothing was measured).
 */
async function registryBench({ root, corpus }) {
  const section = {
    name: 'registry',
    what: 'registry section of the bench (dockrepro fix)',
    corpus,
    missing: () =>
      spawnSync('sh', ['-c', 'command -v docker-registry'], { stdio: 'ignore' }).status !== 0
        ? 'docker-registry is not installed (run scripts/ensure-test-tools.sh as root)'
        : undefined,
  };
  // Undone last to first: proxy, registry, temp folder; Ctrl-C still stops the registry and removes the temp folder.
  return runSection(section, async ({ tmp, files, defer }) => {
    const results = [];
    const t0 = process.hrtime.bigint();
    const refs = uniqueReferences(root, corpus, files);
    const hosts = [...new Set(refs.map((r) => r.host))].sort();
    const repos = new Set(refs.map((r) => `${r.host}/${r.repository}`));

    mkdirSync(join(tmp, 'registry'));
    const registry = await startRegistry(join(tmp, 'registry'));
    defer(registry.stop);
    await mapLimit(refs, 32, (r) => pushImage(registry.url, `${hostFolder(r.host)}/${r.repository}`, r.tag));
    const proxy = await startProxy(registry.port, hosts, LATENCY_MS);
    defer(proxy.close);

    // The project: the corpus files, and beside them the config sending every registry to the proxy; the
    // lock file is written beside the config. HOME points into the temp folder: no real credentials are read.
    const work = join(tmp, 'project');
    const filesDir = join(work, 'files');
    copyCorpus(corpus, filesDir);
    writeFileSync(
      join(work, '.dockrepro.yaml'),
      `registries:\n${hosts.map((h) => `  ${JSON.stringify(h)}: { mirror: "127.0.0.1:${proxy.ports.get(h)}" }\n`).join('')}`,
    );
    const paths = files.map((f) => join(filesDir, f));
    const env = isolatedEnv(join(tmp, 'home'));
    const fix = () => runFix(root, { rules: RULES, cwd: work, files: paths, env });
    console.log(
      `registry bench: ${files.length} files, ${refs.length} unique references in ${repos.size} repositories on ${hosts.length} registries ` +
        `(${hosts.join(', ')}); fixtures pushed in ${(elapsed(t0) / 1000).toFixed(1)} s; +${LATENCY_MS} ms per request`,
    );

    // Cold: no lock yet (exit 1: findings left, e.g. references built from ARGs).
    const cold = await fix();
    const seen = proxy.log.splice(0);
    const peak = proxy.peak;
    const coldOut = readAll(filesDir, files);
    const changed = files.filter((f) => !coldOut.get(f).equals(readFileSync(join(corpus, f)))).length;
    const kinds = countBy(seen, kindOf);
    const failed = seen.filter((e) => e.status !== 200);
    const duplicates = [...countBy(seen, (e) => `${e.host} ${e.method} ${e.path}`).values()].filter((n) => n > 1).length;
    const perRef = seen.length / refs.length;
    const gets = kinds.get('manifest GET') ?? 0;
    // Time spent in requests over the whole run's wall time: how many were open on average.
    const average = seen.reduce((n, e) => n + e.ms, 0) / cold.ms;
    console.log(
      `  cold fix: ${seen.length} requests for ${refs.length} unique references = ${perRef.toFixed(2)} per reference ` +
        `(${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}; ${failed.length} not 200, ${duplicates} repeated; ` +
        `at most ${peak}, on average ${average.toFixed(1)} open at once); ${changed} of ${files.length} files changed, exit ${cold.status}`,
    );
    if (failed.length > 0) console.log(`  not 200: ${failed.slice(0, 5).map((e) => `${e.status} ${e.method} ${e.host}${e.path}`).join(', ')}`);
    const perRefOk = perRef <= TARGET_REQUESTS_PER_REF;
    console.log(`  requests per unique reference: ${perRef.toFixed(2)} (target <= ${TARGET_REQUESTS_PER_REF}) ${perRefOk ? 'OK' : 'OVER'}`);
    const getsOk = gets === refs.length && duplicates === 0;
    console.log(`  manifest GETs: ${gets} for ${refs.length} unique references, ${duplicates} requests repeated (target: 1 per reference, none repeated) ${getsOk ? 'OK' : 'OVER'}`);
    results.push(perRefOk, getsOk);
    if (seen.length === 0 || changed === 0) {
      console.log('  FAILED: the cold fix made no requests or changed no file: nothing was measured');
      results.push(false);
    }

    // The same requests, one after another, through the same proxy: what a fix without concurrency waits.
    const t1 = process.hrtime.bigint();
    for (const e of seen) {
      const res = await fetch(`http://127.0.0.1:${proxy.ports.get(e.host)}${e.path}`, { method: e.method, headers: e.accept ? { Accept: e.accept } : {} });
      await res.arrayBuffer();
      if (res.status !== e.status) throw new Error(`replaying ${e.method} ${e.path}: HTTP ${res.status}, the fix saw ${e.status}`);
    }
    const sequential = elapsed(t1);
    proxy.log.splice(0);
    const ratio = cold.ms / sequential;
    const ratioOk = ratio <= TARGET_COLD_RATIO;
    console.log(
      `  cold fix vs the same ${seen.length} requests one by one: ${cold.ms.toFixed(0)} vs ${sequential.toFixed(0)} ms = ${ratio.toFixed(2)}x ` +
        `(target <= ${TARGET_COLD_RATIO}x) ${ratioOk ? 'OK' : 'OVER'}`,
    );
    results.push(ratioOk);

    // Warm: the original files again, with the lock and config the cold run left.
    copyCorpus(corpus, filesDir);
    const warm = await fix();
    const warmRequests = proxy.log.splice(0);
    results.push(
      reportWarm({ cold, warm, requests: warmRequests, files, coldOut, warmOut: readAll(filesDir, files), describe: (e) => `${e.method} ${e.host}${e.path}` }),
    );
    results.push(...(await baseImageBench(root, registry, defer, tmp)));
    console.log(`  registry section took ${(elapsed(t0) / 1000).toFixed(1)} s`);
    return results;
  });
}

/** A tar of `files` (path → content), built with node-tar's headers. */
function tarOf(files) {
  const { Header } = require('tar');
  const blocks = [];
  for (const [path, content] of Object.entries(files)) {
    const body = Buffer.from(content);
    const head = Buffer.alloc(512);
    new Header({ path, type: 'File', mode: 0o644, size: body.length, mtime: new Date(0), uid: 0, gid: 0 }).encode(head);
    blocks.push(head, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  return Buffer.concat([...blocks, Buffer.alloc(1024)]);
}

/**
 * Base image reading (src/resolve/imageReader.ts), in this process through the dist modules: N Dockerfiles on
 * one base image, each asking its config, /etc/passwd, /etc/login.defs and the /usr/lib listing at once, as
 * the fixers of one run would; the image has three gzip layers (the bottom one ~3 MB of files).
 *   targets: each layer blob and the config blob downloaded once; a second run with the lock: 0 requests
 */
async function baseImageBench(root, registry, defer, tmp) {
  const N = 20;
  const host = 'base.bench';
  const repo = 'bench/debian';
  const { gzipSync } = require('node:zlib');
  const bottomFiles = { 'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\n', 'etc/login.defs': 'UID_MIN 1000\nUID_MAX 60000\n' };
  for (let i = 0; i < 3000; i++) bottomFiles[`usr/lib/x86_64-linux-gnu/lib${i}.so`] = require('node:crypto').randomBytes(512).toString('hex');
  const layers = [bottomFiles, { 'usr/lib/python3.11/os.py': '#\n' }, { 'app/main.py': 'print()\n' }].map((f) => gzipSync(tarOf(f)));
  const folder = `${hostFolder(host)}/${repo}`;
  const layerDigests = await Promise.all(layers.map((l) => pushBlob(registry.url, folder, l)));
  const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', config: { Env: ['PYTHON_VERSION=3.11.9'] }, rootfs: { type: 'layers', diff_ids: [] } }));
  const configDigest = await pushBlob(registry.url, folder, config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: layers.map((l, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigests[i], size: l.length })),
  });
  const put = await fetch(`${registry.url}/v2/${folder}/manifests/12`, { method: 'PUT', headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }, body: manifest });
  await expectStatus(put, 201, 'put base image manifest');
  const proxy = await startProxy(registry.port, [host], LATENCY_MS);
  defer(proxy.close);

  const dist = (m) => require(join(root, 'dist', ...m.split('/')));
  const { parseDockerfile } = dist('parse/dockerfile.js');
  const { RegistryClient } = dist('resolve/registry.js');
  const { ImagePinner } = dist('resolve/images.js');
  const { ImageReader } = dist('resolve/imageReader.js');
  const { Lookups } = dist('resolve/shared.js');
  const { LockFile } = dist('resolve/lock.js');
  const { stageBases } = dist('resolve/stageBases.js');
  const lockPath = join(tmp, 'base.lock.json');
  const text = `FROM 127.0.0.1:${proxy.ports.get(host)}/${repo}:12\nRUN useradd app\n`;
  const query = { files: ['/etc/passwd', '/etc/login.defs'], dirs: ['/usr/lib'] };
  const oneRun = async () => {
    const lock = LockFile.load(lockPath);
    const client = new RegistryClient({});
    const common = { client, lock, offline: false, refresh: false, lookups: new Lookups() };
    const images = new ImagePinner(common);
    const reader = new ImageReader(common);
    const t = process.hrtime.bigint();
    const answers = await Promise.all(
      Array.from({ length: N }, async () => {
        const bases = stageBases(parseDockerfile(text), { images, reader });
        const [c, f] = await Promise.all([bases.config(0), bases.files(0, query)]);
        return JSON.stringify([c.env, [...f.files], [...f.dirs]]);
      }),
    );
    const ms = elapsed(t);
    lock.save();
    return { answers, ms, requests: proxy.log.splice(0) };
  };

  const results = [];
  const cold = await oneRun();
  const blobs = countBy(cold.requests.filter((e) => /\/blobs\//.test(e.path)), (e) => e.path.replace(/^.*\/blobs\//, ''));
  const perBlob = [...layerDigests, configDigest].map((d) => blobs.get(d) ?? 0);
  const once = perBlob.every((n) => n === 1) && blobs.size === perBlob.length;
  console.log(
    `  base image: ${N} Dockerfiles on one image (3 layers, ${(layers[0].length / 1e6).toFixed(1)} MB bottom): ${cold.requests.length} requests in ` +
      `${cold.ms.toFixed(0)} ms; downloads per layer ${perBlob.slice(0, 3).join('/')}, config ${perBlob[3]} (target: 1 each) ${once ? 'OK' : 'OVER'}`,
  );
  const same = new Set(cold.answers).size === 1;
  if (!same) console.log('  FAILED: the Dockerfiles got different answers');
  const warm = await oneRun();
  const warmOk = warm.requests.length === 0 && warm.answers.join() === cold.answers.join();
  console.log(`  base image, warm lock: ${warm.requests.length} requests (target 0), same answers: ${warm.answers.join() === cold.answers.join()} ${warmOk ? 'OK' : 'OVER'}`);
  results.push(once, same, warmOk);
  return results;
}

module.exports = { registryBench, startRegistry, startProxy, hostFolder };

// `node bench/registry.js`: this section alone (after `npm run build`).
if (require.main === module) runAlone(registryBench);
