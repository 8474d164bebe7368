/**
 * npm pins read the Node and npm of the base image, end to end through the CLI: official-node-like images
 * pushed to the test registry (NODE_VERSION in a real config blob; node_version.h and npm's package.json in
 * real layer tarballs), packages from verdaccio whose versions need different Nodes. The chosen versions are
 * compared with npm's own picker (npm-pick-manifest, given the image's Node and npm) on verdaccio's packument.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli';
import { pushFixtureImage, type FixtureImage } from '../helpers/imageFixtures';
import { describeWithRegistries } from '../helpers/registryFixtures';
import { describeWithVerdaccio, publishEngineFixtures } from '../helpers/verdaccio';

/** The layers of an official node image that say which Node and npm it runs. */
function nodeImage(node: string, npm: string): FixtureImage {
  const [major, minor, patch] = node.split('.');
  return {
    config: { Env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', NODE_VERSION: node, YARN_VERSION: '1.22.19' } },
    layers: [
      { files: { '/etc/os-release': 'ID=debian\n' }, dirs: ['/usr/lib'] },
      {
        files: {
          '/usr/local/include/node/node_version.h': `#define NODE_MAJOR_VERSION ${major}\n#define NODE_MINOR_VERSION ${minor}\n#define NODE_PATCH_VERSION ${patch}\n`,
          '/usr/local/lib/node_modules/npm/package.json': JSON.stringify({ name: 'npm', version: npm }),
        },
        compression: 'zstd',
      },
    ],
  };
}

describeWithRegistries('npm pins for the base image', (regs) => {
  const digests: Record<string, string> = {};
  beforeAll(async () => {
    for (const [tag, node, npm] of [['18.20.5', '18.20.5', '10.8.2'], ['12.22.12-alpine', '12.22.12', '6.14.16'], ['8.9.4', '8.9.4', '5.6.0']]) {
      digests[tag] = (await pushFixtureImage(regs.open, 'e2e/node', { ...nodeImage(node, npm), tags: [tag] })).digest;
    }
  });
  const from = (tag: string) => `FROM ${regs.open.host}/e2e/node:${tag}@${digests[tag]}`;

  describeWithVerdaccio(
    'against verdaccio',
    (verdaccio) => {
      const run = async (files: Record<string, string>, args: string[] = []) => {
        const dir = mkdtempSync(join(tmpdir(), 'dockrepro-e2e-npm-'));
        for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
        writeFileSync(join(dir, '.npmrc'), `registry=${verdaccio().url}\n`);
        const r = await runCli(['fix', '--rules', 'npm-pin', ...args], { cwd: dir, env: { HOME: dir } });
        return { ...r, text: readFileSync(join(dir, 'Dockerfile'), 'utf8') };
      };
      const pickManifest = require('npm-pick-manifest') as (p: unknown, w: string, o: object) => { version: string };
      const npmChoice = async (name: string, node: string, npm: string) => {
        const packument = await (await fetch(`${verdaccio().url}${name}`, { headers: { Accept: 'application/vnd.npm.install-v1+json' } })).json();
        return pickManifest(packument, '*', { nodeVersion: node, npmVersion: npm }).version;
      };

      it("node:18.20.5 (npm 10.8.2): the versions npm's own picker chooses for that Node, not for the Node running dockrepro", async () => {
        const r = await run({ Dockerfile: `${from('18.20.5')}\nRUN npm install -g eng tsc-like\n` });
        const eng = await npmChoice('eng', '18.20.5', '10.8.2');
        const tsc = await npmChoice('tsc-like', '18.20.5', '10.8.2');
        expect([eng, tsc]).toEqual(['2.5.0', '5.1.3']); // the latest of each needs Node >= 20
        expect(r.text).toBe(`${from('18.20.5')}\nRUN npm install -g eng@${eng} tsc-like@${tsc}\n`);
        expect(r.stdout).toContain('0 left');
      });

      it('node:12.22.12-alpine (npm 6.14.16, which ignores engines): the latest, as that build installs today', async () => {
        const r = await run({ Dockerfile: `${from('12.22.12-alpine')}\nRUN npm install -g tsc-like\n` });
        expect(r.text).toBe(`${from('12.22.12-alpine')}\nRUN npm install -g tsc-like@7.0.2\n`);
      });

      it('npm ci: not on npm 5.6 (before npm ci existed), nor when .dockerignore keeps the lockfile out; yes on npm 10', async () => {
        const project = { 'package.json': '{"name":"app","version":"1.0.0"}', 'package-lock.json': '{"lockfileVersion":3,"packages":{}}' };
        const body = 'WORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm install\n';
        const old = await run({ ...project, Dockerfile: `${from('8.9.4')}\n${body}` });
        expect(old.text).toBe(`${from('8.9.4')}\n${body}`);
        expect(old.stdout).toMatch(/npm-pin left .*npm 5\.6\.0/);
        const ignored = await run({ ...project, '.dockerignore': 'node_modules\n*.lock*\npackage-lock.json\n', Dockerfile: `${from('18.20.5')}\n${body}` });
        expect(ignored.text).toBe(`${from('18.20.5')}\n${body}`);
        expect(ignored.stdout).toMatch(/npm-pin left .*\.dockerignore/);
        const now = await run({ ...project, Dockerfile: `${from('18.20.5')}\n${body}` });
        expect(now.text).toBe(`${from('18.20.5')}\n${body.replace('npm install', 'npm ci')}`);
      });
    },
    async (reg) => {
      const token = await reg.addUser('e2e', 'e2e-pass');
      await publishEngineFixtures(reg, token);
    },
  );
});
