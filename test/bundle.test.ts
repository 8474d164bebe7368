/**
 * The package ships one bundle (dist/dockrepro.js, `npm run build`) and installs only what it leaves out:
 * package.json's `dependencies` must be exactly not inlined, and everything it still requires must be one of
 * them (else a tarball install fails at run time), and loading it as the package's `main` must run nothing.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

const root = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string; files: string[]; dependencies: Record<string, string>; version: string };
const bundle = readFileSync(join(root, 'dist', 'dockrepro.js'), 'utf8');
const packageOf = (spec: string) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

describe('the bundle (dist/dockrepro.js)', () => {
  it('is the package main and ships', () => {
    expect(pkg.main).toBe('dist/dockrepro.js');
    expect(pkg.files).toEqual(expect.arrayContaining(['bin/dockrepro', 'dist/dockrepro.js', 'dist/dockrepro.cache']));
  });

  it('inlines no dependency: they are installed beside it', () => {
    // esbuild's metafile (scripts/bundle.js) lists every input file that went into the bundle.
    const meta = JSON.parse(readFileSync(join(root, 'dist', 'dockrepro.meta.json'), 'utf8')) as { inputs: Record<string, unknown> };
    const inlined = new Set(Object.keys(meta.inputs).map((f) => /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1]).filter((n): n is string => !!n));
    expect(inlined).toContain('dockerfile-ast'); // the list is there to be read
    expect([...inlined].filter((name) => name in pkg.dependencies)).toEqual([]);
  });

  it('requires at run time only Node built-ins and dependencies', () => {
    const required = new Set([...bundle.matchAll(/\brequire\("([^"./][^"]*)"\)/g)].map((m) => m[1]));
    expect(required).toContain('js-yaml'); // the scan sees the lazily loaded ones
    const builtin = (s: string) => s.startsWith('node:') || builtinModules.includes(packageOf(s));
    expect([...required].filter((s) => !builtin(s) && !(packageOf(s) in pkg.dependencies))).toEqual([]);
  });

  it("require('dockrepro') exports the command line as a function and runs nothing", () => {
    const script = `const d = require(${JSON.stringify(root)}); setTimeout(() => console.log(JSON.stringify({ keys: Object.keys(d).sort(), version: d.version(), exitCode: process.exitCode ?? 0 })), 50);`;
    const r = spawnSync(process.execPath, ['-e', script, 'lint', '/nonexistent'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ keys: ['EXIT', 'main', 'start', 'version'], version: pkg.version, exitCode: 0 });
  });

  it('main() runs a command given its arguments and io', async () => {
    const { main } = require(root) as typeof import('../src/main');
    let out = '';
    const code = await main(['lint', '-'], { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, readStdin: () => Buffer.from('FROM debian:12\n'), env: {}, cwd: root } as never);
    expect(code).toBe(1);
    expect(out).toContain('image-digest');
  });
});
