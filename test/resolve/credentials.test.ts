/**
 * Docker client credentials: real config files in temp HOME / DOCKER_CONFIG folders, and real credential
 * helpers (small shell scripts named docker-credential-*, put first on PATH) that record what they were asked.
 * At the end, the credentials drive the RegistryClient against the real htpasswd registry.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DOCKER_HUB_SERVER_URL,
  DockerCredentialError,
  loadDockerCredentials,
  normaliseRegistryHost,
  type DockerCredentialSource,
} from '../../src/resolve/credentials';
import { RegistryClient, RegistryError } from '../../src/resolve/registry';
import { rejectsWith } from '../helpers/registryClient';
import { describeWithRegistries, MT, pushImage, sha256, type Pushed } from '../helpers/registryFixtures';
import { workspace } from '../helpers/workspace';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A home folder holding `.docker/config.json` (omitted when `config` is undefined). */
function home(config?: unknown): string {
  const text = typeof config === 'string' ? config : JSON.stringify(config);
  return workspace(config === undefined ? {} : { '.docker/config.json': text }, 'dockrepro-creds-');
}

/**
 * A folder of credential helpers, by name (`test` → docker-credential-test), each a shell script body. Every
 * script first appends the server URL it read on stdin to `<dir>/<name>.calls`, so tests can see what was asked.
 */
function helpers(scripts: Record<string, string>): { dir: string; calls: (name: string) => string[] } {
  const dir = workspace({}, 'dockrepro-helpers-');
  for (const [name, body] of Object.entries(scripts)) {
    const file = join(dir, `docker-credential-${name}`);
    writeFileSync(file, `#!/bin/sh\nurl=$(cat)\nprintf '%s\\n' "$url" >> "${dir}/${name}.calls"\n${body}\n`);
    chmodSync(file, 0o755);
  }
  const calls = (name: string) => {
    const file = join(dir, `${name}.calls`);
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(0, -1) : [];
  };
  return { dir, calls };
}

/** A helper body that answers with the given user and secret, echoing the server URL back as docker's do. */
const answers = (user: string, secret: string) => `printf '{"ServerURL":"%s","Username":"${user}","Secret":"${secret}"}' "$url"`;
const NOT_FOUND = `echo 'credentials not found in native keychain'; exit 1`;

function env(extra: Record<string, string> = {}, helperDir?: string): NodeJS.ProcessEnv {
  return { PATH: helperDir ? `${helperDir}:${process.env.PATH}` : process.env.PATH, ...extra };
}

async function load(config: unknown, helperDir?: string, extra: Record<string, string> = {}): Promise<DockerCredentialSource> {
  return loadDockerCredentials({ env: env(extra, helperDir), homedir: home(config) });
}

const failure = (p: Promise<unknown>) => rejectsWith(p, DockerCredentialError);

