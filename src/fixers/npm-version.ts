/**
 * `npm-version`: a package given to `npm install`, `yarn add` or `pnpm add` without an exact version gets the
 * version the build installs today: npm's choice for the Node and npm of the stage's image (engines; see
 * NpmPicker in src/resolve/npm.ts and ./nodeRuntime.ts), yarn's and pnpm's without engines, from the
 * registry the build would ask: `typescript` → `typescript@5.6.3`, `typescript@^5` → the version npm picks for `^5`,
 * `x@next` → that tag's version, `a@npm:b@^1` → `a@npm:b@1.2.0`. Only the characters of the package word
 * change; its quotes stay.
 *
 * The registry is npm's: the command's own `--registry` / `--@scope:registry`, then `npm_config_*` set by
 * ENV or ARG in the Dockerfile, then `npm config set` in earlier RUNs of the stage (or its base stages),
 * then the machine's `npm_config_*` variables, project `.npmrc` and user `.npmrc`. Credentials for it come
 * from the same configuration (the machine's `.npmrc`, keyed `//host/path/:_authToken`).
 */
import type { SimpleCommand, Word } from '../parse/shell';
import { parseDockerfile, stageChain, type DockerfileModel, type RunBlock } from '../parse/dockerfile';
import type { Finding } from '../rules/types';
import { lookupPackage } from '../resolve/packages';
import {
  DEFAULT_REGISTRY, ENGINE_BLIND_PICKER, NPM_NAME, hostNpmConfig, isNpmVersion, normalizeRegistry, npmLockKey, npmPicker, registryKeyFor,
  resolveNpm, type HostNpmConfig, type NpmConfig, type NpmPicker, type NpmQuery,
} from '../resolve/npm';
import { stageRuntime } from './nodeRuntime';
import type { Fix, Fixer, FixerContext, TextEdit, FindingOf } from './types';
import { replaceValue } from './packageWords';
import { NotFixed } from '../util/notFixed';

type Tool = 'npm' | 'yarn' | 'pnpm';

/** Configuration set inside the Dockerfile: known values, and keys whose value is not known (with where). */
interface Layer {
  values: NpmConfig;
  unknown: Map<string, string>;
  sources: Map<string, string>;
}

const newLayer = (): Layer => ({ values: {}, unknown: new Map(), sources: new Map() });

function assign(layer: Layer, key: string, value: string | undefined, source: string): void {
  if (value === undefined) {
    delete layer.values[key];
    layer.unknown.set(key, source);
  } else {
    layer.values[key] = value;
    layer.unknown.delete(key);
  }
  layer.sources.set(key, source);
}

/** The keys that decide which version is picked and where it is asked; only these are read from the Dockerfile. */
const RESOLUTION_KEY = /^(registry|@[^:/]+:registry|tag|before)$/;

const lineOf = (model: DockerfileModel, offset: number) => `line ${model.lines.position(offset).line}`;

/** `npm config set k v` / `k=v …`, `npm set …`, `pnpm config set …`, `yarn config set …`; `delete`/`rm` too. */
function configCommand(cmd: SimpleCommand, layer: Layer, model: DockerfileModel, installTool: Tool): void {
  if (cmd.name !== 'npm' && cmd.name !== 'pnpm' && cmd.name !== 'yarn') return;
  // yarn writes its own .yarnrc (yarn classic) or .yarnrc.yml (berry): only yarn reads it. npm and pnpm write
  // .npmrc, which all three read.
  if (cmd.name === 'yarn' && installTool !== 'yarn') return;
  const ops = cmd.args.filter((a) => a.value === undefined || !a.value.startsWith('-'));
  let at: number;
  if (ops[0]?.value === 'config' || ops[0]?.value === 'c') at = 1;
  else if (cmd.name === 'npm' && ops[0]?.value === 'set') at = 0; // `npm set` is `npm config set`
  else return;
  const sub = ops[at]?.value;
  const rest = ops.slice(at + 1);
  const source = `\`${cmd.name} config ${sub}\` on ${lineOf(model, cmd.span.start)}`;
  const keyOf = (k: string) => (cmd.name === 'yarn' && k === 'npmRegistryServer' ? 'registry' : k);
  if (sub === 'set') {
    for (let i = 0; i < rest.length; i++) {
      const w = rest[i].value;
      if (w === undefined) return; // an unknown word: which key it sets is not known either
      const eq = w.indexOf('=');
      if (eq > 0) {
        const key = keyOf(w.slice(0, eq));
        if (RESOLUTION_KEY.test(key)) assign(layer, key, w.slice(eq + 1), source);
      } else {
        const key = keyOf(w);
        const value = rest[i + 1];
        i++;
        if (RESOLUTION_KEY.test(key)) assign(layer, key, value?.value, source);
      }
    }
  } else if (sub === 'delete' || sub === 'rm') {
    for (const w of rest) {
      const key = w.value === undefined ? undefined : keyOf(w.value);
      if (key && RESOLUTION_KEY.test(key)) {
        delete layer.values[key];
        layer.unknown.delete(key);
      }
    }
  }
}

