/**
 * npm registry resolution for the `npm-version` fixer: the version npm would install today for
 * `name@range`, `name@tag` or a bare `name`, answered by pacote (npm's own resolver: the same packument
 * request, the same npm-pick-manifest choice, `defaultTag` and `before` handling, and npm-registry-fetch's
 * registry and credential lookup).
 *
 * The configuration is read the way npm reads it, as far as it decides where and how to look: `.npmrc`
 * files (the user's, `$npm_config_userconfig` or `$HOME/.npmrc`; the project's, the nearest one upwards from
 * the Dockerfile's folder), then `npm_config_*` variables, each layer overriding the one before, with npm's
 * `${VAR}` / `${VAR?}` expansion in keys and values. Only the keys that change the answer or reach the
 * registry are passed on (registries, scoped registries, per-registry credentials, TLS and proxy settings,
 * `tag`, `before`). pacote gets a private cache folder under the system temp folder (never the user's
 * `~/.npm`) and `preferOnline`, so every answer is revalidated with the registry.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { NotFixed } from '../util/notFixed';
import type { ResolveContext } from './context';
import { LookupKind, type Lookups } from './shared';
import type { ResolvedVersion } from './packages';

/** npm configuration as `.npmrc` spells it (`registry`, `@scope:registry`, `//host/:_authToken`, `strict-ssl`). */
export type NpmConfig = Record<string, string>;

export const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

/**
 * npm's `${VAR}` expansion (@npmcli/config env-replace): `${VAR}` is the variable or stays as written when it
 * is unset, `${VAR?}` is the variable or ''; a backslash before `$` keeps it literal (pairs of backslashes
 * stand for one).
 */
export function envReplace(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/(?<!\\)(\\*)\$\{([^${}?]+)(\?)?\}/g, (orig, esc: string, name: string, modifier?: string) => {
    const fallback = modifier === '?' ? '' : `\${${name}}`;
    const value = env[name] !== undefined ? env[name]! : fallback;
    if (esc.length % 2) return orig.slice((esc.length + 1) / 2);
    return esc.slice(esc.length / 2) + value;
  });
}

/** The top-level keys of an `.npmrc` (ini syntax, as npm parses it), `${VAR}`-expanded; sections are ignored. */
export function parseNpmrc(text: string, env: NodeJS.ProcessEnv): NpmConfig {
  // `ini` is the parser npm itself uses (a dependency of pacote's @npmcli/git); loaded only when a file exists.
  const ini = require('ini') as { decode(text: string): Record<string, unknown> };
  const out: NpmConfig = {};
  for (const [key, value] of Object.entries(ini.decode(text))) {
    if (typeof value === 'string' || typeof value === 'boolean') out[envReplace(key, env)] = envReplace(String(value), env);
  }
  return out;
}

/** `npm_config_*` variables (any case) as config keys, as npm's loadEnv does: `_` → `-` except in `//` keys. */
export function envConfig(env: NodeJS.ProcessEnv): NpmConfig {
  const out: NpmConfig = {};
  for (const [name, value] of Object.entries(env)) {
    if (!/^npm_config_/i.test(name) || value === undefined || value === '') continue;
    let key = name.slice('npm_config_'.length);
    if (!key.startsWith('//')) key = key.replace(/(?!^)_/g, '-').toLowerCase();
    out[key] = value;
  }
  return out;
}

export interface HostNpmConfig {
  config: NpmConfig;
  /** Where each key came from (`/home/me/.npmrc`, `npm_config_registry`), for messages. */
  sources: Map<string, string>;
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The nearest `.npmrc` in `dir` or a folder above it. */
function nearestNpmrc(dir: string): { path: string; text: string } | undefined {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const path = join(d, '.npmrc');
    const text = readIfExists(path);
    if (text !== undefined) return { path, text };
    if (dirname(d) === d) return undefined;
  }
}

