/**
 * apk-version end to end through the fix engine: Alpine base images pushed to the test registries with real
 * /etc/alpine-release, /etc/os-release, /etc/apk/repositories and /lib/apk/db/installed; Alpine repositories
 * on loopback in the dl-cdn.alpinelinux.org layout with APKINDEX.tar.gz files in the real format (several
 * gzip members: signature, then index), reached through `archives:` exactly as a company mirror would be.
 * Checked: the pinned text, apk's choice among repositories and tags, installed packages kept, the
 * platform's architecture, faults left with their reasons, one index download per (repository, arch) per
 * run, and a byte-identical offline re-run from the lock with no download at all.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyConfig, parseConfig, type Config } from '../../src/config';
import { fixText, type FixOutcome } from '../../src/fix';
import apkVersion from '../../src/fixers/apk-version';
import { Resolvers } from '../../src/resolve/resolvers';
import rule from '../../src/rules/apk-pin';
import { apkIndexArchive, startApkServer, type ApkServer, type IndexEntry } from '../helpers/apkRepository';
import { pushFixtureImage } from '../helpers/imageFixtures';
import { describeWithRegistries } from '../helpers/registryFixtures';
import { withFixer } from '../helpers/fixerTable';

const CDN = 'https://dl-cdn.alpinelinux.org/alpine';
const OS_RELEASE_320 = 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\nHOME_URL="https://alpinelinux.org/"\nBUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"\n';
const REPOSITORIES_320 = `${CDN}/v3.20/main\n${CDN}/v3.20/community\n# testing, for a few tools\n@edge ${CDN}/edge/main\n`;
const INSTALLED = 'C:Q1abc=\nP:busybox\nV:1.36.1-r29\nA:x86_64\no:busybox\n\nC:Q1def=\nP:musl\nV:1.2.5-r0\nA:x86_64\no:musl\np:so:libc.musl-x86_64.so.1=1\n\n';

const MAIN_X86: IndexEntry[] = [
  { name: 'curl', version: '8.11.1-r0', provides: ['cmd:curl=8.11.1-r0'] },
  { name: 'curl', version: '8.9.1-r2', provides: ['cmd:curl=8.9.1-r2'] },
  { name: 'libcurl', version: '8.11.1-r0', origin: 'curl', provides: ['so:libcurl.so.4=4.8.0'] },
  { name: 'busybox', version: '1.36.1-r30' },
  { name: 'libssl3', version: '3.3.2-r1', origin: 'openssl', provides: ['so:libssl.so.3=3'] },
  { name: 'pkgconf', version: '2.2.0-r0', provides: ['pkgconfig=1', 'cmd:pkgconf=2.2.0-r0'] },
  { name: 'both', version: '1.0-r0' },
  { name: 'weird', version: '1.0;rm -rf /' },
];
const COMMUNITY_X86: IndexEntry[] = [
  { name: 'git', version: '2.45.2-r0' },
  { name: 'curl', version: '8.10.0-r0' },
  { name: 'both', version: '1.2_rc1-r0' },
  { name: 'tzdata-ish', version: '2024a-r0' },
];
const EDGE_X86: IndexEntry[] = [{ name: 'curl', version: '8.12.0-r0' }, { name: 'busybox', version: '1.37.0-r8' }];
const MAIN_ARM64: IndexEntry[] = [{ name: 'curl', version: '8.11.1-r1', arch: 'aarch64' }];

describeWithRegistries('apk-version', ({ open }) => {
  let server: ApkServer;
  let image: (name: string) => string;
  const refs: Record<string, string> = {};

  beforeAll(async () => {
    const idx = (e: IndexEntry[]) => apkIndexArchive(e);
    server = await startApkServer({
      '/alpine/v3.20/main/x86_64/APKINDEX.tar.gz': idx(MAIN_X86),
      '/alpine/v3.20/community/x86_64/APKINDEX.tar.gz': idx(COMMUNITY_X86),
      '/alpine/edge/main/x86_64/APKINDEX.tar.gz': idx(EDGE_X86),
      '/alpine/v3.20/main/aarch64/APKINDEX.tar.gz': idx(MAIN_ARM64),
      '/alpine/v3.20/community/aarch64/APKINDEX.tar.gz': idx([{ name: 'git', version: '2.45.2-r0', arch: 'aarch64' }]),
      '/alpine/edge/main/aarch64/APKINDEX.tar.gz': idx([]),
    });
    const alpine = (files: Record<string, string>) => ({ layers: [{ files: { '/etc/os-release': OS_RELEASE_320, ...files } }] });
    const base = { '/etc/alpine-release': '3.20.3\n', '/etc/apk/repositories': REPOSITORIES_320, '/lib/apk/db/installed': INSTALLED };
    refs.alpine = (await pushFixtureImage(open, 'apk/alpine', {
      platforms: [
        { platform: 'linux/amd64', ...alpine({ ...base, '/etc/apk/arch': 'x86_64\n' }) },
        // No /etc/apk/arch here: the architecture comes from the platform.
        { platform: 'linux/arm64/v8', ...alpine(base) },
      ],
      tags: ['3.20'],
    })).ref;
    refs.future = (await pushFixtureImage(open, 'apk/future', { ...alpine({ '/etc/alpine-release': '3.99.0\n', '/etc/apk/repositories': `${CDN}/v3.99/main\n` }), tags: ['3.99'] })).ref;
    refs.debian = (await pushFixtureImage(open, 'apk/debian', { layers: [{ files: { '/etc/os-release': 'ID=debian\nVERSION_ID="12"\n' } }], tags: ['12'] })).ref;
    refs.v3lists = (await pushFixtureImage(open, 'apk/v3lists', { ...alpine({ '/etc/alpine-release': '3.23.0\n', '/etc/apk/repositories': 'v3 https://dl-cdn.alpinelinux.org/alpine/v3.23 main community\n' }), tags: ['3.23'] })).ref;
    image = (name) => refs[name];
  });
  afterAll(() => server?.close());
  beforeEach(() => {
    server.requests.length = 0;
    server.override.clear();
  });

  interface Run extends FixOutcome {
    resolvers: Resolvers;
  }

  async function fix(text: string, opts: { pin?: 'fuzzy' | 'exact'; offline?: boolean; dir?: string; resolvers?: Resolvers } = {}): Promise<Run> {
    const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'dockrepro-apk-'));
    const config: Config = { ...emptyConfig(join(dir, '.dockrepro.yaml')), archives: { [CDN]: `${server.url}/alpine` }, apkPin: opts.pin };
    const resolvers = opts.resolvers ?? new Resolvers({ offline: !!opts.offline, refresh: false, lock: join(dir, 'dockrepro.lock.json') }, { HOME: dir });
    const images = resolvers.pinnerFor(config, dir);
    const out = await fixText(text, {
      rules: [rule],
      unsafe: false,
      offline: !!opts.offline,
      baseId: 10001,
      apkPin: opts.pin,
      fixers: withFixer(apkVersion),
      lookups: resolvers.lookups,
      images,
      bases: resolvers.basesFor(config, dir, images),
      packages: resolvers.packagesFor(config, dir),
    });
    return { ...out, resolvers };
  }
  const reasons = (r: FixOutcome) => r.left.map((l) => `${l.left}: ${l.reason}`);

  it('pins each package fuzzily to major.minor of what apk installs today, every other byte kept', async () => {
    const text = `FROM ${image('alpine')}\nRUN apk add --no-cache curl "git" \\\n    'both' tzdata-ish\n`;
    const r = await fix(text);
    expect(reasons(r)).toEqual([]);
    expect(r.text).toBe(`FROM ${image('alpine')}\nRUN apk add --no-cache curl=~8.11 "git=~2.45" \\\n    'both=~1.2' tzdata-ish=~2024\n`);
    expect(r.applied.map((a) => [a.title, a.applicability])).toEqual([
      [`pin apk package 'curl' → 'curl=~8.11' (8.11.1-r0, newest in ${CDN}/v3.20/main (x86_64))`, 'safe'],
      [`pin apk package 'git' → 'git=~2.45' (2.45.2-r0, newest in ${CDN}/v3.20/community (x86_64))`, 'safe'],
      [`pin apk package 'both' → 'both=~1.2' (1.2_rc1-r0, newest in ${CDN}/v3.20/community (x86_64))`, 'safe'],
      [`pin apk package 'tzdata-ish' → 'tzdata-ish=~2024' (2024a-r0, newest in ${CDN}/v3.20/community (x86_64))`, 'safe'],
    ]);
    // One download per (repository, arch), however many packages: the tagged edge repository is not needed.
    expect([...server.requests].sort()).toEqual(['/alpine/v3.20/community/x86_64/APKINDEX.tar.gz', '/alpine/v3.20/main/x86_64/APKINDEX.tar.gz']);
    // Fix twice = fix once: nothing left to pin.
    const again = await fix(r.text);
    expect(again.text).toBe(r.text);
    expect(again.applied).toEqual([]);
  });

  it('exact pins on request (apk.pin: exact)', async () => {
    const r = await fix(`FROM ${image('alpine')}\nRUN apk add curl git\n`, { pin: 'exact' });
    expect(r.text).toBe(`FROM ${image('alpine')}\nRUN apk add curl=8.11.1-r0 git=2.45.2-r0\n`);
  });

  it('name@tag prefers the tagged repository; a package it lacks comes from the untagged ones', async () => {
    const r = await fix(`FROM ${image('alpine')}\nRUN apk add curl@edge git@edge busybox@edge\n`);
    expect(reasons(r)).toEqual([]);
    expect(r.text).toBe(`FROM ${image('alpine')}\nRUN apk add curl@edge=~8.12 git@edge=~2.45 busybox@edge=~1.37\n`);
  });

  it('a package the base image has installed keeps its version unless the command upgrades', async () => {
    const r = await fix(`FROM ${image('alpine')}\nRUN apk add busybox && apk add -u busybox\n`, { pin: 'exact' });
    expect(r.text).toBe(`FROM ${image('alpine')}\nRUN apk add busybox=1.36.1-r29 && apk add -u busybox=1.36.1-r30\n`);
    expect(r.applied[0].title).toMatch(/installed in the base image \(Alpine 3\.20\.3\)/);
  });

  it('the architecture comes from the platform when the image has no /etc/apk/arch (arm64 → aarch64)', async () => {
    const r = await fix(`FROM --platform=linux/arm64/v8 ${image('alpine')}\nRUN apk add curl\n`, { pin: 'exact' });
    expect(reasons(r)).toEqual([]);
    expect(r.text).toContain('apk add curl=8.11.1-r1\n');
    expect(server.requests).toContain('/alpine/v3.20/main/aarch64/APKINDEX.tar.gz');
  });

  it('-X adds a repository after the image\'s own', async () => {
    const r = await fix(`FROM ${image('alpine')}\nRUN apk add -X ${CDN}/edge/main --no-cache busybox-x curl\n`, { pin: 'exact' });
    // -X repositories are untagged: edge's 8.12.0 is the newest curl.
    expect(r.text).toContain('curl=8.12.0-r0\n');
    expect(reasons(r)).toEqual([`failed: 'busybox-x' is in none of the repositories ${CDN}/v3.20/main, ${CDN}/v3.20/community, ${CDN}/edge/main (x86_64)`]);
  });

  it('virtual names and provides are left with the package to pin instead', async () => {
    const r = await fix(`FROM ${image('alpine')}\nRUN apk add so:libssl.so.3 cmd:curl pkgconfig\n`);
    expect(r.text).toBe(`FROM ${image('alpine')}\nRUN apk add so:libssl.so.3 cmd:curl pkgconfig\n`);
    expect(reasons(r)).toEqual([
      "no-fixer: 'so:libssl.so.3' names what a package provides (so:), not a package: write the providing package's name to pin it",
      "no-fixer: 'cmd:curl' names what a package provides (cmd:), not a package: write the providing package's name to pin it",
      "failed: 'pkgconfig' is not a package but a name provided by pkgconf (2.2.0-r0): pin the providing package instead",
    ]);
  });

  it('the Dockerfile changing /etc/apk/repositories earlier in the stage chain leaves the finding', async () => {
    const text = `FROM ${image('alpine')} AS base\nRUN sed -i 's/v3.20/edge/' /etc/apk/repositories\nFROM base\nRUN apk add curl\nFROM ${image('alpine')}\nCOPY repositories /etc/apk/repositories\nRUN apk add git\n`;
    const r = await fix(text);
    expect(r.text).toBe(text);
    expect(reasons(r)).toEqual([
      'no-fixer: an earlier command in the stage (line 2) changes the apk repositories, so the base image\'s list is not what this apk reads',
      "no-fixer: COPY to '/etc/apk/repositories' (line 6) may replace the apk repositories of the base image",
    ]);
    const same = await fix(`FROM ${image('alpine')}\nRUN echo "${CDN}/edge/community" >> /etc/apk/repositories && apk add curl\n`);
    expect(reasons(same)).toEqual(["no-fixer: an earlier command in the stage (line 2) changes the apk repositories, so the base image's list is not what this apk reads"]);
  });

  it('faults give clear reasons and write nothing', async () => {
    const unknownRelease = await fix(`FROM ${image('future')}\nRUN apk add curl\n`);
    expect(reasons(unknownRelease)).toEqual([
      `failed: lookup failed: ${server.url}/alpine/v3.99/main/x86_64/APKINDEX.tar.gz: not found (unknown Alpine repository or architecture)`,
    ]);
    const notAlpine = await fix(`FROM ${image('debian')}\nRUN apk add curl\n`);
    expect(reasons(notAlpine)).toEqual(['no-fixer: the base image has no /etc/alpine-release: it is not Alpine, so dockrepro cannot tell which apk repositories it uses']);
    const v3 = await fix(`FROM ${image('v3lists')}\nRUN apk add curl\n`);
    expect(reasons(v3)).toEqual([expect.stringMatching(/uses apk v3 repository syntax/)]);

    server.override.set('/alpine/v3.20/main/x86_64/APKINDEX.tar.gz', { status: 200, body: Buffer.from('\x1f\x8b\x08\x00garbage garbage garbage') });
    const corrupt = await fix(`FROM ${image('alpine')}\nRUN apk add curl\n`);
    expect(reasons(corrupt)).toEqual([expect.stringMatching(/^failed: lookup failed: .*\/v3\.20\/main\/x86_64\/APKINDEX\.tar\.gz: not a gzip file/)]);
    expect(corrupt.text).toBe(`FROM ${image('alpine')}\nRUN apk add curl\n`);

    // A version outside apk's grammar never reaches the Dockerfile.
    server.override.clear();
    const weird = await fix(`FROM ${image('alpine')}\nRUN apk add weird\n`);
    expect(weird.text).toBe(`FROM ${image('alpine')}\nRUN apk add weird\n`);
    expect(reasons(weird)).toEqual([`failed: 'weird' is in none of the repositories ${CDN}/v3.20/main, ${CDN}/v3.20/community (x86_64)`]);
  });

  it('a re-run with the lock is offline and byte-identical, with no index download', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dockrepro-apk-lock-'));
    const text = `FROM ${image('alpine')}\nRUN apk add curl git@edge busybox\n`;
    const first = await fix(text, { dir });
    first.resolvers.locks.saveAll();
    expect(server.requests.length).toBe(3);
    server.requests.length = 0;
    const second = await fix(text, { dir, offline: true });
    expect(second.text).toBe(first.text);
    expect(reasons(second)).toEqual([]);
    expect(server.requests).toEqual([]);
  });
});

describe('apk: in .dockrepro.yaml', () => {
  it('reads pin: fuzzy | exact and refuses anything else', () => {
    expect(parseConfig('apk: { pin: exact }\n', '/r/.dockrepro.yaml').apkPin).toBe('exact');
    expect(parseConfig('apk: { pin: fuzzy }\n', '/r/.dockrepro.yaml').apkPin).toBe('fuzzy');
    expect(parseConfig('rules: {}\n', '/r/.dockrepro.yaml').apkPin).toBeUndefined();
    expect(() => parseConfig('apk: { pin: loose }\n', '/r/.dockrepro.yaml')).toThrow('/r/.dockrepro.yaml: apk.pin: expected fuzzy or exact, got "loose"');
    expect(() => parseConfig('apk: { strategy: x }\n', '/r/.dockrepro.yaml')).toThrow('/r/.dockrepro.yaml: apk.strategy: unknown key (known: pin)');
  });
});
