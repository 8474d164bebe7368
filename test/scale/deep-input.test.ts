/**
 * Input depth and size are input: a chain of 4,000 `-r` files overflowed the call stack (nothing reported for
 * any file), and a 150k-package `pip install` under `fix` parsed the whole command once per finding until the
 * heap ran out (exit 134).
 */
import rule from '../../src/rules/pip-pin';
import { lint } from '../helpers/lint';
import { runCli } from '../helpers/cli';
import { workspace } from '../helpers/workspace';

const DEPTH = 4000;
const DOCKERFILE = 'FROM python:3.12\nCOPY . /app\nWORKDIR /app\nRUN pip install -r r0.txt\n';

function chain(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < DEPTH; i++) files[`r${i}.txt`] = `${i + 1 < DEPTH ? `-r r${i + 1}.txt\n` : ''}pkg${i}\n`;
  return files;
}

it(`pip-pin follows a chain of ${DEPTH} -r files, reporting each in the order pip reads them`, () => {
  const found = lint(rule, DOCKERFILE, chain());
  expect(found.map((f) => f.message)).toEqual(
    Array.from({ length: DEPTH }, (_, i) => DEPTH - 1 - i).map((i) => `r${i}.txt:${i + 1 < DEPTH ? 2 : 1}: 'pkg${i}' is not pinned: use 'pkg${i}==<version>'`),
  );
});

it(`fix --write-context reads the ${DEPTH}-file chain without overflowing, and the other files are fixed too`, async () => {
  const cwd = workspace({ ...Object.fromEntries(Object.entries(chain()).map(([k, v]) => [`a/${k}`, v])), 'a/Dockerfile': DOCKERFILE, 'b/Dockerfile': 'FROM scratch\nRUN useradd app\n' });
  const r = await runCli(['fix', '--offline', '--unsafe', '--write-context', '--dry-run', '.'], { cwd });
  expect(r.stderr).not.toMatch(/internal error|call stack/);
  expect(r.stdout).toContain('+RUN useradd --uid 10001 app');
  expect(r.stderr).toMatch(new RegExp(`2 files scanned, 1 would change, 1 finding fixed, ${DEPTH + 2} left \\(${DEPTH + 2} needs network\\)`)); // + image-digest, image-tag
}, 60_000);

it('fix handles a pip install of 150k packages in one RUN (each left: offline), in bounded time', async () => {
  const n = 150_000;
  const cwd = workspace({ Dockerfile: `FROM python:3.12@sha256:${'a'.repeat(64)}\nRUN pip install ${Array.from({ length: n }, (_, i) => `p${i}`).join(' ')}\n` });
  const t = Date.now();
  const r = await runCli(['fix', '--offline', '--check', '.'], { cwd });
  expect(r.stdout).toMatch(new RegExp(`1 file scanned, 0 would change, 0 findings fixed, ${n} left \\(${n} needs network\\)\\n$`));
  expect(Date.now() - t).toBeLessThan(60_000); // before: a heap OOM after ~2 minutes
}, 120_000);
