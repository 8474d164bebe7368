/**
 * The Node.js and npm a stage's base image ships, read from the image (src/resolve/baseImage.ts): the
 * version npm would pick for a package depends on both (`engines` in npm-pick-manifest), and whether
 * `npm ci` exists and which flags it knows depends on npm's version.
 *
 * Node: the header the Node build installs with the binary (`include/node/node_version.h`, in official
 * images, Alpine's and Debian's packages with headers), else `NODE_VERSION` in the image config's Env (set
 * by the official `node` images). npm: the `package.json` of the npm that `npm` runs (`lib/node_modules/npm`
 * under /usr/local or /usr, Debian's /usr/share/nodejs/npm). Nothing is guessed from the image's name.
 */
import type { StageBases } from './baseImage';

export interface NodeRuntime {
  /** `12.22.12` */
  node: string;
  /** `6.14.16` */
  npm: string;
  /** The image they were read from, for messages: `node:12.22.12-alpine`. */
  source: string;
}

export const NODE_HEADERS = ['/usr/local/include/node/node_version.h', '/usr/include/node/node_version.h'];
export const NPM_MANIFESTS = [
  '/usr/local/lib/node_modules/npm/package.json',
  '/usr/lib/node_modules/npm/package.json',
  '/usr/share/nodejs/npm/package.json',
];

/** A plain release version (`12.22.12`): what node_version.h and npm's package.json hold. */
const RELEASE = /^(0|[1-9]\d{0,4})\.(0|[1-9]\d{0,4})\.(0|[1-9]\d{0,4})$/;

/** `#define NODE_MAJOR_VERSION 12` … from node_version.h. */
export function nodeVersionFromHeader(text: string): string | undefined {
  const part = (name: string) => new RegExp(`^#define NODE_${name}_VERSION (\\d+)\\s*$`, 'm').exec(text)?.[1];
  const v = [part('MAJOR'), part('MINOR'), part('PATCH')];
  if (v.some((p) => p === undefined)) return undefined;
  const version = v.join('.');
  return RELEASE.test(version) ? version : undefined;
}

function npmVersionFromManifest(text: string): string | undefined {
  try {
    const m = JSON.parse(text) as { name?: unknown; version?: unknown };
    return m.name === 'npm' && typeof m.version === 'string' && RELEASE.test(m.version) ? m.version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Node and npm of the stage's base image, or a sentence saying what is missing. A NotFixed from
 * `bases` (the image cannot be read) is passed on to the caller.
 */
export async function readNodeRuntime(bases: StageBases, stage: number): Promise<NodeRuntime | { unknown: string }> {
  const config = await bases.config(stage);
  const files = await bases.files(stage, { files: [...NODE_HEADERS, ...NPM_MANIFESTS] });
  const image = config.image;
  let node: string | undefined;
  for (const path of NODE_HEADERS) {
    const text = files.files.get(path);
    node = text === undefined ? undefined : nodeVersionFromHeader(text);
    if (node) break;
  }
  if (!node) {
    const env = config.env.NODE_VERSION?.replace(/^v/, '');
    if (env !== undefined && RELEASE.test(env)) node = env;
  }
  let npm: string | undefined;
  for (const path of NPM_MANIFESTS) {
    const text = files.files.get(path);
    npm = text === undefined ? undefined : npmVersionFromManifest(text);
    if (npm) break;
  }
  if (!node) return { unknown: `the base image ${image} has no Node.js that dockrepro can read (no ${NODE_HEADERS.join(' or ')}, no NODE_VERSION in its config)` };
  if (!npm) return { unknown: `the base image ${image} has Node.js ${node} but no npm that dockrepro can read (no ${NPM_MANIFESTS.join(', ')})` };
  return { node, npm, source: image };
}
