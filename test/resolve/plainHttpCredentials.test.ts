/**
 * A repository's `insecure: true` must not make dockrepro send the user's docker credentials in clear (issue
 * 10, trust boundaries item 4); only the user's own config may allow it. The htpasswd registry listens on
 * 127.0.0.1 (loopback, where plain HTTP with credentials is fine, as in docker), so the test reaches it through
 * a byte-for-byte TCP relay on this machine's non-loopback address, recording what dockrepro sends.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { describeWithRegistries, pushImage, type Pushed } from '../helpers/registryFixtures';
import { runCli } from '../helpers/cli';
import { workspace } from '../helpers/workspace';
import { inCI } from '../helpers/ci';

/** A non-loopback IPv4 address of this machine, if it has one. */
function outsideAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('127.')) return a.address;
  }
  return undefined;
}

/** Relays `address:<new port>` to `target` (host:port) and keeps every byte sent towards it. */
async function relay(address: string, target: string): Promise<{ host: string; sent: () => string; server: Server }> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const chunks: Buffer[] = [];
  const server = createServer((client) => {
    const upstream = createConnection({ host, port });
    client.on('data', (b: Buffer) => chunks.push(b));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((done) => server.listen(0, address, done));
  return { host: `${address}:${(server.address() as AddressInfo).port}`, sent: () => Buffer.concat(chunks).toString('latin1'), server };
}

const address = outsideAddress();

if (!address) {
  if (inCI()) it('needs a non-loopback address', () => { throw new Error('no non-loopback IPv4 interface: the plain-HTTP credential test cannot run'); });
  else {
    process.stderr.write('\nSKIPPED: credentials over plain HTTP: this machine has no non-loopback IPv4 address\n');
    it.skip('credentials over plain HTTP', () => undefined);
  }
} else {
  describeWithRegistries('credentials over plain HTTP to a non-loopback host', ({ auth, open }) => {
    let image: Pushed;
    let anonymous: Pushed;
    let toAuth: Awaited<ReturnType<typeof relay>>;
    let toOpen: Awaited<ReturnType<typeof relay>>;
    const platform = { os: 'linux', architecture: 'amd64' };

    beforeAll(async () => {
      image = await pushImage(auth, 'trust/private', 'oci', platform, 'private-1', ['1']);
      anonymous = await pushImage(open, 'trust/public', 'oci', platform, 'public-1', ['1']);
      toAuth = await relay(address, auth.host);
      toOpen = await relay(address, open.host);
    });
    afterAll(() => {
      toAuth?.server.close();
      toOpen?.server.close();
    });

    /** A repository that marks `host` insecure, and a home with docker credentials for it (and, maybe, a user config). */
    function setup(host: string, repo: string, userConfig?: string) {
      const home = workspace({});
      const creds = auth.credentials!;
      mkdirSync(join(home, '.docker'));
      writeFileSync(join(home, '.docker/config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') } } }));
      if (userConfig !== undefined) {
        mkdirSync(join(home, 'xdg/dockrepro'), { recursive: true });
        writeFileSync(join(home, 'xdg/dockrepro/config.yaml'), userConfig);
      }
      const cwd = workspace({
        '.git/HEAD': '',
        '.dockrepro.yaml': `registries:\n  "${host}": { insecure: true }\n`,
        Dockerfile: `FROM ${host}/${repo}:1\n`,
      });
      return { cwd, env: { HOME: home, XDG_CONFIG_HOME: join(home, 'xdg') } };
    }

    it("a repository's insecure: true does not send the user's credentials in clear", async () => {
      const { cwd, env } = setup(toAuth.host, 'trust/private');
      const before = toAuth.sent().length;
      const r = await runCli(['fix', '.'], { cwd, env });
      expect(readFileSync(join(cwd, 'Dockerfile'), 'utf8')).toBe(`FROM ${toAuth.host}/trust/private:1\n`);
      expect(r.stdout).toContain(`${toAuth.host} requires authentication and your credentials for it are not sent over plain HTTP`);
      const sent = toAuth.sent().slice(before);
      expect(sent).toContain('GET /v2/trust/private/manifests/1'); // it did ask, anonymously
      expect(sent).not.toMatch(/authorization:/i);
      expect(sent).not.toContain(Buffer.from(`${auth.credentials!.username}:`).toString('base64').slice(0, 8));
    });

    it("the user's own config may allow it: then the image is pinned with the credentials", async () => {
      const { cwd, env } = setup(toAuth.host, 'trust/private', `registries:\n  "${toAuth.host}": { insecure: true }\n`);
      const before = toAuth.sent().length;
      const r = await runCli(['fix', '--verbose', '.'], { cwd, env });
      expect(readFileSync(join(cwd, 'Dockerfile'), 'utf8')).toBe(`FROM ${toAuth.host}/trust/private:1@${image.digest}\n`);
      expect(toAuth.sent().slice(before)).toMatch(/authorization: Basic /i);
      expect(r.stderr).toContain(`dockrepro: user config ${join(env.XDG_CONFIG_HOME, 'dockrepro/config.yaml')}`);
    });

    it("a repository's insecure: true still works for anonymous pulls", async () => {
      const { cwd, env } = setup(toOpen.host, 'trust/public');
      const r = await runCli(['fix', '.'], { cwd, env });
      expect(r.code).toBe(0);
      expect(readFileSync(join(cwd, 'Dockerfile'), 'utf8')).toBe(`FROM ${toOpen.host}/trust/public:1@${anonymous.digest}\n`);
    });

    it('the user config reads only registries and archives', async () => {
      const { cwd, env } = setup(toOpen.host, 'trust/public', 'rules:\n  image-tag: off\n');
      const r = await runCli(['fix', '.'], { cwd, env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${join(env.XDG_CONFIG_HOME, 'dockrepro/config.yaml')}: 'rules' is not read here (known: registries, archives)`);
    });
  });
}