describe('normaliseRegistryHost', () => {
  it.each([
    ['https://index.docker.io/v1/', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['https://registry-1.docker.io', 'docker.io'],
    ['docker.io', 'docker.io'],
    ['https://ghcr.io', 'ghcr.io'],
    ['http://localhost:5000/v2/', 'localhost:5000'],
    ['localhost:5000', 'localhost:5000'],
    ['registry.example.com/some/path', 'registry.example.com'],
    ['https://user@Registry.Example.com:8443/', 'registry.example.com:8443'],
    ['[::1]:5000', '[::1]:5000'],
  ])('%s → %s', (key, host) => {
    expect(normaliseRegistryHost(key)).toBe(host);
  });
});

describe('config file location', () => {
  const config = (user: string) => ({ auths: { 'ghcr.io': { auth: b64(`${user}:pw`) } } });

  it('DOCKER_CONFIG wins over the home folder', async () => {
    const dir = workspace({ 'config.json': JSON.stringify(config('from-docker-config')) });
    const src = await loadDockerCredentials({ env: { DOCKER_CONFIG: dir }, homedir: home(config('from-home')) });
    expect(src.configPath).toBe(join(dir, 'config.json'));
    expect(await src.get('ghcr.io')).toEqual({ username: 'from-docker-config', password: 'pw' });
  });

  it('without DOCKER_CONFIG, ~/.docker/config.json', async () => {
    const h = home(config('from-home'));
    const src = await loadDockerCredentials({ env: {}, homedir: h });
    expect(src.configPath).toBe(join(h, '.docker', 'config.json'));
    expect(await src.get('ghcr.io')).toEqual({ username: 'from-home', password: 'pw' });
  });

  it('a missing file (or DOCKER_CONFIG folder) means no credentials and no error', async () => {
    for (const src of [
      await loadDockerCredentials({ env: {}, homedir: home() }),
      await loadDockerCredentials({ env: { DOCKER_CONFIG: join(home(), 'nowhere') }, homedir: home(config('x')) }),
    ]) {
      expect(src.configError).toBeUndefined();
      expect(await src.get('ghcr.io')).toBeUndefined();
    }
  });

  it('an empty file is an empty configuration, as in docker', async () => {
    const src = await load('  \n');
    expect(src.configError).toBeUndefined();
    expect(await src.get('docker.io')).toBeUndefined();
  });

  it('malformed JSON: loading succeeds, the error names the file, and every lookup reports it', async () => {
    const h = home('{"auths": {"ghcr.io": {"auth": "dTpw"}},');
    const src = await loadDockerCredentials({ env: {}, homedir: h });
    expect(src.configError).toBeInstanceOf(DockerCredentialError);
    expect(src.configError).toMatchObject({ kind: 'config' });
    expect(src.configError!.message).toContain(`docker config ${join(h, '.docker', 'config.json')} is not valid JSON`);
    expect(await failure(src.get('ghcr.io'))).toBe(src.configError);
  });

  it('wrongly typed top-level fields and an unreadable path are config errors', async () => {
    expect((await load({ auths: [] })).configError?.message).toMatch(/'auths' is not an object/);
    expect((await load({ credsStore: 3 })).configError?.message).toMatch(/'credsStore' is not a string/);
    expect((await load({ credHelpers: { 'ghcr.io': true } })).configError?.message).toMatch(/credHelpers\['ghcr.io'\] is not a string/);
    const dir = workspace({ 'config.json/inside': '' }); // config.json is a folder
    const src = await loadDockerCredentials({ env: { DOCKER_CONFIG: dir }, homedir: home() });
    expect(src.configError).toMatchObject({ kind: 'config', message: expect.stringMatching(/^cannot read docker config .*config\.json: EISDIR/) });
  });
});

describe('auths entries', () => {
  it('base64 auth splits at the first colon only', async () => {
    const src = await load({ auths: { 'ghcr.io': { auth: b64('bot:pa:ss:word') } } });
    expect(await src.get('ghcr.io')).toEqual({ username: 'bot', password: 'pa:ss:word' });
  });

  it('username/password fields, and identitytoken (which wins over auth)', async () => {
    const src = await load({
      auths: {
        'quay.io': { username: 'robot', password: 's3cret' },
        'myregistry.azurecr.io': { auth: b64('00000000-0000-0000-0000-000000000000:'), identitytoken: 'refresh-xyz' },
      },
    });
    expect(await src.get('quay.io')).toEqual({ username: 'robot', password: 's3cret' });
    expect(await src.get('myregistry.azurecr.io')).toEqual({ identityToken: 'refresh-xyz' });
  });

  it('keys with scheme and path, and host:port, are matched by host', async () => {
    const src = await load({
      auths: {
        'https://ghcr.io': { auth: b64('g:1') },
        'http://localhost:5000/v2/': { auth: b64('l:2') },
        '127.0.0.1:5001': { auth: b64('i:3') },
      },
    });
    expect(await src.get('ghcr.io')).toEqual({ username: 'g', password: '1' });
    expect(await src.get('localhost:5000')).toEqual({ username: 'l', password: '2' });
    expect(await src.get('127.0.0.1:5001')).toEqual({ username: 'i', password: '3' });
    // The port is part of the host: another port is another registry.
    expect(await src.get('localhost:5001')).toBeUndefined();
    expect(await src.get('localhost')).toBeUndefined();
  });

  it.each(['https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io', 'docker.io'])(
    'Docker Hub key %s is found for docker.io and its aliases',
    async (key) => {
      const src = await load({ auths: { [key]: { auth: b64('hubuser:hubpw') } } });
      for (const host of ['docker.io', 'index.docker.io', 'registry-1.docker.io']) {
        expect(await src.get(host)).toEqual({ username: 'hubuser', password: 'hubpw' });
      }
      expect(await src.get('ghcr.io')).toBeUndefined();
    },
  );

  it("docker's own Hub key wins over other spellings; an empty entry does not hide a filled one", async () => {
    const both = await load({ auths: { 'docker.io': { auth: b64('alias:1') }, [DOCKER_HUB_SERVER_URL]: { auth: b64('canonical:2') } } });
    expect(await both.get('docker.io')).toEqual({ username: 'canonical', password: '2' });
    const empty = await load({ auths: { [DOCKER_HUB_SERVER_URL]: {}, 'index.docker.io': { auth: b64('alias:1') } } });
    expect(await empty.get('docker.io')).toEqual({ username: 'alias', password: '1' });
    expect(await (await load({ auths: { 'ghcr.io': {} } })).get('ghcr.io')).toBeUndefined();
  });

  it('a malformed entry fails lookups of its host only, naming the key', async () => {
    const src = await load({
      auths: {
        'bad64.example': { auth: 'not base64!' },
        'nocolon.example': { auth: b64('justuser') },
        'typed.example': { username: 7 },
        'ok.example': { auth: b64('u:p') },
      },
    });
    expect(src.configError).toBeUndefined();
    const bad = await failure(src.get('bad64.example'));
    expect(bad).toMatchObject({ kind: 'entry' });
    expect(bad.message).toMatch(/auths\['bad64\.example'\]\.auth is not base64 of 'username:password'/);
    expect((await failure(src.get('nocolon.example'))).message).toMatch(/auths\['nocolon\.example'\]\.auth/);
    expect((await failure(src.get('typed.example'))).message).toMatch(/auths\['typed\.example'\]\.username is not a string/);
    expect(await src.get('ok.example')).toEqual({ username: 'u', password: 'p' });
    expect(await src.get('ghcr.io')).toBeUndefined();
  });

  it('DOCKER_AUTH_CONFIG entries override the file; a malformed one is a config error', async () => {
    const config = { auths: { 'ghcr.io': { auth: b64('file:1') }, 'quay.io': { auth: b64('file:2') } } };
    const src = await load(config, undefined, { DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { 'https://ghcr.io': { auth: b64('env:1') } } }) });
    expect(await src.get('ghcr.io')).toEqual({ username: 'env', password: '1' });
    expect(await src.get('quay.io')).toEqual({ username: 'file', password: '2' });
    const broken = await load(config, undefined, { DOCKER_AUTH_CONFIG: '{auths' });
    expect(broken.configError?.message).toMatch(/^DOCKER_AUTH_CONFIG is not valid JSON/);
  });
});

