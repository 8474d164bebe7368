/**
 * The registry client against real registries (Debian's docker-registry, started by test/setup/registries.ts),
 * with fixtures pushed through the registry HTTP API. Behaviour the real registry cannot show (Bearer tokens,
 * pagination, bad tags, 5xx/429, cross-host redirects) is covered at the end against a small local server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseImageRef } from '../../src/parse/imageRef';
import { RegistryClient } from '../../src/resolve/registry';
import {
  describeWithRegistries,
  MT,
  pushImage,
  pushIndex,
  sha256,
  type Pushed,
  type PushedIndex,
} from '../helpers/registryFixtures';
import { credentialsOnlyFor, fast, rejection } from '../helpers/registryClient';

describeWithRegistries('registry client against a real registry', ({ open, auth }) => {
  let python: PushedIndex;
  let python311: PushedIndex;
  let list: PushedIndex;
  let dockerV2: Pushed;
  let ociSingle: Pushed;
  let privateImage: Pushed;
  const client = new RegistryClient(fast);

  beforeAll(async () => {
    python = await pushIndex(open, 'client/python', 'oci', 'py3.12.7', ['3', '3.12', '3.12.7', 'latest']);
    python311 = await pushIndex(open, 'client/python', 'oci', 'py3.11.10', ['3.11', '3.11.10']);
    list = await pushIndex(open, 'team/app', 'docker', 'multi', ['multi']);
    dockerV2 = await pushImage(open, 'team/app', 'docker', { os: 'linux', architecture: 'amd64' }, 'v1', ['1', '1.0']);
    ociSingle = await pushImage(open, 'team/app', 'oci', { os: 'linux', architecture: 'arm64' }, 'oci', ['oci']);
    privateImage = await pushImage(auth, 'private/app', 'docker', { os: 'linux', architecture: 'amd64' }, 'p', ['1']);
  });

  it('digest of a tag on an OCI index is sha256 of the pushed bytes', async () => {
    const r = await client.digestOf(`${open.host}/client/python:3.12.7`);
    expect(r).toEqual({ digest: sha256(python.bytes), mediaType: MT.ociIndex, reference: '3.12.7' });
  });

  it('all tags of one index resolve to the same digest; another version differs', async () => {
    const digests = await Promise.all(['3', '3.12', '3.12.7', 'latest'].map((t) => client.digestOf(`${open.host}/client/python:${t}`)));
    expect(new Set(digests.map((d) => d.digest))).toEqual(new Set([python.digest]));
    expect((await client.digestOf(`${open.host}/client/python:3.11`)).digest).toBe(python311.digest);
    expect(python311.digest).not.toBe(python.digest);
  });

  it('no tag means latest', async () => {
    expect(await client.digestOf(`${open.host}/client/python`)).toMatchObject({ digest: python.digest, reference: 'latest' });
  });

  it('an invalid reference is a RegistryError before any request', async () => {
    expect(await rejection(client.digestOf(`${open.host}/Library/Python:3`))).toMatchObject({ kind: 'invalid-reference' });
  });

  it('accepts a parsed ImageRef', async () => {
    const parsed = parseImageRef(`${open.host}/client/python:3`);
    if (!parsed.ok) throw new Error(parsed.error);
    expect((await client.digestOf(parsed.ref)).digest).toBe(python.digest);
  });

  it('with tag and digest written, resolves the tag (what it means today)', async () => {
    const stale = python311.digest;
    expect(await client.digestOf(`${open.host}/client/python:3@${stale}`)).toMatchObject({ digest: python.digest, reference: '3' });
  });

  it('per-platform OCI manifests by digest', async () => {
    for (const { manifest } of python.platforms) {
      expect(await client.digestOf(`${open.host}/client/python@${manifest.digest}`)).toEqual({
        digest: sha256(manifest.bytes),
        mediaType: MT.ociManifest,
        reference: manifest.digest,
      });
    }
  });

  it('Docker manifest list, Docker v2 manifest, single OCI manifest', async () => {
    expect(await client.digestOf(`${open.host}/team/app:multi`)).toMatchObject({ digest: sha256(list.bytes), mediaType: MT.dockerList });
    expect(await client.digestOf(`${open.host}/team/app:1.0`)).toMatchObject({
      digest: sha256(dockerV2.bytes),
      mediaType: MT.dockerManifest,
    });
    expect((await client.digestOf(`${open.host}/team/app:1`)).digest).toBe(dockerV2.digest);
    expect(await client.digestOf(`${open.host}/team/app:oci`)).toMatchObject({
      digest: sha256(ociSingle.bytes),
      mediaType: MT.ociManifest,
    });
  });

  it('lists tags', async () => {
    expect((await client.tags(`${open.host}/client/python`)).sort()).toEqual(['3', '3.11', '3.11.10', '3.12', '3.12.7', 'latest']);
    expect((await client.tags(`${open.host}/team/app`)).sort()).toEqual(['1', '1.0', 'multi', 'oci']);
  });

  it('unknown tag and unknown repository are 404 RegistryErrors', async () => {
    const tag = await rejection(client.digestOf(`${open.host}/client/python:9.9`));
    expect(tag).toMatchObject({ kind: 'not-found', status: 404 });
    expect(tag.message).toContain(`${open.url}/v2/client/python/manifests/9.9: not found`);
    const repo = await rejection(client.tags(`${open.host}/nobody/here`));
    expect(repo).toMatchObject({ kind: 'not-found', status: 404 });
    expect(repo.message).toMatch(/NAME_UNKNOWN/);
  });

  it('speaks plain HTTP to 127.0.0.1 and localhost', async () => {
    expect(open.url.startsWith('http://127.0.0.1:')).toBe(true);
    const port = open.host.split(':')[1];
    expect((await client.digestOf(`localhost:${port}/client/python:3`)).digest).toBe(python.digest);
  });

  it('connection refused is a network RegistryError after retries', async () => {
    const s = await serve(() => undefined);
    const host = s.host;
    await new Promise((r) => s.server.close(r));
    const err = await rejection(new RegistryClient(fast).digestOf(`${host}/a:1`));
    expect(err.kind).toBe('network');
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  describe('htpasswd registry', () => {
    it('401 without credentials, with a clear message', async () => {
      const err = await rejection(client.digestOf(`${auth.host}/private/app:1`));
      expect(err).toMatchObject({ kind: 'unauthorized', status: 401 });
      expect(err.message).toContain(`${auth.host} requires authentication and no credentials are configured`);
    });

    it('401 with wrong credentials', async () => {
      const wrong = new RegistryClient({ ...fast, credentials: () => ({ username: 'user', password: 'nope' }) });
      expect(await rejection(wrong.digestOf(`${auth.host}/private/app:1`))).toMatchObject({ kind: 'unauthorized', status: 401 });
    });

    it('succeeds with credentials asked for by host', async () => {
      const { asked, credentials } = credentialsOnlyFor(auth.host, auth.credentials);
      const c = new RegistryClient({ ...fast, credentials });
      expect(await c.digestOf(`${auth.host}/private/app:1`)).toMatchObject({
        digest: sha256(privateImage.bytes),
        mediaType: MT.dockerManifest,
      });
      expect(await c.tags(`${auth.host}/private/app`)).toEqual(['1']);
      expect(new Set(asked)).toEqual(new Set([auth.host]));
    });
  });
});

/** A tiny registry-like server for what the Debian registry cannot do; records every request it sees. */
interface Seen {
  method: string;
  url: string;
  authorization?: string;
  host: string;
}
async function serve(handler: (req: IncomingMessage, res: ServerResponse, self: string) => void): Promise<{ server: Server; base: string; host: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  let base = '';
  const server = createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, host: req.headers.host! });
    handler(req, res, base);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  return { server, base, host: `127.0.0.1:${port}`, seen };
}

