/**
 * `cargo-version`: `cargo install ripgrep` becomes `cargo install ripgrep@14.1.1`, the version cargo would
 * pick today from the registry's sparse index (the newest that is not yanked and not a prerelease, or the
 * newest match of `ripgrep@^14` / `--version '~14.1'`). Only the finding's word changes: the crate word gets
 * `@<version>`, a requirement given with `--version` is replaced by the version; quotes stay.
 *
 * The registry: crates.io (https://index.crates.io/; `CARGO_REGISTRIES_CRATES_IO_PROTOCOL=git` reads the
 * same registry, so its sparse index answers too), `--index sparse+URL`, or `--registry NAME` /
 * `CARGO_REGISTRY_DEFAULT` with `CARGO_REGISTRIES_<NAME>_INDEX=sparse+URL`. Git indexes, registries defined
 * only in Cargo config files, and `--git` sources are left with the reason. The `cargo-locked` request
 * (a missing `--locked`) is another fixer's.
 */
import { parseArgs, type ParsedArgs } from '../parse/args';
import type { Word } from '../parse/shell';
import type { DockerfileModel } from '../parse/dockerfile';
import type { Finding } from '../rules/types';
import { CARGO_INSTALL } from '../parse/tools/cargo';
import { CRATES_IO_INDEX, isCrateName, isCrateVersion, parseSemver, resolveCrate } from '../resolve/crates';
import type { Fix, Fixer, FixerContext, FindingOf } from './types';
import { locate, needsNetwork, pinWord, sameSpan, variable, type Located } from './packageWords';
import { NotFixed } from '../util/notFixed';

interface Match {
  parsed: ParsedArgs;
  word: Word;
  /** `crate`: the finding is at a crate word; `range`: at a `--version` value. */
  at: 'crate' | 'range';
}

function match(args: Word[], finding: Finding): Match | undefined {
  const parsed = parseArgs(args.filter((a, i) => !(i === 0 && a.value?.startsWith('+'))), CARGO_INSTALL);
  if (parsed.operands[0]?.value !== 'install') return undefined;
  const crate = parsed.operands.slice(1).find((w) => sameSpan(w, finding));
  if (crate) return { parsed, word: crate, at: 'crate' };
  const range = parsed.optionWords.find((o) => (o.name === '--version' || o.name === '--vers') && o.value && sameSpan(o.value, finding))?.value;
  return range ? { parsed, word: range, at: 'range' } : undefined;
}

export interface CargoFixerOptions {
  /** The crates.io sparse index (https://index.crates.io/). */
  cratesIoIndex?: string;
}

const slash = (u: string) => (u.endsWith('/') ? u : `${u}/`);

/** A `sparse+http(s)://` index as the URL to ask, or why it is not one. */
function sparse(url: string, what: string): string | NotFixed {
  const m = /^sparse\+(https?:\/\/\S+)$/.exec(url);
  if (m) return slash(m[1]);
  return new NotFixed(`${what} '${url}' is not a sparse index (sparse+https://…): dockrepro reads only sparse indexes`, 'no-fixer');
}

