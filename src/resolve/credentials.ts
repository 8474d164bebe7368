/**
 * Registry credentials as the docker CLI finds them, for `RegistryClient`'s `credentials(host)` option.
 *
 * The config file is `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`; `DOCKER_AUTH_CONFIG` (a JSON
 * document with `auths`) overrides its `auths` entries, as in docker CLI 28. For a host, the source is the
 * `credHelpers` helper for that host, else the `credsStore` helper, else the file's `auths` entry; a helper
 * that is configured has the final word, even when it knows nothing (docker ignores the file's entry then).
 * Helpers speak the docker-credential-helpers protocol: `docker-credential-<name> get`, the server URL on
 * stdin, `{"ServerURL","Username","Secret"}` on stdout, and the exact text
 * `credentials not found in native keychain` on a failing exit when they have none.
 *
 * Hosts are named as `RegistryClient` names them (`docker.io`, `ghcr.io`, `localhost:5000`). Config keys are
 * normalised to that form: scheme and path dropped, and every Docker Hub spelling (`https://index.docker.io/v1/`,
 * `index.docker.io`, `registry-1.docker.io`) is `docker.io`.
 *
 * Nothing here throws at load time: a broken config file is kept as `configError` (so a caller can warn once),
 * and `get()` rejects with it; a broken entry for one host only fails lookups of that host.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir as osHomedir } from 'node:os';
import { join } from 'node:path';

export type DockerCredentials =
  | { username: string; password: string }
  /** An OAuth2 refresh token, exchanged at the token realm (`grant_type=refresh_token`). */
  | { identityToken: string };

export type DockerCredentialErrorKind =
  /** The config file (or DOCKER_AUTH_CONFIG) cannot be read or parsed. */
  | 'config'
  /** The `auths` entry for the host is malformed. */
  | 'entry'
  /** A credential helper is missing, failed, timed out, or answered something unreadable. */
  | 'helper';

export class DockerCredentialError extends Error {
  override name = 'DockerCredentialError';
  constructor(
    message: string,
    readonly kind: DockerCredentialErrorKind,
  ) {
    super(message);
  }
}

export interface DockerCredentialOptions {
  /** Environment: DOCKER_CONFIG, DOCKER_AUTH_CONFIG, and PATH (and everything else) for helpers. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Home folder, for `~/.docker/config.json`. Default os.homedir(). */
  homedir?: string;
  /** Longest a helper may run before it is killed. Default 10 s. */
  helperTimeoutMs?: number;
}

export interface DockerCredentialSource {
  /** The config file consulted (it may not exist). */
  readonly configPath: string;
  /** Why the configuration could not be used; `get()` rejects with this error. */
  readonly configError?: DockerCredentialError;
  /**
   * Credentials for a host as `RegistryClient` names it; `undefined` when none are configured. Rejects with a
   * DockerCredentialError. Answers (and failures) are cached per host, so each helper runs at most once a host.
   */
  get(host: string): Promise<DockerCredentials | undefined>;
}

/** The key docker uses for Docker Hub, and the server URL its helpers are asked about. */
export const DOCKER_HUB_SERVER_URL = 'https://index.docker.io/v1/';
const HUB_NAMES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const NOT_FOUND = 'credentials not found in native keychain';
/** The helper's Username when Secret is an identity token. */
const TOKEN_USERNAME = '<token>';
const MAX_HELPER_OUTPUT = 1024 * 1024;
const HELPER_PREFIX = 'docker-credential-';

/**
 * A config key or host as `RegistryClient` names it: scheme, path and case dropped (the port is kept as
 * written), Docker Hub spellings as `docker.io`.
 */
export function normaliseRegistryHost(key: string): string {
  let rest = key.trim();
  const scheme = rest.indexOf('://');
  if (scheme >= 0) rest = rest.slice(scheme + 3);
  rest = rest.split('/')[0];
  // A URL may carry user info (`https://user@host`); it never names the host.
  if (scheme >= 0 && rest.includes('@')) rest = rest.slice(rest.lastIndexOf('@') + 1);
  const host = rest.toLowerCase();
  return HUB_NAMES.has(host) ? 'docker.io' : host;
}

interface AuthEntry {
  /** The key as written in the file. */
  key: string;
  value: unknown;
  origin: string;
}

