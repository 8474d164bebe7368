import rule from '../../src/rules/gem-pin';
import { flagged, lint } from '../helpers/lint';

const D = 'FROM ruby:3.3.6@sha256:' + 'a'.repeat(64) + '\n';

describe('gem-pin', () => {
  describe('must trigger', () => {
    it.each([
      ['G1 plain', 'RUN gem install bundler', ['bundler']],
      ['G5 gem i', 'RUN gem i rails', ['rails']],
      ['G4 --no-document takes no value', 'RUN gem install --no-document rails', ['rails']],
      ['-N takes no value', 'RUN gem install -N rails', ['rails']],
      ['--no-ri --no-rdoc --conservative', 'RUN gem install --no-ri --no-rdoc --conservative rails', ['rails']],
      ['one of several', 'RUN gem install bundler:2.5.11 nokogiri', ['nokogiri']],
      ['-i value is not a gem', 'RUN gem install -i /usr/local/gems rake', ['rake']],
      ['--bindir and --source values', 'RUN gem install --bindir /usr/bin --source https://rubygems.org rake', ['rake']],
      ['-P value', 'RUN gem install -P HighSecurity rake', ['rake']],
      ['G3 pessimistic range', "RUN gem install bundler --version '~> 2.5'", ["'~> 2.5'"]],
      ['-v >= range', "RUN gem install bundler -v '>= 2'", ["'>= 2'"]],
      ['--version= range', "RUN gem install bundler --version='~> 2.5'", ['~> 2.5']],
      ['two -v make a range', "RUN gem install rack -v '>= 2' -v 2.2.9", ["'>= 2'"]],
      ['name:range', "RUN gem install 'rails:~> 7.1'", ["'rails:~> 7.1'"]],
      ['before --', 'RUN gem install nokogiri -- --use-system-libraries', ['nokogiri']],
      ['ARG default unpinned', 'ARG GEM=rails\nRUN gem install "$GEM"', ['"$GEM"']],
      ['through sudo', 'RUN sudo gem install rails', ['rails']],
      ['ONBUILD', 'ONBUILD RUN gem install rails', ['rails']],
      ['heredoc script', 'RUN <<EOF\ngem install rails\nEOF', ['rails']],
      ['continuation', 'RUN gem install \\\n    --no-document \\\n    rails', ['rails']],
      ['exec form', 'RUN ["gem", "install", "rails"]', ['"rails"']],
    ])('%s', (_name, code, expected) => {
      expect(flagged(rule, D + code)).toEqual(expected);
    });

    it('reports line, column, message and fix request', () => {
      const found = lint(rule, D + "RUN gem install --no-document rails \\\n    && gem install bundler --version '~> 2.5'");
      expect(found.map((f) => [f.line, f.column, f.text])).toEqual([
        [2, 31, 'rails'],
        [3, 38, "'~> 2.5'"],
      ]);
      expect(found.map((f) => f.message)).toEqual([
        "gem 'rails' is not pinned: use 'rails:<version>' or '-v <version>'",
        "gem 'bundler' version '~> 2.5' is a range, not a pin: use '-v <exact version>'",
      ]);
      expect(found.map((f) => f.fix)).toEqual([
        { kind: 'gem-version', package: 'rails' },
        { kind: 'gem-version', package: 'bundler' },
      ]);
    });
  });

  describe('must not trigger', () => {
    it.each([
      ['G2 name:version', 'RUN gem install bundler:2.5.11'],
      ['G2 -v', 'RUN gem install bundler -v 2.5.11'],
      ['G2 --version=', 'RUN gem install bundler --version=2.5.11'],
      ['-v before the gem', "RUN gem install -v '2.0.1' bundler"],
      ['-v with =', "RUN gem install bundler -v '= 2.5.11'"],
      ['prerelease', 'RUN gem install rails -v 8.0.0.rc1'],
      ['options with pin', 'RUN gem install --no-document -i /gems --bindir /usr/bin rails:7.1.3'],
      ['build args after --', 'RUN gem install bundler:2.0.1 -- --use-system-libraries=true'],
      ['build args with values after --', 'RUN gem install pg -v 1.5.6 -- --with-pg-config /usr/bin/pg_config'],
      ['local .gem file', 'RUN gem install ./vendor/mygem-1.0.0.gem'],
      ['ARG version', 'ARG BUNDLER_VERSION=2.5.11\nRUN gem install bundler -v "$BUNDLER_VERSION"'],
      ['unknown version', 'RUN gem install bundler -v "$BUNDLER_VERSION"'],
      ['unknown gem', 'RUN gem install "$GEMS"'],
      ['gem update is not install', 'RUN gem update --system 3.5.22'],
      ['gem list', 'RUN gem list rails'],
      ['bundle install uses Gemfile.lock', 'RUN bundle install'],
      ['in a data heredoc', 'RUN cat > /x.sh <<EOF\ngem install rails\nEOF'],
    ])('%s', (_name, code) => {
      expect(flagged(rule, D + code)).toEqual([]);
    });
  });
});
