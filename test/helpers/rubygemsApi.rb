# Writes the RubyGems.org API v1 version files for a gem server directory that `gem generate_index` has
# indexed (test/helpers/gemServer.ts). No real tool serves these endpoints statically, so they are derived
# here, by RubyGems' own classes, from the index files the real tool wrote:
#
#   api/v1/versions/NAME.json         every version of NAME, as GET /api/v1/versions/NAME.json answers
#   api/v1/versions/NAME/latest.json  {"version": ...}, as GET /api/v1/versions/NAME/latest.json answers
#
# Format: https://guides.rubygems.org/rubygems-org-api/#gem-version-methods
# Usage: ruby rubygemsApi.rb DIR [--no-latest]   (--no-latest plays a server without latest.json)
require 'rubygems'
require 'rubygems/package'
require 'json'
require 'digest'
require 'fileutils'
require 'zlib'
require 'time'

dir = ARGV.fetch(0)
write_latest = !ARGV.include?('--no-latest')

# Each index is a Marshal'd list of [name, Gem::Version, platform] (rubygems' Gem::Indexer writes them):
# specs.4.8.gz every release, prerelease_specs.4.8.gz every prerelease.
load_index = ->(file) { Marshal.load(Zlib.gunzip(File.binread(File.join(dir, file)))) }
releases = load_index.('specs.4.8.gz')
all = releases + load_index.('prerelease_specs.4.8.gz')

versions_dir = File.join(dir, 'api', 'v1', 'versions')
all.group_by(&:first).each do |name, tuples|
  entries = tuples.sort_by { |(_, version, _)| version }.reverse.map do |(_, version, platform)|
    full_name = platform == 'ruby' ? "#{name}-#{version}" : "#{name}-#{version}-#{platform}"
    gem = File.join(dir, 'gems', "#{full_name}.gem")
    spec = Gem::Package.new(gem).spec
    {
      authors: spec.authors.join(', '),
      built_at: spec.date.utc.iso8601,
      description: spec.description,
      metadata: spec.metadata,
      number: version.to_s,
      summary: spec.summary,
      platform: platform,
      rubygems_version: spec.required_rubygems_version.to_s,
      ruby_version: spec.required_ruby_version.to_s,
      prerelease: version.prerelease?,
      licenses: spec.licenses,
      requirements: spec.requirements,
      sha: Digest::SHA256.file(gem).hexdigest,
    }
  end
  FileUtils.mkdir_p(File.join(versions_dir, name))
  File.write(File.join(versions_dir, "#{name}.json"), JSON.generate(entries))
  next unless write_latest

  # rubygems.org's "most recent" version: the newest release for platform ruby, else the newest release for
  # any platform, else the newest version. (latest_specs.4.8.gz cannot tell: RubyGems 3.3 keeps there only
  # the newest release of each name, whatever its platform.)
  own = releases.select { |(n, _, _)| n == name }
  newest = ->(list) { list.max_by { |(_, v, _)| v } }
  pick = newest.(own.select { |(_, _, platform)| platform == 'ruby' }) || newest.(own) || newest.(tuples)
  File.write(File.join(versions_dir, name, 'latest.json'), JSON.generate(version: pick[1].to_s))
end