/**
 * `npm_config_*` set by ENV or ARG and in effect at `run` (RUN sees both as environment variables), with the
 * values the Dockerfile gives them: found by re-parsing the text up to the RUN with a probe command, so the
 * values are expanded exactly as the model expands RUN words (unknown when they depend on an ARG without a
 * default).
 */
function dockerfileEnv(model: DockerfileModel, run: RunBlock, chain: number[]): Layer {
  const layer = newLayer();
  const names = new Map<string, number>();
  for (const inst of model.instructions) {
    if ((inst.keyword !== 'ENV' && inst.keyword !== 'ARG') || inst.onbuild || !chain.includes(inst.stage) || inst.span.start >= run.span.start) continue;
    for (const m of model.text.slice(inst.span.start, inst.span.end).matchAll(/\b(npm_config_\w+)/gi)) {
      names.set(m[1], inst.span.start);
    }
  }
  if (names.size === 0) return layer;
  const list = [...names.keys()];
  const probe = `${model.text.slice(0, run.span.start)}\nRUN ${list.map((n) => `"\${${n}}"`).join(' ')}\n`;
  const probed = parseDockerfile(probe).runs.at(-1)?.commands[0];
  const words = probed ? [probed.program, ...probed.args] : [];
  const env: NpmConfig = {};
  const unknown = new Set<string>();
  list.forEach((name, i) => {
    const v = words[i]?.value;
    if (v === undefined) unknown.add(name);
    else if (v !== '') env[name] = v;
  });
  for (const name of list) {
    let key = name.slice('npm_config_'.length);
    if (!key.startsWith('//')) key = key.replace(/(?!^)_/g, '-').toLowerCase();
    if (!RESOLUTION_KEY.test(key)) continue;
    const source = `${name} (ENV/ARG on ${lineOf(model, names.get(name)!)})`;
    if (unknown.has(name)) assign(layer, key, undefined, source);
    else if (env[name] !== undefined) assign(layer, key, env[name], source);
  }
  return layer;
}

/** `npm config set …` in earlier RUNs of the stage chain and earlier commands of this RUN. */
function dockerfileConfig(model: DockerfileModel, run: RunBlock, cmd: SimpleCommand, chain: number[], tool: Tool): Layer {
  const layer = newLayer();
  for (const r of model.runs) {
    if (r.onbuild || !chain.includes(r.stage) || r.span.start > run.span.start) continue;
    for (const c of r.commands) {
      if (r === run && c.span.start >= cmd.span.start) break;
      configCommand(c, layer, model, tool);
    }
  }
  return layer;
}

/** The install's own options: `--registry`/`--reg`, `--@scope:registry`, and npm's `--tag`, `--before`. */
function commandOptions(cmd: SimpleCommand, tool: Tool, model: DockerfileModel): Layer {
  const layer = newLayer();
  const names = tool === 'npm' ? new Set(['--registry', '--reg', '--tag', '--before']) : new Set(['--registry']);
  const args = cmd.args;
  for (let i = 0; i < args.length; i++) {
    const v = args[i].value;
    if (v === undefined || !v.startsWith('--')) continue;
    const eq = v.indexOf('=');
    const name = eq >= 0 ? v.slice(0, eq) : v;
    if (!names.has(name) && !/^--@[^:/]+:registry$/.test(name)) continue;
    const value = eq >= 0 ? v.slice(eq + 1) : args[++i]?.value;
    const key = name === '--reg' ? 'registry' : name.slice(2);
    assign(layer, key, value, `\`${name}\` on ${lineOf(model, args[eq >= 0 ? i : i - 1].span.start)}`);
  }
  return layer;
}