/** The npm configuration of the machine running dockrepro: user `.npmrc`, project `.npmrc`, `npm_config_*`. */
export function hostNpmConfig(env: NodeJS.ProcessEnv, dir: string): HostNpmConfig {
  const config: NpmConfig = {};
  const sources = new Map<string, string>();
  const layer = (values: NpmConfig, source: (key: string) => string) => {
    for (const [k, v] of Object.entries(values)) {
      config[k] = v;
      sources.set(k, source(k));
    }
  };
  const vars = envConfig(env);
  const userPath = vars.userconfig ?? (env.HOME ? join(env.HOME, '.npmrc') : undefined);
  const userText = userPath === undefined ? undefined : readIfExists(userPath);
  if (userPath !== undefined && userText !== undefined) layer(parseNpmrc(userText, env), () => userPath);
  const project = nearestNpmrc(dir);
  // Walking up may reach the user's own file (a project under $HOME without one): npm reads it once.
  if (project && (userPath === undefined || resolve(project.path) !== resolve(userPath))) layer(parseNpmrc(project.text, env), () => project.path);
  const envNames = new Map(Object.keys(env).map((n) => [n.slice('npm_config_'.length).replace(/(?!^)_/g, '-').toLowerCase(), n]));
  layer(vars, (k) => envNames.get(k) ?? `npm_config_${k}`);
  return { config, sources };
}

/** A registry URL as npm uses it: http(s), with a trailing slash. */
export function normalizeRegistry(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  u.search = '';
  u.hash = '';
  const s = u.toString();
  return s.endsWith('/') ? s : `${s}/`;
}

/** `//host[:port]/path/`: how `.npmrc` keys credentials to a registry (npm's "nerf dart"). */
export function nerfDart(registry: string): string {
  const u = new URL(registry);
  const path = u.pathname.endsWith('/') ? u.pathname : `${u.pathname}/`;
  return `//${u.host}${path}`;
}

/** The registry npm asks for `name`: its scope's `@scope:registry`, else `registry`. */
export function registryKeyFor(name: string): string | undefined {
  return name.startsWith('@') ? `${name.slice(0, name.indexOf('/'))}:registry` : undefined;
}

const CREDENTIAL = /:(_authToken|_auth|username|_password|certfile|keyfile|email)$/;

/** The config key holding credentials for `registry` (npm-registry-fetch walks the path up to the host), if any. */
export function credentialKey(config: NpmConfig, registry: string): string | undefined {
  for (let key = nerfDart(registry); key.length > 2; key = key.replace(/([^/]+|\/)$/, '')) {
    for (const kind of ['_authToken', '_auth', 'username']) if (config[`${key}:${kind}`]) return `${key}:${kind}`;
  }
  return undefined;
}

/** npm package names (including the legacy ones npm still installs: capitals, `~`). */
export const NPM_NAME = /^(@[A-Za-z0-9~-][A-Za-z0-9._~-]*\/)?[A-Za-z0-9~-][A-Za-z0-9._~-]*$/;

export interface NpmQuery {
  name: string;
  /** `^5`, `next`, or `*` for a bare name (npm's default: the default tag's version). */
  range: string;
  registry: string;
  /** npm's `tag` config (`--tag`): what a bare name means, and preferred when it satisfies a range. */
  defaultTag: string;
  /** npm's `before`: only versions published by then. */
  before?: Date;
  /** Merged configuration (host and Dockerfile): credentials and TLS/proxy settings are taken from it. */
  config: NpmConfig;
  sources: ReadonlyMap<string, string>;
  timeoutMs: number;
}

/**
 * How the installing tool picks among a package's versions, by the npm-pick-manifest generation the image's
 * npm bundles (read from npm's own releases):
 * - npm ≤ 6 (npm-pick-manifest 3): `engines` are not looked at; the default tag's version wins whenever it
 *   satisfies the range; a bare name means the default tag.
 * - npm 7 – 10.8.1 (npm-pick-manifest 6.1 – 9.0.1): the same, except that when the default tag's version
 *   does not satisfy the range, versions whose `engines` accept the running Node and npm come first; a bare
 *   name means the default tag up to npm 8, `*` from npm 9 (the same answer).
 * - npm ≥ 10.8.2 (npm-pick-manifest ≥ 9.1.0, like the one dockrepro ships): the default tag's version only
 *   when its `engines` accept Node and npm and it is not deprecated; else the newest that does.
 * yarn and pnpm do not consider `engines` when they choose (they check them after): tag first, no engines.
 */