describe('credential helpers', () => {
  it('credHelpers: the helper is asked about the host on stdin and its answer is used', async () => {
    const h = helpers({ test: answers('ghuser', 'ghp_token') });
    const src = await load({ credHelpers: { 'ghcr.io': 'test' } }, h.dir);
    expect(await src.get('ghcr.io')).toEqual({ username: 'ghuser', password: 'ghp_token' });
    expect(h.calls('test')).toEqual(['ghcr.io']);
    // Other hosts do not use that helper.
    expect(await src.get('quay.io')).toBeUndefined();
    expect(h.calls('test')).toEqual(['ghcr.io']);
  });

  it('Docker Hub is asked about as https://index.docker.io/v1/', async () => {
    const h = helpers({ store: answers('hubuser', 'hubpw') });
    const src = await load({ credsStore: 'store' }, h.dir);
    expect(await src.get('docker.io')).toEqual({ username: 'hubuser', password: 'hubpw' });
    expect(h.calls('store')).toEqual([DOCKER_HUB_SERVER_URL]);
  });

  it('Username <token> makes the secret an identity token', async () => {
    const h = helpers({ test: answers('<token>', 'refresh-abc') });
    const src = await load({ credsStore: 'test' }, h.dir);
    expect(await src.get('myregistry.azurecr.io')).toEqual({ identityToken: 'refresh-abc' });
  });

  it('precedence: credHelpers, then credsStore, then auths; a configured store has the final word', async () => {
    const h = helpers({
      perhost: answers('from-helper', '1'),
      store: `case "$url" in quay.io) ${answers('from-store', '2')} ;; *) ${NOT_FOUND} ;; esac`,
    });
    const auths = {
      'ghcr.io': { auth: b64('from-file:0') },
      'quay.io': { auth: b64('from-file:0') },
      'gitlab.example': { auth: b64('from-file:0') },
      'plain.example': { auth: b64('from-file:3') },
    };
    const src = await load({ auths, credsStore: 'store', credHelpers: { 'ghcr.io': 'perhost', 'plain.example': '' } }, h.dir);
    expect(await src.get('ghcr.io')).toEqual({ username: 'from-helper', password: '1' });
    expect(await src.get('quay.io')).toEqual({ username: 'from-store', password: '2' });
    // As in docker: with a store configured, the file's entry is not used when the store has nothing.
    expect(await src.get('gitlab.example')).toBeUndefined();
    // An empty credHelpers entry sends the host back to the file.
    expect(await src.get('plain.example')).toEqual({ username: 'from-file', password: '3' });
    expect(h.calls('perhost')).toEqual(['ghcr.io']);
    expect(h.calls('store')).toEqual(['quay.io', 'gitlab.example']);
  });

  it('credHelpers keys are matched by host, however they are spelled', async () => {
    const h = helpers({ test: answers('u', 'p') });
    const src = await load({ credHelpers: { 'https://index.docker.io/v1/': 'test', 'https://ghcr.io/': 'test' } }, h.dir);
    expect(await src.get('docker.io')).toEqual({ username: 'u', password: 'p' });
    expect(await src.get('ghcr.io')).toEqual({ username: 'u', password: 'p' });
    // Asked about the host (what docker asks), not the key as written.
    expect(h.calls('test')).toEqual([DOCKER_HUB_SERVER_URL, 'ghcr.io']);
  });

  it('a login stored under a URL spelling is found by asking again with the key as written', async () => {
    const h = helpers({ store: `[ "$url" = https://registry.example.com ] || { ${NOT_FOUND}; }\n${answers('old', 'login')}` });
    const src = await load({ auths: { 'https://registry.example.com': {} }, credsStore: 'store' }, h.dir);
    expect(await src.get('registry.example.com')).toEqual({ username: 'old', password: 'login' });
    expect(h.calls('store')).toEqual(['registry.example.com', 'https://registry.example.com']);
  });

  it('"credentials not found in native keychain" means none; other failures are errors with the helper\'s message', async () => {
    const h = helpers({
      none: NOT_FOUND,
      broken: `echo 'error getting credentials: keychain locked'; exit 3`,
      quiet: `echo 'dbus: no session bus' >&2; exit 1`,
      garbage: `echo 'user=u secret=TOPSECRET'`,
      partial: `echo '{"Username": 5}'`,
    });
    const use = (name: string) => load({ credsStore: name }, h.dir).then((s) => s.get('ghcr.io'));
    expect(await use('none')).toBeUndefined();
    const broken = await failure(use('broken'));
    expect(broken).toMatchObject({ kind: 'helper' });
    expect(broken.message).toMatch(/^credential helper docker-credential-broken \(credsStore in .*config\.json\) exited with 3 for ghcr\.io: error getting credentials: keychain locked$/);
    expect((await failure(use('quiet'))).message).toMatch(/exited with 1 for ghcr\.io: dbus: no session bus$/);
    const garbage = await failure(use('garbage'));
    expect(garbage.message).toMatch(/docker-credential-garbage .* answered ghcr\.io with something that is not JSON/);
    // What a helper prints on success may be a secret: it never appears in a message.
    expect(garbage.message).not.toContain('TOPSECRET');
    expect((await failure(use('partial'))).message).toMatch(/without string Username and Secret/);
  });

  it('a missing or non-executable helper is a clear error naming it and what configured it', async () => {
    const h = helpers({});
    const missing = await failure((await load({ credHelpers: { 'ghcr.io': 'nope' } }, h.dir)).get('ghcr.io'));
    expect(missing).toMatchObject({ kind: 'helper' });
    expect(missing.message).toMatch(/^credential helper docker-credential-nope \(credHelpers\['ghcr\.io'\] in .*config\.json\) is not installed or not on PATH$/);
    writeFileSync(join(h.dir, 'docker-credential-noexec'), '#!/bin/sh\n');
    const noexec = await failure((await load({ credsStore: 'noexec' }, h.dir)).get('ghcr.io'));
    expect(noexec.message).toMatch(/docker-credential-noexec .* is not executable$/);
  });

  it('a helper that hangs is killed, with its children, after the timeout', async () => {
    const h = helpers({ slow: `sleep 30 & echo $! > "$(dirname "$0")/sleep.pid"; wait` });
    const src = await loadDockerCredentials({ env: env({}, h.dir), homedir: home({ credsStore: 'slow' }), helperTimeoutMs: 300 });
    const started = Date.now();
    const err = await failure(src.get('ghcr.io'));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err).toMatchObject({ kind: 'helper', message: expect.stringMatching(/docker-credential-slow .* did not answer within 300 ms$/) });
    // The script's `sleep` must not outlive it (it would hold the pipes and the process table).
    const pid = Number(readFileSync(join(h.dir, 'sleep.pid'), 'utf8'));
    const alive = () => existsSync(`/proc/${pid}`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const deadline = Date.now() + 2000;
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(alive()).toBe(false);
  });

  it('answers and failures are cached per host, whatever alias names it', async () => {
    const h = helpers({ store: `sleep 0.1\n${answers('u', 'p')}`, failing: 'exit 2' });
    const src = await load({ credsStore: 'store' }, h.dir);
    const together = await Promise.all([src.get('docker.io'), src.get('index.docker.io'), src.get('registry-1.docker.io')]);
    expect(together).toEqual(Array(3).fill({ username: 'u', password: 'p' }));
    expect(await src.get('docker.io')).toEqual({ username: 'u', password: 'p' });
    expect(h.calls('store')).toEqual([DOCKER_HUB_SERVER_URL]);
    await src.get('ghcr.io');
    expect(h.calls('store')).toEqual([DOCKER_HUB_SERVER_URL, 'ghcr.io']);

    const failing = await load({ credsStore: 'failing' }, h.dir);
    const first = await failure(failing.get('ghcr.io'));
    expect(await failure(failing.get('ghcr.io'))).toBe(first);
    expect(h.calls('failing')).toEqual(['ghcr.io']);
  });
});

