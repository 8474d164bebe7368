/**
 * No recursion that the input's depth controls: each construct nested 100,000 deep (or repeated as often) is
 * linted and fixed without a stack overflow, an internal error or a quadratic stall, and what the parser
 * could not follow is a note. Files, build-context files and ignore files are all input.
 */
import { runCli } from '../helpers/cli';
import { workspace } from '../helpers/workspace';

const N = 100_000;
const rep = (s: string, n = N) => s.repeat(n);

/** name → [Dockerfile, the note it must get (undefined: parsed in full, no note)]. */
const DOCKERFILES: Record<string, [string, string | undefined]> = {
  subshells: [`FROM alpine\nRUN ${rep('(')}true${rep(')')}\n`, undefined],
  groups: [`FROM alpine\nRUN ${rep('{ ')}true${rep('; }')}\n`, undefined],
  ifs: [`FROM alpine\nRUN ${rep('if true; then ')}true${rep('; fi')}\n`, undefined],
  whiles: [`FROM alpine\nRUN ${rep('while true; do ')}true${rep('; done')}\n`, undefined],
  cases: [`FROM alpine\nRUN ${rep('case a in a) ')}true${rep(';; esac')}\n`, undefined],
  functions: [`FROM alpine\nRUN ${rep('f() { ')}true${rep('; }')}\n`, undefined],
  negations: [`FROM alpine\nRUN ${rep('! ')}true\n`, undefined],
  substitutions: [`FROM alpine\nRUN echo ${rep('"$(')}id${rep(')"')}\n`, 'nesting too deep'],
  'open-substitutions': [`FROM alpine\nRUN ${rep('$(')}\n`, 'nesting too deep'],
  backticks: [`FROM alpine\nRUN echo ${rep('"`')}\n`, 'unterminated'],
  'default-values': [`FROM alpine\nRUN echo ${rep('${x:-')}x${rep('}')}\n`, 'nesting too deep'],
  'arg-defaults': [`ARG A=${rep('${B:-')}x${rep('}')}\nFROM alpine:$A\n`, undefined],
  arithmetic: [`FROM alpine\nRUN echo $((${rep('(')}1${rep(')')}))\n`, undefined],
  'json-arrays': [`FROM alpine\nCMD ${rep('[')}"a"${rep(']')}\n`, undefined],
  continuations: [`FROM alpine\nRUN true${rep(' \\\n')}\n`, undefined],
  heredocs: [`FROM alpine\nRUN ${Array.from({ length: 20_000 }, (_, i) => `<<E${i}`).join(' ')} cat\n${Array.from({ length: 20_000 }, (_, i) => `x\nE${i}`).join('\n')}\n`, undefined],
  'stage-chain': [`${Array.from({ length: 20_000 }, (_, i) => (i ? `FROM s${i - 1} AS s${i}` : 'FROM alpine AS s0')).join('\n')}\n`, undefined],
  'copy-glob': [`FROM python:3\nCOPY ${rep('{', 40_000)}req${rep('}', 40_000)}*.txt /app/\nRUN pip install -r /app/requirements.txt\n`, undefined],
};

describe(`constructs nested ${N} deep`, () => {
  let cwd: string;
  beforeAll(() => {
    const files: Record<string, string> = {
      // A .gitignore line too large for a regular expression: left out, as an unreadable .gitignore is.
      '.gitignore': `${rep('{')}a${rep('}')}\nignored/\n`,
      'ignored/Dockerfile': 'FROM alpine\n',
      'copy-glob/requirements.txt': 'flask\n',
    };
    for (const [name, [text]] of Object.entries(DOCKERFILES)) files[`${name}/Dockerfile`] = text;
    cwd = workspace(files);
  });

  // fix parses, lints (the same rules as lint) and fixes every file, and prints lint's notes.
  it('fix --check: every file is read, nothing overflows', async () => {
    const r = await runCli(['fix', '--offline', '--unsafe', '--check', '.'], { cwd });
    const out = r.stdout + r.stderr;
    expect(out).not.toMatch(/internal error|call stack|could not (fix|parse)|error:/i);
    expect(r.code).toBe(1);
    for (const [name, [, note]] of Object.entries(DOCKERFILES)) {
      expect(out).toContain(`${name}/Dockerfile:`);
      if (note) expect(out).toMatch(new RegExp(`${name}/Dockerfile: note: .*${note}`));
    }
    expect(out).toMatch(new RegExp(`^${Object.keys(DOCKERFILES).length} files scanned, `, 'm'));
    // The rest of the .gitignore still applies.
    expect(out).not.toContain('ignored/Dockerfile');
  }, 600_000);

  it('backticks in double quotes are linear in their count (each level used to rescan the rest of the word)', async () => {
    const time = async (n: number) => {
      const dir = workspace({ Dockerfile: `FROM alpine\nRUN echo ${rep('"`', n)}\n` });
      const t = process.hrtime.bigint();
      const r = await runCli(['lint', '.'], { cwd: dir });
      expect(r.stdout).toContain('unterminated');
      return Number(process.hrtime.bigint() - t);
    };
    await time(2000); // warm up
    const small = await time(10_000);
    const large = await time(40_000);
    expect(large / small).toBeLessThan(10); // 4× the input; quadratic was 16×
  }, 120_000);

  it('a deeply nested .dockrepro.yaml is a clear config error', async () => {
    const dir = workspace({ '.dockrepro.yaml': `rules: ${rep('[')}${rep(']')}\n`, Dockerfile: 'FROM alpine\n' });
    const r = await runCli(['lint', '.'], { cwd: dir });
    expect(r.stderr).toMatch(/\.dockrepro\.yaml: invalid YAML: nesting exceeded maxDepth/);
    expect(r.code).toBe(2);
  });
});
