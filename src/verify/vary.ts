/**
 * `verify --vary`: an unvaried build and a build under every variation (src/verify/variations.ts). When they
 * differ, which variation made the difference: the unvaried build once more (what differs between two builds
 * under the same conditions is not blamed on a variation), then one build per variation, each compared with
 * the first. So 2 builds when the result holds, 3 + one per variation when it does not (one variation: 3).
 */
import type { BuildConditions, BuiltImage } from './builder';
import { compareImages, type Comparison } from './compare';
import { readLayout } from './ociLayout';
import { IMAGE_ENV_NAMES, type VariationName } from './variations';

/** What differs between two builds: file paths (over all layers) and config fields. */
export interface Differing {
  paths: string[];
  config: string[];
}

export interface VariationOutcome {
  variation: VariationName;
  /** Nothing differs that does not also differ without any variation. */
  reproducible: boolean;
  /** What differs with this variation alone and not between two unvaried builds. */
  differing: Differing;
}

export interface VaryOutcome {
  /** The unvaried build against the build under all `applied` variations. */
  comparison: Comparison;
  /** Seconds per build, in the order they ran. */
  seconds: number[];
  /** When the varied build differs: what differs between the unvaried build and a second one like it. */
  unvaried?: Differing;
  /** When the varied build differs: each variation alone. */
  byVariation?: VariationOutcome[];
}

/** One build under the given conditions; `label` says which (for progress). */
export type BuildUnder = (label: string, conditions: BuildConditions) => Promise<{ image: BuiltImage; seconds: number }>;

export async function buildVaried(
  build: BuildUnder,
  applied: readonly VariationName[],
  conditions: (varied: readonly VariationName[]) => BuildConditions,
): Promise<VaryOutcome> {
  const seconds: number[] = [];
  const ignoreEnv = applied.includes('locale') ? IMAGE_ENV_NAMES : [];
  const run = async (label: string, varied: readonly VariationName[]) => {
    const built = await build(label, conditions(varied));
    seconds.push(built.seconds);
    return built.image;
  };
  const first = await run('unvaried', []);
  // Each later build is compared with the first and removed at once (image stores are large).
  const againstFirst = async (label: string, varied: readonly VariationName[]) => {
    const image = await run(label, varied);
    try {
      return await compareImages(readLayout(first.layout), readLayout(image.layout), { ignoreEnv });
    } finally {
      image.dispose();
    }
  };
  try {
    const comparison = await againstFirst(`varied: ${applied.join(', ')}`, applied);
    if (comparison.identical) return { comparison, seconds };
    const unvaried = differing(await againstFirst('unvaried, again', []));
    const byVariation: VariationOutcome[] = [];
    for (const variation of applied) {
      const alone = applied.length === 1 ? comparison : await againstFirst(`${variation} only`, [variation]);
      const own = minus(differing(alone), unvaried);
      byVariation.push({ variation, reproducible: own.paths.length === 0 && own.config.length === 0, differing: own });
    }
    return { comparison, seconds, unvaried, byVariation };
  } finally {
    first.dispose();
  }
}

function differing(c: Comparison): Differing {
  if (c.identical) return { paths: [], config: [] };
  return {
    paths: [...new Set(c.layers.flatMap((l) => l.files.map((f) => f.path)))].sort(),
    config: c.config.map((d) => d.field),
  };
}

function minus(a: Differing, b: Differing): Differing {
  return { paths: a.paths.filter((p) => !b.paths.includes(p)), config: a.config.filter((f) => !b.config.includes(f)) };
}
