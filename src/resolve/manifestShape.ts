/**
 * Checks that a registry's answer to a manifest request is an image manifest or index before its digest is
 * accepted: a proxy's HTML error page or a captive portal served with an index content type hashes to a
 * digest too, and that digest would be pinned. What is checked is the shape the OCI image spec and Docker's
 * schema 2 share: `schemaVersion: 2`, a `mediaType` field that agrees with the Content-Type when both are
 * given, and descriptors (media type, well-formed digest, size) where the kind says they must be.
 */
import { RegistryError } from './http';

export type ManifestKind = 'index' | 'manifest';

/** A digest as the OCI image spec registers them: sha256 or sha512, lower-case hex of the right length. */
const DIGEST = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What is wrong with a descriptor (`config`, a layer, an index entry), or undefined. */
function descriptorProblem(d: unknown): string | undefined {
  if (!isObject(d)) return 'is not an object';
  if (typeof d.mediaType !== 'string' || d.mediaType === '') return 'has no media type';
  if (typeof d.digest !== 'string' || !DIGEST.test(d.digest)) return 'has a malformed digest';
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) return 'has no valid size';
  return undefined;
}

/**
 * Parses and checks a manifest body whose media type (from Content-Type, else from the body) is `mediaType`
 * of kind `kind`; throws a 'malformed' RegistryError naming what is wrong.
 */
export function checkManifest(body: Buffer, kind: ManifestKind, mediaType: string, url: string): void {
  const fail = (why: string): never => {
    throw new RegistryError(`${url}: the registry's answer is not a valid ${mediaType} (${why}); not pinned`, 'malformed', 200, url);
  };
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return fail('not JSON');
  }
  if (!isObject(json)) return fail('not a JSON object');
  if (json.schemaVersion !== 2) return fail('schemaVersion is not 2');
  if (json.mediaType !== undefined && json.mediaType !== mediaType) {
    return fail(`its mediaType field says ${typeof json.mediaType === 'string' ? `'${json.mediaType}'` : 'something else'}`);
  }
  if (kind === 'index') {
    if (!Array.isArray(json.manifests)) return fail("no 'manifests' list");
    json.manifests.forEach((d, i) => {
      const problem = descriptorProblem(d);
      if (problem) fail(`manifests[${i}] ${problem}`);
    });
    return;
  }
  const config = descriptorProblem(json.config);
  if (config) return fail(`config ${config}`);
  if (!Array.isArray(json.layers)) return fail("no 'layers' list");
  json.layers.forEach((d, i) => {
    const problem = descriptorProblem(d);
    if (problem) fail(`layers[${i}] ${problem}`);
  });
}