describeWithRegistries('docker credentials drive the registry client', ({ auth }) => {
  let pushed: Pushed;
  beforeAll(async () => {
    pushed = await pushImage(auth, 'creds/app', 'docker', { os: 'linux', architecture: 'amd64' }, 'creds', ['1']);
  });

  /** RegistryClient takes user/password credentials; identity tokens need the patch in the report. */
  const clientFor = (src: DockerCredentialSource) =>
    new RegistryClient({
      retries: 0,
      timeoutMs: 5000,
      credentials: async (host) => {
        const c = await src.get(host);
        return c && 'username' in c ? c : undefined;
      },
    });

  it('a config.json auths entry for the registry authenticates', async () => {
    const { username, password } = auth.credentials!;
    const src = await load({ auths: { [`http://${auth.host}/v2/`]: { auth: b64(`${username}:${password}`) } } });
    const r = await clientFor(src).digestOf(`${auth.host}/creds/app:1`);
    expect(r).toEqual({ digest: sha256(pushed.bytes), mediaType: MT.dockerManifest, reference: '1' });
  });

  it('a credential helper for the registry authenticates; a wrong answer is rejected by the registry', async () => {
    const { username, password } = auth.credentials!;
    const h = helpers({ right: answers(username, password), wrong: answers(username, 'not-it') });
    const right = await load({ credHelpers: { [auth.host]: 'right' } }, h.dir);
    expect((await clientFor(right).digestOf(`${auth.host}/creds/app:1`)).digest).toBe(pushed.digest);
    expect(h.calls('right')).toEqual([auth.host]);
    const wrong = await load({ credHelpers: { [auth.host]: 'wrong' } }, h.dir);
    const err = await clientFor(wrong).digestOf(`${auth.host}/creds/app:1`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ kind: 'unauthorized', status: 401 });
  });
});