/** Where cargo looks the crate up, or why that is not known. */
function registry(model: DockerfileModel, loc: Located<Match>, env: NodeJS.ProcessEnv | undefined, cratesIo: string): string | NotFixed {
  const { parsed } = loc.match;
  const index = parsed.options.get('--index');
  if (index !== undefined) {
    if (index === true || index.value === undefined) return new NotFixed('the --index value is not known statically', 'no-fixer');
    return sparse(index.value, '--index');
  }
  const option = parsed.options.get('--registry');
  let name: string | undefined;
  let from = '--registry';
  if (option !== undefined) {
    if (option === true || option.value === undefined) return new NotFixed('the --registry value is not known statically', 'no-fixer');
    name = option.value;
  } else {
    const def = variable(model, loc, env, 'CARGO_REGISTRY_DEFAULT');
    if (def) {
      if (def.value === undefined) return new NotFixed(`CARGO_REGISTRY_DEFAULT (${def.from}) is not known statically`, 'no-fixer');
      name = def.value;
      from = `CARGO_REGISTRY_DEFAULT (${def.from})`;
    }
  }
  if (name !== undefined && name !== 'crates-io') {
    const envName = `CARGO_REGISTRIES_${name.toUpperCase().replace(/-/g, '_')}_INDEX`;
    const url = variable(model, loc, env, envName);
    if (!url) return new NotFixed(`registry '${name}' (${from}) is defined in Cargo config files dockrepro cannot see; set ${envName}`, 'no-fixer');
    if (url.value === undefined) return new NotFixed(`${envName} (${url.from}) is not known statically`, 'no-fixer');
    return sparse(url.value, envName);
  }
  const protocol = variable(model, loc, env, 'CARGO_REGISTRIES_CRATES_IO_PROTOCOL');
  if (protocol && protocol.value !== 'sparse' && protocol.value !== 'git') {
    return new NotFixed(`CARGO_REGISTRIES_CRATES_IO_PROTOCOL=${protocol.value ?? '?'} (${protocol.from}) is not 'sparse' or 'git'`, 'no-fixer');
  }
  return slash(cratesIo);
}

async function fixOne(finding: FindingOf<'cargo-version'>, ctx: FixerContext, options: CargoFixerOptions): Promise<Fix | NotFixed> {
  if (finding.fix.git !== undefined) {
    return new NotFixed(`a --git source is pinned by '--rev <40-hex commit>'; dockrepro does not ask git servers for commits`, 'no-fixer');
  }
  const loc = locate(ctx.model, finding, 'cargo', (cmd) => match(cmd.args, finding));
  if (!loc || loc.match.word.value === undefined) return new NotFixed('the cargo install command was not found at this place', 'failed');
  const { parsed, word, at } = loc.match;
  let name: string;
  let req: string | undefined;
  if (at === 'crate') {
    const i = word.value!.indexOf('@');
    name = i < 0 ? word.value! : word.value!.slice(0, i);
    req = i < 0 ? undefined : word.value!.slice(i + 1).trim();
  } else {
    const crates = parsed.operands.slice(1).filter((c) => c.value !== undefined);
    if (crates.length !== 1) return new NotFixed('--version with several crates: give each crate as name@version', 'no-fixer');
    name = crates[0].value!.split('@')[0];
    req = word.value!.trim();
  }
  if (!isCrateName(name)) return new NotFixed(`'${name}' is not a crate name dockrepro can look up`, 'no-fixer');
  // cargo reads a version starting with a digit as one exact version, and refuses a partial one (`1.2`).
  if (req !== undefined && /^\d/.test(req) && !parseSemver(req)) {
    return new NotFixed(`cargo install refuses '${req}' (not a full version; a range needs an operator such as '^${req}')`, 'no-fixer');
  }
  const index = registry(ctx.model, loc, ctx.packages?.env, options.cratesIoIndex ?? CRATES_IO_INDEX);
  if (typeof index !== 'string') return index;
  if (!ctx.packages) return needsNetwork;

  const key = `cargo:${name}${req === undefined ? '' : `@${req}`} ${index}`;
  const packages = ctx.packages;
  return pinWord(packages, ctx.model.text, word, {
    key,
    subject: `'${word.value}' (index ${index})`,
    resolve: () => resolveCrate(packages, { index, name, req }),
    isValid: isCrateVersion,
    text: (version) => (at === 'crate' ? `${name}@${version}` : version),
    title: (text, why) => (at === 'crate'
      ? `pin crate '${word.value}' → '${text}' (${why})`
      : `pin crate '${name}' version '${word.value}' → '${text}' (${why})`),
  });
}

/** The fixer with another crates.io index (tests point it at a local server). */
export function cargoVersionFixer(options: CargoFixerOptions = {}): Fixer<'cargo-version'> {
  return {
    kind: 'cargo-version',
    fix(findings, ctx) {
      return Promise.all(findings.map((f) => fixOne(f, ctx, options)));
    },
  };
}

export default cargoVersionFixer();