export interface NpmPicker {
  /** The Node whose `engines.node` npm checks; null when the picker does not look at engines. */
  nodeVersion: string | null;
  npmVersion: string | null;
  /** The default tag's version wins whenever it satisfies the range (npm < 10.8.2, yarn, pnpm). */
  tagFirst: boolean;
  /** A bare name is the default tag (npm ≤ 8). */
  bareIsTag: boolean;
  /** `node12.22.12 npm6.14.16`, `any-node`: for the lock key. */
  key: string;
  /** The Node and npm it picks for, for titles; absent when the runtime does not matter (yarn, pnpm). */
  runtime?: { node: string; npm: string };
}

/** npm's picker for the image's Node and npm. */
export function npmPicker(node: string, npm: string): NpmPicker {
  const [major, minor] = npm.split('.').map(Number);
  const engines = major >= 7;
  return {
    nodeVersion: engines ? node : null,
    npmVersion: engines ? npm : null,
    tagFirst: major < 10 || (major === 10 && minor < 8) || (major === 10 && minor === 8 && Number(npm.split('.')[2]) < 2),
    bareIsTag: major <= 8,
    key: `node${node} npm${npm}`,
    runtime: { node, npm },
  };
}

/** yarn's and pnpm's choice: engines are not considered, so the image's Node does not matter. */
export const ENGINE_BLIND_PICKER: NpmPicker = { nodeVersion: null, npmVersion: null, tagFirst: true, bareIsTag: true, key: 'any-node' };

/** The lock key: everything the answer depends on. */
export function npmLockKey(q: Pick<NpmQuery, 'name' | 'range' | 'registry' | 'defaultTag' | 'before'>, picker: Pick<NpmPicker, 'key'>): string {
  const tag = q.defaultTag !== 'latest' ? ` tag=${q.defaultTag}` : '';
  const before = q.before ? ` before=${q.before.toISOString()}` : '';
  return `npm:${q.name}@${q.range} ${q.registry}${tag}${before} ${picker.key}`;
}

interface Semver {
  valid(version: string): string | null;
  validRange(range: string, loose: boolean): string | null;
  satisfies(version: string, range: string, opts: { loose: boolean; includePrerelease?: boolean }): boolean;
}

let semverFns: Semver | undefined;
function semver(): Semver {
  semverFns ??= { valid: require('semver/functions/valid'), validRange: require('semver/ranges/valid'), satisfies: require('semver/functions/satisfies') };
  return semverFns;
}

/** A strict semver version (what npm publishes), the grammar anything written to a Dockerfile must match. */
export function isNpmVersion(version: string): boolean {
  return version.length <= 256 && semver().valid(version) === version;
}

/** Whether npm reads `spec` as a range (else it is a dist-tag). */
export function isRange(spec: string): boolean {
  return semver().validRange(spec, true) !== null;
}

