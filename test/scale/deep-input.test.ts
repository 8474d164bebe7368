/**
 * Input depth and size are input: a chain of 4,000 `-r` files overflowed the call stack (nothing reported for
 * any file), and a 150k-package `pip install` under `fix` parsed the whole command once per finding until the
 * heap ran out (exit 134).
 */
import rule from '../../src/rules/pip-pin';
import { lint } from '../helpers/lint';
import { runCli } from '../helpers/cli';
import { workspace } from '../helpers/workspace';
import { MAX_FINDINGS_PER_FILE } from '../../src/limits';

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
  // Fixed: the uid, and ARG SOURCE_DATE_EPOCH in both files (pip in a, useradd in b). Left: the chain + image-digest, image-tag.
  expect(r.stderr).toMatch(new RegExp(`2 files scanned, 2 would change, 3 findings fixed, ${DEPTH + 2} left \\(${DEPTH + 2} needs network\\)`));
}, 60_000);

it(`a pip install of 150k packages is past the per-file limit: lint reports the first ${MAX_FINDINGS_PER_FILE}, fix leaves the file, both say so`, async () => {
  const n = 150_000;
  const text = `FROM python:3.12@sha256:${'a'.repeat(64)}\nRUN pip install ${Array.from({ length: n }, (_, i) => `p${i}`).join(' ')}\n`;
  const cwd = workspace({ Dockerfile: text });
  const t = Date.now();
  const fix = await runCli(['fix', '--offline', '--check', '.'], { cwd });
  expect(fix.stdout).toMatch(/^Dockerfile: note: more than 5000 findings \(dockrepro's limit for one file\): the first 5000 are reported, the rest is not checked; the file is not fixed\n/);
  // Findings left for one reason share one line (the fix summary groups them), not 5,000 lines.
  // (The first in source order is source-date-epoch's, at the pip word; then pip-compile's, then p0 …)
  expect(fix.stdout).toContain(`Dockerfile:2:5: source-date-epoch left (failed): not fixed: the file has more than 5000 findings; also ${MAX_FINDINGS_PER_FILE - 1} more findings\n`);
  expect(fix.stdout).toMatch(new RegExp(`1 file scanned, 0 would change, 0 findings fixed, ${MAX_FINDINGS_PER_FILE} left \\(${MAX_FINDINGS_PER_FILE} failed\\)\\n$`));
  expect(fix.code).toBe(1);
  expect(Date.now() - t).toBeLessThan(60_000); // before the limit: 0.9 GB; before near-linear fixes, a heap OOM
  const lint = await runCli(['lint', '--format', 'json', '.'], { cwd });
  const file = JSON.parse(lint.stdout).files[0];
  expect(file.notice).toBe("more than 5000 findings (dockrepro's limit for one file): the first 5000 are reported, the rest is not checked");
  expect(file.findings).toHaveLength(MAX_FINDINGS_PER_FILE);
  // The first ones in source order: source-date-epoch and pip-compile at `pip install`, then p0 … p4997.
  expect(file.findings.slice(0, 3).map((f: { rule: string }) => f.rule)).toEqual(['source-date-epoch', 'pip-compile', 'pip-pin']);
  expect(file.findings.at(-1).message).toContain("'p4997'");
}, 120_000);

it(`a file with exactly ${MAX_FINDINGS_PER_FILE} findings is checked and fixed in full`, async () => {
  const users = MAX_FINDINGS_PER_FILE - 3; // + image-digest, image-tag and source-date-epoch (useradd writes /etc/shadow's day)
  const cwd = workspace({ Dockerfile: `FROM debian:12\n${Array.from({ length: users }, (_, i) => `RUN useradd u${i}\n`).join('')}` });
  const r = await runCli(['fix', '--offline', '--unsafe', '.'], { cwd });
  expect(r.stdout).not.toContain('limit');
  expect(r.stdout).toMatch(new RegExp(`1 file scanned, 1 changed, ${users + 1} findings fixed, 2 left \\(2 needs network\\)\\n$`));
}, 120_000);
