/**
 * .pre-commit-hooks.yaml: both hooks select files with one Python regular expression, which must take exactly
 * the names dockrepro's own folder walk takes (src/dockerfileName.ts). Compared here name by name with
 * Python's own `re` (pre-commit matches `files` with re.search on the path from the repository root).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDockerfileName } from '../src/dockerfileName';
import { inCI } from './helpers/ci';

const load = (require('js-yaml') as typeof import('js-yaml')).load;
const hooks = load(readFileSync(join(__dirname, '..', '.pre-commit-hooks.yaml'), 'utf8')) as Array<Record<string, unknown>>;
const python = spawnSync('python3', ['--version']).status === 0;

/** Names around every form the walk knows, its exclusions, and the near misses it leaves out. */
function candidateNames(): string[] {
  const cores = ['Dockerfile', 'dockerfile', 'DOCKERFILE', 'Containerfile', 'containerfile', 'ContainerFile'];
  const shapes = ['#', '#.dev', '#.', 'api.#', '.#', '#-windows', '#_arm64', '#-', 'build-#', 'update_#', '#.prod.j2', '#.md',
    '#.bak', '#~', '#.yaml', '#.sh', '#.in', '#.lock', '#.Dockerfile', 'x.#.txt', '#s', 'my#', '#__b', '#.template'];
  const prefixes = ['', 'a__', 'a__b__', 'a___', 'x__Dockerfile__', '__'];
  const folders = ['', 'sub/', 'Dockerfile/', 'a__b/'];
  const names = new Set<string>(['README.md', 'Makefile', 'docker-compose.yml', 'dockerfile_gen', 'Dockerfile.d/x', 'a__Dockerfile__b']);
  for (const core of cores) for (const shape of shapes) for (const prefix of prefixes) for (const folder of folders) {
    names.add(folder + prefix + shape.replace('#', core));
  }
  return [...names];
}

/** What Python's re.search says of each path, for a pattern. */
function pythonMatches(pattern: string, paths: string[]): boolean[] {
  const script = 'import json, re, sys\np = re.compile(sys.argv[1])\nprint(json.dumps([bool(p.search(s)) for s in json.load(sys.stdin)]))';
  const r = spawnSync('python3', ['-c', script, pattern], { input: JSON.stringify(paths), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3: ${r.stderr}`);
  return JSON.parse(r.stdout) as boolean[];
}

describe('.pre-commit-hooks.yaml', () => {
  it('has dockrepro-lint and dockrepro-fix as node hooks sharing one files pattern', () => {
    expect(hooks.map((h) => h.id)).toEqual(['dockrepro-lint', 'dockrepro-fix']);
    for (const hook of hooks) expect(hook).toMatchObject({ language: 'node', types: ['file'] });
    expect(hooks[0].entry).toBe('dockrepro lint');
    expect(hooks[1].entry).toBe('dockrepro fix');
    expect(hooks[1].args).toEqual(['--offline']);
    expect(hooks[1].files).toBe(hooks[0].files);
  });

  (python ? it : it.skip)('files takes exactly the names the folder walk takes (Python re vs isDockerfileName)', () => {
    const paths = candidateNames();
    const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
    const matched = pythonMatches(hooks[0].files as string, paths);
    const disagreements = paths.filter((p, i) => matched[i] !== isDockerfileName(base(p))).map((p) => `${p}: walk ${isDockerfileName(base(p))}`);
    expect(disagreements).toEqual([]);
    // Both kinds are well represented, so agreement is not vacuous.
    expect(matched.filter(Boolean).length).toBeGreaterThan(200);
    expect(matched.filter((m) => !m).length).toBeGreaterThan(200);
  });
  if (!python) {
    const msg = 'python3 is not installed: the pre-commit files pattern is not checked';
    if (inCI()) it('needs python3', () => { throw new Error(msg); });
    else console.warn(`SKIPPED: ${msg}`);
  }
});
