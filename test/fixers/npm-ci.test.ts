import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildContext } from '../../src/context';
import { applyEdits } from '../../src/edit/apply';
import fixer from '../../src/fixers/npm-ci';
import { FIXERS } from '../../src/fixers/index';
import { asData, findingsOf } from '../helpers/fixerTable';
import { isFix, type Fix, type FindingOf, type FixerContext, type FixResult, type TextEdit } from '../../src/fixers/types';
import { workspace } from '../helpers/workspace';
import { DEBIAN, NODE_12, NODE_20, NODE_8, fixedBases } from '../helpers/nodeImages';
import { lintModel } from '../../src/lint';
import { parseDockerfile } from '../../src/parse/dockerfile';
import rule from '../../src/rules/npm-pin';
import { Lookups } from '../../src/resolve/shared';

const GOLDEN = join(__dirname, 'golden/npm-ci');
/** Build context of every case: package.json + in-sync package-lock.json at the top, in web/, and a shrinkwrap in shrink/. */
const CONTEXT = new BuildContext(join(GOLDEN, 'context'));

interface Run {
  code: string;
  findings: FindingOf<'npm-ci'>[];
  results: FixResult[];
  out: string;
}

/** Lints `code` with npm-pin against the context on disk, fixes its npm-ci findings and applies the fixes. */
async function fix(code: string, context: BuildContext | null = CONTEXT, base: Pick<FixerContext, 'bases' | 'nodeRuntime'> = { bases: fixedBases(NODE_20) }): Promise<Run> {
  const buildContext = context ?? undefined;
  const model = parseDockerfile(code);
  const findings = findingsOf(lintModel(model, { rules: [rule], buildContext }), 'npm-ci');
  const results = await fixer.fix(findings, { model, buildContext, baseId: 10001, lookups: new Lookups(), findings, ...base });
  const out = applyEdits(code, results.filter(isFix).flatMap((r) => r.edits));
  return { code, findings, results, out };
}

/** Where an offset of the input is in the output of `edits` (for an offset not inside an edit). */
function mapOffset(edits: TextEdit[], offset: number): number {
  return offset + edits.filter((e) => e.end <= offset).reduce((d, e) => d + e.text.length - (e.end - e.start), 0);
}

/** The fixed text is clean where it was fixed, and fixing it again changes nothing. */
async function expectSettled(run: Run): Promise<void> {
  const edits = run.results.filter(isFix).flatMap((r) => r.edits);
  const again = await fix(run.out);
  const fixedAt = run.findings.filter((_, i) => isFix(run.results[i])).map((f) => mapOffset(edits, f.span.start));
  const model = parseDockerfile(run.out);
  const after = lintModel(model, { rules: [rule], buildContext: CONTEXT });
  for (const at of fixedAt) expect(after.filter((f) => f.span.start === at)).toEqual([]);
  expect(again.results.filter(isFix)).toEqual([]);
  expect(again.out).toBe(run.out);
}

const D = 'FROM node:20.18.0-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\n';
const because = (why: string) => `${why}: not safe to guess the \`npm ci\` equivalent; rewrite by hand`;

