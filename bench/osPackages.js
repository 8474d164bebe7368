/**
 * OS packages section of `npm run bench`: `dockrepro fix --unsafe` of a generated set of Dockerfiles (Debian 12
 * on amd64 and arm64, Debian 11, Ubuntu 22.04, Alpine 3.20, AlmaLinux 9; several stages per file sharing base
 * images; apt, apk and dnf installs, git clones, ADD URLs, curl | sh, curl -o then tar) against real fixtures on
 * 127.0.0.1, built by the tests' own builders (test/helpers, loaded by bench/testHelpers.js): base images with
 * real os-release and apt/apk/dnf sources in a docker-registry (behind the registry section's proxy, 50 ms per
 * request), a Debian-format archive (dpkg-deb, apt-ftparchive, gpg) in the snapshot layout, Alpine APKINDEX
 * files, rpm-md repositories (rpmbuild, createrepo_c), git repositories (git http-backend) and a file server,
 * all reached through `archives:` and `registries:` in the project's .dockrepro.yaml.
 *   cold: index downloads per key: apt per (archive, suite, component, arch) and its Release per (archive,
 *         suite), apk per (repository, arch), rpm repomd.xml and primary per repository, git refs per
 *         repository, downloads per URL. Target: exactly 1 for every key the Dockerfiles need, none other.
 *   warm: a fresh copy of the set with the lock the cold fix wrote. Target: 0 requests to any server,
 *         byte-identical output, same exit code.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');
const { countBy, elapsed, isolatedEnv, readAll, reportWarm, runAlone, runFix, runSection, dockreproBin } = require('./common');
const { startRegistry, startProxy, hostFolder } = require('./registry');
const { testHelper } = require('./testHelpers');

const LATENCY_MS = 50;
const FILE_COUNT = 40;
const RULES = 'apt-pin,apk-pin,dnf-pin,git-clone-pin,add-checksum,curl-pipe-shell,unverified-download';
/** The one date the Debian and Ubuntu archives hold: every snapshot chosen today reads it. */
const SNAPSHOT = '20240301T000000Z';

// ---- the fixtures: what each distribution's archive holds ----

const DEB_NAMES = ['hello', 'curl', 'ca-certificates', 'git', 'make', 'gcc', 'jq', 'unzip', 'xz-utils', 'procps', 'tzdata', 'less'];
const debs = (names, version) => names.map((name, i) => ({ name, version: version(i) }));
const DEB_DISTRIBUTIONS = [
  {
    archive: 'debian',
    snapshots: {
      [SNAPSHOT]: {
        bookworm: { main: debs(DEB_NAMES, (i) => `${i + 1}.2-1`) },
        // Newer builds of two packages in the updates suite: apt takes the highest across the image's suites.
        'bookworm-updates': { main: debs(['curl', 'tzdata'], (i) => `${[2, 11][i]}.2-1+deb12u1`) },
        bullseye: { main: debs(DEB_NAMES, (i) => `${i + 1}.1-1`) },
      },
    },
  },
  {
    archive: 'ubuntu',
    snapshots: {
      [SNAPSHOT]: {
        jammy: { main: debs(DEB_NAMES, (i) => `${i + 1}.0-1ubuntu1`) },
        'jammy-updates': { main: debs(['curl', 'ca-certificates'], (i) => `${i + 2}.0-1ubuntu1.1`) },
      },
    },
    architectures: ['amd64'],
  },
];

const APK_CDN = 'https://dl-cdn.alpinelinux.org/alpine';
const APK_MAIN = ['curl', 'busybox', 'ca-certificates', 'libssl3', 'tzdata', 'make', 'gcc', 'musl-dev'];
const APK_COMMUNITY = ['git', 'jq', 'bash', 'py3-pip'];
const APK_NAMES = [...APK_MAIN, ...APK_COMMUNITY];
const apkEntries = (names, arch) => names.map((name, i) => ({ name, version: `${i + 1}.${i % 3}.4-r${i % 2}`, arch }));
const APK_INDEXES = {
  'v3.20/main x86_64': apkEntries(APK_MAIN, 'x86_64'),
  'v3.20/community x86_64': apkEntries(APK_COMMUNITY, 'x86_64'),
};

