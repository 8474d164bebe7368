#!/usr/bin/env node
/**
 * `npm run fuzz`: the property-based tests of test/fuzz with many runs. FUZZ_RUNS (default 5000) and
 * FUZZ_SEED (default: a fresh one, printed) choose the run; a failure prints the seed and the shrunk
 * counterexample, and `FUZZ_SEED=<seed> npm run fuzz` replays it.
 */
const { spawnSync } = require('node:child_process');

const runs = process.env.FUZZ_RUNS || '5000';
const seed = process.env.FUZZ_SEED || String(Math.floor(Math.random() * 2 ** 31));
console.log(`fuzz: FUZZ_RUNS=${runs} FUZZ_SEED=${seed} (replay with: FUZZ_SEED=${seed} FUZZ_RUNS=${runs} npm run fuzz)`);
const jest = require.resolve('jest/bin/jest');
const r = spawnSync(process.execPath, [jest, '--runInBand', 'test/fuzz/fuzz.test.ts', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_RUNS: runs, FUZZ_SEED: seed },
});
process.exit(r.status ?? 1);
