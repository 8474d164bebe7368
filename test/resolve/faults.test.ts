/**
 * The registry client against a real registry (test/setup/registries.ts) seen through a fault-injecting proxy
 * (test/helpers/faultProxy.ts): server errors, rate limits, timeouts, cut-off bodies, lying or missing digest
 * headers, bad tag lists and cross-host redirects. Fixtures are pushed straight to the registry; the client
 * only ever talks to the proxy, which counts its attempts.
 */
import { RegistryClient, RegistryError, type RegistryClientOptions } from '../../src/resolve/registry';
import { FaultProxy, startFaultProxy, type Fault } from '../helpers/faultProxy';
import { credentialsOnlyFor, rejection } from '../helpers/registryClient';
import { describeWithRegistries, MT, pushImage, pushIndex, sha256, type Pushed, type PushedIndex } from '../helpers/registryFixtures';

const fast: RegistryClientOptions = { retries: 2, backoffMs: 5, timeoutMs: 2000 };
const MANIFEST = /^\/v2\/faults\/app\/manifests\//;
const TAGS = /^\/v2\/faults\/app\/tags\/list/;
const TAGS_PUSHED = ['1', '1.0', 'latest'];

describeWithRegistries('registry client through a fault-injecting proxy', ({ open, auth }) => {
  let app: PushedIndex;
  let proxy: FaultProxy;
  let ref: string;

  beforeAll(async () => {
    app = await pushIndex(open, 'faults/app', 'oci', 'faults', TAGS_PUSHED);
    proxy = await startFaultProxy(open.url);
    ref = `${proxy.host}/faults/app`;
  });
  afterAll(() => proxy.close());
  afterEach(() => proxy.reset());

  const manifestCalls = () => proxy.seen.filter((s) => MANIFEST.test(s.path));
  const tagCalls = () => proxy.seen.filter((s) => TAGS.test(s.path));

  it('passes requests through untouched when no fault is armed', async () => {
    // The baseline the other tests depend on: through the proxy, the digest is sha256 of the pushed bytes.
    expect(await new RegistryClient(fast).digestOf(`${ref}:1`)).toEqual({ digest: sha256(app.bytes), mediaType: MT.ociIndex, reference: '1' });
    expect((await new RegistryClient(fast).tags(ref)).sort()).toEqual(TAGS_PUSHED);
    expect(proxy.seen.every((s) => !s.faulted && s.status === 200)).toBe(true);
  });

  describe('server errors and rate limits', () => {
    it('a 503 once is retried, and the digest is still that of the pushed bytes', async () => {
      proxy.inject({ path: MANIFEST, respond: { status: 503 } });
      expect((await new RegistryClient(fast).digestOf(`${ref}:1`)).digest).toBe(sha256(app.bytes));
      const calls = manifestCalls();
      expect(calls[0]).toMatchObject({ status: 503, faulted: true });
      // The retry is the same request again, and the registry answered it.
      expect(calls[1]).toMatchObject({ method: calls[0].method, path: calls[0].path, status: 200, faulted: false });
    });

    it('a 500 on every attempt is a server error after retries + 1 attempts', async () => {
      proxy.inject({ path: MANIFEST, times: Infinity, respond: { status: 500 } });
      const err = await rejection(new RegistryClient({ ...fast, retries: 2 }).digestOf(`${ref}:1`));
      expect(err).toMatchObject({ kind: 'server', status: 500, message: expect.stringMatching(/retries exhausted/) });
      expect(manifestCalls().map((s) => s.status)).toEqual([500, 500, 500]);
    });

    it('a 429 with Retry-After: 1 is waited out before the retry', async () => {
      proxy.inject({ path: TAGS, respond: { status: 429, headers: { 'Retry-After': '1' } } });
      const started = Date.now();
      expect((await new RegistryClient(fast).tags(ref)).sort()).toEqual(TAGS_PUSHED);
      // backoffMs is 5 ms, so only Retry-After explains a wait of about a second (timers may fire a bit early).
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(tagCalls().map((s) => s.status)).toEqual([429, 200]);
    });

    it('a long Retry-After is cut to maxRetryAfterMs', async () => {
      proxy.inject({ path: TAGS, respond: { status: 429, headers: { 'Retry-After': '3600' } } });
      const started = Date.now();
      expect((await new RegistryClient({ ...fast, maxRetryAfterMs: 150 }).tags(ref)).sort()).toEqual(TAGS_PUSHED);
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(140);
      expect(waited).toBeLessThan(1500);
      expect(tagCalls().map((s) => s.status)).toEqual([429, 200]);
    });

    it('404 is not-found and 401 without a challenge is unauthorized, neither retried', async () => {
      proxy.inject({ path: MANIFEST, respond: { status: 404 } });
      expect(await rejection(new RegistryClient(fast).digestOf(`${ref}:1`))).toMatchObject({ kind: 'not-found', status: 404 });
      expect(manifestCalls()).toHaveLength(1);

      proxy.reset();
      proxy.inject({ path: MANIFEST, respond: { status: 401 } });
      const creds = { username: 'u', password: 'p' };
      // Credentials are configured, but with no challenge there is no scheme to send them with.
      expect(await rejection(new RegistryClient({ ...fast, credentials: () => creds }).digestOf(`${ref}:1`))).toMatchObject({
        kind: 'unauthorized',
        status: 401,
      });
      expect(manifestCalls()).toHaveLength(1);
    });
  });

  describe('slow and cut-off answers', () => {
    const impatient: RegistryClientOptions = { retries: 1, backoffMs: 5, timeoutMs: 200 };

    it('headers later than timeoutMs: timeout after retries + 1 attempts; once only: retried', async () => {
      // The registry has answered once: its timeouts are taken as passing trouble and retried.
      const client = new RegistryClient(impatient);
      await client.digestOf(`${ref}:1`);
      proxy.reset();
      proxy.inject({ path: MANIFEST, times: Infinity, delayMs: 600 });
      const err = await rejection(client.digestOf(`${ref}:1`));
      expect(err).toMatchObject({ kind: 'timeout', message: expect.stringMatching(/within 200 ms/) });
      expect(manifestCalls()).toHaveLength(2);

      proxy.reset();
      proxy.inject({ path: MANIFEST, delayMs: 600 });
      expect((await client.digestOf(`${ref}:1`)).digest).toBe(sha256(app.bytes));
    });

    it('a registry that never answered is given up on after one connect timeout: no retries, no later requests', async () => {
      proxy.inject({ path: MANIFEST, times: Infinity, delayMs: 600 });
      const client = new RegistryClient({ ...impatient, retries: 3, connectTimeoutMs: 100 });
      const err = await rejection(client.digestOf(`${ref}:1`));
      expect(err).toMatchObject({ kind: 'timeout', message: expect.stringMatching(/no answer within 0\.1 s$/) });
      expect(manifestCalls()).toHaveLength(1);
      const host = new URL(err.url!).host;
      expect([...client.unreachableHosts]).toEqual([[host, 'no answer within 0.1 s']]);
      const again = await rejection(client.digestOf(`${ref}:2`));
      expect(again).toMatchObject({ kind: 'network', message: expect.stringContaining(`${host} unreachable (no answer within 0.1 s)`) });
      expect(manifestCalls()).toHaveLength(1);
    });

    it('a body that stalls past timeoutMs is a timeout, though the headers came in time', async () => {
      proxy.inject({ path: TAGS, times: Infinity, stallBodyMs: 600 });
      const err = await rejection(new RegistryClient(impatient).tags(ref));
      expect(err.kind).toBe('timeout');
      expect(tagCalls()).toHaveLength(2);
      // The registry did answer 200: the timeout covers reading the body, not just the headers.
      expect(tagCalls().every((s) => s.status === 200)).toBe(true);
    });

    it('a truncated manifest body is retried, never hashed', async () => {
      // Without the digest header the client must hash the GET body: a hash of half a manifest would be a
      // wrong digest, so the cut-off answer has to be noticed (Content-Length) and fetched again. A request
      // gets the first armed fault that matches it: the first GET is cut off, all others lose the header.
      const noDigest = { 'Docker-Content-Digest': null };
      proxy.inject({ path: MANIFEST, method: 'GET', truncate: true, headers: noDigest }, { path: MANIFEST, times: Infinity, headers: noDigest });
      expect((await new RegistryClient(fast).digestOf(`${ref}:1`)).digest).toBe(sha256(app.bytes));
      const gets = manifestCalls().filter((s) => s.method === 'GET');
      expect(gets.map((s) => s.status)).toEqual([200, 200]);
      expect(proxy.seen.filter((s) => s.faulted)).toContainEqual(expect.objectContaining({ method: 'GET' }));
    });

    it('a tag list truncated every time is a network error after retries + 1 attempts', async () => {
      proxy.inject({ path: TAGS, times: Infinity, truncate: true });
      const err = await rejection(new RegistryClient(fast).tags(ref));
      expect(err.kind).toBe('network');
      expect(tagCalls()).toHaveLength(3);
    });
  });

  describe('digest headers', () => {
    it('a wrong Docker-Content-Digest on every manifest answer is refused', async () => {
      // What a broken cache in front of the registry could serve. The body still hashes to the pushed digest,
      // so a client that checks what it returns can tell the header lies.
      const wrong = sha256('some other manifest');
      proxy.inject({ path: MANIFEST, times: Infinity, headers: { 'Docker-Content-Digest': wrong } });
      const err = await rejection(new RegistryClient(fast).digestOf(`${ref}:1`));
      expect(err.kind).toBe('malformed');
      expect(err.message).toContain(wrong);
      expect(err.message).toContain(sha256(app.bytes));
    });

    it('a wrong Docker-Content-Digest on HEAD only never becomes the result', async () => {
      // The GET answer is honest; either the client resolves to the digest of the bytes it served or it
      // reports the inconsistency. Returning the HEAD header unchecked is the one wrong outcome.
      const wrong = sha256('some other manifest');
      proxy.inject({ path: MANIFEST, method: 'HEAD', times: Infinity, headers: { 'Docker-Content-Digest': wrong } });
      const result = await new RegistryClient(fast).digestOf(`${ref}:1`).catch((e: unknown) => e);
      if (result instanceof RegistryError) expect(result.kind).toBe('malformed');
      else expect(result).toMatchObject({ digest: sha256(app.bytes) });
    });

    it('without Docker-Content-Digest the client GETs the manifest and hashes it', async () => {
      proxy.inject({ path: MANIFEST, times: Infinity, headers: { 'Docker-Content-Digest': null } });
      expect(await new RegistryClient(fast).digestOf(`${ref}:1.0`)).toEqual({ digest: sha256(app.bytes), mediaType: MT.ociIndex, reference: '1.0' });
      expect(manifestCalls().some((s) => s.method === 'GET' && s.status === 200 && s.faulted)).toBe(true);
    });
  });

  describe('bodies that are not the manifest they claim to be', () => {
    // Without the digest header (as many proxies and mirrors answer) the body's hash is all there is: the
    // client must see that the body is no manifest before that hash can be pinned.
    const noDigest = { 'Docker-Content-Digest': null };
    const edited = (edit: (index: Record<string, unknown>) => unknown) => (upstream: Buffer) => JSON.stringify(edit(JSON.parse(upstream.toString('utf8'))));

    it.each<[string, Fault, RegExp]>([
      ['an HTML page under an index content type', { body: () => '<html><body>Sign in to continue</body></html>' }, /not a valid application\/vnd\.oci\.image\.index\.v1\+json \(not JSON\)/],
      ['JSON that is no manifest', { body: () => '{"ok":true}' }, /schemaVersion is not 2/],
      ['a schema 1 body', { body: edited((m) => ({ ...m, schemaVersion: 1 })) }, /schemaVersion is not 2/],
      ['a mediaType field that disagrees with Content-Type', { headers: { ...noDigest, 'Content-Type': MT.dockerManifest } }, /mediaType field says 'application\/vnd\.oci\.image\.index\.v1\+json'/],
      ['an index without manifests', { body: edited(({ manifests: _, ...m }) => m) }, /no 'manifests' list/],
      [
        'an index entry with a malformed digest',
        { body: edited((m) => ({ ...m, manifests: (m.manifests as object[]).map((d, i) => (i === 1 ? { ...d, digest: 'sha256:0123' } : d)) })) },
        /manifests\[1\] has a malformed digest/,
      ],
      ['an index entry without a size', { body: edited((m) => ({ ...m, manifests: (m.manifests as Record<string, unknown>[]).map(({ size: _, ...d }) => d) })) }, /manifests\[0\] has no valid size/],
    ])('%s is refused, not pinned', async (_name, fault, message) => {
      proxy.inject({ path: MANIFEST, method: 'GET', times: Infinity, ...fault, headers: { ...noDigest, ...fault.headers } });
      const err = await rejection(new RegistryClient(fast).digestOf(`${ref}:1`));
      expect(err).toMatchObject({ kind: 'malformed', message: expect.stringMatching(message) });
    });

    it('a manifest under a manifest content type is checked as one: config and layers', async () => {
      const image = await pushImage(open, 'faults/single', 'docker', { os: 'linux', architecture: 'amd64' }, 'single', ['1']);
      const single = /^\/v2\/faults\/single\/manifests\//;
      expect((await new RegistryClient(fast).digestOf(`${proxy.host}/faults/single:1`)).digest).toBe(sha256(image.bytes));
      proxy.inject({ path: single, method: 'GET', headers: noDigest, body: edited(({ layers: _, ...m }) => m) });
      expect(await rejection(new RegistryClient(fast).digestOf(`${proxy.host}/faults/single:1`))).toMatchObject({ message: expect.stringMatching(/no 'layers' list/) });
      proxy.inject({ path: single, method: 'GET', headers: noDigest, body: edited((m) => ({ ...m, config: { ...(m.config as object), digest: 'md5:abc' } })) });
      expect(await rejection(new RegistryClient(fast).digestOf(`${proxy.host}/faults/single:1`))).toMatchObject({ message: expect.stringMatching(/config has a malformed digest/) });
    });
  });

  describe('tag lists', () => {
    it('tags outside the tag grammar are dropped, the valid ones kept', async () => {
      const bad = ['evil\nFROM scratch', 'trailing\n', '-dash', '.dot', 'has space', 'a:b', 'ünï', 'x'.repeat(129), '', 42, null];
      proxy.inject({
        path: TAGS,
        body: (upstream) => {
          const list = JSON.parse(upstream.toString('utf8')) as { name: string; tags: unknown[] };
          return JSON.stringify({ ...list, tags: [...bad, ...list.tags, 'x'.repeat(128), '_under'] });
        },
      });
      expect((await new RegistryClient(fast).tags(ref)).sort()).toEqual([...TAGS_PUSHED, '_under', 'x'.repeat(128)].sort());
      expect(tagCalls()[0].faulted).toBe(true);
    });

    it('malformed JSON, or no tags array, is a malformed error', async () => {
      proxy.inject({ path: TAGS, body: () => '{"name":"faults/app","tags":["1",' });
      expect(await rejection(new RegistryClient(fast).tags(ref))).toMatchObject({ kind: 'malformed', message: expect.stringMatching(/not valid JSON/) });
      proxy.inject({ path: TAGS, body: () => '{"name":"faults/app","tags":"1"}' });
      expect(await rejection(new RegistryClient(fast).tags(ref))).toMatchObject({ kind: 'malformed' });
      // Bad JSON comes with a 200: nothing to retry.
      expect(tagCalls()).toHaveLength(2);
    });
  });

  describe('redirect to another host', () => {
    let authProxy: FaultProxy;
    let other: FaultProxy;
    let image: Pushed;

    beforeAll(async () => {
      // The same image in both registries (same repository and seed give the same bytes): the htpasswd one
      // answers first, the open one is where the redirect lands.
      image = await pushImage(auth, 'faults/private', 'docker', { os: 'linux', architecture: 'amd64' }, 'redirect', ['1']);
      const copy = await pushImage(open, 'faults/private', 'docker', { os: 'linux', architecture: 'amd64' }, 'redirect', ['1']);
      expect(copy.digest).toBe(image.digest);
      authProxy = await startFaultProxy(auth.url);
      other = await startFaultProxy(open.url);
    });
    afterAll(async () => {
      await authProxy.close();
      await other.close();
    });

    it('credentials reach the first host and never the one it redirects to', async () => {
      // `localhost` and `127.0.0.1` are different hosts to the client, though the same machine.
      authProxy.inject({
        path: /^\/v2\/faults\/private\//,
        times: Infinity,
        when: (req) => req.headers.authorization !== undefined,
        redirect: `http://localhost:${other.listeningPort}`,
      });
      const { asked, credentials } = credentialsOnlyFor(authProxy.host, auth.credentials);
      const client = new RegistryClient({ ...fast, credentials });
      expect((await client.digestOf(`${authProxy.host}/faults/private:1`)).digest).toBe(sha256(image.bytes));
      expect(await client.tags(`${authProxy.host}/faults/private`)).toEqual(['1']);

      const basic = `Basic ${Buffer.from(`${auth.credentials!.username}:${auth.credentials!.password}`).toString('base64')}`;
      // First host: the registry's own Basic challenge, then the credentials, answered by the redirect.
      expect(authProxy.seen[0]).toMatchObject({ authorization: undefined, status: 401, faulted: false });
      const redirected = authProxy.seen.filter((s) => s.status === 302);
      expect(redirected.length).toBeGreaterThanOrEqual(2);
      expect(redirected.every((s) => s.authorization === basic)).toBe(true);
      // Second host: asked as often as redirected to, never with credentials.
      expect(other.seen.map((s) => s.path)).toEqual(redirected.map((s) => s.path));
      expect(other.seen.every((s) => s.authorization === undefined && s.status === 200)).toBe(true);
      expect(new Set(asked)).toEqual(new Set([authProxy.host]));
    });
  });
});
