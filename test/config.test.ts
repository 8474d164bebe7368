import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ConfigFinder, parseConfig } from '../src/config';

describe('parseConfig', () => {
  it('reads rules, severities, threshold and ignore-paths', () => {
    const c = parseConfig('failure-threshold: warning\nrules:\n  apt-pin: off\n  image-tag: error\n  pip-pin: { severity: info }\n  apk-pin: on\nignore-paths: ["vendor/**"]\n', '/p/.dockrepro.yaml');
    expect(c.failureThreshold).toBe('warning');
    expect([...c.disabled]).toEqual(['apt-pin']);
    expect(Object.fromEntries(c.severities)).toEqual({ 'image-tag': 'error', 'pip-pin': 'info' });
    expect(c.isIgnored('/p/vendor/x/Dockerfile')).toBe(true);
    expect(c.isIgnored('/p/app/Dockerfile')).toBe(false);
    expect(c.isIgnored('/elsewhere/vendor/Dockerfile')).toBe(false);
  });

  it('reads registries: mirrors, insecure hosts and the Docker Hub tags API setting', () => {
    const c = parseConfig('registries:\n  docker.io: { mirror: "mirror.internal:5000", tags-api: false }\n  r.internal:5000: { insecure: true }\n  ghcr.io: { insecure: false }\n', 'x.yaml');
    expect(c.registries).toEqual({ mirrors: { 'docker.io': 'mirror.internal:5000' }, insecure: ['r.internal:5000'], hubTagsApi: false });
    // Each config has its own lists: the defaults are never shared and changed.
    expect(parseConfig('', 'y.yaml').registries).toEqual({ mirrors: {}, insecure: [] });
  });

  it('reads rules.pip-pin.python-version', () => {
    expect(parseConfig('rules:\n  pip-pin: { python-version: "3.5" }\n', 'x.yaml').pythonVersion).toBe('3.5');
    expect(parseConfig('rules:\n  pip-pin: { python-version: "3.7.3", severity: error }\n', 'x.yaml').pythonVersion).toBe('3.7.3');
    expect(parseConfig('', 'x.yaml').pythonVersion).toBeUndefined();
  });

  it('rules.npm-pin.node-version / npm-version: the Node and npm for stages whose image cannot tell', () => {
    const c = parseConfig('rules:\n  npm-pin: { node-version: v18.20.4, npm-version: 10.7.0, severity: error }\n', '/p/.dockrepro.yaml');
    expect(c.nodeRuntime).toEqual({ node: '18.20.4', npm: '10.7.0', source: '/p/.dockrepro.yaml' });
    expect(c.severities.get('npm-pin')).toBe('error');
    expect(parseConfig('', 'x.yaml').nodeRuntime).toBeUndefined();
  });

  it('reads include: more Dockerfile names, relative to the config folder', () => {
    const c = parseConfig('include: ["*__Dockerfile", "docker/*"]\n', '/p/.dockrepro.yaml');
    expect(c.isIncluded('/p/x/y/a__Dockerfile')).toBe(true);
    expect(c.isIncluded('/p/docker/web')).toBe(true);
    expect(c.isIncluded('/p/x/docker/web')).toBe(false);
    expect(c.isIncluded('/p/README.md')).toBe(false);
    expect(parseConfig('', 'x.yaml').isIncluded('/p/a__Dockerfile')).toBe(false);
  });

  it('accepts an empty file', () => {
    expect(parseConfig('', 'x.yaml').failureThreshold).toBe('style');
  });

  it.each([
    ['unknown top-level key', 'severity: high\n', "unknown key 'severity'"],
    ['unknown rule', 'rules:\n  apt-pinn: off\n', "rules.apt-pinn: unknown rule 'apt-pinn' (did you mean 'apt-pin'?)"],
    ['bad rule value', 'rules:\n  apt-pin: maybe\n', 'rules.apt-pin: expected one of off, on, error'],
    ['unknown rule option', 'rules:\n  apt-pin: { level: error }\n', 'rules.apt-pin.level: unknown key'],
    ['bad threshold', 'failure-threshold: high\n', 'failure-threshold: expected one of'],
    ['python-version not a version', 'rules:\n  pip-pin: { python-version: "3" }\n', 'rules.pip-pin.python-version: expected a quoted Python version'],
    ['python-version unquoted (YAML reads 3.10 as 3.1)', 'rules:\n  pip-pin: { python-version: 3.10 }\n', 'expected a quoted Python version'],
    ['python-version with a newline', 'rules:\n  pip-pin: { python-version: "3.5\\nx" }\n', 'rules.pip-pin.python-version: expected a quoted Python version'],
    ['bad ignore-paths', 'ignore-paths: vendor\n', 'ignore-paths: expected a list'],
    ['include not a list', 'include: "*__Dockerfile"\n', 'include: expected a list of glob patterns'],
    ['include with a negation', 'include: ["!x"]\n', 'include: "!x": negated patterns are not supported'],
    ['include leaving its folder', 'include: ["../x/*"]\n', "include: \"../x/*\": patterns cannot leave their folder"],
    ['not a mapping', '- a\n', 'expected a mapping'],
    ['invalid YAML', 'rules: [\n', 'invalid YAML'],
    ['registries not a mapping', 'registries: [a]\n', 'registries: expected a mapping'],
    ['registry host with a path', 'registries:\n  ghcr.io/x: { insecure: true }\n', 'registries.ghcr.io/x: not a registry host'],
    ['mirror that is a URL', 'registries:\n  docker.io: { mirror: "https://m.example" }\n', 'registries.docker.io.mirror: expected a registry host'],
    ['insecure not a boolean', 'registries:\n  r.io: { insecure: "yes" }\n', 'registries.r.io.insecure: expected true or false'],
    ['tags-api for another registry', 'registries:\n  ghcr.io: { tags-api: false }\n', 'registries.ghcr.io.tags-api: unknown key (known: mirror, insecure)'],
    ['node-version not a version', 'rules:\n  npm-pin: { node-version: 18 }\n', 'rules.npm-pin.node-version: expected a version like 18.20.4, got 18'],
    ['npm-version a range', 'rules:\n  npm-pin: { npm-version: "^10" }\n', 'rules.npm-pin.npm-version: expected a version like 18.20.4'],
    ['tags-api with a path', 'registries:\n  docker.io: { tags-api: "https://hub.docker.com/v2" }\n', 'tags-api: expected false or a URL'],
  ])('%s is an error naming the key', (_name, text, message) => {
    expect(() => parseConfig(text, 'cfg.yaml')).toThrow(ConfigError);
    expect(() => parseConfig(text, 'cfg.yaml')).toThrow(message);
  });
});

describe('ConfigFinder', () => {
  it('finds the nearest config walking up', () => {
    const root = mkdtempSync(join(tmpdir(), 'dockrepro-cfg-'));
    mkdirSync(join(root, 'a/b/c'), { recursive: true });
    writeFileSync(join(root, '.dockrepro.yaml'), 'failure-threshold: error\n');
    writeFileSync(join(root, 'a/b/.dockrepro.yml'), 'failure-threshold: info\n');
    const finder = new ConfigFinder();
    expect(finder.find(join(root, 'a/b/c')).failureThreshold).toBe('info');
    expect(finder.find(join(root, 'a')).failureThreshold).toBe('error');
    expect(finder.find(join(root, 'a/b/c')).path).toBe(join(root, 'a/b/.dockrepro.yml'));
  });
});
