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

  it('accepts an empty file', () => {
    expect(parseConfig('', 'x.yaml').failureThreshold).toBe('style');
  });

  it.each([
    ['unknown top-level key', 'severity: high\n', "unknown key 'severity'"],
    ['unknown rule', 'rules:\n  DL3008: off\n', "rules.DL3008: unknown rule"],
    ['bad rule value', 'rules:\n  apt-pin: maybe\n', 'rules.apt-pin: expected one of off, on, error'],
    ['unknown rule option', 'rules:\n  apt-pin: { level: error }\n', 'rules.apt-pin.level: unknown key'],
    ['bad threshold', 'failure-threshold: high\n', 'failure-threshold: expected one of'],
    ['bad ignore-paths', 'ignore-paths: vendor\n', 'ignore-paths: expected a list'],
    ['not a mapping', '- a\n', 'expected a mapping'],
    ['invalid YAML', 'rules: [\n', 'invalid YAML'],
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
