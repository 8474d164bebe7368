/**
 * Reads the image a builder exported as an OCI image layout: `index.json` → the one manifest → its config
 * and layers, each a file under `blobs/<alg>/<hex>`. Only what the comparison needs is parsed; the layout
 * was written by the builder we ran, but its JSON is still checked for shape before use.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export interface LayoutLayer {
  /** The blob's digest, as the manifest lists it (compressed). */
  digest: string;
  mediaType: string;
  /** The uncompressed tar's digest (the config's `rootfs.diff_ids`), when the config lists one. */
  diffId?: string;
  /** The history entry that made this layer (`created_by`), when there is one. */
  createdBy?: string;
  /** Path of the blob file. */
  path: string;
}

export interface LayoutImage {
  /** Digest of the manifest: the image's digest, as a registry would name it. */
  manifestDigest: string;
  configDigest: string;
  /** The parsed config blob. */
  config: Record<string, unknown>;
  /** Bottom layer first, as in the manifest. */
  layers: LayoutLayer[];
}

export function blobPath(layout: string, digest: string): string {
  if (!DIGEST.test(digest)) throw new Error(`not a sha256 digest: '${digest}'`);
  return join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

function json(path: string): Record<string, unknown> {
  const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${path} is not a JSON object`);
  return value as Record<string, unknown>;
}

function descriptor(value: unknown, what: string): { digest: string; mediaType: string } {
  const d = value as { digest?: unknown; mediaType?: unknown } | null;
  if (typeof d?.digest !== 'string' || !DIGEST.test(d.digest)) throw new Error(`${what} has no sha256 digest`);
  return { digest: d.digest, mediaType: typeof d.mediaType === 'string' ? d.mediaType : '' };
}

export function readLayout(layout: string): LayoutImage {
  const index = json(join(layout, 'index.json'));
  const manifests = Array.isArray(index.manifests) ? index.manifests : [];
  if (manifests.length !== 1) throw new Error(`${layout}/index.json lists ${manifests.length} manifests, expected 1`);
  const manifestDigest = descriptor(manifests[0], 'the index entry').digest;
  const manifest = json(blobPath(layout, manifestDigest));
  const configDigest = descriptor(manifest.config, 'the manifest config').digest;
  const config = json(blobPath(layout, configDigest));
  const rootfs = config.rootfs as { diff_ids?: unknown } | undefined;
  const diffIds = Array.isArray(rootfs?.diff_ids) ? (rootfs.diff_ids as unknown[]) : [];
  // History entries without `empty_layer` made the layers, in order.
  const history = Array.isArray(config.history) ? (config.history as { created_by?: unknown; empty_layer?: unknown }[]) : [];
  const makers = history.filter((h) => h && h.empty_layer !== true).map((h) => (typeof h.created_by === 'string' ? h.created_by : undefined));
  const layers = (Array.isArray(manifest.layers) ? manifest.layers : []).map((l: unknown, i: number): LayoutLayer => {
    const d = descriptor(l, `layer ${i + 1}`);
    const diffId = diffIds[i];
    return {
      ...d,
      diffId: typeof diffId === 'string' && DIGEST.test(diffId) ? diffId : undefined,
      createdBy: makers.length === diffIds.length ? makers[i] : undefined,
      path: blobPath(layout, d.digest),
    };
  });
  return { manifestDigest, configDigest, config, layers };
}