/** The Dockerfile's own npm settings for one install command, lowest precedence first; once per command. */
const layerCache = new WeakMap<SimpleCommand, Layer[]>();
function dockerfileLayers(model: DockerfileModel, run: RunBlock, cmd: SimpleCommand, tool: Tool): Layer[] {
  let layers = layerCache.get(cmd);
  if (!layers) {
    const chain = stageChain(model, run.stage);
    layers = [dockerfileConfig(model, run, cmd, chain, tool), dockerfileEnv(model, run, chain), commandOptions(cmd, tool, model)];
    layerCache.set(cmd, layers);
  }
  return layers;
}

interface Located {
  run: RunBlock;
  cmd: SimpleCommand;
  word: Word;
  tool: Tool;
}

function locate(model: DockerfileModel, finding: Finding): Located | undefined {
  for (const run of model.runs) {
    if (finding.span.start < run.span.start || finding.span.end > run.span.end) continue;
    for (const cmd of run.commands) {
      if (cmd.name !== 'npm' && cmd.name !== 'yarn' && cmd.name !== 'pnpm') continue;
      const word = cmd.args.find((a) => a.span.start === finding.span.start && a.span.end === finding.span.end);
      if (word) return { run, cmd, word, tool: cmd.name };
    }
  }
  return undefined;
}

/** A registry package spec split into what to ask and how to write the answer back. */
interface Spec {
  /** The package asked for (the aliased one for `alias@npm:pkg@range`). */
  name: string;
  /** As npm reads it: `*` for a bare name or an empty version. */
  range: string;
  /** `alias@npm:` for an npm alias, else ''. */
  prefix: string;
}

/** The registry spec in `value`, or why it is not one this fixer can pin. */
function parseSpec(value: string): Spec | string {
  if (/^jsr:/.test(value)) return 'a jsr: package comes from the JSR registry, which dockrepro does not resolve: pin its version by hand';
  const at = value.indexOf('@', 1); // a leading '@' is the scope
  const name = at < 0 ? value : value.slice(0, at);
  const rest = at < 0 ? '' : value.slice(at + 1);
  if (!NPM_NAME.test(name)) {
    return /^(git[+:@]|github:|gitlab:|bitbucket:|gist:)|:\/\/|\.git(#|$)|^[^@/]+\/[^/]+$/.test(value)
      ? 'a git or URL dependency, not a registry package: pin it by hand to a full commit (`#<40-hex commit>`) or a versioned tarball'
      : `'${name}' is not an npm package name`;
  }
  if (rest.startsWith('npm:')) {
    const inner = parseSpec(rest.slice(4));
    if (typeof inner === 'string') return inner;
    if (inner.prefix) return 'an npm alias of an alias: pin it by hand';
    return { ...inner, prefix: `${name}@npm:` };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(rest)) return `'${rest}' is not a registry version (git, URL, file or workspace source): pin it by hand`;
  return { name, range: rest.trim() === '' ? '*' : rest, prefix: '' };
}

/** Everything the lookup of one finding needs, or why it cannot be made. */
interface Plan {
  edit: (version: string) => TextEdit;
  from: string;
  tool: Tool;
  run: RunBlock;
  cmd: SimpleCommand;
  query: NpmQuery;
}

function plan(finding: Finding, ctx: FixerContext, packages: NonNullable<FixerContext['packages']>, host: HostNpmConfig): Plan | NotFixed {
  const found = locate(ctx.model, finding);
  if (!found || found.word.value === undefined) return new NotFixed('the package word was not found at this place', 'failed');
  const { run, cmd, word, tool } = found;
  const from = word.value!;
  if (word.vars.length > 0 && word.raw.includes('$')) {
    return new NotFixed(`the package comes from ${word.vars.map((v) => `$${v}`).join(', ')}: pin it where that is defined`, 'no-fixer');
  }
  const spec = parseSpec(from);
  if (typeof spec === 'string') return new NotFixed(spec, 'no-fixer');
  const start = replaceValue(ctx.model.text, word, from);
  if (!start) {
    return new NotFixed(`\`${word.raw}\` is not written in one piece (quotes or escapes inside it): pin it by hand`, 'no-fixer');
  }

  const layers = dockerfileLayers(ctx.model, run, cmd, tool);
  const config: NpmConfig = { registry: DEFAULT_REGISTRY, ...host.config };
  const sources = new Map(host.sources);
  const unknown = new Map<string, string>();
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer.values)) {
      config[k] = v;
      unknown.delete(k);
      sources.set(k, layer.sources.get(k)!);
    }
    for (const [k, where] of layer.unknown) {
      delete config[k];
      unknown.set(k, where);
    }
  }
  const scopeKey = registryKeyFor(spec.name);
  const registryKey = scopeKey && (config[scopeKey] !== undefined || unknown.has(scopeKey)) ? scopeKey : 'registry';
  for (const key of [registryKey, 'tag', 'before']) {
    const where = unknown.get(key);
    if (where) return new NotFixed(`npm's \`${key}\` is set by ${where} to a value that is not known here`, 'no-fixer');
  }
  const registry = normalizeRegistry(config[registryKey] ?? DEFAULT_REGISTRY);
  if (!registry) return new NotFixed(`npm's \`${registryKey}\` '${config[registryKey]}' (from ${sources.get(registryKey) ?? 'npm config'}) is not an http(s) URL`, 'failed');
  const defaultTag = config.tag || 'latest';
  let before: Date | undefined;
  if (config.before) {
    before = new Date(config.before);
    if (Number.isNaN(before.getTime())) return new NotFixed(`npm's \`before\` '${config.before}' (from ${sources.get('before')}) is not a date`, 'failed');
  }
  const query = { name: spec.name, range: spec.range, registry, defaultTag, before, config, sources, timeoutMs: packages.http.timeoutMs };
  return {
    from,
    tool,
    run,
    cmd,
    query,
    edit: (version) => ({ ...start, text: `${spec.prefix}${spec.name}@${version}` }),
  };
}