interface ParsedConfig {
  auths: AuthEntry[];
  credHelpers: { key: string; helper: string }[];
  credsStore?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseConfig(text: string, origin: string): ParsedConfig {
  // Docker accepts an empty file as an empty configuration.
  if (text.trim() === '') return { auths: [], credHelpers: [] };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DockerCredentialError(`${origin} is not valid JSON: ${(e as Error).message}`, 'config');
  }
  if (!isObject(doc)) throw new DockerCredentialError(`${origin} is not a JSON object`, 'config');
  const { auths, credHelpers, credsStore } = doc;
  if (auths !== undefined && auths !== null && !isObject(auths)) {
    throw new DockerCredentialError(`${origin}: 'auths' is not an object`, 'config');
  }
  if (credHelpers !== undefined && credHelpers !== null && !isObject(credHelpers)) {
    throw new DockerCredentialError(`${origin}: 'credHelpers' is not an object`, 'config');
  }
  if (credsStore !== undefined && credsStore !== null && typeof credsStore !== 'string') {
    throw new DockerCredentialError(`${origin}: 'credsStore' is not a string`, 'config');
  }
  const helpers: ParsedConfig['credHelpers'] = [];
  for (const [key, helper] of Object.entries(credHelpers ?? {})) {
    if (typeof helper !== 'string') throw new DockerCredentialError(`${origin}: credHelpers['${key}'] is not a string`, 'config');
    helpers.push({ key, helper });
  }
  return {
    auths: Object.entries(auths ?? {}).map(([key, value]) => ({ key, value, origin })),
    credHelpers: helpers,
    credsStore: credsStore || undefined,
  };
}

async function readConfig(path: string): Promise<ParsedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    // No file is the common case: no credentials, nothing to report.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { auths: [], credHelpers: [] };
    throw new DockerCredentialError(`cannot read docker config ${path}: ${(e as Error).message}`, 'config');
  }
  return parseConfig(text, `docker config ${path}`);
}

/** Keys for `host` in the order docker would try them: its own spelling first, then the rest as written. */
function matching<T extends { key: string }>(items: readonly T[], host: string): T[] {
  const canonical = host === 'docker.io' ? DOCKER_HUB_SERVER_URL : host;
  const hits = items.filter((i) => normaliseRegistryHost(i.key) === host);
  return [...hits.filter((i) => i.key === canonical), ...hits.filter((i) => i.key !== canonical)];
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/** An `auths` entry as credentials; `undefined` for an entry without any (docker writes `{}` beside a store). */
function fromEntry(entry: AuthEntry): DockerCredentials | undefined {
  const where = `${entry.origin}: auths['${entry.key}']`;
  if (!isObject(entry.value)) throw new DockerCredentialError(`${where} is not an object`, 'entry');
  const { auth, username, password, identitytoken } = entry.value;
  for (const [name, v] of Object.entries({ auth, username, password, identitytoken })) {
    if (v !== undefined && v !== null && typeof v !== 'string') throw new DockerCredentialError(`${where}.${name} is not a string`, 'entry');
  }
  // An identity token wins: `docker login` keeps the user name beside it, with an empty password.
  if (typeof identitytoken === 'string' && identitytoken !== '') return { identityToken: identitytoken };
  if (typeof auth === 'string' && auth !== '') {
    const decoded = BASE64.test(auth) ? Buffer.from(auth, 'base64').toString('utf8') : undefined;
    const colon = decoded?.indexOf(':') ?? -1;
    if (decoded === undefined || colon <= 0) {
      throw new DockerCredentialError(`${where}.auth is not base64 of 'username:password'`, 'entry');
    }
    // Only the first ':' separates: passwords and tokens may contain more. Docker trims NUL padding too.
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1).replace(/^\0+|\0+$/g, '') };
  }
  if (typeof username === 'string' && username !== '') return { username, password: typeof password === 'string' ? password : '' };
  return undefined;
}

/** The first entry for `host` that holds credentials (an empty `{}` beside a longer spelling does not hide it). */
function firstInEntries(entries: readonly AuthEntry[], host: string): DockerCredentials | undefined {
  for (const entry of matching(entries, host)) {
    const creds = fromEntry(entry);
    if (creds) return creds;
  }
  return undefined;
}

interface HelperChoice {
  program: string;
  /** What configured it, for messages. */
  why: string;
}

interface HelperRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `program get` with `input` on stdin; kills its whole process group when it outlives the timeout. */
function runHelper(choice: HelperChoice, input: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<HelperRun> {
  const what = `credential helper ${choice.program} (${choice.why})`;
  return new Promise((resolve, reject) => {
    const ownGroup = process.platform !== 'win32';
    const child = spawn(choice.program, ['get'], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: ownGroup, windowsHide: true });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: DockerCredentialError | undefined, run?: HelperRun) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        // A shell script's own children (`sleep`) keep the pipes open: kill the group, and stop waiting for them.
        try {
          if (ownGroup && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
          else child.kill('SIGKILL');
        } catch {
          // already gone
        }
        child.stdout.destroy();
        child.stderr.destroy();
        reject(err);
      } else resolve(run!);
    };
    const timer = setTimeout(() => finish(new DockerCredentialError(`${what} did not answer within ${timeoutMs} ms`, 'helper')), timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => {
      const why =
        e.code === 'ENOENT'
          ? 'is not installed or not on PATH'
          : e.code === 'EACCES'
            ? 'is not executable'
            : `could not be started: ${e.message}`;
      finish(new DockerCredentialError(`${what} ${why}`, 'helper'));
    });
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_HELPER_OUTPUT) finish(new DockerCredentialError(`${what} wrote more than ${MAX_HELPER_OUTPUT} bytes`, 'helper'));
      else stdout.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      if (Buffer.concat(stderr).length < 4096) stderr.push(b);
    });
    child.on('close', (code, signal) =>
      finish(undefined, { code, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }),
    );
    // A helper may exit without reading its input; that is its answer, not our error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** One line of a helper's failure text, short enough for a message. */
