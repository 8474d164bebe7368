/**
 * Image pinning: what a reference like `python:3` means today, as the most precise tag with the same digest
 * and that digest (`3.12.7`, `sha256:…`). The lock file answers first (a re-run is offline and gives the same
 * bytes); otherwise the registry, with every lookup shared through the run's `lookups` (Lookups), so N files naming
 * one image make one set of requests.
 */
import type { ImageRef } from '../parse/imageRef';
import { isPreciseTag } from '../parse/imageRef';
import type { ImageContext } from './context';
import { lockKey, type LockEntry } from './lock';
import { RegistryError, type DigestResult } from './registry';
import { candidatesToCompare, preciseCandidates } from './tags';
import { NotFixed } from '../util/notFixed';
import { LookupKind } from './shared';

/** How many candidate tags are compared by digest before giving up on a more precise tag. */
const MAX_CANDIDATES = 20;

/** The run-wide lookups of image pinning (see ImagePinner.resolve). */
const PIN = new LookupKind<Pin>('pin');
const IMAGE = new LookupKind<Resolved>('image');
const TAGS = new LookupKind<string[]>('tags');
const HUB_TAGS = new LookupKind<Map<string, string> | undefined>('hub');
const HEAD = new LookupKind<string>('head');
const DIGEST = new LookupKind<DigestResult>('digest');

export interface Pin {
  /** The most precise tag with the same digest; undefined when none is more precise than the one written. */
  tag?: string;
  digest: string;
  /** Why this tag and digest, for `--dry-run` and summaries. */
  explanation: string;
}

export interface ImagePinnerOptions extends ImageContext {
  /** `os/arch[/variant]`: pin that platform's manifest instead of the multi-platform index (`fix --platform`). */
  platform?: string;
}

export class ImagePinner {
  constructor(private readonly o: ImagePinnerOptions) {}

  /**
   * One answer per reference and lock in a run: image-digest and image-tag both ask about a reference, and the
   * second must get the first one's answer, not the lock entry the first one has just written.
   */
  /**
   * `platform` is the one the Dockerfile names for this reference (`FROM --platform=linux/amd64`): it wins over
   * the run's `--platform`, since that stage is built for it whatever the command line says.
   */
  pin(ref: ImageRef, platform = this.o.platform): Promise<Pin> {
    const key = lockKey(ref.normalizedName, ref.tag, platform);
    return this.o.lookups.once(PIN, `${this.o.lock?.path ?? ''}\n${key}`, () => this.pinOnce(ref, key, platform));
  }

  private async pinOnce(ref: ImageRef, key: string, platform: string | undefined): Promise<Pin> {
    const { lock } = this.o;
    const locked = this.o.refresh ? undefined : lock?.get(key);
    if (locked) {
      const from = `from ${lock!.path}`;
      if (locked.tag === undefined || locked.tag === ref.tag) return { digest: locked.digest, explanation: from };
      // A lock written before tags had to pass image-tag may name `12.12`: its digest still holds, its tag is not written.
      if (!isPreciseTag(locked.tag)) return { digest: locked.digest, explanation: `${from}; its tag '${locked.tag}' is not precise (fix --refresh chooses again)` };
      return { tag: locked.tag, digest: locked.digest, explanation: from };
    }
    if (this.o.offline) {
      const written = `${ref.registry ? `${ref.registry}/` : ''}${ref.path}${ref.tag !== undefined ? `:${ref.tag}` : ''}${platform ? ` (${platform})` : ''}`;
      throw new NotFixed(`'${written}' is not in ${lock?.path ?? 'the lock file'} and --offline forbids a registry lookup`, 'needs-network');
    }
    let resolved: Resolved;
    try {
      resolved = await this.resolve(ref, platform);
    } catch (e) {
      if (e instanceof RegistryError) throw new NotFixed(`registry lookup failed: ${e.message}`, 'failed');
      throw e;
    }
    if (lock) {
      const entry: LockEntry = {
        tag: resolved.tag ?? ref.tag,
        digest: resolved.digest,
        mediaType: resolved.mediaType,
        platform,
        resolvedAt: (this.o.now?.() ?? new Date()).toISOString(),
      };
      lock.set(key, entry);
      // The pinned spelling gets an entry too, so `lint --verify-lock` can check what fix wrote.
      if (resolved.tag !== undefined) lock.set(lockKey(ref.normalizedName, resolved.tag, platform), entry);
    }
    return { tag: resolved.tag, digest: resolved.digest, explanation: resolved.explanation };
  }

