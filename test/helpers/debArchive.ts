/**
 * Real Debian-format archives for the apt tests, built by Debian's own tools: tiny `.deb` files by
 * `dpkg-deb`, `Packages`/`Release` by `apt-ftparchive` (apt-utils), `InRelease` clearsigned by `gpg` with a
 * throwaway key. Served on 127.0.0.1 in the layout of the real hosts, the host name as the first path part:
 * `/deb.debian.org/debian/…` (the live archive: the newest snapshot) and
 * `/snapshot.debian.org/archive/debian/<YYYYMMDDTHHMMSSZ>/…` (any timestamp answers with the newest snapshot
 * at or before it, as snapshot.debian.org does); the same for `archive.ubuntu.com/ubuntu` and
 * `snapshot.ubuntu.com/ubuntu/<ts>`. The server is also an HTTP proxy for those hosts (`GET http://host/path`),
 * so the real apt-get reaches the public URLs written in sources through `Acquire::http::Proxy`, and dockrepro
 * reaches them through `archives:` mirrors (`mirrorsFor`). Every request path is recorded; `override` answers a
 * path with anything (faults).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DebFixture {
  name: string;
  version: string;
  /** Default `all`. */
  arch?: string;
  depends?: string;
}

/** suite → component → packages. */
export type SuiteFixtures = Record<string, Record<string, DebFixture[]>>;

export interface Distribution {
  /** `debian` or `ubuntu`: the archive path on both hosts. */
  archive: 'debian' | 'ubuntu';
  /** timestamp (`20240101T000000Z`) → what the archive held then; the newest is also the live archive. */
  snapshots: Record<string, SuiteFixtures>;
  architectures?: string[];
}

const LIVE_HOST = { debian: 'deb.debian.org', ubuntu: 'archive.ubuntu.com' } as const;
const SNAPSHOT_PREFIX = { debian: 'snapshot.debian.org/archive/debian', ubuntu: 'snapshot.ubuntu.com/ubuntu' } as const;

export interface DebArchiveServer {
  url: string;
  /** Request paths (host first), in order. */
  requests: string[];
  override: Map<string, { status: number; body: string | Buffer }>;
  /** The keyring (binary OpenPGP public key) that verifies every InRelease. */
  keyring: string;
  /** Folder of each built archive, by `<archive> <timestamp>`. */
  roots: Map<string, string>;
  close(): Promise<void>;
}

