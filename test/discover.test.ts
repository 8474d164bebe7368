import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { discover, isDockerfileName } from '../src/discover';

describe('isDockerfileName', () => {
  it.each(['Dockerfile', 'dockerfile', 'Containerfile', 'Dockerfile.prod', 'api.Dockerfile', 'api.dockerfile', 'Containerfile.dev'])('%s', (n) => {
    expect(isDockerfileName(n)).toBe(true);
  });
  it.each(['Dockerfile.template', 'Dockerfile.j2', 'Dockerfile.in', 'README.md', '.dockerignore', 'Dockerfiles', 'docker-compose.yml'])('not %s', (n) => {
    expect(isDockerfileName(n)).toBe(false);
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
  });

  it('takes an explicitly named file whatever its name', () => {
    expect(discover([join(root, 'custom-name')]).files).toEqual([join(root, 'custom-name')]);
  });

  it('reports missing paths and folders without Dockerfiles', () => {
    const r = discover([join(root, 'missing'), join(root, 'empty')]);
    expect(r.errors).toEqual([
      { path: join(root, 'missing'), message: 'no such file or folder' },
      { path: join(root, 'empty'), message: 'no Dockerfiles found in this folder' },
    ]);
  });
});
