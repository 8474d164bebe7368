import rule from '../../src/rules/npm-pin';
import { flagged, lint } from '../helpers/lint';

const D = 'FROM node:20.18.0@sha256:' + 'a'.repeat(64) + '\n';
const SHA = 'c'.repeat(40);

describe('npm-pin', () => {
  describe('must trigger', () => {
    it.each([
      ['N1 global install', 'RUN npm install -g yarn', ['yarn']],
      ['N4 npm i', 'RUN npm i -g yarn', ['yarn']],
      ['npm add', 'RUN npm add express', ['express']],
      ['typo alias isntall', 'RUN npm isntall express', ['express']],
      ['N5 dist-tag latest', 'RUN npm install -g yarn@latest', ['yarn@latest']],
      ['N6 range', 'RUN npm install -g "express@>=4"', ['"express@>=4"']],
      ['caret range', 'RUN npm install express@^1', ['express@^1']],
      ['x-range', 'RUN npm install express@1.x', ['express@1.x']],
      ['major only', 'RUN npm install express@4', ['express@4']],
      ['empty version', 'RUN npm install express@', ['express@']],
      ['N7 scoped without version', 'RUN npm install @scope/pkg', ['@scope/pkg']],
      ['N8 --registry value is not a package', 'RUN npm install --registry https://r.example express', ['express']],
      ['--registry= form', 'RUN npm install --registry=https://r.example express', ['express']],
      ['N9 git URL without ref', 'RUN npm install git+https://github.com/npm/cli.git', ['git+https://github.com/npm/cli.git']],
      ['git URL at a tag', 'RUN npm install git+https://github.com/npm/cli.git#v1.0.27', ['git+https://github.com/npm/cli.git#v1.0.27']],
      ['git URL at semver', 'RUN npm install "git+ssh://git@github.com/o/r.git#semver:^5.0"', ['"git+ssh://git@github.com/o/r.git#semver:^5.0"']],
      ['GitHub shorthand', 'RUN npm install expressjs/express', ['expressjs/express']],
      ['github: at a branch', 'RUN npm install github:o/r#main', ['github:o/r#main']],
      ['short commit is not a full commit', 'RUN npm install o/r#abc1234', ['o/r#abc1234']],
      ['named git spec at a branch', 'RUN npm install lib@github:o/r#main', ['lib@github:o/r#main']],
      ['github URL without .git', 'RUN npm install https://github.com/o/r', ['https://github.com/o/r']],
      ['URL that is not a tarball', 'RUN npm install https://example.com/download', ['https://example.com/download']],
      ['N11 option before the subcommand', 'RUN npm --prefix /opt/x install left-pad', ['left-pad']],
      ['-g before the subcommand', 'RUN npm -g install typescript', ['typescript']],
      ['one of several', 'RUN npm install express sax@0.1.1', ['express']],
      ['--loglevel value', 'RUN npm install --loglevel verbose sax', ['sax']],
      ['--omit, --cache, -w values', 'RUN npm install --omit dev --cache /tmp/c -w web left-pad', ['left-pad']],
      ['alias to a range', 'RUN npm install lodash4@npm:lodash@^4', ['lodash4@npm:lodash@^4']],
      ['N12 yarn global add', 'RUN yarn global add typescript', ['typescript']],
      ['yarn add with range', 'RUN yarn add --dev "jest@^29"', ['"jest@^29"']],
      ['yarn workspace add', 'RUN yarn workspace web add react', ['react']],
      ['yarn --cwd value', 'RUN yarn --cwd /app add react', ['react']],
      ['N12 pnpm add -g', 'RUN pnpm add -g typescript', ['typescript']],
      ['pnpm install with names', 'RUN pnpm install typescript', ['typescript']],
      ['pnpm --filter value', 'RUN pnpm --filter web add react', ['react']],
      ['ARG default unpinned', 'ARG PKG=express\nRUN npm install "$PKG"', ['"$PKG"']],
      ['through sudo and sh -c', "RUN sudo sh -c 'npm install -g pm2'", ['pm2']],
      ['ONBUILD', 'ONBUILD RUN npm install -g pm2', ['pm2']],
      ['heredoc script', 'RUN <<EOF\nnpm install -g pm2\nEOF', ['pm2']],
      ['exec form', 'RUN ["npm", "install", "-g", "pm2"]', ['"pm2"']],
      ['absolute path to npm', 'RUN /usr/local/bin/npm install -g pm2', ['pm2']],
      ['bare npm install', 'RUN npm install', ['install']],
      ['bare npm i with options', 'RUN npm i --omit=dev --no-audit', ['i']],
    ])('%s', (_name, code, expected) => {
      expect(flagged(rule, D + code)).toEqual(expected);
    });

    it('reports line, column, message and fix request of each package', () => {
      const found = lint(rule, D + 'RUN npm install -g --loglevel warn yarn@latest \\\n    express@4.21.1 "sax@>=1"');
      expect(found.map((f) => [f.line, f.column, f.text])).toEqual([
        [2, 36, 'yarn@latest'],
        [3, 20, '"sax@>=1"'],
      ]);
      expect(found.map((f) => f.message)).toEqual([
        "npm package 'yarn@latest' is a dist-tag, not a pin: use 'yarn@<version>'",
        "npm package 'sax@>=1' is a version range, not a pin: use 'sax@<version>'",
      ]);
      expect(found.map((f) => f.fix)).toEqual([
        { kind: 'npm-version', package: 'yarn' },
        { kind: 'npm-version', package: 'sax' },
      ]);
    });

    it('reports a bare npm install at the install word with an npm-ci fix request', () => {
      const [f] = lint(rule, D + 'WORKDIR /app\nRUN npm install && npm run build');
      expect([f.line, f.column, f.text, f.fix]).toEqual([3, 9, 'install', { kind: 'npm-ci' }]);
      expect(f.message).toBe('`npm install` without package names re-resolves package.json and may rewrite the lockfile: use `npm ci`');
    });

    it('names an unpinned scoped package in the message', () => {
      expect(lint(rule, D + 'RUN yarn add @scope/pkg').map((f) => f.message)).toEqual([
        "yarn package '@scope/pkg' is not pinned: use '@scope/pkg@<version>'",
      ]);
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['N2 exact version', 'RUN npm install -g yarn@1.22.22'],
      ['N3 npm ci', 'RUN npm ci'],
      ['npm clean-install', 'RUN npm clean-install --omit=dev'],
      ['N7 scoped exact', 'RUN npm install @scope/pkg@1.2.3'],
      ['exact with =', 'RUN npm install express@=4.1.1'],
      ['prerelease', 'RUN npm install typescript@5.7.0-beta'],
      ['quoted exact', 'RUN npm install -g express@"4.1.1"'],
      ['N10 npm run install', 'RUN npm run install'],
      ['npm run with an option', 'RUN npm run --silent install'],
      ['local folder', 'RUN npm install ./packages/x'],
      ['absolute folder', 'RUN npm install /app'],
      ['parent folder', 'RUN npm install ../y'],
      ['home folder', 'RUN npm install ~/z'],
      ['tarball', 'RUN npm install ./pkg-1.0.0.tgz'],
      ['tarball in a folder (not a GitHub shorthand)', 'RUN npm install dist/pkg-1.0.0.tgz'],
      ['remote tarball', 'RUN npm install https://example.com/pkg-1.0.0.tar.gz'],
      ['git at a full commit', `RUN npm install git+https://github.com/npm/cli.git#${SHA}`],
      ['shorthand at a full commit', `RUN npm install o/r#${SHA}`],
      ['alias to an exact version', 'RUN npm install lodash4@npm:lodash@4.17.21'],
      ['flag values are not packages', 'RUN npm install --registry https://r.example --loglevel verbose --prefix /x --cache /c sax@0.1.1'],
      ['-w value is not a package', 'RUN npm install -w web left-pad@1.3.0'],
      ['ARG version', 'ARG V=4.21.1\nRUN npm install "express@${V}"'],
      ['unknown variable', 'RUN npm install "$PACKAGES"'],
      ['unknown version', 'RUN npm install "express@$VERSION"'],
      ['bare yarn', 'RUN yarn'],
      ['yarn install (lenient)', 'RUN yarn install --frozen-lockfile'],
      ['yarn add exact', 'RUN yarn global add typescript@5.6.3'],
      ['yarn run script', 'RUN yarn build'],
      ['pnpm install without names', 'RUN pnpm install --frozen-lockfile'],
      ['pnpm -w is a switch', 'RUN pnpm add -w typescript@5.6.3'],
      ['pnpm workspace protocol', 'RUN pnpm add "@me/lib@workspace:*"'],
      ['named local folder', 'RUN npm install lib@file:../lib && yarn add lib@link:../lib'],
      ['bare global npm install', 'RUN npm install -g'],
      ['npx is not an install', 'RUN npx prettier --check .'],
      ['in a data heredoc', 'RUN cat > /x.sh <<EOF\nnpm install express\nEOF'],
      ['in a comment line of a continuation', 'RUN echo a \\\n  # npm install express\n  && true'],
    ])('%s', (_name, code) => {
      expect(flagged(rule, D + code)).toEqual([]);
    });
  });

  describe('lockfile from the build context', () => {
    const pkg = (deps: Record<string, string>, dev: Record<string, string> = { typescript: '~5.4.0' }) =>
      JSON.stringify({ name: 'app', version: '1.0.0', dependencies: deps, devDependencies: dev });
    const lock = JSON.stringify({
      name: 'app',
      lockfileVersion: 3,
      packages: {
        '': { name: 'app', dependencies: { express: '^4.18.0', lodash: '4.17.21' }, devDependencies: { typescript: '~5.4.0' } },
        'node_modules/express': { version: '4.21.0' },
        'node_modules/lodash': { version: '4.17.21' },
        'node_modules/typescript': { version: '5.4.5', dev: true },
      },
    });
    const inSync = { 'package.json': pkg({ express: '^4.18.0', lodash: '4.17.21' }), 'package-lock.json': lock };
    const dockerfile = D + 'WORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm install\n';

    it('says the copied lockfile is there and npm ci installs exactly it', () => {
      const [f] = lint(rule, dockerfile, inSync);
      expect([f.line, f.column, f.text]).toEqual([4, 9, 'install']);
      expect(f.message).toBe('`npm install` may rewrite package-lock.json copied from the build context: use `npm ci`, which installs exactly that lockfile');
      expect(f.fix).toEqual({ kind: 'npm-ci', lockfile: 'package-lock.json' });
    });

    it('finds the lockfile through COPY . and a sub-folder of the context', () => {
      const files = { 'web/package.json': inSync['package.json'], 'web/package-lock.json': lock };
      expect(lint(rule, D + 'COPY web /srv/web\nRUN npm --prefix /srv/web install', files).map((f) => f.fix)).toEqual([
        { kind: 'npm-ci', lockfile: 'web/package-lock.json' },
      ]);
      expect(lint(rule, D + 'WORKDIR /app\nCOPY . .\nRUN npm i', inSync).map((f) => f.fix)).toEqual([
        { kind: 'npm-ci', lockfile: 'package-lock.json' },
      ]);
    });

    it('prefers npm-shrinkwrap.json', () => {
      const files = { ...inSync, 'npm-shrinkwrap.json': lock };
      expect(lint(rule, D + 'WORKDIR /app\nCOPY . .\nRUN npm install', files).map((f) => f.fix)).toEqual([
        { kind: 'npm-ci', lockfile: 'npm-shrinkwrap.json' },
      ]);
    });

    it('accepts a changed spec that the locked version still satisfies (npm ci succeeds)', () => {
      const files = { ...inSync, 'package.json': pkg({ express: '^4.20.0', lodash: '4.17.21' }) };
      expect(lint(rule, dockerfile, files).map((f) => f.fix)).toEqual([{ kind: 'npm-ci', lockfile: 'package-lock.json' }]);
    });

    it('reports that npm ci would fail when the lockfile is out of sync', () => {
      const files = { ...inSync, 'package.json': pkg({ express: '^5.0.0', lodash: '4.17.21', 'left-pad': '^1.3.0' }) };
      const [f, ...rest] = lint(rule, dockerfile, files);
      expect(rest).toEqual([]);
      expect([f.line, f.column, f.text, f.fix]).toEqual([4, 9, 'install', undefined]);
      expect(f.message).toBe(
        "`npm ci` would fail: package-lock.json is out of sync with package.json ('express@^5.0.0' is locked at 4.21.0, " +
          "'left-pad' is missing); run `npm install` outside the build, commit the lockfile and use `npm ci`",
      );
    });

    it('checks devDependencies too', () => {
      const files = { ...inSync, 'package.json': pkg({ express: '^4.18.0', lodash: '4.17.21' }, { typescript: '^5.6.0' }) };
      expect(lint(rule, dockerfile, files)[0].message).toContain("'typescript@^5.6.0' is locked at 5.4.5");
    });

    it('cannot judge non-registry specs offline, so stays with the plain npm ci advice', () => {
      const files = { ...inSync, 'package.json': pkg({ express: 'github:expressjs/express#4.21.0', lodash: '4.17.21' }) };
      expect(lint(rule, dockerfile, files).map((f) => f.fix)).toEqual([{ kind: 'npm-ci', lockfile: 'package-lock.json' }]);
    });

    it('gives the generic advice when the lockfile is not copied or does not exist', () => {
      const copiesOnlyPkg = D + 'WORKDIR /app\nCOPY package.json ./\nRUN npm install\n';
      expect(lint(rule, copiesOnlyPkg, inSync).map((f) => f.fix)).toEqual([{ kind: 'npm-ci' }]);
      expect(lint(rule, dockerfile, { 'package.json': inSync['package.json'] }).map((f) => f.fix)).toEqual([{ kind: 'npm-ci' }]);
    });

    it('reads a lockfileVersion 1 lockfile', () => {
      const v1 = JSON.stringify({ name: 'app', lockfileVersion: 1, dependencies: { express: { version: '4.21.0' } } });
      const files = { 'package.json': JSON.stringify({ dependencies: { express: '^4.18.0', cors: '^2.8.5' } }), 'package-lock.json': v1 };
      expect(lint(rule, dockerfile, files)[0].message).toContain("out of sync with package.json ('cors' is missing)");
    });

    it('does not require a missing optional dependency (npm skips it on other platforms)', () => {
      const files = { ...inSync, 'package.json': JSON.stringify({ ...JSON.parse(inSync['package.json']), optionalDependencies: { fsevents: '^2.3.0' } }) };
      expect(lint(rule, dockerfile, files).map((f) => f.fix)).toEqual([{ kind: 'npm-ci', lockfile: 'package-lock.json' }]);
    });

    it('ignores a lockfile that is not valid JSON', () => {
      const files = { ...inSync, 'package-lock.json': '{ not json' };
      expect(lint(rule, dockerfile, files).map((f) => f.fix)).toEqual([{ kind: 'npm-ci', lockfile: 'package-lock.json' }]);
    });

    it('finds the lockfile brought by COPY package*.json ./', () => {
      const globbed = D + 'WORKDIR /app\nCOPY package*.json ./\nRUN npm install\n';
      expect(lint(rule, globbed, inSync).map((f) => f.fix)).toEqual([{ kind: 'npm-ci', lockfile: 'package-lock.json' }]);
      const other = D + 'WORKDIR /app\nCOPY pack?ge.json ./\nRUN npm install\n';
      expect(lint(rule, other, inSync).map((f) => f.fix)).toEqual([{ kind: 'npm-ci' }]);
    });
  });
});
