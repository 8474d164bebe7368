/**
 * A Cargo sparse registry on 127.0.0.1, served as static files, in the documented index format
 * (https://doc.rust-lang.org/cargo/reference/registry-index.html): `config.json` (`dl`), and one file per
 * crate at `<prefix>/<lowercased name>` (`1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd`) holding one JSON object per
 * version (`name`, `vers`, `deps`, `cksum`, `features`, `yanked`, `links`).
 *
 * What the real tools make: each version's `.crate` is packaged by the real `cargo package` from a minimal
 * library crate, served under `crates/` where `dl` points, and its line's `cksum` is that file's SHA-256.
 * No cargo command writes index files (a registry's server does, on publish), so the lines are written here
 * by the documented format; cargo-version.test.ts proves them by letting the real cargo (1.68 or newer: sparse
 * registries) resolve and download from the served registry.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { serveDirectory, type FixtureServer } from './packageServers';

export interface CrateFixture {
  vers: string;
  yanked?: boolean;
}

/** The programs the registry needs, with where they come from. */
// rustup installs cargo in ~/.cargo/bin, which only login shells put on PATH: a CI job started otherwise
// would not find it, so the cargo tests look there too (jest gives each test file its own process.env: children
// get it only when passed as `env`).
const rustupBin = join(homedir(), '.cargo', 'bin');
if (existsSync(join(rustupBin, 'cargo')) && !(process.env.PATH ?? '').split(':').includes(rustupBin)) {
  process.env.PATH = `${process.env.PATH ?? ''}:${rustupBin}`;
}

export const CARGO_TOOLS = { cargo: 'cargo 1.68 or newer (rustup; Debian 12 has 0.66, older than sparse registries)' };

/** The real cargo's version, when it can read sparse registries (1.68, cargo 0.69 in Debian's numbering, or newer). */
export function sparseCargoMissing(): string | undefined {
  let out: string;
  try {
    out = execFileSync('cargo', ['--version'], { encoding: 'utf8', env: process.env });
  } catch {
    return undefined; // missingTools reports the absent program
  }
  const m = /^cargo (\d+)\.(\d+)/.exec(out);
  if (m && Number(m[1]) === 1 && Number(m[2]) >= 68) return undefined;
  return `${out.trim()} cannot read sparse registries (cargo 1.68 or newer can)`;
}

/** The index path of a crate, as the registry-index page documents it. */
export function indexPath(name: string): string {
  const n = name.toLowerCase();
  if (n.length <= 2) return `${n.length}/${n}`;
  if (n.length === 3) return `3/${n[0]}/${n}`;
  return `${n.slice(0, 2)}/${n.slice(2, 4)}/${n}`;
}

/** Packages every version with the real cargo and writes its index file; returns the directory to serve. */
export function buildSparseIndex(crates: Record<string, CrateFixture[]>): { root: string; served: string } {
  const root = mkdtempSync(join(tmpdir(), 'dockrepro-cargo-'));
  const served = join(root, 'registry');
  const env = { ...process.env, CARGO_HOME: join(root, 'cargo-home'), CARGO_TARGET_DIR: join(root, 'target') };
  for (const [name, versions] of Object.entries(crates)) {
    const lines = versions.map((v) => {
      // Written into Cargo.toml below: fixtures stay within the characters crate names and versions use.
      if (![name, v.vers].every((x) => /^[A-Za-z0-9._+-]+$/.test(x))) throw new Error(`not a fixture crate: ${name} ${v.vers}`);
      const src = join(root, 'src', `${name}-${v.vers}`);
      mkdirSync(join(src, 'src'), { recursive: true });
      const manifest = `[package]\nname = "${name}"\nversion = "${v.vers}"\nedition = "2021"\ndescription = "dockrepro test crate"\nlicense = "MIT"\n`;
      writeFileSync(join(src, 'Cargo.toml'), manifest);
      writeFileSync(join(src, 'src', 'lib.rs'), '');
      execFileSync('cargo', ['package', '--quiet', '--offline', '--no-verify', '--allow-dirty', '--manifest-path', join(src, 'Cargo.toml')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      const crate = join(served, 'crates', name, `${name}-${v.vers}.crate`);
      mkdirSync(dirname(crate), { recursive: true });
      copyFileSync(join(root, 'target', 'package', `${name}-${v.vers}.crate`), crate);
      const cksum = createHash('sha256').update(readFileSync(crate)).digest('hex');
      return JSON.stringify({ name, vers: v.vers, deps: [], cksum, features: {}, yanked: v.yanked ?? false, links: null });
    });
    const file = join(served, indexPath(name));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${lines.join('\n')}\n`);
  }
  mkdirSync(served, { recursive: true });
  return { root, served };
}

/** A sparse registry for `crates`: its index at `<url>/`, the .crate files where its config.json says. */
export async function startSparseIndex(crates: Record<string, CrateFixture[]>): Promise<FixtureServer> {
  const { root, served } = buildSparseIndex(crates);
  const server = await serveDirectory(served);
  // Only now is the address known that `dl` names.
  writeFileSync(join(served, 'config.json'), JSON.stringify({ dl: `${server.url}/crates/{crate}/{crate}-{version}.crate` }));
  return { ...server, close: () => server.close().finally(() => rmSync(root, { recursive: true, force: true })) };
}