describe('registry client against a spec-following test server', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(
      servers.map((s) => {
        const closed = new Promise((r) => s.close(r));
        s.closeAllConnections();
        return closed;
      }),
    );
  });
  const start = async (h: Parameters<typeof serve>[0]) => {
    const s = await serve(h);
    servers.push(s.server);
    return s;
  };
  const manifest = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}');

  it('follows relative Link pagination and drops tags outside the tag grammar', async () => {
    const pages: Record<string, { tags: string[]; next?: string }> = {
      '/v2/a/tags/list': { tags: ['1', 'bad\ntag', '-x'], next: '/v2/a/tags/list?last=1&n=2' },
      '/v2/a/tags/list?last=1&n=2': { tags: ['2', 'ok_tag.3'], next: 'list?last=3' },
      '/v2/a/tags/list?last=3': { tags: ['x'.repeat(129), 'latest'] },
    };
    const s = await start((req, res) => {
      const page = pages[req.url!];
      if (!page) return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': 'application/json', ...(page.next ? { Link: `<${page.next}>; rel="next"` } : {}) });
      res.end(JSON.stringify({ name: 'a', tags: page.tags }));
    });
    expect(await new RegistryClient(fast).tags(`${s.host}/a`)).toEqual(['1', '2', 'ok_tag.3', 'latest']);
  });

  it('malformed tag list JSON and a pagination loop are malformed errors', async () => {
    const s = await start((req, res) => {
      if (req.url!.startsWith('/v2/bad/')) return void res.writeHead(200).end('{"tags": [');
      res.writeHead(200, { Link: '</v2/loop/tags/list>; rel="next"' }).end('{"tags":[]}');
    });
    expect(await rejection(new RegistryClient(fast).tags(`${s.host}/bad`))).toMatchObject({ kind: 'malformed' });
    expect((await rejection(new RegistryClient(fast).tags(`${s.host}/loop`))).message).toMatch(/does not end/);
  });

  it('Bearer: anonymous token from the realm (access_token), cached per scope', async () => {
    const s = await start((req, res, base) => {
      if (req.url!.startsWith('/token')) {
        const q = new URL(req.url!, base).searchParams;
        return void res.end(JSON.stringify({ access_token: `tok-${q.get('scope')}`, expires_in: 300 }));
      }
      if (req.headers.authorization !== 'Bearer tok-repository:lib/a:pull') {
        return void res
          .writeHead(401, { 'WWW-Authenticate': `Bearer realm="${base}/token",service="test,svc",scope="repository:lib/a:pull"` })
          .end();
      }
      res.writeHead(200, { 'Docker-Content-Digest': sha256(manifest), 'Content-Type': MT.ociIndex }).end(manifest);
    });
    const c = new RegistryClient(fast);
    expect((await c.digestOf(`${s.host}/lib/a:1`)).digest).toBe(sha256(manifest));
    expect((await c.digestOf(`${s.host}/lib/a:2`)).digest).toBe(sha256(manifest));
    const tokenCalls = s.seen.filter((r) => r.url.startsWith('/token'));
    expect(tokenCalls).toHaveLength(1);
    expect(tokenCalls[0].url).toBe('/token?service=test%2Csvc&scope=repository%3Alib%2Fa%3Apull');
    expect(tokenCalls[0].authorization).toBeUndefined();
    // 401, token, GET :1, GET :2 (the second request is authenticated up front)
    expect(s.seen.map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual([
      'GET /v2/lib/a/manifests/1',
      'GET /token',
      'GET /v2/lib/a/manifests/1',
      'GET /v2/lib/a/manifests/2',
    ]);
  });

  it('Bearer with credentials sends Basic to the realm and accepts `token`', async () => {
    const s = await start((req, res, base) => {
      if (req.url!.startsWith('/token')) {
        if (req.headers.authorization !== `Basic ${Buffer.from('u:p').toString('base64')}`) return void res.writeHead(401).end();
        return void res.end(JSON.stringify({ token: 'T' }));
      }
      if (req.headers.authorization !== 'Bearer T') {
        return void res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="${base}/token"` }).end();
      }
      res.writeHead(200, { 'Docker-Content-Digest': sha256(manifest), 'Content-Type': MT.ociIndex }).end(manifest);
    });
    const anon = await rejection(new RegistryClient(fast).digestOf(`${s.host}/a:1`));
    expect(anon).toMatchObject({ kind: 'unauthorized', status: 401 });
    const c = new RegistryClient({ ...fast, credentials: () => ({ username: 'u', password: 'p' }) });
    expect((await c.digestOf(`${s.host}/a:1`)).digest).toBe(sha256(manifest));
  });

  it('without Docker-Content-Digest, hashes the GET body; a wrong header digest is refused', async () => {
    const s = await start((req, res) => {
      const headers: Record<string, string> = { 'Content-Type': MT.ociIndex };
      if (req.url!.includes('/wrong/') && req.method === 'GET') headers['Docker-Content-Digest'] = sha256('other');
      res.writeHead(200, headers).end(req.method === 'GET' ? manifest : undefined);
    });
    const c = new RegistryClient(fast);
    expect(await c.digestOf(`${s.host}/ok:1`)).toMatchObject({ digest: sha256(manifest), mediaType: MT.ociIndex });
    const err = await rejection(c.digestOf(`${s.host}/wrong:1`));
    expect(err).toMatchObject({ kind: 'malformed' });
    expect(err.message).toMatch(/hashes to sha256:/);
  });

  it('headDigest: the HEAD header when there is one, else the hashed GET; a malformed header is refused', async () => {
    const s = await start((req, res) => {
      const headers: Record<string, string> = { 'Content-Type': MT.ociIndex };
      if (req.url!.includes('/claims/')) headers['Docker-Content-Digest'] = sha256('claimed');
      if (req.url!.includes('/bad/')) headers['Docker-Content-Digest'] = 'sha256:XYZ';
      res.writeHead(200, headers).end(req.method === 'GET' ? manifest : undefined);
    });
    const c = new RegistryClient(fast);
    // Only compared with a verified digest, never written: one HEAD, its header taken as it is.
    expect(await c.headDigest(`${s.host}/claims:1`)).toBe(sha256('claimed'));
    expect(s.seen.map((r) => r.method)).toEqual(['HEAD']);
    expect(await c.headDigest(`${s.host}/none:1`)).toBe(sha256(manifest));
    expect(s.seen.map((r) => r.method)).toEqual(['HEAD', 'HEAD', 'GET']);
    expect(await rejection(c.headDigest(`${s.host}/bad:1`))).toMatchObject({ kind: 'malformed' });
  });

  it('a malformed digest header and an unsupported media type are refused', async () => {
    const s = await start((req, res) => {
      if (req.url!.includes('/swapped/')) return void res.writeHead(200, { 'Docker-Content-Digest': sha256('y'), 'Content-Type': MT.ociIndex }).end('y');
      if (req.url!.includes('/md5/')) return void res.writeHead(200, { 'Docker-Content-Digest': 'md5:abc', 'Content-Type': MT.ociIndex }).end(manifest);
      res
        .writeHead(200, {
          'Docker-Content-Digest': sha256('x'),
          'Content-Type': 'application/vnd.docker.distribution.manifest.v1+prettyjws',
        })
        .end('x');
    });
    const c = new RegistryClient(fast);
    expect((await rejection(c.digestOf(`${s.host}/md5:1`))).message).toMatch(/digest is md5:abc but its content hashes to sha256:/);
    expect(await rejection(c.digestOf(`${s.host}/v1:1`))).toMatchObject({ kind: 'unsupported' });
    expect((await rejection(c.digestOf(`${s.host}/swapped@${sha256('x')}`))).message).toMatch(/asked for sha256:.*answered sha256:/);
  });

  it('retries 5xx and honours a capped Retry-After on 429', async () => {
    let calls = 0;
    const s = await start((_req, res) => {
      calls++;
      if (calls === 1) return void res.writeHead(503).end();
      if (calls === 2) return void res.writeHead(429, { 'Retry-After': '3600' }).end();
      res.writeHead(200, { 'Docker-Content-Digest': sha256(manifest), 'Content-Type': MT.ociIndex }).end(manifest);
    });
    const started = Date.now();
    const c = new RegistryClient({ ...fast, retries: 3, maxRetryAfterMs: 50 });
    expect((await c.digestOf(`${s.host}/a:1`)).digest).toBe(sha256(manifest));
    expect(calls).toBe(3);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('retries a truncated body', async () => {
    let calls = 0;
    const s = await start((_req, res) => {
      calls++;
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
      if (calls === 1) {
        res.write('{"tags":');
        return void setTimeout(() => res.destroy(), 10);
      }
      res.end(JSON.stringify({ tags: ['1'] }).padEnd(100, ' '));
    });
    expect(await new RegistryClient(fast).tags(`${s.host}/a`)).toEqual(['1']);
    expect(calls).toBe(2);
  });

  it('gives up with typed errors: 5xx, 429, 403, timeout', async () => {
    const s = await start((req, res) => {
      if (req.url!.includes('/e500/')) return void res.writeHead(500).end('{"errors":[{"code":"UNKNOWN","message":"boom"}]}');
      if (req.url!.includes('/e429/')) return void res.writeHead(429, { 'Retry-After': '0' }).end();
      if (req.url!.includes('/e403/')) return void res.writeHead(403).end();
      // slow: never answers within the timeout
      setTimeout(() => res.writeHead(200).end(), 1000);
    });
    const c = new RegistryClient({ retries: 1, backoffMs: 1, timeoutMs: 200 });
    expect(await rejection(c.tags(`${s.host}/e500`))).toMatchObject({ kind: 'server', status: 500, message: expect.stringMatching(/UNKNOWN: boom/) });
    expect(await rejection(c.digestOf(`${s.host}/e429:1`))).toMatchObject({ kind: 'rate-limited', status: 429 });
    expect(await rejection(c.digestOf(`${s.host}/e403:1`))).toMatchObject({ kind: 'denied', status: 403 });
    expect(await rejection(c.digestOf(`${s.host}/slow:1`))).toMatchObject({ kind: 'timeout', message: expect.stringMatching(/within 200 ms/) });
  });

  it('follows a redirect to another host without the credentials', async () => {
    const other = await start((_req, res) => {
      res.writeHead(200, { 'Docker-Content-Digest': sha256(manifest), 'Content-Type': MT.ociIndex }).end(manifest);
    });
    const creds = { username: 'u', password: 'p' };
    // Another (valid, empty) index, so the two answers have different digests.
    const sameOrigin = '{"schemaVersion":2,"manifests":[]}';
    const s = await start((req, res) => {
      if (req.headers.authorization === undefined) return void res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"' }).end();
      if (req.url!.includes('/same/')) return void res.writeHead(307, { Location: '/v2/final/manifests/1' }).end();
      if (req.url!.includes('/final/')) return void res.writeHead(200, { 'Docker-Content-Digest': sha256(sameOrigin), 'Content-Type': MT.ociIndex }).end(sameOrigin);
      // `localhost` is another host to the client even though it is the same machine.
      res.writeHead(302, { Location: `http://localhost:${other.host.split(':')[1]}/blob` }).end();
    });
    const c = new RegistryClient({ ...fast, credentials: () => creds });
    expect((await c.digestOf(`${s.host}/away:1`)).digest).toBe(sha256(manifest));
    expect(other.seen).toHaveLength(1);
    expect(other.seen[0].authorization).toBeUndefined();
    // A same-origin redirect keeps them.
    expect((await c.digestOf(`${s.host}/same:1`)).digest).toBe(sha256(sameOrigin));
    expect(s.seen.filter((r) => r.url === '/v2/final/manifests/1')[0].authorization).toMatch(/^Basic /);
  });

  it('refuses a redirect from HTTPS-only territory to plain HTTP elsewhere', async () => {
    const s = await start((_req, res) => void res.writeHead(302, { Location: 'http://example.invalid/x' }).end());
    expect(await rejection(new RegistryClient(fast).digestOf(`${s.host}/a:1`))).toMatchObject({ kind: 'redirect' });
  });
});