function excerpt(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

async function askHelper(
  choice: HelperChoice,
  serverUrl: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<DockerCredentials | undefined> {
  const what = `credential helper ${choice.program} (${choice.why})`;
  const run = await runHelper(choice, serverUrl, env, timeoutMs);
  if (run.code !== 0) {
    // The protocol puts the error on stdout; only this exact text means "none".
    if (run.stdout.trim() === NOT_FOUND) return undefined;
    const detail = excerpt(run.stdout) || excerpt(run.stderr);
    const status = run.signal ? `was killed by ${run.signal}` : `exited with ${run.code}`;
    throw new DockerCredentialError(`${what} ${status} for ${serverUrl}${detail ? `: ${detail}` : ''}`, 'helper');
  }
  let answer: unknown;
  try {
    answer = JSON.parse(run.stdout);
  } catch {
    // Never quote the output: it may hold the secret.
    throw new DockerCredentialError(`${what} answered ${serverUrl} with something that is not JSON`, 'helper');
  }
  const { Username, Secret } = isObject(answer) ? answer : {};
  if ((Username !== undefined && typeof Username !== 'string') || (Secret !== undefined && typeof Secret !== 'string')) {
    throw new DockerCredentialError(`${what} answered ${serverUrl} without string Username and Secret`, 'helper');
  }
  const username = Username ?? '';
  const secret = Secret ?? '';
  if (username === TOKEN_USERNAME) return secret ? { identityToken: secret } : undefined;
  if (username === '' && secret === '') return undefined;
  return { username, password: secret };
}

/** Where docker reads its configuration from, given the environment and home folder. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env, homedir: string = osHomedir()): string {
  return env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, 'config.json') : join(homedir, '.docker', 'config.json');
}

/**
 * Reads the docker configuration once and answers credential lookups from it. Never rejects: problems are
 * reported through `configError` and by `get()`.
 */
export async function loadDockerCredentials(options: DockerCredentialOptions = {}): Promise<DockerCredentialSource> {
  const env = options.env ?? process.env;
  const timeoutMs = options.helperTimeoutMs ?? 10_000;
  const configPath = dockerConfigPath(env, options.homedir ?? osHomedir());
  let config: ParsedConfig = { auths: [], credHelpers: [] };
  /** DOCKER_AUTH_CONFIG's entries: consulted before helpers and the file, as docker does (it uses only `auths`). */
  let envAuths: AuthEntry[] = [];
  let configError: DockerCredentialError | undefined;
  try {
    config = await readConfig(configPath);
    if (env.DOCKER_AUTH_CONFIG) envAuths = parseConfig(env.DOCKER_AUTH_CONFIG, 'DOCKER_AUTH_CONFIG').auths;
  } catch (e) {
    configError = e as DockerCredentialError;
  }

  const lookup = async (host: string): Promise<DockerCredentials | undefined> => {
    const fromEnv = firstInEntries(envAuths, host);
    if (fromEnv) return fromEnv;
    const helperEntry = matching(config.credHelpers, host)[0];
    // An empty helper name in credHelpers means: this host uses the file, not the default store.
    const name = helperEntry ? helperEntry.helper : config.credsStore;
    if (!name) return firstInEntries(config.auths, host);
    const choice: HelperChoice = {
      program: HELPER_PREFIX + name,
      why: helperEntry ? `credHelpers['${helperEntry.key}'] in ${configPath}` : `credsStore in ${configPath}`,
    };
    // Docker asks about `https://index.docker.io/v1/` for Hub and the bare host elsewhere; logins recorded under
    // another spelling (`https://registry.example.com`) are asked about as written when that finds nothing.
    const canonical = host === 'docker.io' ? DOCKER_HUB_SERVER_URL : host;
    const urls = [canonical, ...matching([...config.credHelpers, ...config.auths], host).map((i) => i.key)];
    for (const url of new Set(urls)) {
      const creds = await askHelper(choice, url, env, timeoutMs);
      if (creds) return creds;
    }
    return undefined;
  };

  const cache = new Map<string, Promise<DockerCredentials | undefined>>();
  return {
    configPath,
    configError,
    get(host: string) {
      if (configError) return Promise.reject(configError);
      const key = normaliseRegistryHost(host);
      let answer = cache.get(key);
      if (!answer) {
        answer = lookup(key);
        cache.set(key, answer);
      }
      return answer;
    },
  };
}