  /** One resolution per (where it is looked up, tag, platform) per run, however many files ask. */
  private resolve(ref: ImageRef, platform: string | undefined): Promise<Resolved> {
    const e = this.o.client.endpoint(ref);
    return this.o.lookups.once(IMAGE, `${e.baseUrl}/${e.repository}:${ref.tag ?? 'latest'}:${platform ?? ''}`, () => this.lookUp(ref, platform));
  }

  private async lookUp(ref: ImageRef, platform: string | undefined): Promise<Resolved> {
    const written = ref.tag ?? 'latest';
    const plain = { ...ref, tag: written, digest: undefined };
    const indexDigest = (await this.described(plain)).digest;
    const pinned = platform ? await this.o.client.platformDigestOf(plain, platform) : await this.described(plain);
    const forPlatform = platform ? ` (${platform} manifest)` : '';
    const result = (tag: string | undefined, why: string): Resolved => ({ tag, digest: pinned.digest, mediaType: pinned.mediaType, explanation: why + forPlatform });
    const chosen = (tag: string, source = '') => result(tag, `'${tag}' is the most precise tag with the same digest as '${written}'${source}`);

    if (ref.tag !== undefined && isPreciseTag(ref.tag)) return result(undefined, `'${written}' is already a precise tag; digest added`);
    const fromHub = await this.hubChoice(ref, indexDigest);
    if (fromHub) return chosen(fromHub, ' (Docker Hub tags API)');
    // From here on a failure only costs precision: the digest is verified, so it is pinned with the tag as written.
    let candidates: string[];
    try {
      const tags = await this.o.lookups.once(TAGS, this.repoKey(ref), () => this.o.client.tags(ref));
      candidates = candidatesToCompare(ref.tag, tags, MAX_CANDIDATES);
    } catch (e) {
      if (!(e instanceof RegistryError)) throw e;
      return result(undefined, `tags could not be listed (${e.message}); kept '${written}'`);
    }
    for (const tag of candidates) {
      try {
        if ((await this.candidateDigest({ ...plain, tag })) === indexDigest) return chosen(tag);
      } catch (e) {
        if (!(e instanceof RegistryError)) throw e;
        if (e.kind === 'not-found') continue; // deleted since it was listed
        return result(undefined, `tags could not be compared (${e.message}); kept '${written}'`);
      }
    }
    const why = candidates.length === 0 ? 'no precise tag (see image-tag) is listed beside it' : `none of ${candidates.length} precise tags compared has the same digest`;
    return result(undefined, `${why}; kept '${written}'`);
  }

  /** The most precise candidate the Docker Hub API lists with `digest`; undefined when it cannot tell (then the registry API decides). */
  private async hubChoice(ref: ImageRef, digest: string): Promise<string | undefined> {
    let recent: Map<string, string> | undefined;
    try {
      recent = await this.o.lookups.once(HUB_TAGS, ref.normalizedName, () => this.o.client.hubTagDigests(ref));
    } catch (e) {
      if (e instanceof RegistryError) return undefined;
      throw e;
    }
    if (!recent) return undefined;
    return preciseCandidates(ref.tag, [...recent.keys()]).find((t) => recent.get(t) === digest);
  }

  /** Candidates are only compared with the verified digest: a HEAD answer is enough (see headDigest). */
  private candidateDigest(ref: ImageRef): Promise<string> {
    return this.o.lookups.once(HEAD, `${this.repoKey(ref)}:${ref.tag}`, () => this.o.client.headDigest(ref));
  }

  /** Verified: the digest of the manifest bytes, the one written into Dockerfiles. */
  private described(ref: ImageRef): Promise<{ digest: string; mediaType: string }> {
    return this.o.lookups.once(DIGEST, `${this.repoKey(ref)}:${ref.tag}`, () => this.o.client.digestOf(ref));
  }

  private repoKey(ref: ImageRef): string {
    const e = this.o.client.endpoint(ref);
    return `${e.baseUrl}/${e.repository}`;
  }
}

interface Resolved {
  tag?: string;
  digest: string;
  mediaType: string;
  explanation: string;
}
