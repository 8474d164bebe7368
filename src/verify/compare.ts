/**
 * Two builds of one Dockerfile compared: the image digests first; when they differ, the config field by
 * field and the layers pairwise (bottom first), and in each pair of differing layers every path and how it
 * differs, with a hint where the cause is a known one.
 */
import { configHint, fileHint } from './hints';
import { readLayerFiles, type FileFacts } from './layerFiles';
import type { LayoutImage, LayoutLayer } from './ociLayout';

export type Aspect = 'only-in-one' | 'type' | 'content' | 'size' | 'mtime' | 'mode' | 'owner' | 'link';

export interface FileDifference {
  path: string;
  /** Each way the two entries differ, with the value in build 1 and build 2. */
  differences: { aspect: Aspect; first: string; second: string }[];
  hint?: string;
}

export interface LayerComparison {
  /** 1-based, bottom layer first. */
  index: number;
  /** The instruction that made the layer (from the history), when known. */
  createdBy?: string;
  digests: [string | undefined, string | undefined];
  files: FileDifference[];
}

export interface ConfigDifference {
  /** `created`, `history[3].created`, `config.Env[1]`, … */
  field: string;
  first?: unknown;
  second?: unknown;
  hint?: string;
}

export interface Comparison {
  identical: boolean;
  digests: [string, string];
  config: ConfigDifference[];
  /** Only the layers that differ. */
  layers: LayerComparison[];
}

export interface CompareOptions {
  /**
   * Environment variables left out of the config's `Env` in both images before comparing (set by the builds
   * themselves, as `verify --vary`'s locale variation does), and with them the history comments that name
   * the image of the step before. When that is the only difference, the images count as identical although
   * their digests differ.
   */
  ignoreEnv?: readonly string[];
}

export async function compareImages(a: LayoutImage, b: LayoutImage, options: CompareOptions = {}): Promise<Comparison> {
  const digests: [string, string] = [a.manifestDigest, b.manifestDigest];
  if (a.manifestDigest === b.manifestDigest) return { identical: true, digests, config: [], layers: [] };
  const ignored = options.ignoreEnv ?? [];
  // buildah's history comments name the image of the step before (`FROM <id>`), whose id changes with its
  // Env; a real difference shows in the layers or the rest of the config anyway.
  const config = compareConfigs(withoutEnv(a.config, ignored), withoutEnv(b.config, ignored)).filter((d) => ignored.length === 0 || !/^history\[\d+\]\.comment$/.test(d.field));
  const layers: LayerComparison[] = [];
  for (let i = 0; i < Math.max(a.layers.length, b.layers.length); i++) {
    const la = a.layers[i];
    const lb = b.layers[i];
    if (la && lb && (la.digest === lb.digest || (la.diffId !== undefined && la.diffId === lb.diffId))) continue;
    layers.push({
      index: i + 1,
      createdBy: la?.createdBy ?? lb?.createdBy,
      digests: [la?.digest, lb?.digest],
      files: compareFiles(await files(la), await files(lb)),
    });
  }
  const onlyIgnored = ignored.length > 0 && config.length === 0 && layers.length === 0;
  return { identical: onlyIgnored, digests, config, layers };
}

/** The config with `NAME=…` entries of `names` left out of `config.Env`. */
function withoutEnv(config: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const inner = config.config as { Env?: unknown } | undefined;
  if (names.length === 0 || !inner || !Array.isArray(inner.Env)) return config;
  const Env = inner.Env.filter((e) => typeof e !== 'string' || !names.some((n) => e.startsWith(`${n}=`)));
  return { ...config, config: { ...inner, Env } };
}

async function files(layer: LayoutLayer | undefined): Promise<Map<string, FileFacts>> {
  return layer ? readLayerFiles(layer.path) : new Map();
}

export function compareFiles(a: Map<string, FileFacts>, b: Map<string, FileFacts>): FileDifference[] {
  const out: FileDifference[] = [];
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const fa = a.get(path);
    const fb = b.get(path);
    const differences = !fa || !fb ? [{ aspect: 'only-in-one' as const, first: fa ? 'present' : 'absent', second: fb ? 'present' : 'absent' }] : compareEntry(fa, fb);
    if (differences.length === 0) continue;
    const hint = fileHint(path);
    out.push({ path, differences, ...(hint ? { hint } : {}) });
  }
  return out;
}

function compareEntry(a: FileFacts, b: FileFacts): FileDifference['differences'] {
  const out: FileDifference['differences'] = [];
  const add = (aspect: Aspect, first: string, second: string) => first !== second && out.push({ aspect, first, second });
  add('type', a.type, b.type);
  if (a.type === 'file' && b.type === 'file' && a.sha256 !== b.sha256) out.push({ aspect: 'content', first: shown(a), second: shown(b) });
  add('size', String(a.size), String(b.size));
  add('mtime', time(a.mtime), time(b.mtime));
  add('mode', a.mode.toString(8).padStart(4, '0'), b.mode.toString(8).padStart(4, '0'));
  add('owner', `${a.uid}:${a.gid}`, `${b.uid}:${b.gid}`);
  add('link', a.link ?? '', b.link ?? '');
  return out;
}

/** A small text file's content as it is; otherwise the start of its sha256. */
function shown(f: FileFacts): string {
  if (f.excerpt && !f.excerpt.includes(0)) {
    const text = f.excerpt.toString('utf8');
    if (!text.includes('\ufffd')) return JSON.stringify(text);
  }
  return `sha256:${(f.sha256 ?? '').slice(0, 12)}…`;
}

function time(seconds: number | undefined): string {
  return seconds === undefined ? '' : new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** Config fields (as paths to their leaves) whose values differ. The layers are compared on their own. */
export function compareConfigs(a: unknown, b: unknown): ConfigDifference[] {
  const fa = flatten(a);
  const fb = flatten(b);
  const out: ConfigDifference[] = [];
  for (const field of [...new Set([...fa.keys(), ...fb.keys()])]) {
    if (field.startsWith('rootfs.diff_ids')) continue;
    const first = fa.get(field);
    const second = fb.get(field);
    if (JSON.stringify(first) === JSON.stringify(second)) continue;
    const hint = configHint(field);
    out.push({ field, first, second, ...(hint ? { hint } : {}) });
  }
  return out;
}

function flatten(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(value)) value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, value);
  return out;
}