const ALMA = 'https://repo.almalinux.org/almalinux';
const RPM_BASEOS = ['curl', 'git', 'make', 'gcc', 'tar', 'gzip', 'which'];
const RPM_APPSTREAM = ['jq', 'python3-pip', 'unzip'];
const RPM_NAMES = [...RPM_BASEOS, ...RPM_APPSTREAM];
const rpms = (names, arch) => names.map((name, i) => ({ name, version: `${i + 1}.${i % 4}`, release: `${(i % 3) + 1}.el9`, arch }));
const RPM_REPOS = {
  'alma/9/BaseOS/x86_64/os': rpms(RPM_BASEOS, 'x86_64'),
  // AppStream also carries a newer curl: dnf takes the newest across enabled repositories.
  'alma/9/AppStream/x86_64/os': [...rpms(RPM_APPSTREAM, 'noarch'), { name: 'curl', version: '7.9', release: '1.el9', arch: 'x86_64' }],
};

const GIT_REPOS = ['tool0', 'tool1', 'tool2'];
const DOWNLOADS = ['/files/tool-0.tgz', '/files/tool-1.tgz', '/files/tool-2.tgz', '/files/tool-3.tgz', '/install.sh'];

/**
 * The base images, as a Dockerfile names them (Docker Hub, through the registry proxy), with the files the
 * fixers read. `apt`: the index keys one stage on the image needs, `archive suite component arch`.
 */
const DEBIAN12_SOURCES = 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n';
const IMAGES = {
  debian12: {
    repo: 'library/debian', tag: '12', family: 'apt',
    files: {
      '/etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n',
      '/etc/apt/sources.list.d/debian.sources': DEBIAN12_SOURCES,
    },
    dirs: ['/etc/apt/sources.list.d'],
    platforms: ['linux/amd64', 'linux/arm64/v8'],
    suites: ['debian bookworm', 'debian bookworm-updates'],
  },
  debian11: {
    repo: 'library/debian', tag: '11', family: 'apt',
    files: {
      '/etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nVERSION_ID="11"\nVERSION_CODENAME=bullseye\nID=debian\n',
      '/etc/apt/sources.list': 'deb http://deb.debian.org/debian bullseye main\n',
    },
    dirs: ['/etc/apt/sources.list.d'],
    suites: ['debian bullseye'],
  },
  ubuntu: {
    repo: 'library/ubuntu', tag: '22.04', family: 'apt',
    files: {
      '/etc/os-release': 'NAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\nUBUNTU_CODENAME=jammy\n',
      '/etc/apt/sources.list': 'deb http://archive.ubuntu.com/ubuntu/ jammy main\ndeb http://archive.ubuntu.com/ubuntu/ jammy-updates main\n',
      // snapshot.ubuntu.com is https: apt in the image needs CA certificates.
      '/etc/ssl/certs/ca-certificates.crt': 'certs\n',
    },
    dirs: ['/etc/apt/sources.list.d'],
    suites: ['ubuntu jammy', 'ubuntu jammy-updates'],
  },
  alpine: {
    repo: 'library/alpine', tag: '3.20', family: 'apk',
    files: {
      '/etc/os-release': 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n',
      '/etc/alpine-release': '3.20.3\n',
      '/etc/apk/repositories': `${APK_CDN}/v3.20/main\n${APK_CDN}/v3.20/community\n`,
      '/etc/apk/arch': 'x86_64\n',
      '/lib/apk/db/installed': 'C:Q1abc=\nP:busybox\nV:1.36.1-r29\nA:x86_64\no:busybox\n\nC:Q1def=\nP:musl\nV:1.2.5-r0\nA:x86_64\no:musl\n\n',
    },
  },
  alma: {
    repo: 'library/almalinux', tag: '9', family: 'dnf',
    files: {
      '/etc/os-release': 'NAME="AlmaLinux"\nVERSION="9.4 (Seafoam Ocelot)"\nID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\nPLATFORM_ID="platform:el9"\n',
      '/etc/yum.repos.d/almalinux.repo': [
        '[baseos]', 'name=AlmaLinux $releasever - BaseOS', `baseurl=${ALMA}/$releasever/BaseOS/$basearch/os/`, 'enabled=1', 'gpgcheck=1', '',
        '[appstream]', 'name=AlmaLinux $releasever - AppStream', `baseurl=${ALMA}/$releasever/AppStream/$basearch/os/`, 'enabled=1', '',
        '[crb]', 'name=AlmaLinux $releasever - CRB', `baseurl=${ALMA}/$releasever/CRB/$basearch/os/`, 'enabled=0', '',
      ].join('\n'),
      '/etc/dnf/dnf.conf': '[main]\ngpgcheck=1\nbest=True\n',
    },
  },
};

