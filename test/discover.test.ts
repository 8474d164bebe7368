import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { discover, isDockerfileName } from '../src/discover';
import { startsLikeDockerfile } from '../src/dockerfileName';
import { includeMatcher, patternProblem } from '../src/include';
import { ConfigFinder } from '../src/config';
import { corpusFiles, CORPUS_DIR, itWithCorpus } from './helpers/corpus';
import { workspace } from './helpers/workspace';

describe('isDockerfileName', () => {
  it.each([
    'Dockerfile', 'dockerfile', 'Containerfile', 'Dockerfile.prod', 'api.Dockerfile', 'api.dockerfile', 'Containerfile.dev',
    // Variants with a hyphen or underscore, spelt with a capital (as in the corpus: Dockerfile-windows).
    'Dockerfile-windows', 'Dockerfile_arm64', 'Containerfile-ubi',
    // Flattened paths (tree dumps, the shared corpus): the part after the last __ decides.
    'GoogleCloudPlatform__microservices-demo__src__adservice__Dockerfile', 'a__b__Dockerfile.debug', 'a__Dockerfile-windows',
    'a__base.Dockerfile', '__Dockerfile', 'Dockerfile.prod__v2',
  ])('%s', (n) => {
    expect(isDockerfileName(n)).toBe(true);
  });
  it.each([
    // Templates, backups, BuildKit's per-Dockerfile ignore file.
    'Dockerfile.template', 'Dockerfile.j2', 'Dockerfile.in', 'Dockerfile.orig', 'Dockerfile~', 'Dockerfile.dockerignore', 'api.Dockerfile.dockerignore',
    // Docs, scripts and sources named after Dockerfiles.
    'Dockerfile.md', 'dockerfile.go', 'dockerfile_test.go', 'dockerfile.py', 'Dockerfile.test.ts.snap', 'Dockerfile.sh', 'a__Dockerfile.md',
    // Lower-case tools and suffix forms (scripts more often than not).
    'dockerfile-lint', 'dockerfile_gen', 'build-dockerfile', 'update_Dockerfile', 'api-Dockerfile',
    'README.md', '.dockerignore', 'Dockerfiles', 'docker-compose.yml', '__init__.py',
  ])('not %s', (n) => {
    expect(isDockerfileName(n)).toBe(false);
  });
});

describe('startsLikeDockerfile', () => {
  it.each([
    ['FROM alpine\n'], ['# syntax=docker/dockerfile:1\n\nARG V=1\nFROM x:$V\n'], ['\ufeffFROM x\r\n'], ['  from x\n'],
  ])('%j', (text) => expect(startsLikeDockerfile(Buffer.from(text))).toBe(true));
  it.each([
    ['#!/bin/sh\nset -e\n'], ['package dockerfile\n'], ['# Dockerfile notes\n\nSome prose\n'], ['FROM {{ base }}\n'],
    ['FROM\n'], ['FR\0OM x\n'], [''],
  ])('not %j', (text) => expect(startsLikeDockerfile(Buffer.from(text))).toBe(false));
});

describe('include patterns', () => {
  it('match names anywhere without a slash, paths relative to the base with one', () => {
    const m = includeMatcher(['*__Dockerfile', 'docker/*.df', './ci/**/build'], '/r');
    expect(m('/r/a__Dockerfile')).toBe(true);
    expect(m('/r/deep/er/a__Dockerfile')).toBe(true);
    expect(m('/elsewhere/a__Dockerfile')).toBe(true);
    expect(m('/r/docker/x.df')).toBe(true);
    expect(m('/r/sub/docker/x.df')).toBe(false);
    expect(m('/r/ci/a/b/build')).toBe(true);
    expect(m('/elsewhere/docker/x.df')).toBe(false);
    expect(m('/r/a__Dockerfile.md')).toBe(false);
  });
  it.each([['', 'non-empty'], ['!x', 'negated'], ['/abs/*', 'leading /'], ['../up/*', "'..'"], [3, 'non-empty']])('refuses %j', (p, why) => {
    expect(patternProblem(p)).toContain(why);
  });
});

