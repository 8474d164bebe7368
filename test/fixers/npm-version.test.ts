/**
 * The npm-version fixer through the fix engine, against a real npm registry (verdaccio 6.8.0 on 127.0.0.1,
 * offline, fixtures published through its HTTP API) and, for answers verdaccio never gives (5xx, malformed
 * JSON, a malformed version, another package's manifest), a fixture server answering npm's packument shape.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixText, type FixOptions, type FixOutcome } from '../../src/fix';
import fixer from '../../src/fixers/npm-version';
import { HttpClient } from '../../src/resolve/http';
import { LockFile } from '../../src/resolve/lock';
import type { PackageContext } from '../../src/resolve/packages';
import type { StageBases } from '../../src/resolve/baseImage';
import { NotFixed } from '../../src/util/notFixed';
import { envReplace, npmLockKey, npmPicker } from '../../src/resolve/npm';
import rule from '../../src/rules/npm-pin';
import { describeWithVerdaccio, publishEngineFixtures, type Verdaccio } from '../helpers/verdaccio';
import { workspace } from '../helpers/workspace';
import { DEBIAN, NODE_12, NODE_16, NODE_18, NODE_20, fixedBases } from '../helpers/nodeImages';
import { Lookups } from '../../src/resolve/shared';
import { inCI } from '../helpers/ci';
import { withFixer } from '../helpers/fixerTable';

const execFileAsync = promisify(execFile);
const NOW = () => new Date('2026-11-25T12:00:00Z');

interface Setup {
  /** `$HOME/.npmrc` (the user config). */
  user?: string;
  /** `.npmrc` beside the Dockerfile (the project config). */
  project?: string;
  env?: Record<string, string>;
  lock?: LockFile;
  offline?: boolean;
  lookups?: Lookups;
  /** Folder of the Dockerfile (default: a fresh one). */
  dir?: string;
}

/** A fresh HOME and project folder with the given .npmrc files, and the package context over them. */
function context(s: Setup = {}): PackageContext {
  const home = workspace(s.user === undefined ? {} : { '.npmrc': s.user }, 'dockrepro-npm-home-');
  const dir = s.dir ?? workspace(s.project === undefined ? {} : { '.npmrc': s.project }, 'dockrepro-npm-proj-');
  return {
    http: new HttpClient({ retries: 0 }),
    lock: s.lock,
    offline: !!s.offline,
    refresh: false,
    lookups: s.lookups ?? new Lookups(),
    env: { HOME: home, ...s.env },
    dir,
    archives: {},
    now: NOW,
  };
}

/** Every stage is built on node:20.18.0-slim (Node 20.18.0, npm 10.8.2) unless `base` says otherwise. */
async function fix(text: string, packages: PackageContext | undefined, base: { bases?: StageBases } & Pick<FixOptions, 'nodeRuntime'> = { bases: fixedBases(NODE_20) }): Promise<FixOutcome> {
  const bases = base.bases;
  return fixText(text, {
    rules: [rule],
    unsafe: false,
    offline: packages?.offline ?? false,
    baseId: 10001,
    fixers: withFixer(fixer),
    packages,
    lookups: packages?.lookups,
    nodeRuntime: base.nodeRuntime,
    bases: bases && (() => bases),
  });
}

/** The lock key part of npm installs on node:20.18.0-slim. */
const ON_20 = 'node20.18.0 npm10.8.2';

const left = (r: FixOutcome) => r.left.map((l) => ({ left: l.left, reason: l.reason }));
const titles = (r: FixOutcome) => r.applied.map((a) => a.title);

/** Packuments verdaccio cannot be made to serve: the registry's JSON shape with broken content. */
function packument(name: string, version: string, latest = version) {
  return {
    _id: name,
    name,
    'dist-tags': { latest },
    versions: { [version]: { name, version, dist: { tarball: `http://127.0.0.1:1/${name}/-/${name}-${version}.tgz`, shasum: '0'.repeat(40) } } },
  };
}

