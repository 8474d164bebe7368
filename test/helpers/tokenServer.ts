/**
 * A small token server for the token-auth test registry (test/setup/registries.ts), following the distribution
 * token spec (docs/spec/auth/token.md, jwt.md, oauth.md): GET /token with optional Basic credentials, and the
 * OAuth2 POST /token (grant_type refresh_token or password). Tokens are ES256 JWTs whose header carries the
 * signing certificate (`x5c`), which the registry checks against its `rootcertbundle`.
 *
 * Policy: anonymous clients may pull repositories under `publicPrefix`; anything else (other repositories,
 * push) needs the user's credentials or the identity token. Every request is recorded and listed at
 * GET /requests, so tests in other processes can count and inspect the token requests a client made.
 */
import { spawnSync } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface SigningCert {
  key: KeyObject;
  /** The certificate in DER, as `x5c` carries it. */
  der: Buffer;
  /** PEM file for the registry's `rootcertbundle`. */
  certFile: string;
}

/** A self-signed P-256 certificate (valid one day) made by openssl in `dir`. */
export function createSigningCert(dir: string): SigningCert {
  const keyFile = join(dir, 'token-key.pem');
  const certFile = join(dir, 'token-cert.pem');
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-sha256', '-days', '1'];
  args.push('-subj', '/CN=dockrepro test token issuer', '-keyout', keyFile, '-out', certFile);
  const r = spawnSync('openssl', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`openssl could not create the token signing certificate: ${r.error?.message ?? r.stderr}`);
  return {
    key: createPrivateKey(readFileSync(keyFile)),
    der: Buffer.from(new X509Certificate(readFileSync(certFile)).raw),
    certFile,
  };
}

export interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** One request the server answered, as GET /requests lists it. Secrets (passwords, refresh tokens) are left out. */
export interface TokenRequest {
  method: string;
  path: string;
  userAgent?: string;
  /** Scheme of the Authorization header (`basic`, `bearer`), if any. */
  authorization?: string;
  service?: string;
  /** Each requested scope, as sent (`repository:a/b:pull,push`). */
  scopes: string[];
  /** POST only. */
  grantType?: string;
  clientId?: string;
  accessType?: string;
  /** GET `offline_token`. */
  offlineToken?: string;
  /** The authenticated user; '' when anonymous, absent when the request was refused before that. */
  subject?: string;
  status: number;
  granted?: Access[];
}

export interface TokenServerOptions {
  service: string;
  issuer: string;
  cert: SigningCert;
  credentials: { username: string; password: string };
  /** The refresh token the OAuth2 flow accepts (what `identitytoken` in a Docker config holds). */
  identityToken: string;
  /** Repositories under this prefix (`public/`) may be pulled anonymously. */
  publicPrefix: string;
  expiresIn?: number;
}

export interface TokenServer {
  /** The token endpoint: the registry's `realm`. */
  realm: string;
  /** GET it for the JSON list of `TokenRequest`s seen so far. */
  requestsUrl: string;
  close(): Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** `type:name:actions`; the name may itself contain colons (a registry host with a port). */
export function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter(Boolean) };
}

