/**
 * The package as users get it: `npm pack` (prepack builds the bundle), then `npm install -g` of the tarball into
 * an empty prefix and `npm exec --package <tarball>`, from the npm registry, in folders with no node_modules above.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanScratch, pack, run, version } from './scratch';

jest.setTimeout(900_000);

let scratch: string;
let tarball: string;
let packStdout: string;
beforeAll(() => {
  scratch = cleanScratch('dockrepro-install-');
  const r = pack(scratch);
  if (r.status !== 0) throw new Error(`npm pack failed: ${r.stderr}`);
  packStdout = r.stdout;
  tarball = join(scratch, r.stdout.trim());
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('npm pack', () => {
  it("prints only the tarball's name on stdout (pre-commit reads it from there)", () => {
    expect(packStdout).toBe(`dockrepro-${version}.tgz\n`);
  });

  it('holds the bundle, its loader, docs, README and LICENSE, and no sources or separate build output', () => {
    const list = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).stdout.trim().split('\n').sort();
    expect(list).toEqual(expect.arrayContaining(['package/LICENSE', 'package/README.md', 'package/bin/dockrepro', 'package/dist/dockrepro.cache', 'package/dist/dockrepro.js', 'package/docs/rules/apt-pin.md', 'package/package.json']));
    expect(list.filter((f) => !/^package\/(docs\/.*\.md|LICENSE|README\.md|package\.json|bin\/dockrepro|dist\/dockrepro\.(js|cache))$/.test(f))).toEqual([]);
  });
});

describe('the tarball installed', () => {
  let prefix: string;
  let install: ReturnType<typeof run>;
  const dockerfile = () => join(scratch, 'work', 'Dockerfile');
  beforeAll(() => {
    prefix = join(scratch, 'prefix');
    install = run('npm', ['install', '-g', '--prefix', prefix, tarball], scratch);
    mkdirSync(join(scratch, 'work'));
    writeFileSync(dockerfile(), 'FROM debian:12\nRUN apt-get update && apt-get install -y curl\n');
  });

  it('installs without a warning (no install script of its own to approve)', () => {
    expect(install.status).toBe(0);
    expect(install.stderr).not.toMatch(/warn/i);
  });

  it('puts dockrepro on PATH (prefix/bin), which lints', () => {
    const bin = join(prefix, 'bin', 'dockrepro');
    expect(run(bin, ['--version'], scratch).stdout).toBe(`${version}\n`);
    const lint = run(bin, ['lint', '--format', 'json', 'Dockerfile'], join(scratch, 'work'));
    expect(lint.stderr).toBe('');
    expect(lint.status).toBe(1);
    const rules = (JSON.parse(lint.stdout) as { files: Array<{ findings: Array<{ rule: string }> }> }).files[0].findings.map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['image-digest', 'apt-pin']));
  });

  it('loads its lazily required dependencies (a config file: js-yaml)', () => {
    writeFileSync(join(scratch, 'work', '.dockrepro.yaml'), 'rules:\n  apt-pin: off\n');
    const lint = run(join(prefix, 'bin', 'dockrepro'), ['lint', '--format', 'json', 'Dockerfile'], join(scratch, 'work'));
    rmSync(join(scratch, 'work', '.dockrepro.yaml'));
    expect(lint.stderr).toBe('');
    expect(lint.stdout).not.toContain('apt-pin');
    expect(lint.stdout).toContain('image-digest');
  });

  it("require('dockrepro') gives the API and runs nothing", () => {
    const script = `const d = require('dockrepro'); console.log(typeof d.main, d.version())`;
    const r = run(process.execPath, ['-e', script], scratch, { NODE_PATH: join(prefix, 'lib', 'node_modules') });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`function ${version}\n`);
  });
});

it('npm exec --package <tarball> runs it without installing it', () => {
  const r = run('npm', ['exec', '--yes', '--package', tarball, '--', 'dockrepro', '--version'], scratch);
  expect(r.stderr).not.toMatch(/warn/i);
  expect(r.stdout).toBe(`${version}\n`);
});
