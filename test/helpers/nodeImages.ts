/**
 * StageBases answering from fixed image facts, for tests of the fixers' wiring (the registry-backed reader is
 * tested on its own). The facts are those of the real images: the official `node` images set NODE_VERSION in
 * their config and ship the headers and npm under /usr/local; the npm each Node release bundles is the one
 * listed at https://nodejs.org/dist/index.json.
 */
import type { ImageConfigFacts, ImageFiles, StageBases } from '../../src/resolve/baseImage';
import { NotFixed } from '../../src/util/notFixed';

export interface ImageFacts {
  image: string;
  env?: Record<string, string>;
  /** absolute path → content */
  files?: Record<string, string>;
}

/** An official `node:<version>` image: NODE_VERSION, node_version.h and npm's package.json. */
export function officialNode(tag: string, node: string, npm: string): ImageFacts {
  const [major, minor, patch] = node.split('.');
  return {
    image: `node:${tag}`,
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', NODE_VERSION: node },
    files: {
      '/usr/local/include/node/node_version.h': `#ifndef SRC_NODE_VERSION_H_\n#define SRC_NODE_VERSION_H_\n\n#define NODE_MAJOR_VERSION ${major}\n#define NODE_MINOR_VERSION ${minor}\n#define NODE_PATCH_VERSION ${patch}\n\n#define NODE_VERSION_IS_RELEASE 1\n#endif\n`,
      '/usr/local/lib/node_modules/npm/package.json': JSON.stringify({ name: 'npm', version: npm, description: 'a package manager for JavaScript' }),
    },
  };
}

export const NODE_12 = officialNode('12.22.12-alpine', '12.22.12', '6.14.16');
export const NODE_16 = officialNode('16.20.2', '16.20.2', '8.19.4');
export const NODE_18 = officialNode('18.20.5', '18.20.5', '10.8.2');
export const NODE_20 = officialNode('20.18.0-slim', '20.18.0', '10.8.2');
/** Node 10 shipped npm 6.13, Node 8.9 shipped npm 5.5.1 (before `npm ci`). */
export const NODE_8 = officialNode('8.9.4', '8.9.4', '5.6.0');
export const DEBIAN = { image: 'debian:12.7', env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } };

/**
 * StageBases where stage i is built on `images[i]` (the last one for later stages); an `Error` makes
 * every question about that stage fail the way the reader fails when the registry cannot be read.
 * `asked` counts questions, so tests can see that a fixer did not ask.
 */
export function fixedBases(...images: (ImageFacts | NotFixed)[]): StageBases & { asked: number } {
  const at = (stage: number) => images[Math.min(stage, images.length - 1)];
  const bases = {
    asked: 0,
    async config(stage: number): Promise<ImageConfigFacts> {
      bases.asked++;
      const img = at(stage);
      if (img instanceof NotFixed) throw img;
      return { image: img.image, manifestDigest: `sha256:${'0'.repeat(64)}`, platform: 'linux/amd64', env: img.env ?? {}, labels: {}, source: 'registry' };
    },
    async files(stage: number, query: { files?: readonly string[]; dirs?: readonly string[] }): Promise<ImageFiles> {
      bases.asked++;
      const img = at(stage);
      if (img instanceof NotFixed) throw img;
      const files = new Map<string, string>();
      for (const f of query.files ?? []) if (img.files?.[f] !== undefined) files.set(f, img.files[f]);
      return { files, dirs: new Map(), source: 'registry' };
    },
    async bytes(stage: number, path: string): Promise<Buffer | undefined> {
      bases.asked++;
      const img = at(stage);
      if (img instanceof NotFixed) throw img;
      return img.files?.[path] === undefined ? undefined : Buffer.from(img.files[path]);
    },
  };
  return bases;
}