class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: object,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const expiresIn = opts.expiresIn ?? 300;
  const requests: TokenRequest[] = [];
  const x5c = [opts.cert.der.toString('base64')];

  const jwt = (subject: string, access: Access[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c };
    const claims = {
      iss: opts.issuer,
      sub: subject,
      // distribution 2.8 reads `aud` as one string.
      aud: opts.service,
      exp: now + expiresIn,
      nbf: now - 1,
      iat: now,
      jti: randomBytes(12).toString('hex'),
      access,
    };
    const signed = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    // JWS wants the raw r||s pair, not the DER signature node signs with by default.
    const signature = sign('sha256', Buffer.from(signed), { key: opts.cert.key, dsaEncoding: 'ieee-p1363' });
    return `${signed}.${b64url(signature)}`;
  };

  /** The subset of the requested access a subject gets; anonymous requests beyond public pulls are refused. */
  const grant = (subject: string, scopes: string[]): Access[] => {
    const out: Access[] = [];
    for (const scope of scopes) {
      const want = parseScope(scope);
      if (!want) throw new Refused(400, `malformed scope '${scope}'`, { errors: [{ code: 'invalid_request', message: `malformed scope '${scope}'` }] });
      let allowed: string[];
      if (subject === '') {
        const anonymous = want.type === 'repository' && want.name.startsWith(opts.publicPrefix) ? ['pull'] : [];
        const beyond = want.actions.filter((a) => !anonymous.includes(a));
        if (beyond.length > 0) {
          const message = `authentication required for ${want.type}:${want.name}:${beyond.join(',')}`;
          throw new Refused(401, message, { errors: [{ code: 'UNAUTHORIZED', message }] }, { 'WWW-Authenticate': 'Basic realm="dockrepro-token"' });
        }
        allowed = want.actions;
      } else if (want.type === 'repository') {
        allowed = want.actions.filter((a) => ['pull', 'push', 'delete', '*'].includes(a));
      } else if (want.type === 'registry' && want.name === 'catalog') {
        allowed = want.actions.filter((a) => a === '*');
      } else {
        allowed = [];
      }
      if (allowed.length === 0) continue;
      const same = out.find((a) => a.type === want.type && a.name === want.name);
      if (same) same.actions = [...new Set([...same.actions, ...allowed])];
      else out.push({ type: want.type, name: want.name, actions: allowed });
    }
    return out;
  };

  const checkService = (service: string | undefined | null) => {
    if (service && service !== opts.service) {
      throw new Refused(400, `unknown service '${service}'`, { errors: [{ code: 'invalid_request', message: `unknown service '${service}'` }] });
    }
  };

  /** Splits space-separated scopes too: OAuth2 forms join several scopes in one parameter. */
  const scopesOf = (values: string[]) => values.flatMap((v) => v.split(' ')).filter(Boolean);

  const handleGet = (req: IncomingMessage, url: URL, seen: TokenRequest) => {
    const q = url.searchParams;
    seen.service = q.get('service') ?? undefined;
    seen.scopes = scopesOf(q.getAll('scope'));
    seen.offlineToken = q.get('offline_token') ?? undefined;
    checkService(seen.service);
    let subject = '';
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^Basic\s+(\S+)$/i.exec(auth);
      const [user, ...rest] = m ? Buffer.from(m[1], 'base64').toString('utf8').split(':') : [];
      if (user !== opts.credentials.username || rest.join(':') !== opts.credentials.password) {
        const message = 'incorrect username or password';
        throw new Refused(401, message, { errors: [{ code: 'UNAUTHORIZED', message }] }, { 'WWW-Authenticate': 'Basic realm="dockrepro-token"' });
      }
      subject = user;
    }
    seen.subject = subject;
    const granted = grant(subject, seen.scopes);
    seen.granted = granted;
    const token = jwt(subject, granted);
    const offline = subject !== '' && q.get('offline_token') === 'true';
    return {
      token,
      access_token: token,
      expires_in: expiresIn,
      issued_at: new Date().toISOString(),
      ...(offline ? { refresh_token: opts.identityToken } : {}),
    };
  };

  const handlePost = (req: IncomingMessage, body: string, seen: TokenRequest) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const form = new URLSearchParams(body);
    seen.grantType = form.get('grant_type') ?? undefined;
    seen.clientId = form.get('client_id') ?? undefined;
    seen.accessType = form.get('access_type') ?? undefined;
    seen.service = form.get('service') ?? undefined;
    seen.scopes = scopesOf(form.getAll('scope'));
    // RFC 6749 §5.2: errors of the token endpoint are 400 with an `error` code.
    const oauthError = (error: string, description: string) => new Refused(400, description, { error, error_description: description });
    if (type !== 'application/x-www-form-urlencoded') throw oauthError('invalid_request', `expected a form body, got '${type}'`);
    if (!seen.service) throw oauthError('invalid_request', 'service is required');
    if (!seen.clientId) throw oauthError('invalid_request', 'client_id is required');
    checkService(seen.service);
    let subject: string;
    if (seen.grantType === 'refresh_token') {
      if (form.get('refresh_token') !== opts.identityToken) throw oauthError('invalid_grant', 'unknown refresh token');
      subject = opts.credentials.username;
    } else if (seen.grantType === 'password') {
      if (form.get('username') !== opts.credentials.username || form.get('password') !== opts.credentials.password) {
        throw oauthError('invalid_grant', 'incorrect username or password');
      }
      subject = opts.credentials.username;
    } else {
      throw oauthError('unsupported_grant_type', `grant_type '${seen.grantType ?? ''}' is not supported`);
    }
    seen.subject = subject;
    const granted = grant(subject, seen.scopes);
    seen.granted = granted;
    return {
      access_token: jwt(subject, granted),
      scope: seen.scopes.join(' '),
      expires_in: expiresIn,
      issued_at: new Date().toISOString(),
      ...(seen.accessType === 'offline' ? { refresh_token: opts.identityToken } : {}),
    };
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url ?? '/', 'http://token.invalid');
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) =>
      void res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(value));
    if (url.pathname === '/requests' && req.method === 'GET') return json(200, requests);
    if (url.pathname !== '/token') return json(404, { errors: [{ code: 'NOT_FOUND', message: `no ${url.pathname} here` }] });
    const seen: TokenRequest = {
      method: req.method ?? '',
      path: url.pathname,
      userAgent: req.headers['user-agent'],
      authorization: req.headers.authorization?.split(' ')[0].toLowerCase(),
      scopes: [],
      status: 0,
    };
    requests.push(seen);
    try {
      let answer: object;
      if (req.method === 'GET') answer = handleGet(req, url, seen);
      else if (req.method === 'POST') answer = handlePost(req, body, seen);
      else throw new Refused(405, 'method not allowed', { errors: [{ code: 'UNSUPPORTED', message: 'GET or POST' }] }, { Allow: 'GET, POST' });
      seen.status = 200;
      json(200, answer);
    } catch (e) {
      if (!(e instanceof Refused)) throw e;
      seen.status = e.status;
      json(e.status, e.body, e.headers);
    }
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String((e as Error).stack ?? e));
      }
    });
  });
  // Never keeps jest alive on its own; the teardown closes it.
  server.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    realm: `${base}/token`,
    requestsUrl: `${base}/requests`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
