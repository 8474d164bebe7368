/**
 * `fix` is near-linear in the findings of one file: 8× the useradd lines may cost about 8× the time, not 64×.
 * Before, each explicit-id finding scanned every command of the file and each fix was compared with every
 * other for overlaps: 2k lines took 2.7 s, 16k took 110 s (40×). Measured as a ratio in one run, below the
 * per-file limit of findings (src/limits.ts).
 */
import { fixText } from '../../src/fix';
import { RULES } from '../../src/rules/index';
import { MAX_FINDINGS_PER_FILE } from '../../src/limits';

const rules = RULES.filter((r) => r.meta.id === 'useradd-uid');

async function timeFix(lines: number): Promise<number> {
  const text = `FROM debian:12\n${Array.from({ length: lines }, (_, i) => `RUN useradd u${i}\n`).join('')}`;
  const t = process.hrtime.bigint();
  const r = await fixText(text, { rules, unsafe: true, offline: true, baseId: 10001 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  // Every user got its own id: the work was really done.
  expect(r.applied).toHaveLength(lines);
  expect(r.left).toEqual([]);
  expect(new Set(r.text.match(/--uid \d+/g)).size).toBe(lines);
  return ms;
}

it('fixes 4,800 findings in one file in at most 16× the time of 600', async () => {
  expect(4800).toBeLessThanOrEqual(MAX_FINDINGS_PER_FILE - 1); // + the FROM's findings, were image rules on
  await timeFix(200); // warm the JIT
  const small = await timeFix(600);
  const large = await timeFix(4800);
  expect(large / small).toBeLessThan(16);
}, 180_000);
