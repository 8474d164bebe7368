/** The talk's two Dockerfiles are the first acceptance cases (shipped in examples/, same as ../shared/examples/). */
import { resolve } from 'node:path';
import { runCli } from './helpers/cli';

const examples = resolve(__dirname, '../examples');

interface JsonFinding {
  rule: string;
  line: number;
  message: string;
}

async function findings(dir: string): Promise<JsonFinding[]> {
  const r = await runCli(['lint', '--format', 'json', resolve(examples, dir, 'Dockerfile')]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(1);
  return JSON.parse(r.stdout).files[0].findings;
}

describe('examples', () => {
  it('seed-broken: floating python:3 without digest, unpinned flask', async () => {
    const f = await findings('seed-broken');
    expect(f.map((x) => [x.rule, x.line])).toEqual([
      ['image-digest', 2],
      ['image-tag', 2],
      // pip compiles .pyc stamped with the install time: the stage lacks ARG SOURCE_DATE_EPOCH (one cause, two rules).
      ['source-date-epoch', 6],
      ['pip-compile', 6],
      ['pip-pin', 6],
    ]);
    expect(f[4].message).toContain("'flask'");
  });

  it('seed-better: no digest, unpinned flask in requirements.txt, implicit UID', async () => {
    const f = await findings('seed-better');
    expect(f.map((x) => [x.rule, x.line])).toEqual([
      ['image-digest', 1],
      // One source-date-epoch finding for the stage, at its first clock-writing command (pip; useradd at 7 writes /etc/shadow's day too).
      ['source-date-epoch', 5],
      ['pip-compile', 5],
      ['pip-pin', 5],
      ['useradd-uid', 7],
    ]);
    expect(f[3].message).toContain('requirements.txt:1');
  });

  it('the examples folder lints with findings in every Dockerfile', async () => {
    const r = await runCli(['lint', '--format', 'json', examples]);
    expect(r.code).toBe(1);
    const files = JSON.parse(r.stdout).files as { path: string; findings: unknown[] }[];
    expect(files.map((f) => f.path.replace(/\\/g, '/').replace(/^.*examples\//, '')).sort()).toEqual([
      'seed-better/Dockerfile',
      'seed-broken/Dockerfile',
      'webapp/Dockerfile',
    ]);
    for (const f of files) expect(f.findings.length).toBeGreaterThan(0);
  });
});