/** The kinds of stage the generator draws from: an image, and the platform a `FROM --platform` asks for. */
const STAGE_KINDS = [
  { image: 'debian12', arch: 'amd64' },
  { image: 'alpine', arch: 'x86_64' },
  { image: 'ubuntu', arch: 'amd64' },
  { image: 'alma', arch: 'x86_64' },
  { image: 'debian11', arch: 'amd64' },
  { image: 'debian12', arch: 'arm64', platform: 'linux/arm64' },
];

// ---- the Dockerfiles ----

const pick = (names, seed, n) => [...new Set(Array.from({ length: n }, (_, k) => names[(seed + k * 5) % names.length]))];

function installRun(family, pkgs) {
  if (family === 'apt') return `RUN apt-get update \\\n && apt-get install -y --no-install-recommends ${pkgs.join(' ')} \\\n && rm -rf /var/lib/apt/lists/*`;
  if (family === 'apk') return `RUN apk add --no-cache ${pkgs.join(' ')}`;
  return `RUN dnf -y install ${pkgs.join(' ')} && dnf clean all`;
}

/**
 * FILE_COUNT Dockerfiles of 2 to 4 stages each, drawn deterministically from STAGE_KINDS (so files share base
 * images and stages of one file often do too), each stage installing 2 to 4 packages; some files also clone
 * a repository, ADD a URL, pipe a script into sh or download and unpack an archive. `needs` collects what the
 * fix has to read: apt index keys, apk indexes, rpm repositories, git repositories, download paths.
 */
