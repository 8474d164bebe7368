/**
 * A real npm registry for tests: verdaccio 6.8.0 (its programmatic `runServer`), in the test file's own
 * process on 127.0.0.1 port 0, with a temp config and storage, no uplinks (fully offline), anyone may read
 * `**`, only logged-in users may publish, and `@private/*` may only be read by logged-in users.
 *
 * Fixtures go in through the registry's own HTTP API, as the npm client sends them: a user is created with
 * `PUT /-/user/org.couchdb.user:<name>` (the answer carries the bearer token `npm login` stores), and each
 * version is published with `PUT /<name>` and npm's publish document (`versions`, `dist-tags`,
 * `_attachments` with the base64 tarball). Every request verdaccio answers is counted, so tests can assert
 * that a lookup was made once, or not at all.
 *
 * When verdaccio cannot start, `describeWithVerdaccio` skips loudly (and fails under CI=true), like
 * `describeWithRegistries` in registryFixtures.ts.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { inCI } from './ci';

export interface Verdaccio {
  /** `http://127.0.0.1:PORT/` (with the trailing slash npm writes). */
  url: string;
  /** `127.0.0.1:PORT`. */
  host: string;
  /** Requests verdaccio has answered so far (fixture set-up included: compare before and after). */
  requests: number;
  /** Paths of the requests, in order (`GET /typescript`). */
  log: string[];
  /** Creates a user; returns the token `npm login` would store as `//host/:_authToken`. */
  addUser(name: string, password: string): Promise<string>;
  /** Publishes one version (with `tag`, default `latest`) as `token`'s user; `fields` go into its package.json (`engines`). */
  publish(token: string, name: string, version: string, tag?: string, fields?: Record<string, unknown>): Promise<void>;
  /** Points a dist-tag at a published version. */
  setTag(token: string, name: string, tag: string, version: string): Promise<void>;
  close(): Promise<void>;
}

/** A one-file tar entry (ustar header + content, padded to 512-byte blocks). */
function tarEntry(path: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const put = (s: string, at: number, len: number) => header.write(s.slice(0, len), at, len, 'utf8');
  const octal = (n: number, len: number) => `${n.toString(8).padStart(len - 1, '0')}\0`;
  put(path, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(content.length, 12), 124, 12);
  put(octal(0, 12), 136, 12);
  put('        ', 148, 8); // the checksum is computed over the header with its own field as spaces
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of header) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  const padded = Buffer.alloc(Math.ceil(content.length / 512) * 512);
  content.copy(padded);
  return Buffer.concat([header, padded]);
}

/** A gzipped npm package tarball holding `package/package.json`. */
export function packageTarball(manifest: Record<string, unknown>): Buffer {
  const tar = Buffer.concat([tarEntry('package/package.json', Buffer.from(JSON.stringify(manifest, null, 2))), Buffer.alloc(1024)]);
  return gzipSync(tar);
}