describe('npm-ci fixer', () => {
  it('is registered for its request kind', async () => {
    expect(FIXERS['npm-ci']).toBe(fixer);
  });

  describe('golden files', () => {
    const cases = readdirSync(GOLDEN).filter((f) => f.endsWith('.in.Dockerfile')).map((f) => f.slice(0, -'.in.Dockerfile'.length));

    it('has the cases the issue asks for', async () => {
      expect(cases).toEqual(expect.arrayContaining(['crlf', 'escape-backtick', 'heredoc', 'sh-c', 'multi-stage', 'onbuild', 'copy-glob', 'exec-form']));
    });

    it.each(cases)('%s', async (name) => {
      const code = readFileSync(join(GOLDEN, `${name}.in.Dockerfile`), 'utf8');
      const expected = readFileSync(join(GOLDEN, `${name}.out.Dockerfile`), 'utf8');
      const run = await fix(code);
      expect(run.findings.length).toBeGreaterThan(0);
      expect(run.results).toHaveLength(run.findings.length);
      expect(run.out).toBe(expected);
      await expectSettled(run);
    });

    it('keeps CRLF line ends byte for byte', async () => {
      const run = await fix(readFileSync(join(GOLDEN, 'crlf.in.Dockerfile'), 'utf8'));
      expect(run.out.split('\r\n')).toHaveLength(run.code.split('\r\n').length);
      expect(run.out.replace(/\r\n/g, '')).not.toContain('\n');
    });
  });

  describe('rewrites', () => {
    it.each([
      ['bare install', 'RUN npm install', 'RUN npm ci', '`npm install` → `npm ci`'],
      ['i alias', 'RUN npm i', 'RUN npm ci', '`npm i` → `npm ci`'],
      ['typo alias', 'RUN npm isntall', 'RUN npm ci', '`npm isntall` → `npm ci`'],
      ['add alias', 'RUN npm add', 'RUN npm ci', '`npm add` → `npm ci`'],
      ['install-test keeps the tests', 'RUN npm install-test', 'RUN npm install-ci-test', '`npm install-test` → `npm install-ci-test`'],
      ['it keeps the tests', 'RUN npm it', 'RUN npm cit', '`npm it` → `npm cit`'],
      ['--production', 'RUN npm install --production', 'RUN npm ci --omit=dev', '`npm install` → `npm ci`, `--production` → `--omit=dev`'],
      ['--production=true', 'RUN npm install --production=true', 'RUN npm ci --omit=dev', '`npm install` → `npm ci`, `--production=true` → `--omit=dev`'],
      ['--prod (npm expands it)', 'RUN npm install --prod', 'RUN npm ci --omit=dev', '`npm install` → `npm ci`, `--prod` → `--omit=dev`'],
      ['--no-production', 'RUN npm install --no-production', 'RUN npm ci --include=dev', '`npm install` → `npm ci`, `--no-production` → `--include=dev`'],
      ['--production=false', 'RUN npm install --production=false', 'RUN npm ci --include=dev', '`npm install` → `npm ci`, `--production=false` → `--include=dev`'],
      ['--only=prod', 'RUN npm install --only=prod', 'RUN npm ci --omit=dev', '`npm install` → `npm ci`, `--only=prod` → `--omit=dev`'],
      ['--only=production', 'RUN npm install --only=production', 'RUN npm ci --omit=dev', '`npm install` → `npm ci`, `--only=production` → `--omit=dev`'],
      ['--only production, two words', 'RUN npm install --only production', 'RUN npm ci --omit dev', '`npm install` → `npm ci`, `--only production` → `--omit dev`'],
      ['--dev', 'RUN npm install --dev', 'RUN npm ci --include=dev', '`npm install` → `npm ci`, `--dev` → `--include=dev`'],
      ['--also=development', 'RUN npm install --also=development', 'RUN npm ci --include=dev', '`npm install` → `npm ci`, `--also=development` → `--include=dev`'],
      ['quoted alias keeps its quotes', 'RUN npm install "--production"', 'RUN npm ci "--omit=dev"', undefined],
      ['double-quoted subcommand', 'RUN npm "install"', 'RUN npm "ci"', undefined],
      ['single-quoted subcommand', "RUN npm 'i'", "RUN npm 'ci'", undefined],
      ['options before the subcommand', 'RUN npm --loglevel=warn --no-fund install', 'RUN npm --loglevel=warn --no-fund ci', undefined],
      ['kept switches', 'RUN npm install --ignore-scripts --no-audit --no-fund --legacy-peer-deps --strict-peer-deps --prefer-offline --offline --no-progress --foreground-scripts --install-links --dry-run --no-bin-links --force --engine-strict --no-optional --audit=false', 'RUN npm ci --ignore-scripts --no-audit --no-fund --legacy-peer-deps --strict-peer-deps --prefer-offline --offline --no-progress --foreground-scripts --install-links --dry-run --no-bin-links --force --engine-strict --no-optional --audit=false', undefined],
      ['kept options with values', 'RUN npm install --omit dev --omit=optional --include peer --loglevel silly --cache /c --registry https://r.example/ --reg=https://r.example/ --install-strategy=hoisted --fetch-retries 5 --fetch-timeout=600000 --userconfig /run/secrets/npmrc --cpu arm64 --os linux --libc glibc --allow-git none --script-shell /bin/bash', 'RUN npm ci --omit dev --omit=optional --include peer --loglevel silly --cache /c --registry https://r.example/ --reg=https://r.example/ --install-strategy=hoisted --fetch-retries 5 --fetch-timeout=600000 --userconfig /run/secrets/npmrc --cpu arm64 --os linux --libc glibc --allow-git none --script-shell /bin/bash', undefined],
      ['workspaces', 'RUN npm install -w web --workspace=api --workspaces -ws --include-workspace-root --iwr', 'RUN npm ci -w web --workspace=api --workspaces -ws --include-workspace-root --iwr', undefined],
      ['loglevel shorthands and bundles', 'RUN npm install -q -s -d -dd -ddd --silent --quiet --verbose -qf', 'RUN npm ci -q -s -d -dd -ddd --silent --quiet --verbose -qf', undefined],
      ['variable option value', 'ARG REG\nRUN npm install --registry "$REG"', 'ARG REG\nRUN npm ci --registry "$REG"', undefined],
      ['env assignments and redirections stay', 'RUN NODE_ENV=production npm install >/dev/null 2>&1 || cat /root/.npm/_logs/*.log', 'RUN NODE_ENV=production npm ci >/dev/null 2>&1 || cat /root/.npm/_logs/*.log', undefined],
      ['two installs in one RUN', 'RUN npm install && npm --prefix /app i --production', 'RUN npm ci && npm --prefix /app ci --omit=dev', undefined],
    ])('%s', async (_name, line, expected, title) => {
      const run = await fix(D + line);
      expect(run.out).toBe(D + expected);
      if (title !== undefined) expect((run.results[0] as Fix).title).toBe(`${title}: installs exactly package-lock.json with npm 10.8.2 (node:20.18.0-slim)`);
      for (const r of run.results) expect(r).toMatchObject({ applicability: 'safe' });
      await expectSettled(run);
    });

    it('edits only the subcommand and the changed options', async () => {
      const code = D + 'RUN npm --prefix /app install --only prod --no-audit';
      const [r] = (await fix(code)).results as Fix[];
      expect(r.edits.map((e) => [code.slice(e.start, e.end), e.text])).toEqual([
        ['install', 'ci'],
        ['--only', '--omit'],
        ['prod', 'dev'],
      ]);
    });

    it('names the shrinkwrap when that is the lockfile', async () => {
      const code = 'FROM node:20.18.0-slim\nCOPY shrink/package.json shrink/npm-shrinkwrap.json /opt/s/\nRUN npm --prefix /opt/s install\n';
      expect(((await fix(code)).results[0] as Fix).title).toBe('`npm install` → `npm ci`: installs exactly shrink/npm-shrinkwrap.json with npm 10.8.2 (node:20.18.0-slim)');
    });
  });

  describe('left as they are', () => {
    const WRITES = 'tells `npm install` what to write to package.json or the lockfile, which `npm ci` never writes';
    const RESOLVES = 'changes how `npm install` resolves versions, where `npm ci` takes them from the lockfile';
    it.each([
      ['--save', 'RUN npm install --save', because(`\`--save\` ${WRITES}`)],
      ['--no-save', 'RUN npm install --no-save', because(`\`--no-save\` ${WRITES}`)],
      ['-D', 'RUN npm install -D', because(`\`-D\` ${WRITES}`)],
      ['-E in a bundle', 'RUN npm install -qE', because(`\`-E\` in \`-qE\` ${WRITES}`)],
      ['--save-exact', 'RUN npm install --save-exact', because(`\`--save-exact\` ${WRITES}`)],
      ['--lockfile-version', 'RUN npm install --lockfile-version 3', because(`\`--lockfile-version\` ${WRITES}`)],
      ['--no-package-lock', 'RUN npm install --no-package-lock', because('`--no-package-lock` decides whether `npm install` reads the lockfile at all, where `npm ci` always installs it')],
      ['--package-lock-only', 'RUN npm install --package-lock-only', because('`--package-lock-only` makes `npm install` only update the lockfile and install nothing')],
      ['--prefer-dedupe', 'RUN npm install --prefer-dedupe', because(`\`--prefer-dedupe\` ${RESOLVES}`)],
      ['--before', 'RUN npm install --before 2024-01-01', because(`\`--before\` ${RESOLVES}`)],
      ['unknown option', 'RUN npm install --frobnicate', because('`--frobnicate` is not an option dockrepro knows for `npm ci`')],
      ['unknown abbreviation', 'RUN npm install --ignore-scr', because('`--ignore-scr` is not an option dockrepro knows for `npm ci`')],
      ['--only=dev (npm 6 only)', 'RUN npm install --only=dev', because('`--only=dev` is not an option dockrepro knows for `npm ci`')],
      ['switch with an odd value', 'RUN npm install --audit=maybe', because('`--audit=maybe` is not an option dockrepro knows for `npm ci`')],
      ['option without its value', 'RUN npm install --loglevel', because('`--loglevel` is not an option dockrepro knows for `npm ci`')],
      ['end of options', 'RUN npm install --', because('`--` is not an option dockrepro knows for `npm ci`')],
      ['subcommand split by quotes', 'RUN npm ins"tall"', '`ins"tall"` is not written in one piece (quotes or escapes inside it); rewrite by hand'],
      ['alias split by an escape', 'RUN npm install --pro\\duction', '`--pro\\duction` is not written in one piece (quotes or escapes inside it); rewrite by hand'],
    ])('%s', async (_name, line, reason) => {
      const run = await fix(D + line);
      expect(run.results.map(asData)).toEqual([{ left: 'no-fixer', reason }]);
      expect(run.out).toBe(D + line);
    });

    it('without a copied lockfile: npm ci would fail', async () => {
      const reason = 'no package-lock.json or npm-shrinkwrap.json is copied from the build context before this install: `npm ci` would fail without one';
      const cases = [
        'FROM node:20.18.0-slim\nWORKDIR /app\nCOPY package.json ./\nRUN npm install --production\n',
        'FROM node:20.18.0-slim\nRUN npm install\n',
      ];
      for (const code of cases) {
        const run = await fix(code);
        expect(run.results.map(asData)).toEqual([{ left: 'no-fixer', reason }]);
        expect(run.out).toBe(code);
      }
      // Linted without a build context on disk (stdin): nothing is known about a lockfile.
      expect((await fix(D + 'RUN npm install', null)).results.map(asData)).toEqual([{
        left: 'no-fixer',
        reason: 'linted without a build context, so whether a lockfile is copied before this install is not known: `npm ci` would fail without one',
      }]);
    });

    it.each([
      ['an ONBUILD COPY (from the child image\'s context) before an ONBUILD RUN', `${D}ONBUILD COPY package.json package-lock.json ./\nONBUILD RUN npm install\n`],
      ['a COPY --from another stage', `${D}COPY --from=deps /app/package-lock.json ./\nRUN npm install\n`],
    ])('a lockfile replaced by %s is not ours to vouch for: no fix', async (_name, code) => {
      const run = await fix(code);
      expect(run.results.map(asData)).toEqual([{ left: 'no-fixer', reason: expect.stringContaining('npm ci` would fail without one') }]);
      expect(run.out).toBe(code);
    });

    it('a finding that is not at an npm subcommand', async () => {
      const model = parseDockerfile(D + 'RUN npm install');
      const finding: FindingOf<'npm-ci'> = { rule: 'npm-pin', severity: 'warning', message: '', span: { start: 0, end: 4 }, fix: { kind: 'npm-ci', lockfile: 'package-lock.json' } };
      expect((await fixer.fix([finding], { model, baseId: 10001, lookups: new Lookups(), findings: [finding] })).map(asData)).toEqual([{ left: 'failed', reason: 'the `npm install` command was not found at this place' }]);
    });
  });

  describe("the image's npm decides", () => {
    it('npm 6 (node:12.22.12-alpine): `npm ci` exists; the dependency-type options stay as npm 6 reads them', async () => {
      const bases = { bases: fixedBases(NODE_12) };
      const cases: [string, string][] = [
        ['RUN npm install', 'RUN npm ci'],
        ['RUN npm install --production --unsafe-perm --no-audit', 'RUN npm ci --production --unsafe-perm --no-audit'],
        ['RUN npm install --only=prod --loglevel warn', 'RUN npm ci --only=prod --loglevel warn'],
        ['RUN npm it', 'RUN npm cit'],
      ];
      for (const [line, expected] of cases) {
        const run = await fix(D + line, CONTEXT, bases);
        expect(run.out).toBe(D + expected);
        expect(run.results[0]).toMatchObject({ applicability: 'safe', title: expect.stringMatching(/with npm 6\.14\.16 \(node:12\.22\.12-alpine\)$/) });
      }
      // `--omit` does not exist in npm 6, and options dockrepro has not checked for its `npm ci` are left.
      for (const [line, option] of [['RUN npm install --omit=dev', '--omit=dev'], ['RUN npm install --legacy-peer-deps', '--legacy-peer-deps'], ['RUN npm install --dry-run', '--dry-run']]) {
        const run = await fix(D + line, CONTEXT, bases);
        expect(run.results.map(asData)).toEqual([{ left: 'no-fixer', reason: because(`\`${option}\` is not an option dockrepro knows for npm 6's \`npm ci\``) }]);
      }
    });

    it('a lockfile that .dockerignore leaves out never reaches the build: no `npm ci`', async () => {
      const lock = readFileSync(join(GOLDEN, 'context/package-lock.json'), 'utf8');
      const pkg = readFileSync(join(GOLDEN, 'context/package.json'), 'utf8');
      const files = { 'package.json': pkg, 'package-lock.json': lock };
      const ignored = new BuildContext(workspace({ ...files, '.dockerignore': 'node_modules\n*.json\n!package.json\n' }));
      const run = await fix(D + 'RUN npm install', ignored);
      expect(run.results.map(asData)).toEqual([{
        left: 'no-fixer',
        reason: 'package-lock.json is named by a COPY, but .dockerignore leaves it out of the build context: `npm ci` would fail without one',
      }]);
      // An exception brings it back; a pattern for another folder does not touch it.
      for (const ignore of ['*.json\n!package*.json\n', 'web/package-lock.json\n']) {
        const kept = await fix(D + 'RUN npm install', new BuildContext(workspace({ ...files, '.dockerignore': ignore })));
        expect(kept.out).toBe(D + 'RUN npm ci');
      }
    });

    it('npm before 5.7 has no `npm ci`: left with the reason', async () => {
      const run = await fix(D + 'RUN npm install', CONTEXT, { bases: fixedBases(NODE_8) });
      expect(run.results.map(asData)).toEqual([{ left: 'no-fixer', reason: 'npm 5.6.0 (from node:8.9.4) has no `npm ci` (added in npm 5.7.0): upgrade npm in the image first' }]);
      expect(run.out).toBe(D + 'RUN npm install');
    });

    it('npm unknown (no resolver, an image without npm, npm replaced by the Dockerfile): left with the reason; the config can say', async () => {
      const none = await fix(D + 'RUN npm install', CONTEXT, {});
      expect(none.results.map(asData)).toEqual([{ left: 'needs-network', reason: expect.stringMatching(/^npm version of this stage unknown: the base image was not read/) }]);
      const debian = await fix(D.replace('node:20.18.0-slim', 'debian:12.7') + 'RUN npm install', CONTEXT, { bases: fixedBases(DEBIAN) });
      expect(debian.results.map(asData)).toEqual([{ left: 'no-fixer', reason: expect.stringMatching(/^npm version of this stage unknown: the base image debian:12\.7 has no Node\.js/) }]);
      const replaced = await fix(D + 'RUN npm install -g npm@latest\nRUN npm install', CONTEXT, { bases: fixedBases(NODE_20) });
      expect(replaced.results.map(asData)).toEqual([{ left: 'no-fixer', reason: expect.stringMatching(/^npm version of this stage unknown: line 4: `npm install` npm@latest replaces npm/) }]);
      const pinnedNpm = await fix(D + 'RUN npm install -g npm@6.14.18\nRUN npm install --production', CONTEXT, { bases: fixedBases(NODE_20) });
      expect(pinnedNpm.out).toBe(D + 'RUN npm install -g npm@6.14.18\nRUN npm ci --production');
      const byHand = await fix(D + 'RUN npm install --production', CONTEXT, { nodeRuntime: { npm: '10.8.2', source: '/repo/.dockrepro.yaml' } });
      expect(byHand.out).toBe(D + 'RUN npm ci --omit=dev');
    });
  });

  it('gives one result per finding, in order', async () => {
    const code = D + 'RUN npm install --no-save\nRUN npm i --production\nFROM node:20.18.0-slim\nRUN npm install\n';
    const run = await fix(code);
    expect(run.results.map((r) => (isFix(r) ? r.title : r.reason))).toEqual([
      because('`--no-save` tells `npm install` what to write to package.json or the lockfile, which `npm ci` never writes'),
      '`npm i` → `npm ci`, `--production` → `--omit=dev`: installs exactly package-lock.json with npm 10.8.2 (node:20.18.0-slim)',
      'no package-lock.json or npm-shrinkwrap.json is copied from the build context before this install: `npm ci` would fail without one',
    ]);
    expect(run.out).toBe(D + 'RUN npm install --no-save\nRUN npm ci --omit=dev\nFROM node:20.18.0-slim\nRUN npm install\n');
  });
});