function generate(downloadsUrl) {
  const files = {};
  const needs = { apt: new Set(), aptRelease: new Set(), apk: new Set(), rpm: new Set(Object.keys(RPM_REPOS)), git: new Set(), downloads: new Set() };
  let stages = 0;
  let rpmUsed = false;
  for (let i = 0; i < FILE_COUNT; i++) {
    const lines = [];
    const count = 2 + (i % 3);
    for (let s = 0; s < count; s++) {
      const kind = STAGE_KINDS[(i * 5 + s * 2) % STAGE_KINDS.length];
      const image = IMAGES[kind.image];
      const last = s === count - 1;
      lines.push(`FROM ${kind.platform ? `--platform=${kind.platform} ` : ''}${image.repo.replace(/^library\//, '')}:${image.tag}${last ? '' : ` AS stage${s}`}`);
      const names = image.family === 'apt' ? DEB_NAMES : image.family === 'apk' ? APK_NAMES : RPM_NAMES;
      lines.push(installRun(image.family, pick(names, i * 3 + s, 2 + ((i + s) % 3))));
      stages++;
      if (image.family === 'apt') {
        for (const suite of image.suites) {
          needs.aptRelease.add(suite);
          needs.apt.add(`${suite} main ${kind.arch}`);
        }
      } else if (image.family === 'apk') {
        for (const repo of ['v3.20/main', 'v3.20/community']) needs.apk.add(`${repo} ${kind.arch}`);
      } else rpmUsed = true;
      if (s === 0 && i % 8 === 0) {
        const repo = GIT_REPOS[(i / 8) % GIT_REPOS.length];
        lines.push(`RUN git clone --depth 1 --branch ${i % 16 === 0 ? 'main' : 'v1.0'} https://github.com/bench/${repo}.git /src/${repo}`);
        needs.git.add(repo);
      }
      if (s === 1 && i % 5 === 1) {
        const path = DOWNLOADS[i % 4];
        lines.push(`ADD ${downloadsUrl}${path} /opt/`);
        needs.downloads.add(path);
      }
      if (last && i % 10 === 3) {
        lines.push(`RUN curl -fsSL ${downloadsUrl}/install.sh | sh`);
        needs.downloads.add('/install.sh');
      }
      if (last && i % 10 === 7) {
        const path = DOWNLOADS[(i + 1) % 4];
        lines.push(`RUN curl -fsSLo /tmp/tool.tgz ${downloadsUrl}${path} && tar -xzf /tmp/tool.tgz -C /opt`);
        needs.downloads.add(path);
      }
      if (last && s > 0) lines.push('COPY --from=stage0 /etc/os-release /stage0-os-release');
    }
    files[`bench-${String(i).padStart(2, '0')}.Dockerfile`] = `${lines.join('\n')}\n`;
  }
  if (!rpmUsed) needs.rpm.clear();
  return { files, needs, stages };
}

// ---- request logs → index downloads per key ----

const DEB_ARCHIVE_PATH = /^\/(?:snapshot\.debian\.org\/archive\/(debian)\/\d{8}T\d{6}Z|deb\.debian\.org\/(debian)|snapshot\.ubuntu\.com\/(ubuntu)\/\d{8}T\d{6}Z|archive\.ubuntu\.com\/(ubuntu))\/dists\/(.*)$/;

/** Each apt request as an index key: `archive suite` for a Release file, `archive suite component arch` for Packages. */
function aptKey(path) {
  const m = DEB_ARCHIVE_PATH.exec(path);
  if (!m) return { kind: 'other' };
  const archive = m[1] ?? m[2] ?? m[3] ?? m[4];
  let k;
  if ((k = /^([^/]+)\/(InRelease|Release|Release\.gpg)$/.exec(m[5]))) return { kind: 'release', key: `${archive} ${k[1]}` };
  if ((k = /^([^/]+)\/([^/]+)\/binary-([^/]+)\/Packages(?:\.gz|\.xz)?$/.exec(m[5]))) return { kind: 'packages', key: `${archive} ${k[1]} ${k[2]} ${k[3]}` };
  return { kind: 'other' };
}

function apkKey(path) {
  const m = /^\/alpine\/(.+)\/([^/]+)\/APKINDEX\.tar\.gz$/.exec(path);
  return m ? `${m[1]} ${m[2]}` : undefined;
}

function rpmKey(path) {
  const m = /^\/(.+)\/repodata\/([^/]+)$/.exec(path);
  if (!m) return undefined;
  if (m[2] === 'repomd.xml') return { repo: m[1], file: 'repomd' };
  if (/-primary\.xml(\.[a-z]+)?$/.test(m[2])) return { repo: m[1], file: 'primary' };
  return { repo: m[1], file: m[2] };
}

const gitKey = (path) => /^\/([^/?]+)\.git\/info\/refs(\?|$)/.exec(path)?.[1];

/**
 * One line per index type: downloads per key against the keys the Dockerfiles need (every one exactly once,
 * no other key); returns whether it met the target.
 */
