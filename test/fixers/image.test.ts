/**
 * The image-digest and image-tag fixers through the fix engine, against the real registry started for the
 * tests: floating tags become the most precise tag with the same digest plus that digest, wherever the
 * reference is written, and the lock makes a re-run offline and identical.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fixText, type FixOutcome } from '../../src/fix';
import { ImagePinner } from '../../src/resolve/images';
import { LockFile } from '../../src/resolve/lock';
import { RegistryClient } from '../../src/resolve/registry';
import { RULES } from '../../src/rules/index';
import { describeWithRegistries, pushIndex, pushImage, type PushedIndex } from '../helpers/registryFixtures';
import { workspace } from '../helpers/workspace';
import { startFaultProxy } from '../helpers/faultProxy';
import { Lookups } from '../../src/resolve/shared';

const IMAGE_RULES = RULES.filter((r) => r.meta.id === 'image-digest' || r.meta.id === 'image-tag');

describeWithRegistries('image fixers against a real registry', ({ open }) => {
  const H = open.host;
  let py3: PushedIndex; // 3, 3.12, 3.12.7, latest
  let py311: PushedIndex; // 3.11, 3.11.10
  let slim: PushedIndex; // 3-slim, 3.12-slim, 3.12.7-slim
  let tool: PushedIndex; // stable only
  let bookworm: PushedIndex; // bookworm, bookworm-20241111

  beforeAll(async () => {
    py3 = await pushIndex(open, 'pin/python', 'oci', 'py3127', ['3', '3.12', '3.12.7', 'latest']);
    py311 = await pushIndex(open, 'pin/python', 'docker', 'py31110', ['3.11', '3.11.10']);
    await pushIndex(open, 'pin/python', 'oci', 'py3126', ['3.12.6']);
    slim = await pushIndex(open, 'pin/python', 'oci', 'slim', ['3-slim', '3.12-slim', '3.12.7-slim']);
    await pushIndex(open, 'pin/python', 'oci', 'slim-bookworm', ['3.12.7-slim-bookworm']);
    tool = await pushIndex(open, 'pin/tool', 'oci', 'tool', ['stable']);
    bookworm = await pushIndex(open, 'pin/debian', 'docker', 'bw', ['bookworm', 'bookworm-20241111']);
    await pushIndex(open, 'pin/debian', 'docker', 'bw-old', ['bookworm-20241016']);
    await pushImage(open, 'pin/single', 'oci', { os: 'linux', architecture: 'amd64' }, 'single', ['1']);
  }, 60_000);

  function pinner(opts: { lock?: LockFile; offline?: boolean; refresh?: boolean; platform?: string; lookups?: Lookups; client?: RegistryClient } = {}) {
    const client = opts.client ?? new RegistryClient({ retries: 0, timeoutMs: 5000 });
    const lookups = opts.lookups ?? new Lookups();
    return {
      client,
      lookups,
      images: new ImagePinner({ client, lock: opts.lock, offline: !!opts.offline, refresh: !!opts.refresh, platform: opts.platform, lookups, now: () => new Date('2026-11-25T12:00:00Z') }),
    };
  }

  async function fix(text: string, p = pinner(), rules = IMAGE_RULES): Promise<FixOutcome> {
    return fixText(text, { rules, unsafe: false, offline: false, baseId: 10001, images: p.images, lookups: p.lookups });
  }

  it('FROM with a floating tag: the most precise tag with the same digest, and that digest; flags, AS and case kept', async () => {
    const r = await fix(`from  --platform=$BUILDPLATFORM   ${H}/pin/python:3   As build\nRUN true\n`);
    expect(r.text).toBe(`from  --platform=$BUILDPLATFORM   ${H}/pin/python:3.12.7@${py3.digest}   As build\nRUN true\n`);
    expect(r.left).toEqual([]);
    // image-digest and image-tag make the very same edit: both findings are fixed by it.
    const title = `pin base image '${H}/pin/python:3' → '${H}/pin/python:3.12.7@${py3.digest}' ('3.12.7' is the most precise tag with the same digest as '3')`;
    expect(r.applied).toEqual([
      { rule: 'image-digest', title, applicability: 'safe' },
      { rule: 'image-tag', title, applicability: 'safe' },
    ]);
  });

  it('the variant suffix is kept: 3-slim → 3.12.7-slim (not -slim-bookworm)', async () => {
    const r = await fix(`FROM ${H}/pin/python:3-slim\n`);
    expect(r.text).toBe(`FROM ${H}/pin/python:3.12.7-slim@${slim.digest}\n`);
  });

  it('latest and no tag become the most precise version tag of that digest', async () => {
    expect((await fix(`FROM ${H}/pin/python:latest\n`)).text).toBe(`FROM ${H}/pin/python:3.12.7@${py3.digest}\n`);
    expect((await fix(`FROM ${H}/pin/python\n`)).text).toBe(`FROM ${H}/pin/python:3.12.7@${py3.digest}\n`);
  });

  it('a floating tag pointing at an older line finds that line (3.11 → 3.11.10, a Docker manifest list)', async () => {
    expect((await fix(`FROM ${H}/pin/python:3.11\n`)).text).toBe(`FROM ${H}/pin/python:3.11.10@${py311.digest}\n`);
  });

  it('a codename gets its date-stamped tag', async () => {
    expect((await fix(`FROM ${H}/pin/debian:bookworm\n`)).text).toBe(`FROM ${H}/pin/debian:bookworm-20241111@${bookworm.digest}\n`);
  });

  it('no more precise tag: the tag is kept and the digest added, and the reason says so', async () => {
    const r = await fix(`FROM ${H}/pin/tool:stable\n`);
    expect(r.text).toBe(`FROM ${H}/pin/tool:stable@${tool.digest}\n`);
    expect(r.applied[0].title).toMatch(/no precise tag \(see image-tag\) is listed beside it; kept 'stable'/);
  });

  it('a precise tag only gets the digest', async () => {
    const r = await fix(`FROM ${H}/pin/python:3.12.7\n`);
    expect(r.text).toBe(`FROM ${H}/pin/python:3.12.7@${py3.digest}\n`);
    expect(r.applied[0].title).toMatch(/already a precise tag/);
  });

  it('COPY --from, RUN --mount from= and # syntax= are pinned in place', async () => {
    const text =
      `# syntax=${H}/pin/python:3\n` +
      `FROM ${H}/pin/python:3.12.7@${py3.digest}\n` +
      `COPY --from=${H}/pin/tool:stable /a /b\n` +
      `RUN --mount=type=bind,from=${H}/pin/python:3-slim,target=/x true\n`;
    const r = await fix(text);
    expect(r.text).toBe(
      `# syntax=${H}/pin/python:3.12.7@${py3.digest}\n` +
        `FROM ${H}/pin/python:3.12.7@${py3.digest}\n` +
        `COPY --from=${H}/pin/tool:stable@${tool.digest} /a /b\n` +
        `RUN --mount=type=bind,from=${H}/pin/python:3.12.7-slim@${slim.digest},target=/x true\n`,
    );
    expect(r.left).toEqual([]);
  });

  it('a reference from one ARG is pinned in the ARG default (quotes kept), once for every FROM using it', async () => {
    const r = await fix(`ARG BASE="${H}/pin/python:3"\nFROM \${BASE} AS a\nFROM \${BASE}\n`);
    expect(r.text).toBe(`ARG BASE="${H}/pin/python:3.12.7@${py3.digest}"\nFROM \${BASE} AS a\nFROM \${BASE}\n`);
    expect(r.left).toEqual([]);
  });

  describe('a reference assembled from build args is never frozen (issue 9)', () => {
    const unsafeFix = (text: string, rules = IMAGE_RULES) =>
      fixText(text, { rules, unsafe: true, offline: false, baseId: 10001, images: pinner().images, lookups: new Lookups() });

    it('ARG VARIANT + FROM debian:${VARIANT}: no digest appended (it would override --build-arg VARIANT); the reason says what to do', async () => {
      const text = `ARG VARIANT=bookworm\nFROM ${H}/pin/debian:\${VARIANT}\nRUN true\n`;
      const r = await fix(text);
      expect(r.text).toBe(text);
      expect(r.applied).toEqual([]);
      const digest = r.left.find((l) => l.finding.rule === 'image-digest')!;
      expect(digest.left).toBe('unsafe');
      expect(digest.reason).toBe(
        `make base image '${H}/pin/debian:\${VARIANT}' one ARG: 'ARG DEBIAN_IMAGE=${H}/pin/debian:bookworm-20241111@${bookworm.digest}' before the first FROM, used as '\${DEBIAN_IMAGE}' ` +
          `(the reference is assembled from build arg VARIANT, a digest would override --build-arg VARIANT=…; --build-arg VARIANT then no longer chooses the image) ` +
          '(an unsafe fix: it may change what gets built; use --unsafe)',
      );
    });

    it('--unsafe makes the whole reference one ARG pinned by digest; a second run changes nothing', async () => {
      const text = `ARG VARIANT=bookworm\nFROM ${H}/pin/debian:\${VARIANT} AS base\nRUN true\n`;
      const r = await unsafeFix(text);
      const fixed = `ARG VARIANT=bookworm\nARG DEBIAN_IMAGE=${H}/pin/debian:bookworm-20241111@${bookworm.digest}\nFROM \${DEBIAN_IMAGE} AS base\nRUN true\n`;
      expect(r.text).toBe(fixed);
      expect(r.left).toEqual([]);
      expect(r.applied.map((a) => [a.rule, a.applicability])).toEqual([
        ['image-digest', 'unsafe'],
        ['image-tag', 'unsafe'],
      ]);
      expect((await unsafeFix(fixed)).text).toBe(fixed);
    });

    it('CRLF, a second FROM and a name already in use: the ARG goes before the first FROM with a free name', async () => {
      const text = `ARG PY=3\r\nARG PYTHON_IMAGE=x\r\nFROM ${H}/pin/tool:stable@${tool.digest} AS t\r\nFROM ${H}/pin/python:\${PY}-slim\r\n`;
      const r = await unsafeFix(text);
      expect(r.text).toBe(
        `ARG PY=3\r\nARG PYTHON_IMAGE=x\r\nARG PYTHON_IMAGE_2=${H}/pin/python:3.12.7-slim@${slim.digest}\r\nFROM ${H}/pin/tool:stable@${tool.digest} AS t\r\nFROM \${PYTHON_IMAGE_2}\r\n`,
      );
    });

    it('image-tag alone: a precise tag cannot be written into ${VARIANT} either; --unsafe writes one ARG with the precise tag', async () => {
      const text = `ARG VARIANT=bookworm\nFROM ${H}/pin/debian:\${VARIANT}\n`;
      const tagOnly = IMAGE_RULES.filter((x) => x.meta.id === 'image-tag');
      const r = await fix(text, pinner(), tagOnly);
      expect(r.text).toBe(text);
      expect(r.left[0].reason).toContain(`a precise tag cannot be written into '${H}/pin/debian:\${VARIANT}'`);
      expect((await unsafeFix(text, tagOnly)).text).toBe(`ARG VARIANT=bookworm\nARG DEBIAN_IMAGE=${H}/pin/debian:bookworm-20241111\nFROM \${DEBIAN_IMAGE}\n`);
    });

    it('one ARG whose default is assembled (ARG BASE=python:${PY}-slim): --unsafe writes the pinned reference as its default', async () => {
      const text = `ARG PY=3\nARG BASE=${H}/pin/python:\${PY}-slim\nFROM \${BASE}\n`;
      const safe = await fix(text);
      expect(safe.text).toBe(text);
      expect(safe.left[0].reason).toContain('the default of ARG BASE is assembled from build arg PY, a digest would override --build-arg PY=…');
      expect((await unsafeFix(text)).text).toBe(`ARG PY=3\nARG BASE=${H}/pin/python:3.12.7-slim@${slim.digest}\nFROM \${BASE}\n`);
    });

    it('COPY --from and RUN --mount from= assembled from a stage ARG: left with the reason, no fix (only FROM sees global ARGs)', async () => {
      const text = `FROM ${H}/pin/tool:stable@${tool.digest}\nARG T=stable\nCOPY --from=${H}/pin/tool:\${T} /a /b\nRUN --mount=from=${H}/pin/tool:$T,target=/m true\n`;
      const r = await unsafeFix(text);
      expect(r.text).toBe(text);
      expect(r.left.filter((l) => l.finding.rule === 'image-digest').map((l) => [l.left, l.reason])).toEqual([
        ['no-fixer', `the reference is assembled from build arg T: a digest would override --build-arg T=…; make the whole reference one ARG (ARG TOOL_IMAGE=${H}/pin/tool:stable) so its default can be pinned`],
        ['no-fixer', `the reference is assembled from build arg T: a digest would override --build-arg T=…; make the whole reference one ARG (ARG TOOL_IMAGE=${H}/pin/tool:stable) so its default can be pinned`],
      ]);
    });

    it('quotes: a quoted literal is pinned (quotes replaced), a quoted whole variable in its ARG default', async () => {
      expect((await fix(`FROM "${H}/pin/python:3"\n`)).text).toBe(`FROM ${H}/pin/python:3.12.7@${py3.digest}\n`);
      expect((await fix(`ARG B=${H}/pin/python:3\nFROM "\${B}"\n`)).text).toBe(`ARG B=${H}/pin/python:3.12.7@${py3.digest}\nFROM "\${B}"\n`);
    });
  });

  it('a malformed digest is replaced by the real one', async () => {
    const r = await fix(`FROM ${H}/pin/python:3.12.7@sha256:abc123\n`);
    expect(r.text).toBe(`FROM ${H}/pin/python:3.12.7@${py3.digest}\n`);
  });

  it('image-tag alone (image-digest off) makes the tag precise without a digest', async () => {
    const r = await fix(`FROM ${H}/pin/python:3\n`, pinner(), IMAGE_RULES.filter((x) => x.meta.id === 'image-tag'));
    expect(r.text).toBe(`FROM ${H}/pin/python:3.12.7\n`);
    const stable = await fix(`FROM ${H}/pin/tool:stable\n`, pinner(), IMAGE_RULES.filter((x) => x.meta.id === 'image-tag'));
    expect(stable.text).toBe(`FROM ${H}/pin/tool:stable\n`);
    expect(stable.left).toMatchObject([
      { left: 'no-fixer', reason: "no precise tag (see image-tag) is listed beside it; kept 'stable': pin its digest (rule image-digest) or write a precise tag by hand" },
    ]);
  });

  it('a failed lookup leaves that image with the reason; the others are still pinned', async () => {
    const r = await fix(`FROM ${H}/pin/missing:1\nCOPY --from=${H}/pin/tool:stable /a /b\n`);
    expect(r.text).toBe(`FROM ${H}/pin/missing:1\nCOPY --from=${H}/pin/tool:stable@${tool.digest} /a /b\n`);
    expect(r.left.map((l) => [l.finding.rule, l.left])).toEqual([
      ['image-digest', 'failed'],
      ['image-tag', 'failed'],
    ]);
    expect(r.left[0].reason).toMatch(/registry lookup failed: .*not found/);
  });

  it('when tags cannot be listed or compared, the verified digest is still pinned with the tag as written', async () => {
    const proxy = await startFaultProxy(open.url);
    try {
      const P = proxy.host;
      proxy.inject({ method: 'GET', path: /\/tags\/list/, times: Infinity, respond: { status: 500 } });
      const listed = await fix(`FROM ${P}/pin/python:3\n`);
      expect(listed.text).toBe(`FROM ${P}/pin/python:3@${py3.digest}\n`);
      expect(listed.applied[0].title).toMatch(/tags could not be listed \(.*registry server error 500.*\); kept '3'/);
      proxy.reset();
      proxy.inject({ method: 'HEAD', times: Infinity, respond: { status: 429, headers: { 'Retry-After': '0' } } });
      const compared = await fix(`FROM ${P}/pin/python:3\n`);
      expect(compared.text).toBe(`FROM ${P}/pin/python:3@${py3.digest}\n`);
      expect(compared.applied[0].title).toMatch(/tags could not be compared \(.*rate limited.*\); kept '3'/);
    } finally {
      await proxy.close();
    }
  });

  it('--platform pins that platform manifest inside the index; a single-platform image is checked', async () => {
    const arm = py3.platforms.find((p) => p.platform.architecture === 'arm64')!.manifest.digest;
    const r = await fix(`FROM ${H}/pin/python:3\n`, pinner({ platform: 'linux/arm64' }));
    expect(r.text).toBe(`FROM ${H}/pin/python:3.12.7@${arm}\n`);
    const wrong = await fix(`FROM ${H}/pin/single:1\n`, pinner({ platform: 'linux/arm64' }));
    expect(wrong.text).toBe(`FROM ${H}/pin/single:1\n`);
    expect(wrong.left[0].reason).toMatch(/single-platform image for linux\/amd64, not linux\/arm64/);
  });

  it('the lock: written on the first run, then answers offline with the same bytes and no request', async () => {
    const dir = workspace({});
    const lockPath = join(dir, 'dockrepro.lock.json');
    const text = `FROM ${H}/pin/python:3\nFROM ${H}/pin/tool:stable\n`;
    const lock = LockFile.load(lockPath);
    const first = pinner({ lock });
    const r1 = await fix(text, first);
    expect(first.client.requests).toBeGreaterThan(0);
    expect(lock.dirty).toBe(true);
    lock.save(); // the CLI saves once at the end of a run
    const reloaded = LockFile.load(lockPath);
    expect(reloaded.get(`${H}/pin/python:3`)).toEqual({
      tag: '3.12.7',
      digest: py3.digest,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      resolvedAt: '2026-11-25T12:00:00.000Z',
    });
    expect(reloaded.get(`${H}/pin/python:3.12.7`)?.digest).toBe(py3.digest);

    const second = pinner({ lock: reloaded, offline: true });
    const r2 = await fix(text, second);
    expect(r2.text).toBe(r1.text);
    expect(second.client.requests).toBe(0);

    // Offline without an entry: left as needing the network, nothing written.
    const r3 = await fix(`FROM ${H}/pin/python:3.11\n`, pinner({ lock: reloaded, offline: true }));
    expect(r3.text).toBe(`FROM ${H}/pin/python:3.11\n`);
    expect(r3.left[0]).toMatchObject({ left: 'needs-network', reason: expect.stringMatching(/not in .*dockrepro.lock.json and --offline/) });
  });

  it('--refresh ignores the lock and updates it', async () => {
    const lock = LockFile.load(join(workspace({}), 'dockrepro.lock.json'));
    lock.set(`${H}/pin/python:3`, { tag: '3.12.6', digest: `sha256:${'0'.repeat(64)}`, mediaType: 'x', resolvedAt: '2020-01-01T00:00:00.000Z' });
    expect((await fix(`FROM ${H}/pin/python:3\n`, pinner({ lock }))).text).toBe(`FROM ${H}/pin/python:3.12.6@sha256:${'0'.repeat(64)}\n`);
    expect((await fix(`FROM ${H}/pin/python:3\n`, pinner({ lock, refresh: true }))).text).toBe(`FROM ${H}/pin/python:3.12.7@${py3.digest}\n`);
    expect(lock.get(`${H}/pin/python:3`)?.digest).toBe(py3.digest);
  });

  it('files fixed at once share their lookups: N files naming one image make the requests of one', async () => {
    const text = `FROM ${H}/pin/python:3-slim\nCOPY --from=${H}/pin/tool:stable /a /b\n`;
    const one = pinner();
    await fix(text, one);
    expect(one.client.requests).toBeGreaterThan(0);
    const many = pinner();
    const results = await Promise.all(Array.from({ length: 6 }, () => fix(text, many)));
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
    expect(many.client.requests).toBe(one.client.requests);
  });

  describe('the chosen tag passes image-tag (issue 9)', () => {
    const TAG_ONLY = IMAGE_RULES.filter((x) => x.meta.id === 'image-tag');
    let bookworm12: PushedIndex;
    let bookwormSlim: PushedIndex;
    let noble: PushedIndex;
    let temurin21: PushedIndex;
    let openjdk8: PushedIndex;
    let minorOnly: PushedIndex;

    beforeAll(async () => {
      // As docker-library tags Debian: a codename, its dated twin, the point release and the major, one digest.
      bookworm12 = await pushIndex(open, 'tags/debian', 'oci', 'bookworm', ['bookworm', 'bookworm-20260803', '12.12', '12']);
      await pushIndex(open, 'tags/debian', 'oci', 'bookworm-old', ['bookworm-20260701', '12.11']);
      bookwormSlim = await pushIndex(open, 'tags/debian', 'oci', 'bookworm-slim', ['bookworm-slim', 'bookworm-20260803-slim', '12.12-slim', '12-slim']);
      await pushIndex(open, 'tags/debian', 'oci', 'trixie', ['trixie', 'trixie-20260803', '13.1', '13', 'latest']);
      noble = await pushIndex(open, 'tags/ubuntu', 'oci', 'noble', ['noble', 'noble-20241015', '24.04', 'latest']);
      await pushIndex(open, 'tags/ubuntu', 'oci', 'jammy', ['jammy', 'jammy-20240911.1', '22.04']);
      temurin21 = await pushIndex(open, 'tags/eclipse-temurin', 'oci', 'temurin-21', ['21-jdk-alpine', '21.0.5_11-jdk-alpine']);
      await pushIndex(open, 'tags/eclipse-temurin', 'oci', 'temurin-21-3.20', ['21.0.5_11-jdk-alpine-3.20']);
      openjdk8 = await pushIndex(open, 'tags/openjdk', 'docker', 'openjdk-8', ['8-jdk', '8u342-jdk']);
      await pushIndex(open, 'tags/openjdk', 'docker', 'openjdk-8-332', ['8u332-jdk']);
      minorOnly = await pushIndex(open, 'tags/minor', 'oci', 'minor', ['12', '12.12']);
    }, 60_000);

    it('debian:12 → the codename with its date stamp (not 12.12, which image-tag calls floating)', async () => {
      expect((await fix(`FROM ${H}/tags/debian:12\n`)).text).toBe(`FROM ${H}/tags/debian:bookworm-20260803@${bookworm12.digest}\n`);
      expect((await fix(`FROM ${H}/tags/debian:12-slim\n`)).text).toBe(`FROM ${H}/tags/debian:bookworm-20260803-slim@${bookwormSlim.digest}\n`);
    });

    it('with image-digest off the precise tag is written, not dropped as adding a finding', async () => {
      for (const [written, precise] of [['debian:12', 'debian:bookworm-20260803'], ['ubuntu:latest', 'ubuntu:noble-20241015'], ['ubuntu', 'ubuntu:noble-20241015']]) {
        const r = await fix(`FROM ${H}/tags/${written}\n`, pinner(), TAG_ONLY);
        expect(r.text).toBe(`FROM ${H}/tags/${precise}\n`);
        expect(r.left).toEqual([]);
        expect(r.applied.map((a) => a.rule)).toEqual(['image-tag']);
      }
    });

    it('ubuntu:latest and ubuntu:24.04 → noble-<date>', async () => {
      expect((await fix(`FROM ${H}/tags/ubuntu:latest\n`)).text).toBe(`FROM ${H}/tags/ubuntu:noble-20241015@${noble.digest}\n`);
      expect((await fix(`FROM ${H}/tags/ubuntu:24.04\n`)).text).toBe(`FROM ${H}/tags/ubuntu:noble-20241015@${noble.digest}\n`);
    });

    it('Java tags are candidates: 21-jdk-alpine → 21.0.5_11-jdk-alpine, 8-jdk → 8u342-jdk', async () => {
      expect((await fix(`FROM ${H}/tags/eclipse-temurin:21-jdk-alpine\n`)).text).toBe(`FROM ${H}/tags/eclipse-temurin:21.0.5_11-jdk-alpine@${temurin21.digest}\n`);
      expect((await fix(`FROM ${H}/tags/openjdk:8-jdk\n`)).text).toBe(`FROM ${H}/tags/openjdk:8u342-jdk@${openjdk8.digest}\n`);
      // 8u342-jdk is precise to the rule: fixing the fixed file changes nothing.
      const again = await fix(`FROM ${H}/tags/openjdk:8u342-jdk@${openjdk8.digest}\n`);
      expect(again.applied).toEqual([]);
    });

    it('a lock entry naming a tag that is not precise (an older lock: 12.12) keeps its digest but not its tag', async () => {
      const lock = LockFile.load(join(workspace({}), 'dockrepro.lock.json'));
      lock.set(`${H}/tags/debian:12`, { tag: '12.12', digest: bookworm12.digest, mediaType: 'x', resolvedAt: '2020-01-01T00:00:00.000Z' });
      const r = await fix(`FROM ${H}/tags/debian:12\n`, pinner({ lock, offline: true }));
      expect(r.text).toBe(`FROM ${H}/tags/debian:12@${bookworm12.digest}\n`);
      expect(r.applied[0].title).toMatch(/its tag '12\.12' is not precise \(fix --refresh chooses again\)/);
      const refreshed = await fix(`FROM ${H}/tags/debian:12\n`, pinner({ lock, refresh: true }));
      expect(refreshed.text).toBe(`FROM ${H}/tags/debian:bookworm-20260803@${bookworm12.digest}\n`);
    });

    it('no precise tag has the digest (only 12.12): the tag is kept and the digest pinned, with the reason', async () => {
      const r = await fix(`FROM ${H}/tags/minor:12\n`);
      expect(r.text).toBe(`FROM ${H}/tags/minor:12@${minorOnly.digest}\n`);
      expect(r.applied[0].title).toMatch(/no precise tag \(see image-tag\) is listed beside it; kept '12'/);
      const tagOnly = await fix(`FROM ${H}/tags/minor:12\n`, pinner(), TAG_ONLY);
      expect(tagOnly.text).toBe(`FROM ${H}/tags/minor:12\n`);
      expect(tagOnly.left).toMatchObject([{ left: 'no-fixer', reason: expect.stringMatching(/kept '12': pin its digest \(rule image-digest\) or write a precise tag by hand/) }]);
    });
  });

  describe('date-stamped tags do not crowd out releases (a registry tag list, no Docker Hub API)', () => {
    let alpine: PushedIndex;
    let edge: PushedIndex;
    const SNAPSHOTS = Array.from({ length: 30 }, (_, i) => `2024${String(1 + (i % 12)).padStart(2, '0')}${String(1 + i).padStart(2, '0')}`);

    beforeAll(async () => {
      alpine = await pushIndex(open, 'tags/alpine', 'oci', 'alpine-3.20.3', ['3.20.3', '3.20', '3', 'latest']);
      await pushIndex(open, 'tags/alpine', 'oci', 'alpine-3.19.4', ['3.19.4', '3.19']);
      // Thirty edge snapshots, more than the 20 candidates compared; edge is the newest.
      await pushIndex(open, 'tags/alpine', 'oci', 'alpine-snapshots', SNAPSHOTS);
      edge = await pushIndex(open, 'tags/alpine', 'oci', 'alpine-edge', ['20241224', 'edge']);
    }, 60_000);

    it('FROM alpine becomes the release, and edge its newest snapshot', async () => {
      const p = pinner();
      const r = await fix(`FROM ${H}/tags/alpine\nFROM ${H}/tags/alpine:edge\n`, p);
      expect(r.text).toBe(`FROM ${H}/tags/alpine:3.20.3@${alpine.digest}\nFROM ${H}/tags/alpine:20241224@${edge.digest}\n`);
    });
  });

  describe('FROM --platform=<literal> pins that platform, whatever the command line says', () => {
    const amd = () => py3.platforms.find((p) => p.platform.architecture === 'amd64')!.manifest.digest;
    const arm = () => py3.platforms.find((p) => p.platform.architecture === 'arm64')!.manifest.digest;

    it('the FROM flag wins over --platform; other references follow --platform', async () => {
      const dir = workspace({});
      const lock = LockFile.load(join(dir, 'dockrepro.lock.json'));
      const r = await fix(`FROM --platform=linux/amd64 ${H}/pin/python:3 AS a\nCOPY --from=${H}/pin/python:3 /a /b\n`, pinner({ platform: 'linux/arm64', lock }));
      expect(r.text).toBe(`FROM --platform=linux/amd64 ${H}/pin/python:3.12.7@${amd()} AS a\nCOPY --from=${H}/pin/python:3.12.7@${arm()} /a /b\n`);
      expect(r.applied[0].title).toContain('(linux/amd64 manifest)');
      expect(lock.get(`${H}/pin/python:3 linux/amd64`)).toMatchObject({ tag: '3.12.7', digest: amd(), platform: 'linux/amd64' });
      expect(lock.get(`${H}/pin/python:3 linux/arm64`)).toMatchObject({ digest: arm(), platform: 'linux/arm64' });
    });

    it('without --platform the literal FROM platform is still pinned; $BUILDPLATFORM keeps the index', async () => {
      const r = await fix(`FROM --platform=linux/arm64 ${H}/pin/python:3\nFROM --platform=$BUILDPLATFORM ${H}/pin/python:3\n`);
      expect(r.text).toBe(`FROM --platform=linux/arm64 ${H}/pin/python:3.12.7@${arm()}\nFROM --platform=$BUILDPLATFORM ${H}/pin/python:3.12.7@${py3.digest}\n`);
    });

    it('a single-platform image for another platform is left with the reason', async () => {
      const r = await fix(`FROM --platform=linux/arm64 ${H}/pin/single:1\n`, pinner({ platform: 'linux/amd64' }));
      expect(r.text).toBe(`FROM --platform=linux/arm64 ${H}/pin/single:1\n`);
      expect(r.left[0].reason).toMatch(/single-platform image for linux\/amd64, not linux\/arm64/);
    });
  });

  describe('Docker Hub tags API (one listing gives the digests of the recent tags)', () => {
    let hub: Server;
    let hubUrl: string;
    const hubSeen: string[] = [];
    let hubPy: PushedIndex;
    let other: PushedIndex;
    let hubDebian: PushedIndex;

    beforeAll(async () => {
      hubPy = await pushIndex(open, 'pinhub/python', 'oci', 'hub-3.13.1', ['3', '3.13', '3.13.1']);
      other = await pushIndex(open, 'pinhub/python', 'oci', 'hub-3.12.9', ['3.12', '3.12.9']);
      // The Hub API's shape: results newest first, `next` absolute; one bad tag and one bad digest among them.
      const pages: Record<string, unknown> = {
        '1': {
          next: 'PAGE2',
          results: [
            { name: '3', digest: hubPy.digest },
            { name: '3.13.1\nRUN evil', digest: hubPy.digest },
            { name: '3.13', digest: hubPy.digest },
            { name: '3.12', digest: 'sha256:short' },
          ],
        },
        // 3.12.9 is older than the two pages read: not in the listing.
        '2': { next: null, results: [{ name: '3.13.1', digest: hubPy.digest }] },
      };
      // Debian as Docker Hub lists it: the point release first, the dated codename and a suite alias beside it.
      hubDebian = await pushIndex(open, 'pinhub/debian', 'oci', 'hub-bookworm', ['12', '12.12', 'bookworm', 'bookworm-20260803', 'oldstable-20260803']);
      const debianPage = {
        next: null,
        results: ['12', '12.12', 'oldstable-20260803', 'bookworm', 'bookworm-20260803'].map((name) => ({ name, digest: hubDebian.digest })),
      };
      hub = createServer((req, res) => {
        hubSeen.push(req.url!);
        if (req.url!.startsWith('/v2/namespaces/pinhub/repositories/debian/tags?')) {
          return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(debianPage));
        }
        const m = /^\/v2\/namespaces\/pinhub\/repositories\/python\/tags\?(.*)$/.exec(req.url!);
        if (!m) return void res.writeHead(404).end('{}');
        const page = new URLSearchParams(m[1]).get('page') ?? '1';
        const body = JSON.stringify(pages[page]).replace('PAGE2', `${hubUrl}/v2/namespaces/pinhub/repositories/python/tags?page=2&page_size=100`);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
      });
      await new Promise<void>((r) => hub.listen(0, '127.0.0.1', r));
      hubUrl = `http://127.0.0.1:${(hub.address() as { port: number }).port}`;
    });
    afterAll(() => new Promise((r) => hub.close(r)));

    const hubClient = (api: string | false) => new RegistryClient({ retries: 0, mirrors: { 'docker.io': open.host }, hubTagsApi: api });

    it('picks the precise tag from the listing; only valid tags and digests count; the written digest is still verified', async () => {
      hubSeen.length = 0;
      const r = await fix('FROM pinhub/python:3\n', pinner({ client: hubClient(hubUrl) }));
      expect(r.text).toBe(`FROM pinhub/python:3.13.1@${hubPy.digest}\n`);
      expect(r.applied[0].title).toContain('(Docker Hub tags API)');
      expect(hubSeen.map((u) => u.split('?')[0])).toEqual(['/v2/namespaces/pinhub/repositories/python/tags', '/v2/namespaces/pinhub/repositories/python/tags']);
    });

    it('debian:12 → bookworm-<date>: 12.12 is listed with the digest but image-tag calls it floating; the codename beats the suite name', async () => {
      const r = await fix('FROM pinhub/debian:12\n', pinner({ client: hubClient(hubUrl) }));
      expect(r.text).toBe(`FROM pinhub/debian:bookworm-20260803@${hubDebian.digest}\n`);
      expect(r.applied[0].title).toContain('(Docker Hub tags API)');
    });

    it('nothing matching in the listing, or the API unreachable: the registry API decides', async () => {
      const r = await fix('FROM pinhub/python:3.12\n', pinner({ client: hubClient(hubUrl) }));
      // The listing has no 3.12.x: the registry's tag list and HEADs find it.
      expect(r.text).toBe(`FROM pinhub/python:3.12.9@${other.digest}\n`);
      expect(r.applied[0].title).not.toContain('Docker Hub tags API');
      const down = hubClient('http://127.0.0.1:9');
      const d = await fix('FROM pinhub/python:3\n', pinner({ client: down }));
      expect(d.text).toBe(`FROM pinhub/python:3.13.1@${hubPy.digest}\n`);
    });
  });
});
