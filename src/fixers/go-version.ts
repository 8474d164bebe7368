/**
 * `go-version`: `go install example.com/mod/cmd/x@latest` (or with no version) becomes
 * `example.com/mod/cmd/x@v1.4.2`, the version the module proxy gives for that query today. Only the
 * package word changes (its quotes stay). The proxy list is the command's GOPROXY: an assignment on the
 * command or an `export` earlier in the RUN, then ENV/ARG of the Dockerfile, then the run's environment,
 * else `https://proxy.golang.org,direct`.
 */
import { parseArgs } from '../parse/args';
import { GO_FLAGS, longFlags } from '../parse/tools/go';
import { DEFAULT_GOPROXY, formatGoproxy, isGoPath, isGoVersion, parseGoproxy, resolveGoPackage, type GoQuery } from '../resolve/goproxy';
import type { Fix, Fixer, FixerContext, FindingOf } from './types';
import { locate, needsNetwork, pinWord, sameSpan, variable } from './packageWords';
import { NotFixed } from '../util/notFixed';

/** A `GOPRIVATE`/`GONOPROXY` glob list matches a path when a pattern matches its leading elements. */
export function matchesPrefixGlobs(globs: string, path: string): boolean {
  const elems = path.split('/');
  return globs.split(',').map((g) => g.trim().replace(/\/+$/, '')).filter(Boolean).some((g) => {
    const n = g.split('/').length;
    if (elems.length < n) return false;
    const re = new RegExp(`^${g.split('').map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`);
    return re.test(elems.slice(0, n).join('/'));
  });
}

/** What `go <sub> pkg@q` asks for, or why it is left. */
function classify(q: string | undefined): { query: GoQuery; key: string } | NotFixed {
  // `go get pkg` means `@upgrade`: the newest release unless go.mod already requires a newer pre-release.
  if (q === undefined || q === 'latest' || q === 'upgrade') return { query: { kind: 'latest' }, key: 'latest' };
  if (q === 'patch') return new NotFixed("'@patch' is relative to the version the main module's go.mod requires, which dockrepro does not read", 'no-fixer');
  if (q === 'none') return new NotFixed("'@none' removes the requirement: there is no version to pin", 'no-fixer');
  if (/^v\d+(\.\d+)?$/.test(q)) return { query: { kind: 'prefix', prefix: q }, key: q };
  if (/^[<>]/.test(q)) return new NotFixed(`the comparison query '@${q}' is not resolved automatically: pick a version by hand`, 'no-fixer');
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(q)) return { query: { kind: 'revision', revision: q }, key: q };
  return new NotFixed(`'@${q}' is not a branch, tag or commit dockrepro can ask the proxy about`, 'no-fixer');
}

async function fixOne(finding: FindingOf<'go-version'>, ctx: FixerContext): Promise<Fix | NotFixed> {
  const loc = locate(ctx.model, finding, 'go', (cmd) => {
    const parsed = parseArgs(longFlags(cmd.args), GO_FLAGS);
    const word = parsed.operands.slice(1).find((w) => sameSpan(w, finding));
    return word ? { word } : undefined;
  });
  if (!loc || loc.match.word.value === undefined) return new NotFixed('the go command was not found at this place', 'failed');
  const { word } = loc.match;
  const spec = word.value!;
  const at = spec.indexOf('@');
  const path = at < 0 ? spec : spec.slice(0, at);
  if (!isGoPath(path)) return new NotFixed(`'${path}' is not a package path dockrepro can look up`, 'no-fixer');
  const kind = classify(at < 0 ? undefined : spec.slice(at + 1));
  if (kind instanceof NotFixed) return kind;
  if (!ctx.packages) return needsNetwork;

  const env = ctx.packages.env;
  for (const name of ['GONOPROXY', 'GOPRIVATE']) {
    const s = variable(ctx.model, loc, env, name);
    if (s?.value && matchesPrefixGlobs(s.value, path)) {
      return new NotFixed(`${name}=${s.value} (${s.from}) makes go fetch '${path}' from version control, which dockrepro does not query`, 'no-fixer');
    }
    if (s && name === 'GONOPROXY') break; // GONOPROXY set: GOPRIVATE no longer decides
  }
  const setting = variable(ctx.model, loc, env, 'GOPROXY');
  if (setting && setting.value === undefined) return new NotFixed(`GOPROXY (${setting.from}) is not known statically`, 'no-fixer');
  const goproxy = setting?.value ?? DEFAULT_GOPROXY;
  const proxies = parseGoproxy(goproxy);
  if (proxies.length === 0) proxies.push(...parseGoproxy(DEFAULT_GOPROXY));
  if (proxies[0].kind === 'off') return new NotFixed(`GOPROXY=${goproxy} (${setting?.from}) forbids module downloads`, 'no-fixer');
  if (proxies[0].kind === 'direct') {
    return new NotFixed(`GOPROXY=${goproxy} (${setting?.from}) makes go fetch modules from version control, which dockrepro does not query`, 'no-fixer');
  }
  const bad = proxies.find((p) => p.kind === 'url' && !/^https?:\/\//.test(p.url));
  if (bad && bad.kind === 'url') return new NotFixed(`GOPROXY entry '${bad.url}' is not an http(s) proxy dockrepro can ask`, 'no-fixer');

  const key = `go:${path}@${kind.key} ${formatGoproxy(proxies)}`;
  const packages = ctx.packages;
  return pinWord(packages, ctx.model.text, word, {
    key,
    subject: `'${spec}' (GOPROXY ${formatGoproxy(proxies)})`,
    resolve: () => resolveGoPackage(packages, { path, proxies, want: kind.query }),
    isValid: isGoVersion,
    text: (version) => `${path}@${version}`,
    title: (pinned, why) => `pin go package '${spec}' → '${pinned}' (${why})`,
  });
}

const fixer: Fixer<'go-version'> = {
  kind: 'go-version',
  fix(findings, ctx) {
    return Promise.all(findings.map((f) => fixOne(f, ctx)));
  },
};

export default fixer;