function reportKeys(label, keyWords, needed, keys, extra = []) {
  const counts = countBy(keys, (k) => k);
  const wrong = [...needed].filter((k) => counts.get(k) !== 1);
  const unexpected = [...counts.keys()].filter((k) => !needed.has(k));
  const values = [...counts.values()];
  const ok = needed.size > 0 && wrong.length === 0 && unexpected.length === 0 && extra.length === 0;
  console.log(
    `  ${label}: ${keys.length} downloads for ${needed.size} ${keyWords} = ${(keys.length / Math.max(1, needed.size)).toFixed(2)} per key ` +
      `(min ${values.length ? Math.min(...values) : 0}, max ${values.length ? Math.max(...values) : 0}; target exactly 1 for each key needed, none other) ${ok ? 'OK' : 'OVER'}`,
  );
  if (wrong.length > 0) console.log(`    not once: ${wrong.slice(0, 6).map((k) => `${k} x${counts.get(k) ?? 0}`).join(', ')}`);
  if (unexpected.length > 0) console.log(`    not needed: ${unexpected.slice(0, 6).join(', ')}`);
  if (extra.length > 0) console.log(`    other requests: ${extra.slice(0, 6).join(', ')}`);
  return ok;
}

/** Findings per rule in `paths`, from `dockrepro lint --format json`. */
function findingsByRule(root, paths, cwd) {
  const r = spawnSync(process.execPath, [dockreproBin(root), 'lint', '--format', 'json', '--rules', RULES, ...paths], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`dockrepro lint failed (${r.status}): ${r.stderr}`);
  const out = new Map(RULES.split(',').map((id) => [id, 0]));
  for (const f of JSON.parse(r.stdout).files) for (const finding of f.findings) out.set(finding.rule, (out.get(finding.rule) ?? 0) + 1);
  return out;
}

/** Every file under `dir` as a download-server route `${prefix}/<relative path>`. */
function routesOf(dir, prefix) {
  const routes = {};
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) routes[`${prefix}/${relative(dir, join(e.parentPath, e.name))}`] = { file: readFileSync(join(e.parentPath, e.name)) };
  }
  return routes;
}

function toolsMissing() {
  const missing = ['docker-registry', 'dpkg-deb', 'apt-ftparchive', 'gpg', 'rpmbuild', 'createrepo_c', 'git'].filter(
    (t) => spawnSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' }).status !== 0,
  );
  return missing.length ? `${missing.join(', ')} not installed (run scripts/ensure-test-tools.sh as root)` : undefined;
}

/**
 * Starts the fixtures (each stopped by a clean-up given to `defer`): the registry with the base images behind
 * the proxy, the Debian-format archives, the Alpine and rpm repositories, the git server and the file server.
 */
async function startFixtures(tmp, defer) {
  const { startDebArchives } = testHelper('debArchive');
  const { apkIndexArchive, startApkServer } = testHelper('apkRepository');
  const { buildRpmRepos } = testHelper('rpmTools');
  const { startGitServer } = testHelper('gitServer');
  const { startDownloadServer } = testHelper('downloadServer');
  const { pushFixtureImage } = testHelper('imageFixtures');

  // Base images in a registry behind the proxy, in Docker Hub's folder (docker.io/library/debian, …).
  mkdirSync(join(tmp, 'registry'));
  const registry = await startRegistry(join(tmp, 'registry'));
  defer(registry.stop);
  for (const image of Object.values(IMAGES)) {
    const layers = [{ files: image.files, dirs: image.dirs }];
    await pushFixtureImage(registry, `${hostFolder('docker.io')}/${image.repo}`, {
      platforms: (image.platforms ?? ['linux/amd64']).map((platform) => ({ platform, layers })),
      tags: [image.tag],
    });
  }
  const proxy = await startProxy(registry.port, ['docker.io'], LATENCY_MS);
  defer(proxy.close);

  // The archives, the repositories and the files.
  const deb = await startDebArchives(DEB_DISTRIBUTIONS);
  defer(deb.close);
  const apk = await startApkServer(Object.fromEntries(Object.entries(APK_INDEXES).map(([key, entries]) => {
    const [repo, arch] = key.split(' ');
    return [`/alpine/${repo}/${arch}/APKINDEX.tar.gz`, apkIndexArchive(entries)];
  })));
  defer(apk.close);
  buildRpmRepos(join(tmp, 'rpm'), RPM_REPOS);
  const rpm = await startDownloadServer(routesOf(join(tmp, 'rpm', 'alma'), '/alma'));
  defer(rpm.close);
  const git = await startGitServer();
  defer(git.close);
  for (const repo of GIT_REPOS) {
    git.create(repo);
    git.tag(repo, 'v1.0');
    git.commit(repo);
  }
  const downloads = await startDownloadServer(Object.fromEntries(DOWNLOADS.map((p) => [p, { file: p.endsWith('.sh') ? 'echo installed\n' : `archive ${p}\n`.repeat(1000) }])));
  defer(downloads.close);
  return { proxy, deb, apk, rpm, git, downloads };
}

