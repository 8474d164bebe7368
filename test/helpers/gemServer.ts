/**
 * A RubyGems gem server on 127.0.0.1 made by the real tools of Debian's `ruby` package, served as static
 * files (serveDirectory):
 * - gems/*.gem: each fixture built by the real `gem build` from a minimal gemspec (no files), all in one
 *   ruby process through the gem command's own runner;
 * - specs.4.8.gz, latest_specs.4.8.gz, prerelease_specs.4.8.gz, quick/Marshal.4.8/*.gemspec.rz: written by
 *   the real `gem generate_index` (RubyGems 3.3 in Debian 12 writes no compact index, /versions or /info);
 * - api/v1/versions/NAME.json and NAME/latest.json, the RubyGems.org API v1 that gem-version reads: no real
 *   tool serves it statically, so rubygemsApi.rb derives it, with RubyGems' own classes, from the index files
 *   above, in the documented format (https://guides.rubygems.org/rubygems-org-api/#gem-version-methods).
 * A static server answers 404 for a gem it does not have, where rubygems.org's latest.json says
 * `{"version": "unknown"}`: a test that needs that answer sets it with `override`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveDirectory, type FixtureServer } from './packageServers';

export interface GemFixture {
  number: string;
  /** Default 'ruby' (pure Ruby); e.g. 'x86_64-linux', 'java'. */
  platform?: string;
}

/** The programs the gem server needs, with their Debian package. */
export const GEM_TOOLS = { ruby: 'ruby', gem: 'ruby' };

/** Builds the gems and their index in a new directory; returns it. */
export function buildGemRepository(gems: Record<string, GemFixture[]>, options: { latestEndpoint?: boolean } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'dockrepro-gems-'));
  const specs = join(root, 'gemspecs');
  mkdirSync(specs);
  const files: string[] = [];
  for (const [name, versions] of Object.entries(gems)) {
    for (const v of versions) {
      const platform = v.platform ?? 'ruby';
      // Written into Ruby source below: fixtures stay within the characters gem names and versions use.
      if (![name, v.number, platform].every((x) => /^[A-Za-z0-9._-]+$/.test(x))) throw new Error(`not a fixture gem: ${name} ${v.number} ${platform}`);
      const file = `${name}-${v.number}-${platform}.gemspec`;
      writeFileSync(
        join(specs, file),
        [
          'Gem::Specification.new do |s|',
          `  s.name = ${JSON.stringify(name)}`,
          `  s.version = ${JSON.stringify(v.number)}`,
          `  s.platform = ${JSON.stringify(platform)}`,
          `  s.summary = ${JSON.stringify(`${name} test gem`)}`,
          `  s.description = ${JSON.stringify(`${name} ${v.number}, built for dockrepro tests`)}`,
          "  s.authors = ['Test Author']",
          "  s.licenses = ['MIT']",
          "  s.homepage = 'https://example.org/'",
          '  s.files = []',
          'end',
          '',
        ].join('\n'),
      );
      files.push(file);
    }
  }
  const build = "require 'rubygems/gem_runner'; ARGV.each { |f| Gem::GemRunner.new.run(['build', '--silent', f]) }";
  execFileSync('ruby', ['-e', build, ...files], { cwd: specs, stdio: ['ignore', 'ignore', 'pipe'] });
  mkdirSync(join(root, 'gems'));
  for (const f of readdirSync(specs)) if (f.endsWith('.gem')) renameSync(join(specs, f), join(root, 'gems', f));
  execFileSync('gem', ['generate_index', '--quiet', '--directory', root], { stdio: ['ignore', 'ignore', 'pipe'] });
  const api = [join(__dirname, 'rubygemsApi.rb'), root, ...(options.latestEndpoint === false ? ['--no-latest'] : [])];
  execFileSync('ruby', api, { stdio: ['ignore', 'ignore', 'pipe'] });
  return root;
}

/** A gem server for `gems`; `latestEndpoint: false` plays one without latest.json (404), as plain gem servers are. */
export async function startGemServer(gems: Record<string, GemFixture[]>, options: { latestEndpoint?: boolean } = {}): Promise<FixtureServer> {
  const root = buildGemRepository(gems, options);
  const server = await serveDirectory(root);
  return { ...server, close: () => server.close().finally(() => rmSync(root, { recursive: true, force: true })) };
}
