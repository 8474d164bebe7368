/**
 * Real git repositories served over HTTP on 127.0.0.1 by git's own `git http-backend` (run as a CGI program,
 * as Apache or nginx would), for the git-commit fixer's tests. Repositories are made with the real `git`
 * client; `commit(repo, message)` pushes a new commit to a branch so tests can move refs between runs.
 * Paths under `/private/` answer 401 (a repository that asks for credentials).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GitServer {
  /** `http://127.0.0.1:<port>`: repositories are at `${url}/<name>.git`. */
  url: string;
  /** Request paths seen (with query), for counting ref advertisements. */
  requests: string[];
  /** Makes a bare repository `<name>.git` with one commit on `main` (its HEAD); returns the commit. */
  create(name: string): string;
  /** A new commit on `branch` of `<name>.git` (created from main when missing); returns it. */
  commit(name: string, branch?: string, message?: string): string;
  /** Tags the tip of `from` (a branch or commit); annotated unless `lightweight`. Returns the tagged commit. */
  tag(name: string, tag: string, from?: string, lightweight?: boolean): string;
  close(): Promise<void>;
}

export function gitAvailable(): string | undefined {
  const r = spawnSync('git', ['--exec-path'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'git is not installed';
}

const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.org',
  GIT_CONFIG_NOSYSTEM: '1', HOME: tmpdir(),
};

export async function startGitServer(): Promise<GitServer> {
  const root = mkdtempSync(join(tmpdir(), 'dockrepro-git-'));
  const work = join(root, 'work');
  mkdirSync(work);
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const requests: string[] = [];
  let counter = 0;

  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.startsWith('/private/')) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
      res.end('auth required');
      return;
    }
    const cgi = spawn('git', ['http-backend'], {
      env: {
        ...ENV,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_ADDR: '127.0.0.1',
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
      },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let started = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (started) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      started = true;
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => res.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const checkout = (name: string) => {
    const dir = join(work, name);
    return dir;
  };

  return {
    url,
    requests,
    create(name) {
      const bare = join(root, `${name}.git`);
      git(root, 'init', '-q', '--bare', '-b', 'main', bare);
      // A shallow fetch of a commit that is no longer a tip needs this (GitHub and GitLab allow it).
      git(bare, 'config', 'uploadpack.allowReachableSHA1InWant', 'true');
      const dir = checkout(name);
      git(work, 'clone', '-q', bare, dir);
      git(dir, 'checkout', '-q', '-b', 'main');
      writeFileSync(join(dir, 'file.txt'), `first ${++counter}\n`);
      git(dir, 'add', '.');
      git(dir, 'commit', '-q', '-m', 'first');
      git(dir, 'push', '-q', 'origin', 'main');
      return git(dir, 'rev-parse', 'HEAD');
    },
    commit(name, branch = 'main', message = 'change') {
      const dir = checkout(name);
      git(dir, 'fetch', '-q', 'origin');
      const exists = spawnSync('git', ['rev-parse', '--verify', '-q', `origin/${branch}`], { cwd: dir, env: ENV }).status === 0;
      git(dir, 'checkout', '-q', '-B', branch, exists ? `origin/${branch}` : 'origin/main');
      writeFileSync(join(dir, 'file.txt'), `${message} ${++counter}\n`);
      git(dir, 'commit', '-q', '-am', message);
      git(dir, 'push', '-q', 'origin', branch);
      return git(dir, 'rev-parse', 'HEAD');
    },
    tag(name, tag, from = 'main', lightweight = false) {
      const dir = checkout(name);
      git(dir, 'fetch', '-q', 'origin');
      const target = /^[0-9a-f]{40}$/.test(from) ? from : `origin/${from}`;
      if (lightweight) git(dir, 'tag', '-f', tag, target);
      else git(dir, 'tag', '-f', '-a', '-m', tag, tag, target);
      git(dir, 'push', '-q', '-f', 'origin', `refs/tags/${tag}`);
      return git(dir, 'rev-parse', `${tag}^{commit}`);
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