function startFaults(): Promise<{ url: string; hits: Map<string, number>; server: Server }> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (path === '/flaky') return json(503, { error: 'service unavailable' });
    if (path === '/garbled') return json(200, '{"name":"garbled","dist-tags":{"latest":"1.0.0"},"versions":{');
    if (path === '/badver') return json(200, packument('badver', '1.0;rm -rf /'));
    if (path === '/impostor') return json(200, packument('other-name', '1.0.0'));
    if (path === '/good') return json(200, packument('good', '4.5.6'));
    return json(404, { error: 'not found' });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, hits, server })));
}

let token = '';

describeWithVerdaccio(
  'npm-version fixer against verdaccio',
  (registry) => {
    let reg: Verdaccio;
    let npmrc: string;
    let authrc: string;
    beforeAll(() => {
      reg = registry();
      npmrc = `registry=${reg.url}\n`;
      authrc = `${npmrc}//${reg.host}/:_authToken=\${NPM_TOKEN}\n`;
    });
    const gets = (name: string) => reg.log.filter((l) => l === `GET /${name.replace('/', '%2f')}`).length;

    it('a bare name gets the latest dist-tag, a range the version npm picks, a tag its version (quotes kept)', async () => {
      const r = await fix('FROM node:20\nRUN npm install -g fx "fx2@^1" \'fx3@next\' fx4@latest fx5@1.x fx6@ && true\n', context({ user: npmrc }));
      expect(r.text).toBe('FROM node:20\nRUN npm install -g fx@2.0.0 "fx2@1.2.0" \'fx3@2.1.0-beta.1\' fx4@2.0.0 fx5@1.2.0 fx6@2.0.0 && true\n');
      expect(left(r)).toEqual([]);
      expect(titles(r)).toEqual([
        `pin npm package 'fx' → 'fx@2.0.0' (dist-tag 'latest' on ${reg.url})`,
        `pin npm package 'fx2@^1' → 'fx2@1.2.0' (the version npm 10.8.2 picks on Node 20.18.0 for '^1' on ${reg.url})`,
        `pin npm package 'fx3@next' → 'fx3@2.1.0-beta.1' (dist-tag 'next' on ${reg.url})`,
        `pin npm package 'fx4@latest' → 'fx4@2.0.0' (dist-tag 'latest' on ${reg.url})`,
        `pin npm package 'fx5@1.x' → 'fx5@1.2.0' (the version npm 10.8.2 picks on Node 20.18.0 for '1.x' on ${reg.url})`,
        `pin npm package 'fx6@' → 'fx6@2.0.0' (dist-tag 'latest' on ${reg.url})`,
      ]);
      expect(r.applied.every((a) => a.rule === 'npm-pin' && a.applicability === 'safe')).toBe(true);
    });

    it('yarn add, yarn global add, yarn workspace add, pnpm add, exec form and an npm alias', async () => {
      const r = await fix(
        'FROM node:20\nRUN yarn add fx@^1 && yarn global add @pub/kit && yarn workspace web add fx@next\nRUN pnpm add -g fx\nRUN ["npm", "i", "a@npm:fx@^1"]\n',
        context({ user: npmrc }),
      );
      expect(r.text).toBe(
        'FROM node:20\nRUN yarn add fx@1.2.0 && yarn global add @pub/kit@1.0.1 && yarn workspace web add fx@2.1.0-beta.1\nRUN pnpm add -g fx@2.0.0\nRUN ["npm", "i", "a@npm:fx@1.2.0"]\n',
      );
      expect(left(r)).toEqual([]);
      expect(titles(r)).toContain(`pin yarn package '@pub/kit' → '@pub/kit@1.0.1' (dist-tag 'latest' on ${reg.url})`);
      expect(titles(r)).toContain(`pin pnpm package 'fx' → 'fx@2.0.0' (dist-tag 'latest' on ${reg.url})`);
      expect(titles(r)).toContain(`pin npm package 'a@npm:fx@^1' → 'a@npm:fx@1.2.0' (the version npm 10.8.2 picks on Node 20.18.0 for '^1' on ${reg.url})`);
    });

    it("npm's --tag decides what a bare name means (and the lock key says so); ETARGET is left with the reason", async () => {
      const lock = new LockFile('/nonexistent/dockrepro.lock.json');
      const r = await fix('FROM node:20\nRUN npm install --tag next fx fx@^9 fx@nosuchtag\n', context({ user: npmrc, lock }));
      expect(r.text).toBe('FROM node:20\nRUN npm install --tag next fx@2.1.0-beta.1 fx@^9 fx@nosuchtag\n');
      expect(left(r)).toEqual([
        { left: 'failed', reason: `'fx' has no version matching '^9' on ${reg.url}` },
        { left: 'failed', reason: `'fx' has no dist-tag 'nosuchtag' on ${reg.url}` },
      ]);
      expect(Object.keys(JSON.parse(lock.text()).packages)).toEqual([`npm:fx@* ${reg.url} tag=next ${ON_20}`]);
    });

    it("npm's --before: only versions published by then (the date is part of the lock key)", async () => {
      const lock = new LockFile('/nonexistent/dockrepro.lock.json');
      const r = await fix('FROM node:20\nRUN npm i --before 2000-01-01 fx && npm i --before=2999-01-01T00:00:00Z fx2@^1\n', context({ user: npmrc, lock }));
      expect(r.text).toBe('FROM node:20\nRUN npm i --before 2000-01-01 fx && npm i --before=2999-01-01T00:00:00Z fx2@1.2.0\n');
      expect(left(r)).toEqual([{ left: 'failed', reason: `'fx' has no versions on ${reg.url} published before 2000-01-01T00:00:00.000Z` }]);
      expect(Object.keys(JSON.parse(lock.text()).packages)).toEqual([`npm:fx2@^1 ${reg.url} before=2999-01-01T00:00:00.000Z ${ON_20}`]);
    });

    it('a scoped package behind auth: the token from .npmrc (${VAR} expanded from the run environment); without it, left with the reason', async () => {
      const withAuth = await fix('FROM node:20\nRUN npm i @private/thing\n', context({ user: authrc, env: { NPM_TOKEN: token } }));
      expect(withAuth.text).toBe('FROM node:20\nRUN npm i @private/thing@3.1.4\n');
      expect(left(withAuth)).toEqual([]);

      const noAuth = await fix('FROM node:20\nRUN npm i @private/thing fx\n', context({ user: npmrc }));
      expect(noAuth.text).toBe('FROM node:20\nRUN npm i @private/thing fx@2.0.0\n');
      expect(left(noAuth)).toEqual([
        {
          left: 'failed',
          reason: `${reg.url} requires authentication for '@private/thing' (HTTP 401): no credentials for it in .npmrc (add '//${reg.host}/:_authToken=…')`,
        },
      ]);

      const ctx = context({ user: authrc, env: { NPM_TOKEN: 'not-a-valid-token' } });
      const badAuth = await fix('FROM node:20\nRUN npm i @private/thing\n', ctx);
      expect(badAuth.text).toBe('FROM node:20\nRUN npm i @private/thing\n');
      expect(left(badAuth)).toEqual([
        {
          left: 'failed',
          reason: expect.stringMatching(new RegExp(`^${reg.url} refused '@private/thing' \\(HTTP 40[13]\\) with the credentials '//${reg.host}/:_authToken' from ${ctx.env.HOME}/\\.npmrc$`)),
        },
      ]);
    });

    it('a scoped registry (@private:registry) is asked for its scope only; the project .npmrc overrides the user one', async () => {
      // The default registry is unreachable: only the scope's registry can answer.
      const project = `registry=http://127.0.0.1:1/\n@private:registry=${reg.url}\n//${reg.host}/:_authToken=${token}\n`;
      const r = await fix('FROM node:20\nRUN npm i @private/thing fx\n', context({ user: npmrc, project }));
      expect(r.text).toBe('FROM node:20\nRUN npm i @private/thing@3.1.4 fx\n');
      expect(left(r)).toEqual([{ left: 'failed', reason: expect.stringMatching(/^lookup of 'fx@\*' on http:\/\/127\.0\.0\.1:1\/ failed: .*ECONNREFUSED/) }]);
    });

    it('the project .npmrc is the nearest one above the Dockerfile; npm_config_registry overrides both files', async () => {
      const root = workspace({ '.npmrc': `registry=${reg.url}\n` });
      const dir = join(root, 'services', 'api');
      mkdirSync(dir, { recursive: true });
      const r = await fix('FROM node:20\nRUN npm i fx\n', context({ user: 'registry=http://127.0.0.1:1/\n', dir }));
      expect(r.text).toBe('FROM node:20\nRUN npm i fx@2.0.0\n');

      const viaEnv = await fix('FROM node:20\nRUN npm i fx\n', context({ user: 'registry=http://127.0.0.1:1/\n', env: { NPM_CONFIG_REGISTRY: reg.url } }));
      expect(viaEnv.text).toBe('FROM node:20\nRUN npm i fx@2.0.0\n');
    });

    it('the Dockerfile decides the registry: --registry, npm config set in an earlier RUN or a base stage, ENV npm_config_registry', async () => {
      const elsewhere = context({ user: 'registry=http://127.0.0.1:1/\n' });
      const cases: [string, string][] = [
        [`RUN npm install --registry ${reg.url} fx`, `RUN npm install --registry ${reg.url} fx@2.0.0`],
        // Without the trailing slash, as npm accepts it.
        [`RUN npm install --reg ${reg.url.slice(0, -1)} fx`, `RUN npm install --reg ${reg.url.slice(0, -1)} fx@2.0.0`],
        [`RUN yarn add --registry=${reg.url} fx`, `RUN yarn add --registry=${reg.url} fx@2.0.0`],
        [`RUN npm config set registry ${reg.url} && pnpm add fx`, `RUN npm config set registry ${reg.url} && pnpm add fx@2.0.0`],
        [`ENV NPM_CONFIG_REGISTRY=${reg.url}\nRUN npm i fx`, `ENV NPM_CONFIG_REGISTRY=${reg.url}\nRUN npm i fx@2.0.0`],
        [`ARG REG=${reg.url}\nENV npm_config_registry=$REG\nRUN npm i fx`, `ARG REG=${reg.url}\nENV npm_config_registry=$REG\nRUN npm i fx@2.0.0`],
      ];
      for (const [input, output] of cases) {
        expect((await fix(`FROM node:20\n${input}\n`, elsewhere)).text).toBe(`FROM node:20\n${output}\n`);
      }
      const base = await fix(`FROM node:20 AS base\nRUN npm set registry=${reg.url}\nFROM base\nRUN npm i fx\n`, elsewhere);
      expect(base.text).toBe(`FROM node:20 AS base\nRUN npm set registry=${reg.url}\nFROM base\nRUN npm i fx@2.0.0\n`);
      // Another stage's setting does not apply.
      const other = await fix('FROM node:20 AS a\nRUN npm config set registry http://127.0.0.1:1/\nFROM node:20\nRUN npm i fx\n', context({ user: npmrc }));
      expect(other.text).toBe('FROM node:20 AS a\nRUN npm config set registry http://127.0.0.1:1/\nFROM node:20\nRUN npm i fx@2.0.0\n');
      // A later `npm config set` does not apply either; the yarn-only setting does not apply to npm.
      const later = await fix('FROM node:20\nRUN yarn config set registry http://127.0.0.1:1/ && npm i fx\nRUN npm config set registry http://127.0.0.1:1/\n', context({ user: npmrc }));
      expect(later.text).toBe('FROM node:20\nRUN yarn config set registry http://127.0.0.1:1/ && npm i fx@2.0.0\nRUN npm config set registry http://127.0.0.1:1/\n');
    });

    it('a registry whose value is not known (ARG without a default) leaves the packages with the reason', async () => {
      const r = await fix('FROM node:20\nARG NPM_CONFIG_REGISTRY\nRUN npm i fx\n', context({ user: npmrc }));
      expect(r.text).toBe('FROM node:20\nARG NPM_CONFIG_REGISTRY\nRUN npm i fx\n');
      expect(left(r)).toEqual([{ left: 'no-fixer', reason: "npm's `registry` is set by NPM_CONFIG_REGISTRY (ENV/ARG on line 2) to a value that is not known here" }]);
    });

    it('an unknown package is left with the reason while the others of the same command are pinned', async () => {
      const r = await fix('FROM node:20\nRUN npm install fx no-such-pkg "fx2@^1" \\\n    @pub/kit\n', context({ user: npmrc }));
      expect(r.text).toBe('FROM node:20\nRUN npm install fx@2.0.0 no-such-pkg "fx2@1.2.0" \\\n    @pub/kit@1.0.1\n');
      expect(left(r)).toEqual([{ left: 'failed', reason: `'no-such-pkg' is not on ${reg.url} (HTTP 404)` }]);
    });

    it('the lock makes a re-run offline identical, with no request to the registry; a missing entry needs the network', async () => {
      const lock = new LockFile('/nonexistent/dockrepro.lock.json');
      const text = 'FROM node:20\nRUN npm i fx "fx2@^1" @pub/kit\n';
      const online = await fix(text, context({ user: npmrc, lock }));
      expect(online.text).toBe('FROM node:20\nRUN npm i fx@2.0.0 "fx2@1.2.0" @pub/kit@1.0.1\n');
      expect(JSON.parse(lock.text()).packages).toEqual({
        [npmLockKey({ name: 'fx', range: '*', registry: reg.url, defaultTag: 'latest' }, npmPicker('20.18.0', '10.8.2'))]: { version: '2.0.0', resolvedAt: NOW().toISOString() },
        [`npm:fx2@^1 ${reg.url} ${ON_20}`]: { version: '1.2.0', resolvedAt: NOW().toISOString() },
        [`npm:@pub/kit@* ${reg.url} ${ON_20}`]: { version: '1.0.1', resolvedAt: NOW().toISOString() },
      });

      const before = reg.requests;
      const offline = await fix(text, context({ user: npmrc, lock, offline: true }));
      expect(offline.text).toBe(online.text);
      expect(titles(offline)).toContain("pin npm package 'fx' → 'fx@2.0.0' (from /nonexistent/dockrepro.lock.json)");
      expect(reg.requests).toBe(before);

      const missing = await fix('FROM node:20\nRUN npm i fx@^1\n', context({ user: npmrc, lock, offline: true }));
      expect(missing.text).toBe('FROM node:20\nRUN npm i fx@^1\n');
      expect(left(missing)).toEqual([{ left: 'needs-network', reason: `'fx@^1' (Node 20.18.0, npm 10.8.2, registry ${reg.url}) is not in /nonexistent/dockrepro.lock.json and --offline forbids a lookup` }]);
      expect(reg.requests).toBe(before);
    });

    it('one lookup per package, spec and registry across commands and files of a run', async () => {
      const lookups = new Lookups();
      const before = gets('dedup');
      const a = await fix('FROM node:20\nRUN npm i dedup && yarn add dedup\nRUN pnpm add dedup@latest\n', context({ user: npmrc, lookups }));
      const b = await fix('FROM node:22\nRUN npm install -g dedup\n', context({ user: npmrc, lookups }));
      expect(a.text).toBe('FROM node:20\nRUN npm i dedup@0.3.0 && yarn add dedup@0.3.0\nRUN pnpm add dedup@0.3.0\n');
      expect(b.text).toBe('FROM node:22\nRUN npm install -g dedup@0.3.0\n');
      // `dedup` and `dedup@latest` ask different questions (a range and a tag): two lookups, one packument request.
      expect(gets('dedup') - before).toBe(1);
    });

    it('packages from a variable, git and URL sources, jsr: packages are left with the reason', async () => {
      const r = await fix(
        'FROM node:20\nARG PKG=fx\nRUN npm i $PKG github:o/r#main https://example.com/x jsr:@std/path\n',
        context({ user: npmrc }),
      );
      expect(r.text).toBe('FROM node:20\nARG PKG=fx\nRUN npm i $PKG github:o/r#main https://example.com/x jsr:@std/path\n');
      expect(left(r)).toEqual([
        { left: 'no-fixer', reason: 'the package comes from $PKG: pin it where that is defined' },
        { left: 'no-fixer', reason: 'a git or URL dependency, not a registry package: pin it by hand to a full commit (`#<40-hex commit>`) or a versioned tarball' },
        { left: 'no-fixer', reason: 'a git or URL dependency, not a registry package: pin it by hand to a full commit (`#<40-hex commit>`) or a versioned tarball' },
        { left: 'no-fixer', reason: 'a jsr: package comes from the JSR registry, which dockrepro does not resolve: pin its version by hand' },
      ]);
    });

    describe("the image's Node and npm decide (npm-pick-manifest with engines)", () => {
      /** npm-pick-manifest (the generation npm ≥ 10.8.2 bundles) on verdaccio's own packument. */
      const npmChoice = async (name: string, wanted: string, node: string, npm: string) => {
        const pickManifest = require('npm-pick-manifest') as (p: unknown, w: string, o: object) => { version: string };
        const packument = await (await fetch(`${reg.url}${name}`)).json();
        return pickManifest(packument, wanted, { nodeVersion: node, npmVersion: npm }).version;
      };

      it('npm ≥ 10.8.2: the newest version whose engines accept the image\'s Node and npm, as npm-pick-manifest picks', async () => {
        for (const [image, node] of [[NODE_20, '20.18.0'], [NODE_18, '18.20.5']] as const) {
          const r = await fix('FROM node\nRUN npm i -g eng "eng@<3" eng@^1\n', context({ user: npmrc }), { bases: fixedBases(image) });
          expect(left(r)).toEqual([]);
          const expected = [await npmChoice('eng', '*', node, '10.8.2'), await npmChoice('eng', '<3', node, '10.8.2'), await npmChoice('eng', '^1', node, '10.8.2')];
          expect(r.text).toBe(`FROM node\nRUN npm i -g eng@${expected[0]} "eng@${expected[1]}" eng@${expected[2]}\n`);
        }
        // The fixtures make the engines matter: Node 18 does not get the latest (3.0.0 needs Node >= 20).
        const on18 = await fix('FROM node\nRUN npm i -g eng\n', context({ user: npmrc }), { bases: fixedBases(NODE_18) });
        expect(on18.text).toBe('FROM node\nRUN npm i -g eng@2.5.0\n');
        expect(titles(on18)).toEqual([
          `pin npm package 'eng' → 'eng@2.5.0' (the version npm 10.8.2 picks on Node 18.20.5 (dist-tag 'latest' is 3.0.0, which needs Node '>=20') on ${reg.url})`,
        ]);
      });

      it('npm 7 – 10.8.1 keep the latest whenever it satisfies the range; engines decide among the others (npm 8.19.4 on node:16)', async () => {
        const r = await fix('FROM node\nRUN npm i -g eng "eng@<3"\n', context({ user: npmrc }), { bases: fixedBases(NODE_16) });
        // 2.5.0 needs npm >= 9: npm 8.19.4 passes its own version to the engine check.
        expect(r.text).toBe('FROM node\nRUN npm i -g eng@3.0.0 "eng@2.0.0"\n');
        expect(await npmChoice('eng', '<3', '16.20.2', '8.19.4')).toBe('2.0.0');
      });

      it('npm 6 ignores engines: node:12.22.12-alpine gets the latest, as its npm 6.14.16 installs it (the issue\'s reproducer)', async () => {
        const lock = new LockFile('/nonexistent/dockrepro.lock.json');
        const r = await fix('FROM node:12.22.12-alpine\nRUN npm install -g tsc-like "eng@<3"\n', context({ user: npmrc, lock }), { bases: fixedBases(NODE_12) });
        expect(r.text).toBe('FROM node:12.22.12-alpine\nRUN npm install -g tsc-like@7.0.2 "eng@2.5.0"\n');
        // npm ≥ 7 would have chosen by engines: a different answer, so the lock key names the runtime.
        expect(await npmChoice('tsc-like', '*', '12.22.12', '10.8.2')).toBe('5.0.4');
        expect(Object.keys(JSON.parse(lock.text()).packages).sort()).toEqual([`npm:eng@<3 ${reg.url} node12.22.12 npm6.14.16`, `npm:tsc-like@* ${reg.url} node12.22.12 npm6.14.16`]);
      });

      it('`npm install -g npm@X` earlier in the stage: npm X picks', async () => {
        const r = await fix('FROM node\nRUN npm install -g npm@10.8.2\nRUN npm i -g eng\n', context({ user: npmrc }), { bases: fixedBases(NODE_16) });
        expect(r.text).toBe('FROM node\nRUN npm install -g npm@10.8.2\nRUN npm i -g eng@2.5.0\n');
      });

      it('the same answer as the real npm on this machine (npm install --package-lock-only), with the versions set by hand in the config', async () => {
        const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
        if (npmVersion.status !== 0) {
          if (inCI()) throw new Error('npm is not installed');
          process.stderr.write('\nSKIPPED: comparison with the real npm: npm is not installed\n');
          return;
        }
        const dir = workspace({ 'package.json': '{"name":"probe","version":"1.0.0"}\n' });
        // Asynchronously: verdaccio answers from this very process.
        const run = await execFileAsync('npm', ['install', 'eng', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', `--registry=${reg.url}`, `--cache=${join(dir, '.cache')}`], {
          cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir }, timeout: 60_000,
        });
        expect(run.stderr).not.toMatch(/ERR!/);
        const real = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')).packages['node_modules/eng'].version;
        const nodeRuntime = { node: process.version.slice(1), npm: npmVersion.stdout.trim(), source: '.dockrepro.yaml' };
        const r = await fix('FROM node\nRUN npm i eng\n', context({ user: npmrc }), { nodeRuntime });
        expect(r.text).toBe(`FROM node\nRUN npm i eng@${real}\n`);
      });

      it('Node unknown: installed by the Dockerfile, not in the image, image unreadable, no resolver; the config then decides', async () => {
        const debian = fixedBases(DEBIAN);
        const apt = await fix('FROM debian:12.7\nRUN apt-get update && apt-get install -y nodejs npm && npm i -g eng\n', context({ user: npmrc }), { bases: debian });
        expect(apt.text).toBe('FROM debian:12.7\nRUN apt-get update && apt-get install -y nodejs npm && npm i -g eng\n');
        expect(left(apt)).toEqual([{
          left: 'no-fixer',
          reason: 'Node.js version of this stage unknown: line 2: `apt-get install` installs Node.js or npm; set `rules.npm-pin.node-version` and `npm-version` in .dockrepro.yaml to the versions the build uses, or pin by hand',
        }]);
        const copied = await fix('FROM node\nCOPY --from=node:22 /usr/local/bin/node /usr/local/bin/node\nRUN npm i -g eng\n', context({ user: npmrc }), { bases: fixedBases(NODE_20) });
        expect(left(copied)[0].reason).toMatch(/^Node\.js version of this stage unknown: line 2: `COPY` of '\/usr\/local\/bin\/node' may replace Node\.js or npm;/);
        const bare = await fix('FROM debian:12.7\nRUN npm i -g eng\n', context({ user: npmrc }), { bases: debian });
        expect(left(bare)[0].reason).toMatch(/^Node\.js version of this stage unknown: the base image debian:12\.7 has no Node\.js that dockrepro can read/);
        const unreadable = await fix('FROM node\nRUN npm i -g eng\n', context({ user: npmrc }), { bases: fixedBases(new NotFixed("'node:20' is not in the lock and --offline forbids a lookup", 'needs-network')) });
        expect(left(unreadable)).toEqual([{ left: 'needs-network', reason: expect.stringMatching(/cannot read the base image: 'node:20' is not in the lock/) }]);
        const noResolver = await fix('FROM node\nRUN npm i -g eng\n', context({ user: npmrc }), {});
        expect(left(noResolver)).toEqual([{ left: 'needs-network', reason: expect.stringMatching(/^Node\.js version of this stage unknown: the base image was not read/) }]);

        // Set by hand: used where the image cannot tell, never over what the image says.
        const nodeRuntime = { node: '18.20.5', npm: '10.8.2', source: '/repo/.dockrepro.yaml' };
        const byHand = await fix('FROM debian:12.7\nRUN apt-get install -y nodejs npm && npm i -g eng\n', context({ user: npmrc }), { bases: debian, nodeRuntime });
        expect(byHand.text).toBe('FROM debian:12.7\nRUN apt-get install -y nodejs npm && npm i -g eng@2.5.0\n');
        const imageWins = await fix('FROM node\nRUN npm i -g eng\n', context({ user: npmrc }), { bases: fixedBases(NODE_20), nodeRuntime });
        expect(imageWins.text).toBe('FROM node\nRUN npm i -g eng@3.0.0\n');
      });

      it('yarn and pnpm do not choose by engines: the image is not asked', async () => {
        const bases = fixedBases(DEBIAN);
        const r = await fix('FROM debian:12.7\nRUN yarn global add eng && pnpm add "eng@<3"\n', context({ user: npmrc }), { bases });
        expect(r.text).toBe('FROM debian:12.7\nRUN yarn global add eng@3.0.0 && pnpm add "eng@2.5.0"\n');
        expect(bases.asked).toBe(0);
      });
    });

    it('without a package context the findings need the network', async () => {
      const r = await fix('FROM node:20\nRUN npm i fx\n', undefined);
      expect(left(r)).toEqual([{ left: 'needs-network', reason: 'needs a package index lookup' }]);
    });
  },
  async (reg) => {
    token = await reg.addUser('tester', 'secret-pass');
    for (const name of ['fx', 'fx2', 'fx3', 'fx4', 'fx5', 'fx6']) {
      for (const v of ['1.0.0', '1.2.0', '2.0.0']) await reg.publish(token, name, v);
      await reg.publish(token, name, '2.1.0-beta.1', 'next');
    }
    await reg.publish(token, '@pub/kit', '1.0.1');
    await reg.publish(token, '@private/thing', '3.1.4');
    await reg.publish(token, 'dedup', '0.3.0');
    await publishEngineFixtures(reg, token);
  },
);