/**
 * The OS packages section. Returns the list of pass/fail results to add to the bench's; missing tools are
 * reported loudly and skipped (a failure under CI=true). The corpus is not used: the Dockerfiles are generated.
 */
async function osPackagesBench({ root }) {
  const section = { name: 'os-packages', what: 'OS packages section of the bench (dockrepro fix of apt, apk, dnf, git, downloads)', corpus: undefined, missing: toolsMissing };
  // Undone last to first: servers, registry, temp folder; Ctrl-C still stops them and removes the temp folder.
  return runSection(section, async ({ tmp, defer }) => {
    const t0 = process.hrtime.bigint();
    // The fixture builders make temp folders of their own (archives, .deb work folders, git repositories):
    // inside this section's, so they go with it.
    const savedTmpdir = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    let fixtures;
    try {
      fixtures = await startFixtures(tmp, defer);
    } finally {
      if (savedTmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmpdir;
    }
    const { proxy, deb, apk, rpm, git, downloads } = fixtures;
    const logs = [deb.requests, apk.requests, rpm.requests, git.requests, downloads.requests, proxy.log];
    const clearLogs = () => logs.forEach((l) => l.splice(0));

    // The project: the generated files, and the config sending every registry and archive to the fixtures.
    const { files, needs, stages } = generate(downloads.url);
    const names = Object.keys(files).sort();
    const work = join(tmp, 'project');
    const filesDir = join(work, 'files');
    const populate = () => {
      rmSync(filesDir, { recursive: true, force: true });
      mkdirSync(filesDir, { recursive: true });
      for (const [name, text] of Object.entries(files)) writeFileSync(join(filesDir, name), text);
    };
    populate();
    const archives = {
      ...testHelper('debArchive').mirrorsFor(deb),
      [APK_CDN]: `${apk.url}/alpine`,
      [ALMA]: `${rpm.url}/alma`,
      'https://github.com/bench': git.url,
    };
    writeFileSync(
      join(work, '.dockrepro.yaml'),
      `registries:\n  docker.io: { mirror: "127.0.0.1:${proxy.ports.get('docker.io')}" }\n` +
        `archives:\n${Object.entries(archives).map(([k, v]) => `  ${k}: ${v}\n`).join('')}` +
        'apt: { strategy: snapshot }\n',
    );
    const paths = names.map((f) => join(filesDir, f));
    const env = isolatedEnv(join(tmp, 'home'));
    const fix = () => runFix(root, { rules: RULES, args: ['--unsafe'], cwd: work, files: paths, env });
    const before = findingsByRule(root, paths, work);
    clearLogs();
    console.log(
      `os packages bench: ${names.length} generated files, ${stages} stages on ${Object.keys(IMAGES).length} images (Debian 12 amd64+arm64, Debian 11, Ubuntu 22.04, Alpine 3.20, AlmaLinux 9); ` +
        `findings ${[...before].map(([r, n]) => `${r} ${n}`).join(', ')}; fixtures built in ${(elapsed(t0) / 1000).toFixed(1)} s; registry +${LATENCY_MS} ms per request`,
    );

    // Cold: no lock yet.
    const cold = await fix();
    const coldOut = readAll(filesDir, names);
    const changed = names.filter((f) => coldOut.get(f).toString('utf8') !== files[f]).length;
    const after = findingsByRule(root, paths, work);
    console.log(`  cold fix --unsafe: ${cold.ms.toFixed(0)} ms, ${changed} of ${names.length} files changed, exit ${cold.status}; ${cold.summary}`);
    const results = [];

    const apt = deb.requests.map(aptKey);
    results.push(reportKeys('apt Packages', '(archive, suite, component, arch) keys', needs.apt, apt.filter((a) => a.kind === 'packages').map((a) => a.key),
      deb.requests.filter((_, i) => apt[i].kind === 'other')));
    results.push(reportKeys('apt InRelease/Release', '(archive, suite) keys', needs.aptRelease, apt.filter((a) => a.kind === 'release').map((a) => a.key)));
    results.push(reportKeys('apk APKINDEX', '(repository, arch) keys', needs.apk, apk.requests.map(apkKey).filter(Boolean), apk.requests.filter((p) => !apkKey(p))));
    const rpmFiles = rpm.requests.map((r) => rpmKey(r.path));
    const rpmOther = rpm.requests.filter((_, i) => !rpmFiles[i] || !['repomd', 'primary'].includes(rpmFiles[i].file)).map((r) => r.path);
    results.push(reportKeys('rpm repomd.xml', 'repositories', needs.rpm, rpmFiles.filter((k) => k?.file === 'repomd').map((k) => k.repo), rpmOther));
    results.push(reportKeys('rpm primary', 'repositories', needs.rpm, rpmFiles.filter((k) => k?.file === 'primary').map((k) => k.repo)));
    results.push(reportKeys('git refs', 'repositories', needs.git, git.requests.map(gitKey).filter(Boolean), git.requests.filter((p) => !gitKey(p))));
    results.push(reportKeys('downloads', 'URLs', needs.downloads, downloads.requests.map((r) => r.path)));

    // What the fix left: the generated set is meant to be fixable whole.
    const left = [...after].filter(([, n]) => n > 0);
    const fixedAll = left.length === 0 && changed === names.length;
    console.log(`  findings after the cold fix: ${left.length ? left.map(([r, n]) => `${r} ${n}`).join(', ') : 'none'} (target: none left, every file changed) ${fixedAll ? 'OK' : 'FAILED'}`);
    if (!fixedAll) console.log(`    ${cold.stdout.split('\n').filter((l) => /left|unsafe|:\d+/.test(l)).slice(0, 8).join('\n    ')}`);
    results.push(fixedAll);

    // Warm: the original files again, with the lock the cold run left, online: no server may be asked anything.
    clearLogs();
    populate();
    const warm = await fix();
    const warmRequests = [
      ...deb.requests.map((p) => `apt ${p}`), ...apk.requests.map((p) => `apk ${p}`), ...rpm.requests.map((r) => `rpm ${r.path}`),
      ...git.requests.map((p) => `git ${p}`), ...downloads.requests.map((r) => `download ${r.path}`), ...proxy.log.map((e) => `registry ${e.method} ${e.path}`),
    ];
    results.push(reportWarm({ cold, warm, requests: warmRequests, files: names, coldOut, warmOut: readAll(filesDir, names), describe: (e) => e }));
    console.log(`  os packages section took ${(elapsed(t0) / 1000).toFixed(1)} s`);
    return results;
  });
}

module.exports = { osPackagesBench };

// `node bench/osPackages.js`: this section alone (after `npm run build`).
if (require.main === module) runAlone(osPackagesBench);
