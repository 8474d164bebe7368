/**
 * A property of safe image pins over the whole corpus, against a real registry that holds every image the
 * corpus names (each registry host mirrored to the test's own docker-registry): after `dockrepro fix` (safe fixes
 * only, image rules),
 *  - no reference assembled from build args (`buildpack-deps:${VARIANT}-curl`) has gained a digest: a digest would
 *    override `--build-arg VARIANT=…`;
 *  - every tag that was written passes the image-tag rule itself.
 * Each image is pushed under its own tag and under sibling tags with the same digest, some of them traps that look
 * more precise but are not (`12` → `12.12`, `latest` → `24.04`), some precise (`12.7.1`, `bookworm-20260803`).
 */
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseDockerfile, type ImageSite } from '../../src/parse/dockerfile';
import { endpointOf } from '../../src/resolve/endpoint';
import { isPreciseTag } from '../../src/parse/imageRef';
import { decodeDockerfile } from '../../src/util/decode';
import { runCli } from '../helpers/cli';
import { corpusFiles, itWithCorpus } from '../helpers/corpus';
import { describeWithRegistries, MT, pushBlob, pushManifest, testRegistries, type RegistryInstance } from '../helpers/registryFixtures';

/** A site whose reference is built from ARGs and is not exactly one ARG (`${BASE}`), whose default a fix may pin. */
const assembled = (site: ImageSite) => site.raw.includes('$') && !/^\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$/.test(site.raw.replace(/^["']|["']$/g, ''));

/** Tags that share the image of `tag`: traps that look more precise but fail image-tag, and precise ones. */
function siblings(tag: string): string[] {
  const out: string[] = [];
  const numeric = /^(\d+(?:\.\d+)?)(-.*)?$/.exec(tag);
  if (numeric) out.push(`${numeric[1]}.12${numeric[2] ?? ''}`, `${numeric[1]}.7.1${numeric[2] ?? ''}`);
  else if (tag === 'latest') out.push('24.04', '1.2.3');
  else if (/^[a-z]+$/.test(tag)) out.push(`${tag}-20260803`);
  return out.filter((t) => t !== tag);
}

async function pushCorpusImage(reg: RegistryInstance, repo: string, tags: string[]): Promise<void> {
  const layer = Buffer.from(`layer of ${repo}:${tags[0]}`);
  const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [] }, config: { Labels: { repo, tag: tags[0] } } }));
  const [configDigest, layerDigest] = [await pushBlob(reg, repo, config), await pushBlob(reg, repo, layer)];
  const manifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: MT.ociConfig, digest: configDigest, size: config.length },
    layers: [{ mediaType: MT.ociLayer, digest: layerDigest, size: layer.length }],
  };
  await pushManifest(reg, repo, MT.ociManifest, Buffer.from(JSON.stringify(manifest)), tags);
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

describeWithRegistries('safe image pins over the corpus', () => {
  const files = corpusFiles();

  itWithCorpus('never freeze a build arg with a digest, and only write tags that pass image-tag', async () => {
    const reg = testRegistries().corpus;
    if (!reg) throw new Error('the corpus registry was not started (test/setup/registries.ts)');
    const dir = mkdtempSync(join(tmpdir(), 'dockrepro-corpus-pins-'));
    const wanted = new Map<string, Set<string>>();
    const hosts = new Set<string>();
    const copies: { copy: string; text: string }[] = [];
    for (const f of files) {
      const decoded = decodeDockerfile(readFileSync(f));
      if (decoded.kind !== 'text') continue;
      const copy = join(dir, basename(f));
      copyFileSync(f, copy);
      // The corpus is read-only (0444) and copies keep the mode: fix leaves read-only files without --force.
      chmodSync(copy, 0o644);
      copies.push({ copy, text: decoded.text });
      for (const site of parseDockerfile(decoded.text).imageSites) {
        if (!site.ref || site.ref.digest) continue;
        const e = endpointOf(site.ref);
        hosts.add(e.host);
        const tags = wanted.get(e.repository) ?? new Set<string>();
        tags.add(site.ref.tag ?? 'latest');
        wanted.set(e.repository, tags);
      }
    }
    const images = [...wanted].flatMap(([repo, tags]) => [...tags].map((tag) => ({ repo, tags: [tag, ...siblings(tag)] })));
    await mapLimit(images, 8, (i) => pushCorpusImage(reg, i.repo, i.tags));
    const mirrors = [...hosts].map((h) => `  ${JSON.stringify(h)}: { mirror: ${JSON.stringify(reg.host)} }`).join('\n');
    writeFileSync(join(dir, '.dockrepro.yaml'), `registries:\n${mirrors}\n`);

    const r = await runCli(['fix', '--rules', 'image-digest,image-tag', ...copies.map((c) => c.copy)], { cwd: dir, env: { HOME: dir } });
    expect(r.stderr).toBe('');

    let pinned = 0;
    let assembledSites = 0;
    const problems: string[] = [];
    for (const { copy, text } of copies) {
      const after = readFileSync(copy, 'utf8').replace(/^\uFEFF/, '');
      const before = parseDockerfile(text).imageSites;
      const now = parseDockerfile(after).imageSites;
      if (before.length !== now.length) {
        problems.push(`${basename(copy)}: ${before.length} image references before, ${now.length} after`);
        continue;
      }
      now.forEach((site, i) => {
        const was = before[i];
        if (assembled(was)) {
          assembledSites++;
          if (site.raw !== was.raw && /@sha256:/.test(site.raw) && !/@sha256:/.test(was.raw)) problems.push(`${basename(copy)}: '${was.raw}' → '${site.raw}' freezes a build arg`);
        }
        if (site.ref?.digest && !was.ref?.digest) pinned++;
        const tag = site.ref?.tag;
        if (tag !== undefined && tag !== was.ref?.tag && !isPreciseTag(tag)) problems.push(`${basename(copy)}: '${was.raw}' → '${site.raw}': '${tag}' fails image-tag`);
      });
    }
    expect(problems).toEqual([]);
    // The property was exercised: many references pinned, and the corpus has build-arg-assembled ones.
    expect(pinned).toBeGreaterThan(100);
    expect(assembledSites).toBeGreaterThan(5);
  }, 300_000);
});
