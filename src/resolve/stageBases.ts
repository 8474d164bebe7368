/**
 * StageBases for one Dockerfile model: which image each stage is built on, read through the ImageReader.
 * A stage `FROM <stage>` is answered for the root of its chain; `FROM scratch` has an empty config and no
 * files. A reference is read by the digest it is pinned to, or, for a tag, by the digest the image pinner
 * pins (lock first), so the facts describe the very image `fix` writes into the Dockerfile.
 */
import { stageChain, type DockerfileModel, type ImageSite } from '../parse/dockerfile';
import { PLATFORM, type ImageRef } from '../parse/imageRef';
import type { FileQuery, ImageConfigFacts, ImageFiles, StageBases } from './baseImage';
import { DEFAULT_PLATFORM, type ImageReader } from './imageReader';
import type { ImagePinner } from './images';
import { normalizeQueryPath } from './layers';
import { NotFixed } from '../util/notFixed';

export interface StageBasesOptions {
  images: ImagePinner;
  reader: ImageReader;
  /** `--platform`, for stages without a literal `FROM --platform=` (which wins); else linux/amd64. */
  platform?: string;
}

type Base = { scratch: true; platform: string } | { scratch: false; ref: ImageRef; image: string; platform: string };

export function stageBases(model: DockerfileModel, o: StageBasesOptions): StageBases {
  const baseOf = async (stage: number): Promise<Base> => {
    const site = rootSite(model, stage);
    const platform = platformOf(site, o.platform);
    if (site === undefined) return { scratch: true, platform };
    const image = site.raw;
    const ref = usableRef(site, stage);
    if (ref.digest) return { scratch: false, ref, image, platform };
    // A tag: the digest fix pins it to (lock first, for the stage's own FROM --platform), so facts and the written digest agree.
    const pin = await o.images.pin(ref, site.platform);
    return { scratch: false, ref: { ...ref, digest: pin.digest }, image, platform };
  };
  return {
    async config(stage: number): Promise<ImageConfigFacts> {
      const base = await baseOf(stage);
      if (base.scratch) return { image: 'scratch', manifestDigest: '', platform: base.platform, env: {}, labels: {}, source: 'scratch' };
      return o.reader.config(base.ref, base.platform, base.image);
    },
    async files(stage: number, query: FileQuery): Promise<ImageFiles> {
      const base = await baseOf(stage);
      if (base.scratch) {
        return { files: new Map(), dirs: new Map((query.dirs ?? []).map((d) => [normalizeQueryPath(d), []])), source: 'scratch' };
      }
      return o.reader.files(base.ref, base.platform, base.image, query);
    },
    async bytes(stage: number, path: string, maxBytes: number): Promise<Buffer | undefined> {
      const base = await baseOf(stage);
      return base.scratch ? undefined : o.reader.bytes(base.ref, base.platform, base.image, path, maxBytes);
    },
  };
}

/** The `FROM <image>` site at the root of `stage`'s chain of `FROM <stage>`; undefined for `FROM scratch`. */
function rootSite(model: DockerfileModel, stage: number): ImageSite | undefined {
  if (!model.stages[stage]) throw new NotFixed(`the Dockerfile has no stage ${stage}`, 'failed');
  const root = stageChain(model, stage)[0];
  // The parser records no image for `FROM scratch` (nor for a FROM without an image, which does not build).
  return model.imageSites.find((site) => site.kind === 'from' && site.stage === root);
}

/** The reference a stage is built from, or a NotFixed saying why it cannot be known here. */
function usableRef(site: ImageSite, stage: number): ImageRef {
  const where = `the base image of stage ${stage} ('${site.raw}')`;
  if (site.unknownVars.length > 0) {
    const vars = site.unknownVars.join(', ');
    throw new NotFixed(`${where} is chosen by build argument ${vars}, which has no default: give it a default to let dockrepro read the image`, 'failed');
  }
  if (site.automaticVars.length > 0) {
    throw new NotFixed(`${where} depends on the platform being built (${site.automaticVars.join(', ')})`, 'failed');
  }
  if (site.undeclaredVars.length > 0) {
    throw new NotFixed(`${where} uses ${site.undeclaredVars.join(', ')}, never declared with ARG`, 'failed');
  }
  if (site.value === undefined || !site.ref) throw new NotFixed(`${where} is not a valid image reference${site.error ? `: ${site.error}` : ''}`, 'failed');
  return site.ref;
}

/** `FROM --platform=` when the model gives a literal one, else the command line's, else linux/amd64. */
function platformOf(site: ImageSite | undefined, cli: string | undefined): string {
  const own = site?.platform;
  if (own !== undefined && PLATFORM.test(own)) return own;
  return cli ?? DEFAULT_PLATFORM;
}
