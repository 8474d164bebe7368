/**
 * The registry client against a real registry behind token auth: Debian's docker-registry verifies ES256 JWTs
 * from the test token server (test/helpers/tokenServer.ts) against its rootcertbundle. The token server runs
 * in jest's main process, so tests read its request log over HTTP and tell their own requests apart by a
 * User-Agent of their own.
 */
import { randomBytes } from 'node:crypto';
import { RegistryClient } from '../../src/resolve/registry';
import { credentialsOnlyFor, fast, rejection } from '../helpers/registryClient';
import { describeWithRegistries, MT, pushImage, sha256, tokenRequests, type Pushed, type TestRegistries } from '../helpers/registryFixtures';

/** A fresh User-Agent, so a test counts only the token requests its own client made. */
const agent = (what: string) => `dockrepro-test-${what}-${randomBytes(4).toString('hex')}`;

describeWithRegistries('registry client against a registry behind token auth', ({ token: reg }: TestRegistries) => {
  const amd64 = { os: 'linux', architecture: 'amd64' };
  let publicApp: Pushed;
  let publicApp2: Pushed;
  let publicOther: Pushed;
  let privateApp: Pushed;

  /** The token server's requests made with `userAgent`. */
  const requestsBy = async (userAgent: string) => (await tokenRequests(reg)).filter((r) => r.userAgent === userAgent);

  /** A token straight from the token server, as the registry's challenge would have the client ask. */
  const fetchToken = async (scope: string, credentials?: { username: string; password: string }): Promise<Response> => {
    const url = new URL(reg.token.realm);
    url.searchParams.set('service', reg.token.service);
    url.searchParams.set('scope', scope);
    const headers: Record<string, string> = {};
    if (credentials) headers.Authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    return fetch(url, { headers });
  };
  const headManifest = (repo: string, ref: string, bearer?: string) =>
    fetch(`${reg.url}/v2/${repo}/manifests/${ref}`, {
      method: 'HEAD',
      headers: { Accept: MT.dockerManifest, ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) },
    });

  beforeAll(async () => {
    // The fixtures push with a push+pull token for tokenuser (pushing is never anonymous).
    publicApp = await pushImage(reg, 'public/app', 'docker', amd64, 'pa1', ['1']);
    publicApp2 = await pushImage(reg, 'public/app', 'docker', amd64, 'pa2', ['2']);
    publicOther = await pushImage(reg, 'public/other', 'docker', amd64, 'po', ['1']);
    privateApp = await pushImage(reg, 'private/app', 'docker', amd64, 'pr', ['1', '2']);
  });

  describe('the harness', () => {
    it('the registry challenges with the token realm and accepts a token from the token server', async () => {
      const anon = await headManifest('public/app', '1');
      expect(anon.status).toBe(401);
      expect(anon.headers.get('www-authenticate')).toBe(
        `Bearer realm="${reg.token.realm}",service="${reg.token.service}",scope="repository:public/app:pull"`,
      );
      const res = await fetchToken('repository:public/app:pull');
      expect(res.status).toBe(200);
      const body = (await res.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
      expect(body.access_token).toBe(body.token);
      expect(body.expires_in).toBeGreaterThan(0);
      expect(Number.isNaN(Date.parse(body.issued_at))).toBe(false);
      const [header, claims] = body.token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')));
      expect(header).toMatchObject({ alg: 'ES256', x5c: [expect.any(String)] });
      expect(claims).toMatchObject({ aud: reg.token.service, sub: '', access: [{ type: 'repository', name: 'public/app', actions: ['pull'] }] });
      const ok = await headManifest('public/app', '1', body.token);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('docker-content-digest')).toBe(publicApp.digest);
    });

    it('the registry checks the signature: altered claims are refused', async () => {
      const { token } = (await (await fetchToken('repository:public/app:pull')).json()) as { token: string };
      const [header, claims, signature] = token.split('.');
      const widened = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8'));
      widened.access = [{ type: 'repository', name: 'private/app', actions: ['pull'] }];
      const forged = `${header}.${Buffer.from(JSON.stringify(widened)).toString('base64url')}.${signature}`;
      expect((await headManifest('private/app', '1', forged)).status).toBe(401);
    });

    it('a token is scoped to its repository', async () => {
      const { token } = (await (await fetchToken('repository:public/app:pull')).json()) as { token: string };
      const other = await headManifest('public/other', '1', token);
      expect(other.status).toBe(401);
      expect(other.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    });

    it('the token server: push and private repositories need credentials; wrong ones are 401', async () => {
      expect((await fetchToken('repository:public/app:push,pull')).status).toBe(401);
      expect((await fetchToken('repository:private/app:pull')).status).toBe(401);
      expect((await fetchToken('repository:private/app:pull', { ...reg.credentials, password: 'nope' })).status).toBe(401);
      const res = await fetchToken('repository:private/app:pull,push', reg.credentials);
      expect(res.status).toBe(200);
      const { token } = (await res.json()) as { token: string };
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
      expect(claims).toMatchObject({ sub: reg.credentials.username, access: [{ name: 'private/app', actions: ['pull', 'push'] }] });
    });

    it('the token server: OAuth2 refresh_token grant with the identity token, recorded for tests to inspect', async () => {
      const ua = agent('oauth');
      const post = (fields: Record<string, string>) =>
        fetch(reg.token.realm, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': ua },
          body: new URLSearchParams(fields).toString(),
        });
      const form = { grant_type: 'refresh_token', service: reg.token.service, client_id: 'dockrepro-tests', scope: 'repository:private/app:pull' };
      const res = await post({ ...form, refresh_token: reg.token.identityToken });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { access_token: string; expires_in: number };
      expect(body.expires_in).toBeGreaterThan(0);
      expect((await headManifest('private/app', '1', body.access_token)).headers.get('docker-content-digest')).toBe(privateApp.digest);
      const wrong = await post({ ...form, refresh_token: 'not-the-identity-token' });
      expect(wrong.status).toBe(400);
      expect(await wrong.json()).toMatchObject({ error: 'invalid_grant' });
      expect(await requestsBy(ua)).toEqual([
        expect.objectContaining({ method: 'POST', grantType: 'refresh_token', clientId: 'dockrepro-tests', scopes: ['repository:private/app:pull'], status: 200 }),
        expect.objectContaining({ method: 'POST', grantType: 'refresh_token', status: 400 }),
      ]);
    });
  });

  describe('RegistryClient', () => {
    it('pulls a public repository anonymously, and reuses the token for the next lookup', async () => {
      const ua = agent('anon');
      const c = new RegistryClient({ ...fast, userAgent: ua });
      expect(await c.digestOf(`${reg.host}/public/app:1`)).toEqual({ digest: sha256(publicApp.bytes), mediaType: MT.dockerManifest, reference: '1' });
      expect((await c.digestOf(`${reg.host}/public/app:2`)).digest).toBe(sha256(publicApp2.bytes));
      const seen = await requestsBy(ua);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        method: 'GET',
        service: reg.token.service,
        scopes: ['repository:public/app:pull'],
        subject: '',
        status: 200,
        granted: [{ type: 'repository', name: 'public/app', actions: ['pull'] }],
      });
      expect(seen[0].authorization).toBeUndefined();
    });

    it('lists tags through a token', async () => {
      const c = new RegistryClient({ ...fast, userAgent: agent('tags') });
      expect((await c.tags(`${reg.host}/public/app`)).sort()).toEqual(['1', '2']);
      const withCreds = new RegistryClient({ ...fast, credentials: () => reg.credentials });
      expect((await withCreds.tags(`${reg.host}/private/app`)).sort()).toEqual(['1', '2']);
    });

    it('asks for a separate token per repository, and keeps each one cached', async () => {
      const ua = agent('per-repo');
      const c = new RegistryClient({ ...fast, userAgent: ua });
      expect((await c.digestOf(`${reg.host}/public/app:1`)).digest).toBe(publicApp.digest);
      expect((await c.digestOf(`${reg.host}/public/other:1`)).digest).toBe(publicOther.digest);
      // Back to the first repository: its token is still cached.
      expect((await c.digestOf(`${reg.host}/public/app:2`)).digest).toBe(publicApp2.digest);
      expect((await requestsBy(ua)).map((r) => r.scopes)).toEqual([['repository:public/app:pull'], ['repository:public/other:pull']]);
    });

    it('a private repository without credentials is unauthorized, with a message naming it', async () => {
      const ua = agent('private-anon');
      const err = await rejection(new RegistryClient({ ...fast, userAgent: ua }).digestOf(`${reg.host}/private/app:1`));
      expect(err).toMatchObject({ kind: 'unauthorized', status: 401 });
      expect(err.message).toContain(`${reg.host} requires authentication for repository:private/app:pull and no credentials are configured`);
      expect(await requestsBy(ua)).toEqual([expect.objectContaining({ scopes: ['repository:private/app:pull'], status: 401 })]);
    });

    it('a private repository with credentials: Basic to the token server, digest of the pushed bytes', async () => {
      const ua = agent('private');
      const { asked, credentials } = credentialsOnlyFor(reg.host, reg.credentials);
      const c = new RegistryClient({ ...fast, userAgent: ua, credentials });
      expect(await c.digestOf(`${reg.host}/private/app:2`)).toEqual({
        digest: sha256(privateApp.bytes),
        mediaType: MT.dockerManifest,
        reference: '2',
      });
      // Credentials are those of the registry host, even though the token server is another origin.
      expect(new Set(asked)).toEqual(new Set([reg.host]));
      expect(await requestsBy(ua)).toEqual([
        expect.objectContaining({ authorization: 'basic', subject: reg.credentials.username, scopes: ['repository:private/app:pull'], status: 200 }),
      ]);
    });

    it('wrong credentials are unauthorized', async () => {
      const ua = agent('wrong');
      const c = new RegistryClient({ ...fast, userAgent: ua, credentials: () => ({ username: reg.credentials.username, password: 'nope' }) });
      const err = await rejection(c.digestOf(`${reg.host}/private/app:1`));
      expect(err).toMatchObject({ kind: 'unauthorized', status: 401 });
      expect(err.message).toMatch(/credentials rejected/);
      expect(await requestsBy(ua)).toEqual([expect.objectContaining({ authorization: 'basic', status: 401 })]);
    });
  });
});