/** Why the tools are missing, or undefined when all are there. */
export function debToolsMissing(): string | undefined {
  for (const [tool, pkg] of [['dpkg-deb', 'dpkg'], ['apt-ftparchive', 'apt-utils'], ['gpg', 'gpg'], ['apt-get', 'apt']]) {
    if (spawnSync(tool, ['--version']).status !== 0) return `${tool} is not installed (Debian package ${pkg}; scripts/ensure-test-tools.sh)`;
  }
  return undefined;
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): string {
  const r = spawnSync(cmd, args, { ...opts, encoding: 'utf8', env: { ...process.env, ...opts.env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error}`);
  return r.stdout;
}

/** A throwaway signing key: its GNUPGHOME and the exported public keyring file. */
function makeKey(dir: string): { home: string; keyring: string } {
  const home = join(dir, 'gnupg');
  mkdirSync(home, { mode: 0o700 });
  run('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'dockrepro test archive <archive@test.invalid>', 'ed25519', 'sign', 'never'], { env: { GNUPGHOME: home } });
  const keyring = join(dir, 'archive-keyring.gpg');
  run('gpg', ['--batch', '--output', keyring, '--export'], { env: { GNUPGHOME: home } });
  return { home, keyring };
}

function buildDeb(pool: string, work: string, p: DebFixture): void {
  const arch = p.arch ?? 'all';
  const dir = join(work, `${p.name}_${p.version}_${arch}`);
  mkdirSync(join(dir, 'DEBIAN'), { recursive: true });
  mkdirSync(join(dir, 'usr/share/doc', p.name), { recursive: true });
  writeFileSync(join(dir, 'usr/share/doc', p.name, 'version'), `${p.version}\n`);
  const control = [`Package: ${p.name}`, `Version: ${p.version}`, `Architecture: ${arch}`, 'Maintainer: Test <t@test.invalid>', ...(p.depends ? [`Depends: ${p.depends}`] : []), `Description: ${p.name} for tests`, ''];
  writeFileSync(join(dir, 'DEBIAN/control'), control.join('\n'));
  run('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', dir, join(pool, `${p.name}_${p.version.replace(/^\d+:/, '')}_${arch}.deb`)]);
}

/** Builds one archive (all suites of one timestamp) under `root`, signed with `gnupg`. */
function buildArchive(root: string, suites: SuiteFixtures, architectures: string[], gnupg: string): void {
  const work = mkdtempSync(join(tmpdir(), 'dockrepro-debs-'));
  for (const [suite, components] of Object.entries(suites)) {
    for (const [component, packages] of Object.entries(components)) {
      const pool = join(root, 'pool', suite, component);
      mkdirSync(pool, { recursive: true });
      for (const p of packages) buildDeb(pool, work, p);
      for (const arch of architectures) {
        const dir = join(root, 'dists', suite, component, `binary-${arch}`);
        mkdirSync(dir, { recursive: true });
        const packagesText = run('apt-ftparchive', ['--arch', arch, 'packages', `pool/${suite}/${component}`], { cwd: root });
        writeFileSync(join(dir, 'Packages'), packagesText);
        run('gzip', ['-9nk', join(dir, 'Packages')]);
      }
    }
    const dists = join(root, 'dists', suite);
    const conf = ['Suite', suite, 'Codename', suite, 'Components', Object.keys(components).join(' '), 'Architectures', architectures.join(' '), 'Origin', 'Test', 'Label', 'Test'];
    const opts: string[] = [];
    for (let i = 0; i < conf.length; i += 2) opts.push('-o', `APT::FTPArchive::Release::${conf[i]}=${conf[i + 1]}`);
    const release = run('apt-ftparchive', [...opts, 'release', dists], { cwd: root });
    writeFileSync(join(dists, 'Release'), release);
    run('gpg', ['--batch', '--yes', '--clearsign', '--output', join(dists, 'InRelease'), join(dists, 'Release')], { env: { GNUPGHOME: gnupg } });
  }
}

/** Builds every snapshot of each distribution and serves them. */
export async function startDebArchives(distributions: Distribution[]): Promise<DebArchiveServer> {
  const dir = mkdtempSync(join(tmpdir(), 'dockrepro-apt-archive-'));
  const key = makeKey(dir);
  const roots = new Map<string, string>();
  /** archive → timestamps, oldest first. */
  const stamps = new Map<string, string[]>();
  for (const d of distributions) {
    const list = Object.keys(d.snapshots).sort();
    stamps.set(d.archive, list);
    for (const ts of list) {
      const root = join(dir, d.archive, ts);
      buildArchive(root, d.snapshots[ts], d.architectures ?? ['amd64', 'arm64'], key.home);
      roots.set(`${d.archive} ${ts}`, root);
    }
  }
  /** The file for a host-first path, or undefined. */
  const resolve = (path: string): string | undefined => {
    for (const archive of stamps.keys()) {
      const list = stamps.get(archive)!;
      const live = `/${LIVE_HOST[archive as 'debian']}/${archive}/`;
      if (path.startsWith(live)) return join(roots.get(`${archive} ${list[list.length - 1]}`)!, path.slice(live.length));
      const snap = `/${SNAPSHOT_PREFIX[archive as 'debian']}/`;
      if (path.startsWith(snap)) {
        const m = /^(\d{8}T\d{6}Z)\/(.*)$/.exec(path.slice(snap.length));
        if (!m) return undefined;
        const at = list.filter((t) => t <= m[1]).pop();
        return at ? join(roots.get(`${archive} ${at}`)!, m[2]) : undefined;
      }
    }
    return undefined;
  };
  const requests: string[] = [];
  const override = new Map<string, { status: number; body: string | Buffer }>();
  const server = createServer((req, res) => {
    // A proxy request carries the whole URL: its host becomes the first path part.
    const raw = req.url ?? '/';
    const path = raw.startsWith('http://') ? `/${raw.slice(7)}` : raw.split('?')[0];
    requests.push(path);
    const canned = override.get(path);
    if (canned) {
      res.writeHead(canned.status);
      res.end(canned.body);
      return;
    }
    const file = resolve(decodeURIComponent(path));
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    override,
    keyring: key.keyring,
    roots,
    close: () => {
      // gpg started an agent for the throwaway key: stop it with the server.
      spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env: { ...process.env, GNUPGHOME: key.home } });
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** `archives:` mirrors sending the public hosts to the server (as a company would to its mirror). */
export function mirrorsFor(server: { url: string }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const host of ['deb.debian.org', 'snapshot.debian.org', 'archive.ubuntu.com', 'snapshot.ubuntu.com', 'security.debian.org']) {
    out[`http://${host}`] = `${server.url}/${host}`;
    out[`https://${host}`] = `${server.url}/${host}`;
  }
  return out;
}