describe('npm-version fixer: broken registry answers', () => {
  let faults: Awaited<ReturnType<typeof startFaults>>;
  beforeAll(async () => {
    faults = await startFaults();
  });
  afterAll(() => new Promise<void>((r) => faults.server.close(() => r())));

  it('5xx, malformed JSON, a malformed version and another package are left with the reason; nothing reaches the text', async () => {
    const packages = context({ project: `registry=${faults.url}\n` });
    const r = await fix('FROM node:20\nRUN npm i flaky garbled badver impostor good\n', packages);
    expect(r.text).toBe('FROM node:20\nRUN npm i flaky garbled badver impostor good@4.5.6\n');
    expect(left(r)).toEqual([
      { left: 'failed', reason: `${faults.url} answered HTTP 503 for 'flaky@*' (retries exhausted)` },
      { left: 'failed', reason: `${faults.url} answered malformed JSON for 'garbled@*'` },
      { left: 'failed', reason: `${faults.url} answered a malformed version '1.0;rm -rf /' for 'badver'` },
      { left: 'failed', reason: `${faults.url} answered a manifest for 'other-name' when asked for 'impostor'` },
    ]);
    // The 503 was retried (npm's fetch-retries), then given up.
    expect(faults.hits.get('/flaky')).toBe(3);
  });
});

describe('.npmrc ${VAR} expansion (npm env-replace)', () => {
  it('expands set variables, keeps unset ones, `?` makes them empty, backslashes escape', () => {
    const env = { TOKEN: 'abc' };
    expect(envReplace('x${TOKEN}y', env)).toBe('xabcy');
    expect(envReplace('${UNSET}', env)).toBe('${UNSET}');
    expect(envReplace('${UNSET?}', env)).toBe('');
    expect(envReplace('\\${TOKEN}', env)).toBe('${TOKEN}');
    expect(envReplace('\\\\${TOKEN}', env)).toBe('\\abc');
  });
});