let cacheDir: string | undefined;
/** One private pacote cache per process, removed at exit: answers are revalidated anyway (preferOnline). */
function npmCacheDir(): string {
  if (!cacheDir) {
    const dir = mkdtempSync(join(tmpdir(), 'dockrepro-npm-'));
    cacheDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return cacheDir;
}

/** Config keys passed to pacote / npm-registry-fetch under the names they read. */
const RENAMED: Record<string, string> = {
  'strict-ssl': 'strictSSL',
  'https-proxy': 'httpsProxy',
  proxy: 'proxy',
  noproxy: 'noProxy',
  ca: 'ca',
  'local-address': 'localAddress',
};

/** pacote's options for a query: the registries and credentials of `config`, a private cache, no stale answers. */
export function pacoteOptions(q: NpmQuery): Record<string, unknown> {
  const opts: Record<string, unknown> = {
    registry: q.config.registry ?? DEFAULT_REGISTRY,
    defaultTag: q.defaultTag,
    cache: npmCacheDir(),
    preferOnline: true,
    timeout: q.timeoutMs,
    fetchRetries: 2,
    fetchRetryFactor: 2,
    fetchRetryMintimeout: 250,
    fetchRetryMaxtimeout: 2000,
  };
  if (q.before) opts.before = q.before;
  for (const [key, value] of Object.entries(q.config)) {
    if (/^@[^:]+:registry$/.test(key) || (key.startsWith('//') && CREDENTIAL.test(key))) opts[key] = value;
    else if (key in RENAMED) opts[RENAMED[key]] = key === 'strict-ssl' ? value !== 'false' : value;
  }
  const cafile = q.config.cafile;
  if (cafile && !q.config.ca) {
    try {
      opts.ca = readFileSync(cafile, 'utf8');
    } catch (e) {
      throw new NotFixed(`cannot read cafile '${cafile}' (${q.sources.get('cafile') ?? 'npm config'}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'failed');
    }
  }
  // The registry this package is asked from: its scope's, or the default one (already normalized by the caller).
  const scopeKey = registryKeyFor(q.name);
  if (scopeKey && q.config[scopeKey]) opts[scopeKey] = q.registry;
  else opts.registry = q.registry;
  return opts;
}

/** The parts of a packument the pick reads (the registry's JSON, checked where it is used). */
interface Manifest {
  name?: unknown;
  version?: unknown;
  deprecated?: unknown;
  engines?: { node?: unknown; npm?: unknown };
}
export interface Packument {
  name?: unknown;
  'dist-tags'?: Record<string, string>;
  versions?: Record<string, Manifest>;
  time?: Record<string, string>;
}

type PickManifest = (packument: Packument, wanted: string, opts: Record<string, unknown>) => Manifest;

/**
 * The version `picker`'s npm chooses from `packument` for the query: npm-pick-manifest (the one npm ≥ 10.8.2
 * bundles) with the image's Node and npm, preceded for older pickers by the rule they had and it dropped
 * (the default tag's version when it satisfies the range, whatever its engines).
 */
export function pickAsNpm(packument: Packument, q: Pick<NpmQuery, 'range' | 'defaultTag' | 'before'>, picker: NpmPicker): Manifest {
  const pickManifest = require('npm-pick-manifest') as PickManifest;
  const opts = { defaultTag: q.defaultTag, before: q.before ?? null, nodeVersion: picker.nodeVersion, npmVersion: picker.npmVersion };
  if (q.range === '*' && picker.bareIsTag) return pickManifest(packument, q.defaultTag, opts);
  if (picker.tagFirst && isRange(q.range)) {
    const tagged = packument['dist-tags']?.[q.defaultTag];
    const manifest = tagged === undefined ? undefined : packument.versions?.[tagged];
    const published = tagged === undefined ? undefined : packument.time?.[tagged];
    const beforeOk = !q.before || published === undefined || Date.parse(published) <= q.before.getTime();
    if (manifest && beforeOk && (q.range === '*' || semver().satisfies(tagged!, q.range, { loose: true }))) return manifest;
  }
  return pickManifest(packument, q.range, opts);
}

/** Why this version, for titles: names the dist-tag only when it is the one chosen. */
export function explainPick(packument: Packument, version: string, q: Pick<NpmQuery, 'range' | 'defaultTag'>, picker: NpmPicker): string {
  if (q.range !== '*' && !isRange(q.range)) return `dist-tag '${q.range}'`;
  const tagged = packument['dist-tags']?.[q.defaultTag];
  if (tagged === version) return q.range === '*' ? `dist-tag '${q.defaultTag}'` : `dist-tag '${q.defaultTag}', which satisfies '${q.range}'`;
  const who = picker.runtime ? `npm ${picker.runtime.npm} picks on Node ${picker.runtime.node}` : 'picked';
  const what = q.range === '*' ? `the version ${who}` : `the version ${who} for '${q.range}'`;
  if (tagged === undefined || (q.range !== '*' && !semver().satisfies(tagged, q.range, { loose: true }))) return what;
  const m = packument.versions?.[tagged];
  const needs = typeof m?.engines?.node === 'string' && picker.nodeVersion && !semver().satisfies(picker.nodeVersion, m.engines.node, { loose: false, includePrerelease: true })
    ? `, which needs Node '${m.engines.node}'`
    : m?.deprecated ? ', which is deprecated' : '';
  return `${what} (dist-tag '${q.defaultTag}' is ${tagged}${needs})`;
}

interface PacoteError extends Error {
  code?: string;
  statusCode?: number;
}

/** A NotFixed saying what went wrong with the registry's answer, in the terms of the .npmrc to change. */
function explain(e: PacoteError, q: NpmQuery): NotFixed {
  const code = e.code ?? '';
  if (code === 'E404') return new NotFixed(`'${q.name}' is not on ${q.registry} (HTTP 404)`, 'failed');
  const published = q.before ? ` published before ${q.before.toISOString()}` : '';
  if (code === 'ENOVERSIONS') return new NotFixed(`'${q.name}' has no versions on ${q.registry}${published}`, 'failed');
  if (code === 'ETARGET') {
    const desc = q.range === '*' ? `dist-tag '${q.defaultTag}'` : isRange(q.range) ? `version matching '${q.range}'` : `dist-tag '${q.range}'`;
    return new NotFixed(`'${q.name}' has no ${desc} on ${q.registry}${published}`, 'failed');
  }
  if (code === 'E401' || code === 'E403') {
    const cred = credentialKey(q.config, q.registry);
    const status = code.slice(1);
    if (!cred) {
      return new NotFixed(`${q.registry} requires authentication for '${q.name}' (HTTP ${status}): no credentials for it in .npmrc (add '${nerfDart(q.registry)}:_authToken=…')`, 'failed');
    }
    return new NotFixed(`${q.registry} refused '${q.name}' (HTTP ${status}) with the credentials '${cred}' from ${q.sources.get(cred) ?? 'npm config'}`, 'failed');
  }
  const asked = `'${q.name}@${q.range}'`;
  if (code === 'EJSONPARSE' || /invalid json/i.test(e.message)) return new NotFixed(`${q.registry} answered malformed JSON for ${asked}`, 'failed');
  if (/^E5\d\d$/.test(code)) return new NotFixed(`${q.registry} answered HTTP ${code.slice(1)} for ${asked} (retries exhausted)`, 'failed');
  return new NotFixed(`lookup of ${asked} on ${q.registry} failed: ${e.message.split('\n')[0]}`, 'failed');
}

/** pacote's `packumentCache` of each run (by its lookups map): one packument per registry and package. */
const packumentCaches = new WeakMap<Lookups, Map<string, unknown>>();

/** What resolveNpm answers: the query, and the tool (and its version) that would pick. */
export interface NpmLookup extends NpmQuery {
  picker: NpmPicker;
}

/** The request for a package's packument, one at a time per registry and package (Lookups.after). */
const NPM_PACKUMENT = new LookupKind<Packument>('npm-packument');

/**
 * The version the installing tool picks for the query today (see NpmPicker), checked: the registry must
 * answer this very name and a semver version. The packument comes from pacote (npm's fetcher: the same
 * request, registry and credentials); with `lookups` (run-wide), every range of a package is answered from
 * one packument request.
 */
export async function resolveNpm(ctx: ResolveContext, q: NpmLookup): Promise<ResolvedVersion> {
  const { picker } = q;
  const opts = pacoteOptions(q);
  // Expensive (about 100 packages) and external to the bundle: only loaded when a lookup is actually made.
  const pacote = require('pacote') as { packument(spec: string, opts: Record<string, unknown>): Promise<Packument> };
  let cache = packumentCaches.get(ctx.lookups);
  if (!cache) packumentCaches.set(ctx.lookups, (cache = new Map()));
  opts.packumentCache = cache;
  // pacote caches a packument once it has arrived: another range of the package waits for the first request.
  const fetched = ctx.lookups.after(NPM_PACKUMENT, `${q.registry} ${q.name}`, () => pacote.packument(`${q.name}@${q.range}`, opts));
  let packument: Packument;
  let manifest: Manifest;
  try {
    packument = await fetched;
    manifest = pickAsNpm(packument, q, picker);
  } catch (e) {
    throw explain(e as PacoteError, q);
  }
  if (!manifest || manifest.name !== q.name) throw new NotFixed(`${q.registry} answered a manifest for '${String(manifest?.name)}' when asked for '${q.name}'`, 'failed');
  if (typeof manifest.version !== 'string' || !isNpmVersion(manifest.version)) {
    throw new NotFixed(`${q.registry} answered a malformed version '${String(manifest.version)}' for '${q.name}'`, 'failed');
  }
  return { version: manifest.version, explanation: `${explainPick(packument, manifest.version, q, picker)} on ${q.registry}` };
}