describe('discover', () => {
  const root = mkdtempSync(join(tmpdir(), 'dockrepro-disc-'));
  const files = ['Dockerfile', 'svc/api.Dockerfile', 'svc/Dockerfile.dev', 'build/Dockerfile', 'node_modules/x/Dockerfile',
    'svc/generated/Dockerfile', 'svc/notes.txt', 'custom-name'];
  for (const f of files) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), 'FROM scratch\n');
  }
  writeFileSync(join(root, '.gitignore'), 'build/\n');
  writeFileSync(join(root, 'svc/.gitignore'), 'generated\n');
  mkdirSync(join(root, 'empty'));

  it('finds Dockerfiles recursively, honouring nested .gitignore files', () => {
    const r = discover([root]);
    expect(r.files.map((f) => relative(root, f))).toEqual(['Dockerfile', 'svc/Dockerfile.dev', 'svc/api.Dockerfile']);
    expect(r.errors).toEqual([]);
    expect(r.notes).toEqual([]);
  });

  it('takes an explicitly named file whatever its name', () => {
    expect(discover([join(root, 'custom-name')]).files).toEqual([join(root, 'custom-name')]);
  });

  it('reports missing paths and folders without Dockerfiles', () => {
    const r = discover([join(root, 'missing'), join(root, 'empty')]);
    expect(r.errors).toEqual([
      { path: join(root, 'missing'), message: 'no such file or folder' },
      { path: join(root, 'empty'), message: 'no Dockerfiles found in this folder: it holds no files' },
    ]);
  });

  itWithCorpus('finds every file of the flattened corpus but its one backup (Dockerfile.orig)', () => {
    const all = corpusFiles();
    const r = discover([CORPUS_DIR]);
    const missed = all.filter((f) => !r.files.includes(f)).map((f) => basename(f));
    expect(missed).toEqual(['StefanScherer__dockerfiles-windows__dotnet__Dockerfile.orig']);
    expect(r.errors).toEqual([]);
    expect(r.notes).toEqual([]);
  });

  it('says what it looked at when nothing is named like a Dockerfile, naming a look-alike', () => {
    const dir = workspace({
      'svc/api-dockerfile': 'FROM alpine\n', 'hack/build-dockerfile': '#!/bin/sh\ndocker build .\n', 'README.md': '# x\n',
      'Dockerfile.j2': 'FROM {{ base }}\n', 'skipped/Dockerfile': 'FROM x\n', '.gitignore': 'skipped/\n',
    });
    const r = discover([dir]);
    expect(r.files).toEqual([]);
    expect(r.errors).toHaveLength(1);
    const message = r.errors[0].message;
    expect(message).toMatch(/^no Dockerfiles found in this folder: 5 files looked at \(besides 1 entry \.gitignore excludes\), none named like a Dockerfile/);
    expect(message).toContain("1 file looks like a Dockerfile by content (e.g. 'svc/api-dockerfile')");
    expect(message).toContain('--glob PATTERN');
  });

  it('notes look-alike files when other Dockerfiles were found', () => {
    const dir = workspace({ Dockerfile: 'FROM a\n', 'x/web-Dockerfile': 'ARG V\nFROM a:$V\n', 'x/worker-Dockerfile': 'FROM b\n' });
    const r = discover([dir]);
    expect(r.files).toEqual([join(dir, 'Dockerfile')]);
    expect(r.notes).toEqual([{ path: dir, message: expect.stringMatching(/^2 files look like Dockerfiles by content \(e\.g\. 'x\/web-Dockerfile'\) but their names are not a Dockerfile's: not linted/) }]);
  });

  it('reads at most 32 look-alikes per run, and says there may be more', () => {
    const many: Record<string, string> = { Dockerfile: 'FROM a\n' };
    for (let i = 0; i < 40; i++) many[`d/${String(i).padStart(2, '0')}-dockerfile`] = 'FROM a\n';
    const r = discover([workspace(many)]);
    expect(r.notes[0].message).toMatch(/^32 or more files look like Dockerfiles/);
  });

  it('--glob adds names (relative to the folder named); .gitignore still applies', () => {
    const dir = workspace({
      'a/svc__Dockerfile': 'FROM a\n', 'a/web-dockerfile': 'FROM a\n', 'docker/prod': 'FROM a\n', 'sub/docker/prod': 'FROM a\n',
      'ignored/x-dockerfile': 'FROM a\n', '.gitignore': 'ignored/\n',
    });
    const r = discover([dir], { globs: ['*-dockerfile', 'docker/*'] });
    expect(r.files.map((f) => relative(dir, f))).toEqual(['a/svc__Dockerfile', 'a/web-dockerfile', 'docker/prod']);
    expect(r.notes).toEqual([]);
  });

  it("takes the nearest config's include: in its own subtree only", () => {
    const dir = workspace({
      '.dockrepro.yaml': 'include: ["*.df"]\n', 'a.df': 'FROM a\n', 'b.build': 'FROM a\n',
      'inner/.dockrepro.yaml': 'include: ["*.build"]\n', 'inner/c.df': 'FROM a\n', 'inner/d.build': 'FROM a\n',
    });
    const finder = new ConfigFinder();
    const configFor = (d: string) => finder.lookup(d);
    const r = discover([dir], { configFor });
    expect(r.files.map((f) => relative(dir, f))).toEqual(['a.df', 'inner/d.build']);
    // Asking for include is not using a config: --verbose counts only the Dockerfiles each config served.
    expect(finder.used.size).toBe(0);
  });

  it('never reads a FIFO or follows a symlink while looking for look-alikes', () => {
    const dir = workspace({ Dockerfile: 'FROM a\n', 'target.txt': 'FROM a\n' });
    require('node:child_process').execFileSync('mkfifo', [join(dir, 'x-dockerfile')]);
    require('node:fs').symlinkSync(join(dir, 'target.txt'), join(dir, 'y-dockerfile'));
    const r = discover([dir]);
    expect(r.files).toEqual([join(dir, 'Dockerfile')]);
    expect(r.notes).toEqual([]);
  });
});
