/**
 * `gem-version`: `gem install rails` becomes `gem install rails:7.2.1`, the version RubyGems would install
 * today (the newest release, or the newest match of `rails:'~> 7.1'` / `-v '~> 7.1'`, prereleases only with
 * `--pre` or a prerelease requirement). Only the finding's word changes: the gem word gets `:<version>`, a
 * range given with `-v` is replaced by the version; quotes stay.
 *
 * Sources as `gem install` builds them: https://rubygems.org/ plus every `--source URL`, or only the
 * `--source` URLs after `--clear-sources`; the highest version any source offers wins.
 */
import { parseArgs, type ParsedArgs } from '../parse/args';
import type { Word } from '../parse/shell';
import type { Finding } from '../rules/types';
import { GEM_INSTALL } from '../parse/tools/gem';
import { RUBYGEMS_ORG, formatGemRequirement, isGemName, isGemVersion, parseGemRequirement, resolveGem, type GemRequirement } from '../resolve/rubygems';
import type { Fix, Fixer, FixerContext, FindingOf } from './types';
import { locate, needsNetwork, pinWord, sameSpan } from './packageWords';
import { NotFixed } from '../util/notFixed';

interface Match {
  parsed: ParsedArgs;
  word: Word;
  /** `gem`: the finding is at a gem word; `range`: at a `-v` value. */
  at: 'gem' | 'range';
}

function match(args: Word[], finding: Finding): Match | undefined {
  const sub = args.findIndex((a) => a.value !== undefined && !a.value.startsWith('-'));
  if (sub < 0 || (args[sub].value !== 'install' && args[sub].value !== 'i')) return undefined;
  let rest = args.slice(sub + 1);
  const dashdash = rest.findIndex((a) => a.value === '--');
  if (dashdash >= 0) rest = rest.slice(0, dashdash);
  const parsed = parseArgs(rest, GEM_INSTALL);
  const gem = parsed.operands.find((w) => sameSpan(w, finding));
  if (gem) return { parsed, word: gem, at: 'gem' };
  const range = parsed.optionWords.find((o) => (o.name === '-v' || o.name === '--version') && o.value && sameSpan(o.value, finding))?.value;
  return range ? { parsed, word: range, at: 'range' } : undefined;
}

export interface GemFixerOptions {
  /** The default gem source (https://rubygems.org/). */
  defaultSource?: string;
}

const slash = (u: string) => (u.endsWith('/') ? u : `${u}/`);

/** The sources `gem install` would search, in order, or why they are not known. */
function sources(parsed: ParsedArgs, defaultSource: string): string[] | NotFixed {
  let list = [slash(defaultSource)];
  let cleared = false;
  for (const o of parsed.optionWords) {
    if (o.name === '--clear-sources') {
      list = [];
      cleared = true;
    } else if (o.name === '-s' || o.name === '--source') {
      const url = o.value?.value;
      if (url === undefined) return new NotFixed(`the gem source '${o.value?.raw ?? ''}' is not known statically`, 'no-fixer');
      if (!/^https?:\/\/[^\s/]+/.test(url)) return new NotFixed(`the gem source '${url}' is not an http(s) URL dockrepro can ask`, 'no-fixer');
      if (cleared) list = [slash(url)];
      else if (!list.includes(slash(url))) list.push(slash(url));
      cleared = false;
    }
  }
  if (list.length === 0) return new NotFixed('--clear-sources leaves no gem source', 'no-fixer');
  return list;
}

async function fixOne(finding: FindingOf<'gem-version'>, ctx: FixerContext, options: GemFixerOptions): Promise<Fix | NotFixed> {
  const loc = locate(ctx.model, finding, 'gem', (cmd) => match(cmd.args, finding));
  if (!loc || loc.match.word.value === undefined) return new NotFixed('the gem command was not found at this place', 'failed');
  const { parsed, word, at } = loc.match;
  if (parsed.options.has('-l') || parsed.options.has('--local')) return new NotFixed('--local installs from .gem files in the folder, not from a gem source', 'no-fixer');

  let name: string;
  let requirement: GemRequirement | undefined;
  let written: string | undefined;
  if (at === 'gem') {
    const colon = word.value!.indexOf(':');
    name = colon < 0 ? word.value! : word.value!.slice(0, colon);
    written = colon < 0 ? undefined : word.value!.slice(colon + 1);
    requirement = written === undefined ? undefined : parseGemRequirement([written]);
  } else {
    const versions = parsed.optionWords.filter((o) => o.name === '-v' || o.name === '--version');
    if (versions.length > 1) return new NotFixed('several -v options make one compound requirement: write a single exact -v by hand', 'no-fixer');
    const gems = parsed.operands.filter((g) => g.value !== undefined);
    if (gems.length !== 1) return new NotFixed('-v with several gems is refused by gem install: give each gem as name:version', 'no-fixer');
    name = gems[0].value!.split(':')[0];
    written = word.value!;
    requirement = parseGemRequirement(written.split(/\s*,\s*/));
  }
  if (!isGemName(name)) return new NotFixed(`'${name}' is not a gem name dockrepro can look up`, 'no-fixer');
  if (written !== undefined && !requirement) return new NotFixed(`'${written}' is not a RubyGems version requirement`, 'no-fixer');
  const from = sources(parsed, options.defaultSource ?? RUBYGEMS_ORG);
  if (!Array.isArray(from)) return from;
  if (!ctx.packages) return needsNetwork;

  const pre = parsed.optionWords.reduce((p, o) => (o.name === '--pre' || o.name === '--prerelease' ? true : o.name === '--no-prerelease' ? false : p), false);
  const key = `gem:${name}${requirement ? ` ${formatGemRequirement(requirement)}` : ''}${pre ? ' --pre' : ''} ${from.join(' ')}`;
  const packages = ctx.packages;
  return pinWord(packages, ctx.model.text, word, {
    key,
    subject: `'${word.value}' (from ${from.join(', ')})`,
    resolve: () => resolveGem(packages, { sources: from, name, requirement, prerelease: pre }),
    isValid: isGemVersion,
    text: (version) => (at === 'gem' ? `${name}:${version}` : version),
    title: (text, why) => (at === 'gem'
      ? `pin gem '${word.value}' → '${text}' (${why})`
      : `pin gem '${name}' version '${word.value}' → '${text}' (${why})`),
  });
}

/** The fixer with another default source (tests point it at a local server). */
export function gemVersionFixer(options: GemFixerOptions = {}): Fixer<'gem-version'> {
  return {
    kind: 'gem-version',
    fix(findings, ctx) {
      return Promise.all(findings.map((f) => fixOne(f, ctx, options)));
    },
  };
}

export default gemVersionFixer();