async function expectOk(res: Response, what: string): Promise<unknown> {
  const text = await res.text();
  if (res.status < 200 || res.status >= 300) throw new Error(`${what}: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

export async function startVerdaccio(): Promise<Verdaccio> {
  const dir = mkdtempSync(join(tmpdir(), 'dockrepro-verdaccio-'));
  // Loaded here, not at the top: a missing or broken verdaccio must become a loud skip, not a crash.
  const { runServer } = require('verdaccio') as { runServer(config: unknown): Promise<{ listen(port: number, host: string, cb: () => void): Server }> };
  const app = await runServer({
    self_path: dir,
    storage: join(dir, 'storage'),
    auth: { htpasswd: { file: join(dir, 'htpasswd'), max_users: 100 } },
    uplinks: {},
    packages: {
      '@private/*': { access: '$authenticated', publish: '$authenticated' },
      '**': { access: '$all', publish: '$authenticated' },
    },
    web: { enable: false },
    log: { type: 'stdout', format: 'pretty', level: 'fatal' },
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const host = `127.0.0.1:${port}`;
  const base = `http://${host}`;
  const state: Verdaccio = {
    url: `${base}/`,
    host,
    requests: 0,
    log: [],
    async addUser(name, password) {
      const res = await fetch(`${base}/-/user/org.couchdb.user:${encodeURIComponent(name)}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ _id: `org.couchdb.user:${name}`, name, password, type: 'user', roles: [], date: new Date().toISOString() }),
      });
      const body = (await expectOk(res, `create user ${name}`)) as { token?: string };
      if (!body.token) throw new Error(`create user ${name}: no token in the answer`);
      return body.token;
    },
    async publish(token, name, version, tag = 'latest', fields = {}) {
      const manifest = { name, version, description: `${name} fixture`, main: 'index.js', ...fields };
      const tarball = packageTarball(manifest);
      const file = `${name.replace(/^@[^/]+\//, '')}-${version}.tgz`;
      const doc = {
        _id: name,
        name,
        description: manifest.description,
        'dist-tags': { [tag]: version },
        versions: {
          [version]: {
            ...manifest,
            _id: `${name}@${version}`,
            dist: {
              shasum: createHash('sha1').update(tarball).digest('hex'),
              integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
              tarball: `${base}/${name}/-/${file}`,
            },
          },
        },
        access: null,
        _attachments: { [file]: { content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length } },
      };
      const res = await fetch(`${base}/${name.replace('/', '%2f')}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(doc),
      });
      await expectOk(res, `publish ${name}@${version}`);
    },
    async setTag(token, name, tag, version) {
      const res = await fetch(`${base}/-/package/${name.replace('/', '%2f')}/dist-tags/${tag}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(version),
      });
      await expectOk(res, `dist-tag ${name}@${tag} → ${version}`);
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  server.on('request', (req: { method?: string; url?: string }) => {
    state.requests++;
    state.log.push(`${req.method} ${req.url}`);
  });
  return state;
}

/**
 * Packages whose versions need different Nodes (published oldest first; the last is `latest`): `eng` (1.0.0 any,
 * 1.5.0 node >=10, 2.0.0 >=14, 2.5.0 >=14 and npm >=9, 3.0.0 >=20) and `tsc-like` with TypeScript's engines
 * (5.0.4 runs on Node 12.20, 5.1.3 needs 14.17, 7.0.2 needs 20).
 */
export async function publishEngineFixtures(reg: Verdaccio, token: string): Promise<void> {
  await reg.publish(token, 'eng', '1.0.0');
  await reg.publish(token, 'eng', '1.5.0', 'latest', { engines: { node: '>=10' } });
  await reg.publish(token, 'eng', '2.0.0', 'latest', { engines: { node: '>=14' } });
  await reg.publish(token, 'eng', '2.5.0', 'latest', { engines: { node: '>=14', npm: '>=9' } });
  await reg.publish(token, 'eng', '3.0.0', 'latest', { engines: { node: '>=20' } });
  await reg.publish(token, 'tsc-like', '5.0.4', 'latest', { engines: { node: '>=12.20' } });
  await reg.publish(token, 'tsc-like', '5.1.3', 'latest', { engines: { node: '>=14.17' } });
  await reg.publish(token, 'tsc-like', '7.0.2', 'latest', { engines: { node: '>=20' } });
}

/**
 * `describe` for suites that need verdaccio: started in beforeAll (set-up may publish fixtures), closed in
 * afterAll. When it cannot start the suite is skipped with a loud message, or fails under CI=true.
 */
export function describeWithVerdaccio(name: string, fn: (reg: () => Verdaccio) => void, setup?: (reg: Verdaccio) => Promise<void>): void {
  let problem: string | undefined;
  try {
    require.resolve('verdaccio');
  } catch (e) {
    problem = `verdaccio is not installed: ${(e as Error).message}`;
  }
  if (problem) {
    if (inCI()) {
      describe(name, () => {
        it('needs verdaccio', () => {
          throw new Error(`npm registry tests cannot run under CI: ${problem}`);
        });
      });
      return;
    }
    process.stderr.write(`\nSKIPPED: ${name}: ${problem}\n`);
    describe.skip(name, () => fn(() => undefined as never));
    return;
  }
  describe(name, () => {
    let reg: Verdaccio | undefined;
    beforeAll(async () => {
      try {
        reg = await startVerdaccio();
      } catch (e) {
        // Installed but not starting: every test of the suite fails with the reason (a skip would hide it).
        throw new Error(`verdaccio did not start: ${(e as Error).message}`);
      }
      await setup?.(reg);
    }, 20_000);
    afterAll(async () => {
      await reg?.close();
    });
    fn(() => {
      if (!reg) throw new Error('verdaccio is not running');
      return reg;
    });
  });
}