async function fixOne(finding: FindingOf<'npm-version'>, ctx: FixerContext, host: () => HostNpmConfig): Promise<Fix | NotFixed> {
  const packages = ctx.packages;
  if (!packages) return new NotFixed('needs a package index lookup', 'needs-network');
  const p = plan(finding, ctx, packages, host());
  if (p instanceof NotFixed) return p;
  // npm chooses by the engines of the Node and npm that run it: those of this stage. yarn and pnpm do not.
  let picker: NpmPicker = ENGINE_BLIND_PICKER;
  if (p.tool === 'npm') {
    const runtime = await stageRuntime(ctx, p.run, p.cmd, { node: true, npm: true });
    if (runtime instanceof NotFixed) return runtime;
    picker = npmPicker(runtime.node!, runtime.npm!);
    if (p.query.before && picker.nodeVersion === null) {
      return new NotFixed(`npm ${runtime.npm} (from ${runtime.source}) picks differently with \`before\` (its enjoy-by): pin by hand`, 'no-fixer');
    }
  }
  try {
    const key = npmLockKey(p.query, picker);
    const runtime = picker.runtime ? `Node ${picker.runtime.node}, npm ${picker.runtime.npm}, ` : '';
    const resolved = await lookupPackage(packages, key, () => resolveNpm(packages, { ...p.query, picker }), isNpmVersion, `'${p.from}' (${runtime}registry ${p.query.registry})`);
    const edit = p.edit(resolved.version);
    return {
      title: `pin ${p.tool} package '${p.from}' → '${edit.text}' (${resolved.explanation})`,
      edits: [edit],
      applicability: 'safe',
    };
  } catch (e) {
    if (e instanceof NotFixed) return e;
    throw e;
  }
}

const fixer: Fixer<'npm-version'> = {
  kind: 'npm-version',
  fix(findings, ctx) {
    // The machine's npm configuration is read once per file, and only when a finding gets that far.
    let host: HostNpmConfig | undefined;
    const hostConfig = () => (host ??= hostNpmConfig(ctx.packages!.env, ctx.packages!.dir));
    return Promise.all(findings.map((f) => fixOne(f, ctx, hostConfig)));
  },
};

export default fixer;
