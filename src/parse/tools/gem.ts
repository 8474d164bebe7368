/** How `gem install` command lines are read: shared by the gem-pin rule and the gem-version fixer. */
import { optionSpec } from '../args';

/**
 * `gem install` options that take a value (RubyGems 3.5 `gem install --help`). Options with an *optional*
 * value (`--document [TYPES]`, `-p [URL]`, `-g [FILE]`) are left out: they are almost always written bare.
 */
export const GEM_INSTALL = optionSpec([
  '-v', '--version', '-i', '--install-dir', '-n', '--bindir', '-s', '--source', '-P', '--trust-policy',
  '--platform', '--build-root', '-B', '--bulk-threshold', '--without', '--config-file', '--target-rbconfig',
]);
