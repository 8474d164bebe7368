/** Migrating from hadolint: its config file, its codes wherever rule ids are taken, its pragmas. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workspace } from './helpers/workspace';
import { runCli } from './helpers/cli';
import { ConfigError, ConfigFinder, parseConfig } from '../src/config';
import { parseHadolintConfig } from '../src/hadolintConfig';
import { nearestRuleId, readRuleIds } from '../src/ruleIds';
import { parseDockerfile } from '../src/parse/dockerfile';
import { lintModel } from '../src/lint';
import { pragmaNotes } from '../src/suppress';
import { RULES } from '../src/rules/index';

const APT = 'FROM debian:12\nRUN apt-get install -y curl\n';

describe('rule ids and hadolint codes', () => {
  it('maps a code through the rules hadolint lists, notes codes with no equivalent, suggests for typos', () => {
    const list = readRuleIds(['DL3008', 'apt-pin', 'dl3013', 'DL3059', 'SC2086', 'apt-pinn']);
    expect(list.ids).toEqual(['apt-pin', 'pip-pin']);
    expect(list.foreign).toEqual(['DL3059', 'SC2086']);
    expect(list.unknown).toEqual(["unknown rule 'apt-pinn' (did you mean 'apt-pin'?)"]);
  });

  it('says when a code switches a rule that checks more than that code', () => {
    expect(readRuleIds(['DL3007']).widened).toEqual(['DL3007 is part of image-tag, which also checks DL3006']);
    expect(readRuleIds(['DL3006', 'DL3007']).widened).toEqual([]);
  });

  it.each([
    ['apt-pinn', 'apt-pin'],
    ['pip_pin', 'pip-pin'],
    ['imagedigest', 'image-digest'],
    ['totally-different', undefined],
    ['x', undefined],
  ])('nearest to %s: %s', (id, expected) => {
    expect(nearestRuleId(id)).toBe(expected);
  });
});

describe('.hadolint.yaml', () => {
  it('reads ignored, override, failure-threshold; notes codes and settings it cannot apply', () => {
    const c = parseHadolintConfig(
      'ignored:\n  - DL3008\n  - DL3059\n  - SC2086\noverride:\n  error: [DL3013]\n  info: [DL3013, DL3018]\nfailure-threshold: warning\ntrustedRegistries:\n  - docker.io\nformat: json\n',
      '/p/.hadolint.yaml',
    );
    expect(c.from).toBe('hadolint');
    expect([...c.disabled]).toEqual(['apt-pin']);
    // Listed under error and info: the higher wins, as in hadolint.
    expect(Object.fromEntries(c.severities)).toEqual({ 'pip-pin': 'error', 'apk-pin': 'info' });
    expect(c.failureThreshold).toBe('warning');
    expect(c.notes).toEqual(['DL3059, SC2086 have no dockrepro equivalent (ignored)', 'trustedRegistries is not applied (dockrepro has no rule like DL3026)']);
  });

  it.each([
    ['failure-threshold: ignore\n', 'style'],
    ['failure-threshold: none\n', 'style'],
    ['failure-threshold: info\nno-fail: true\n', 'none'],
    ['', 'style'],
  ])('%j → threshold %s', (text, expected) => {
    expect(parseHadolintConfig(text, 'h.yaml').failureThreshold).toBe(expected);
  });

  it('notes an id that is neither a rule nor a hadolint code, with a suggestion', () => {
    expect(parseHadolintConfig('ignored: [apt-pinn]\n', 'h.yaml').notes).toEqual(["ignored: unknown rule 'apt-pinn' (did you mean 'apt-pin'?)"]);
  });

  it.each([
    ['ignored: DL3008\n', 'ignored: expected a list of rule codes'],
    ['override: [DL3008]\n', 'override: expected a mapping'],
    ['failure-threshold: loud\n', 'failure-threshold: expected one of'],
    ['- a\n', 'expected a mapping at the top level'],
  ])('refuses %j', (text, message) => {
    expect(() => parseHadolintConfig(text, 'h.yaml')).toThrow(ConfigError);
    expect(() => parseHadolintConfig(text, 'h.yaml')).toThrow(message);
  });

  it('is found only when no .dockrepro.yaml is on the walk', () => {
    const root = workspace({ '.git/HEAD': '', 'a/.hadolint.yaml': 'ignored: [DL3008]\n', 'b/c/.hadolint.yml': 'ignored: [DL3013]\n' });
    const finder = new ConfigFinder();
    expect(finder.find(join(root, 'a')).path).toBe(join(root, 'a/.hadolint.yaml'));
    expect(finder.find(join(root, 'b/c')).path).toBe(join(root, 'b/c/.hadolint.yml'));
    writeFileSync(join(root, '.dockrepro.yaml'), 'rules: { image-tag: off }\n');
    // A .dockrepro.yaml further up wins over a nearer .hadolint.yaml.
    expect(new ConfigFinder().find(join(root, 'a')).path).toBe(join(root, '.dockrepro.yaml'));
  });

  it('is not read from a folder the user does not trust', () => {
    const root = workspace({ '.hadolint.yaml': 'ignored: [DL3008]\n', 'sub/x': '' });
    const finder = new ConfigFinder({ uid: 4242, gid: 4242, home: '/nonexistent' });
    expect(finder.find(join(root, 'sub')).path).toBeUndefined();
  });
});

describe('.dockrepro.yaml rules take hadolint codes', () => {
  it('DL3008: off switches apt-pin off; a code with no equivalent is noted; a typo is refused with a suggestion', () => {
    const c = parseConfig('rules:\n  DL3008: off\n  DL3013: error\n  DL3059: off\n', 'x.yaml');
    expect([...c.disabled]).toEqual(['apt-pin']);
    expect(c.severities.get('pip-pin')).toBe('error');
    expect(c.notes).toEqual(['rules: DL3059 has no dockrepro equivalent (ignored)']);
    expect(() => parseConfig('rules:\n  apt-pinn: off\n', 'x.yaml')).toThrow("rules.apt-pinn: unknown rule 'apt-pinn' (did you mean 'apt-pin'?)");
  });
});

describe('pragmas', () => {
  const aptFindings = (code: string) => {
    const model = parseDockerfile(code);
    return lintModel(model, { rules: RULES.filter((r) => r.meta.id === 'apt-pin') }).map((f) => f.rule);
  };
  it.each([
    ['hadolint code with a reason', '# hadolint ignore=DL3008 reason: the mirror has one version\n'],
    ['dockrepro id with -- reason', '# dockrepro ignore=apt-pin -- pinned by the base image\n'],
    ['dockrepro pragma with a hadolint code', '# dockrepro ignore=DL3008\n'],
    ['list then # reason', '# dockrepro ignore=pip-pin,apt-pin# why\n'],
  ])('%s suppresses', (_name, pragma) => {
    expect(aptFindings(`FROM debian:12\n${pragma}RUN apt-get install -y curl\n`)).toEqual([]);
  });

  it('a misspelt id suppresses nothing and is noted with a suggestion', () => {
    const text = 'FROM debian:12\n# dockrepro ignore=apt-pinn\nRUN apt-get install -y curl\n';
    expect(aptFindings(text)).toEqual(['apt-pin']);
    expect(pragmaNotes(parseDockerfile(text))).toEqual(["line 2: unknown rule 'apt-pinn' (did you mean 'apt-pin'?) in an ignore pragma"]);
  });

  it('notes dockrepro pragmas naming codes with no equivalent, but not hadolint pragmas (they are for hadolint)', () => {
    const text = 'FROM debian:12\n# dockrepro ignore=DL3059\n# hadolint ignore=DL3059,SC2086\n# dockrepro ignore apt-pin\nRUN true\n';
    expect(pragmaNotes(parseDockerfile(text))).toEqual([
      'line 2: DL3059 in an ignore pragma: no dockrepro equivalent',
      'line 4: not understood as a pragma (expected # dockrepro ignore=rule[,rule] [reason])',
    ]);
  });
});

describe('command line', () => {
  it('--disable and --rules take hadolint codes; codes with no equivalent are noted; typos refused', async () => {
    const cwd = workspace({ Dockerfile: APT });
    const disabled = await runCli(['lint', '--disable', 'DL3008,DL3059', '--rules', 'apt-pin,image-tag'], { cwd });
    expect(disabled.stdout).not.toContain('apt-pin');
    expect(disabled.stdout).toContain('image-tag');
    expect(disabled.stderr).toBe('dockrepro: note: --disable: DL3059 has no dockrepro equivalent (ignored)\n');
    const only = await runCli(['lint', '--rules', 'DL3008', '-f', 'json'], { cwd });
    expect(JSON.parse(only.stdout).files[0].findings.map((f: { rule: string }) => f.rule)).toEqual(['apt-pin']);
    const typo = await runCli(['lint', '--disable', 'apt-pinn'], { cwd });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("--disable: unknown rule 'apt-pinn' (did you mean 'apt-pin'?)");
    const nothing = await runCli(['lint', '--rules', 'DL3059'], { cwd });
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('--rules: no dockrepro rule among DL3059');
  });

  it('reads .hadolint.yaml and says so; --verbose names it', async () => {
    const cwd = workspace({ '.git/HEAD': '', Dockerfile: APT, '.hadolint.yaml': 'ignored:\n  - DL3008\n  - DL3059\nfailure-threshold: error\n' });
    const r = await runCli(['lint', '--rules', 'apt-pin,image-tag'], { cwd });
    expect(r.stdout).not.toContain('apt-pin');
    expect(r.stdout).toContain('image-tag');
    // failure-threshold: error, and image-tag is a warning.
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("dockrepro: note: using hadolint's config .hadolint.yaml (no .dockrepro.yaml found): DL3059 has no dockrepro equivalent (ignored)\n");
    const verbose = await runCli(['lint', '--verbose'], { cwd });
    expect(verbose.stderr).toContain("dockrepro: config .hadolint.yaml (hadolint's, translated) for 1 file");
  });

  it('--config takes a hadolint config by its name', async () => {
    const cwd = workspace({ Dockerfile: APT, 'ci/hadolint.yaml': 'ignored: [DL3008]\n' });
    const r = await runCli(['lint', '--config', 'ci/hadolint.yaml', '--rules', 'apt-pin'], { cwd });
    expect(r).toEqual({ code: 0, stdout: 'No findings in 1 file\n', stderr: "dockrepro: note: using hadolint's config ci/hadolint.yaml (no .dockrepro.yaml found)\n" });
  });

  it('a misspelt pragma is a note on the file', async () => {
    const cwd = workspace({ Dockerfile: 'FROM debian:12\n# dockrepro ignore=apt-pinn\nRUN apt-get install -y curl\n' });
    const r = await runCli(['lint', '--rules', 'apt-pin'], { cwd });
    expect(r.stdout).toContain("Dockerfile: note: line 2: unknown rule 'apt-pinn' (did you mean 'apt-pin'?) in an ignore pragma");
    expect(r.stdout).toContain('apt-pin');
  });
});

